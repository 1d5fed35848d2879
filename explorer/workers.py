"""Engine work off the UI thread, and the one place where its failures are reported.

Every query a widget starts runs in an `engine_work` thread worker, which never closes the app
when it fails. Textual tells only the node that started a worker about its state, so each such
node mixes in `ReportsWorkerFailures`, which hands a failed worker to the app: a one-line notice.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.worker import Worker, WorkerState

from explorer.db.cache import is_damage
from explorer.db.errors import ExplorerError
from explorer.engine import Cancelled, QueryError, neutral_error

DAMAGED_CACHE_HINT = "the cache is damaged: quit and start again to rebuild it"


def engine_work(description: str, group: str, exclusive: bool = True) -> Callable:
    """A thread worker for engine calls: it reports its failure (see `failure_notice`) instead of ending the app."""
    return work(thread=True, exclusive=exclusive, group=group, description=description, exit_on_error=False)


def failure_notice(worker: Worker) -> str | None:
    """The one line that says why a worker failed, or None when it was stopped on purpose."""
    error = neutral_error(worker.error)
    if isinstance(error, Cancelled) or (isinstance(error, ExplorerError) and str(error) == "query cancelled"):
        return None
    if isinstance(error, ExplorerError):
        message = str(error)
        if isinstance(error, QueryError) and is_damage(error) and "the cache is damaged" not in message:
            message = f"{DAMAGED_CACHE_HINT} ({message})"
    else:
        message = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else 'no detail'}"
    return f"Could not finish {worker.description}: {message}"


class ReportsWorkerFailures:
    """Mixed into every node that starts engine workers: a failed one becomes a notice from the app."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            if is_damage(event.worker.error):
                self.app.catalog.cache.damaged(str(neutral_error(event.worker.error)))
            notice = failure_notice(event.worker)
            if notice is not None:
                self.app.notify(notice, severity="error", timeout=10)
                self.worker_failed(event.worker, notice)

    def worker_failed(self, worker: Worker, notice: str) -> None:
        """What else a node shows when one of its workers failed (a status line that said 'running…')."""
