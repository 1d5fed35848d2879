"""The explorer's Textual app. Until the panes land it shows what the data directory holds."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from explorer import __version__
from explorer.db.catalog import Catalog
from explorer.db.filters import Filters
from explorer.db.queries import casualty_pivot, data_span, row_counts
from explorer.db.schema import CASUALTY_KIND_MEANINGS, CASUALTY_KINDS


class ExplorerApp(App):
    """conflict-explorer: timeline, actors and casualties over one data directory."""

    TITLE = "conflict-explorer"
    CSS_PATH = ["styles/app.tcss"]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.sub_title = str(catalog.data_dir)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="overview"):
            yield Static("Loading…", id="summary")
            yield DataTable(id="bases", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load_overview()

    @work(thread=True, exclusive=True, group="overview")
    def load_overview(self) -> None:
        con = self.catalog.cursor()
        counts = row_counts(con, Filters())
        first, last = data_span(con)
        rows = []
        for kind in CASUALTY_KINDS:
            for row in casualty_pivot(con, Filters(), kind).to_pylist():
                rows.append((kind, row["dataset"], row["nationality"], row["front"], row["killed"], row["occurrences"], row["aggregate"]))
        self.call_from_thread(self.show_overview, counts, first, last, rows)

    def show_overview(self, counts: dict[str, int], first, last, rows: list[tuple]) -> None:
        tables = " · ".join(f"{name} {count:,}" for name, count in counts.items())
        bases = "; ".join(f"{kind}: {meaning}" for kind, meaning in CASUALTY_KIND_MEANINGS.items())
        self.query_one("#summary", Static).update(
            f"[b]conflict-explorer {__version__}[/b] — {tables}\n"
            f"Dates {first} → {last}. Killed by basis, nationality and front, each occurrence counted once "
            f"(bases are never added: {bases}).\n"
            "The timeline, actors and casualty panes are being built; press ? for keys, q to quit."
        )
        table = self.query_one("#bases", DataTable)
        table.clear(columns=True)
        table.add_columns("basis", "dataset", "nationality", "front", "killed", "occurrences", "aggregate")
        table.add_rows(rows)
        table.focus()

    def action_help(self) -> None:
        self.notify("q quit · ? this help · arrow keys move in the table · ctrl+p command palette", title="Keys", timeout=8)
