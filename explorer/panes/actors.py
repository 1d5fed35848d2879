"""Actors: a tree by side, then by parent (IRGC ▸ Quds Force), with casualty figures under the filter."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.markup import escape
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from explorer.db import queries
from explorer.db.filters import Filters, text_words
from explorer.db.schema import SIDES
from explorer.format import dated, figure
from explorer.export import CitedRecord
from explorer.panes.base import Pane
from explorer.widgets.detail import Detail, DetailScroll, DetailText, url_lines
from explorer.widgets.record_table import wrapped_note
from explorer.workers import engine_work
from explorer.engine import Cursor

NO_SIDE = "no side"
EVENTS_IN_DETAIL = 12


def figures_text(actor: dict, short: bool = False) -> str:
    """Killed by basis, never added: `302 named · 19 in incidents · tallies up to 353`; `short` (for a
    tree line): `302 named · 19 in incidents · tallies ≤353`, without the wounded."""
    parts = []
    if actor["killed_individual"]:
        parts.append(f"{actor['killed_individual']:,} named")
    if actor["killed_incident"]:
        wounded = f" (+{actor['wounded_incident']:,} wounded)" if actor["wounded_incident"] and not short else ""
        parts.append(f"{actor['killed_incident']:,} in incidents{wounded}")
    up_to = "≤" if short else "up to "
    if actor["killed_tally_max"]:
        parts.append(f"tallies {up_to}{actor['killed_tally_max']:,}")
    if actor["killed_cumulative_max"]:
        parts.append(f"totals {up_to}{actor['killed_cumulative_max']:,}")
    return " · ".join(parts)


class ActorTree(Tree[str]):
    """The actors tree, with j / k like the tables; a label longer than the pane ends in an ellipsis after
    its last whole figure (cut at the edge, `totals ≤2,000` read `totals ≤2,00`: another number)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        ancestors, parent = 0, node.parent
        while parent is not None:
            ancestors, parent = ancestors + 1, parent.parent
        indent = max(0, ancestors - (0 if self.show_root else 1)) * self.guide_depth
        room = self.size.width - self.styles.scrollbar_size_vertical - indent  # the scroll bar may come after the labels
        if room > 1 and label.cell_len > room:
            _cut_whole(label, room)
        return label


def _cut_whole(label: Text, room: int) -> None:
    """Cut `label` to `room` cells ending in `…`, after its last whole figure (or word) that fits: `≤2,0…`
    would read as another number."""
    plain = label.plain
    cut = max(plain.rfind(" · ", 0, room - 1), plain.rfind("  ", 0, room - 1))  # after a figure, or before the note
    if cut <= 0:
        cut = plain.rfind(" ", 0, room - 1)
    cut = len(plain[:cut].rstrip()) if cut > 0 else cut
    if cut <= 0 or cell_len(plain[:cut]) > room - 2:
        label.truncate(room, overflow="ellipsis")
        return
    label.truncate(cell_len(plain[:cut]))
    label.append(" …")


@dataclass
class ActorsData:
    filters: Filters
    rows: list[dict]
    every_actor: list[dict]
    forces: list[dict]
    """Personnel estimates under the filter, shown in each actor's detail."""


class ActorsPane(Pane):
    """`a` adds the highlighted actor to the filter; enter opens its detail."""

    title = "Actors"
    summary = "The actors tree"
    main_widget = "#actor-tree"
    counted_table = "actors"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.actors: dict[str, dict] = {}
        """The actors under the filter, with their figures."""
        self.every_actor: dict[str, dict] = {}
        self.forces: list[dict] = []
        """Every actor's name and parent, to name parents and children the filter hides."""
        self.actor_events: dict[str, list[dict]] = {}
        """The events of each actor looked at, under `filters` (forgotten when the filter changes)."""
        self._events_asked: str | None = None
        """The actor whose events are on their way (a newer lookup stops an older one)."""
        self.filters = Filters()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-body"):
            tree = ActorTree("Actors", id="actor-tree")
            tree.show_root = False
            tree.guide_depth = 2
            tree.auto_expand = False  # enter opens the detail; space folds
            yield tree
            with DetailScroll(classes="detail-scroll"):
                yield Detail(classes="detail")

    def load(self, con: Cursor, filters: Filters) -> ActorsData:
        """Every actor under the filter's other parts: the actors in the filter are ticked, not the only ones
        left, so that a second can be added (a facet does not narrow its own list)."""
        listed = replace(filters, actor_ids=frozenset())
        every = queries.actor_hierarchy(con).to_pylist()
        forces = queries.forces_estimates(con, listed).to_pylist()
        return ActorsData(filters, queries.actors_with_casualties(con, listed).to_pylist(), every, forces)

    def count(self, con: Cursor, filters: Filters) -> int:
        return super().count(con, replace(filters, actor_ids=frozenset()))

    def row_count(self, data: ActorsData) -> int:
        return len(data.rows)

    def show(self, data: ActorsData) -> None:
        self.filters, rows = data.filters, data.rows
        self.every_actor = {row["actor_id"]: row for row in data.every_actor}
        self.actors = {row["actor_id"]: row for row in rows}
        self.forces = data.forces
        self.actor_events, self._events_asked = {}, None
        tree = self.query_one(Tree)
        selected = self.selected_actor_id
        tree.clear()
        children: dict[str | None, list[dict]] = {}
        for row in rows:
            parent = row["parent_id"] if row["parent_id"] in self.actors and self.actors[row["parent_id"]]["side"] == row["side"] else None
            children.setdefault(parent, []).append(row)
        for side in (*SIDES, None):
            roots = [row for row in children.get(None, []) if row["side"] == side]
            if not roots:
                continue
            count = sum(1 for row in rows if row["side"] == side)
            branch = tree.root.add(f"[b]{escape(side or NO_SIDE)}[/b] ({count})", data=None, expand=True)
            self._add_actors(branch, roots, children)
        tree.root.expand()
        self._select(selected)
        if tree.cursor_line < tree.size.height - 1:
            self.call_after_refresh(tree.scroll_home, animate=False)
        self._show_selected()  # the cursor may stay on its line, and then the tree announces nothing

    def _add_actors(self, branch, actors: list[dict], children: dict[str | None, list[dict]]) -> None:
        for actor in sorted(actors, key=lambda row: row["short_name"].casefold()):
            figures = figures_text(actor, short=True)
            ticked = "[b]✓[/b] " if actor["actor_id"] in self.filters.actor_ids else ""
            label = ticked + escape(actor["short_name"]) + (f"  † {figures}" if figures else "")  # † killed
            label += f"  [dim]{escape(actor['kind'] or '')} · {escape(actor['country'] or '?')}[/dim]"  # the first to go when narrow
            kids = children.get(actor["actor_id"], [])
            if kids:
                node = branch.add(label, data=actor["actor_id"], expand=True)
                self._add_actors(node, kids, children)
            else:
                branch.add_leaf(label, data=actor["actor_id"])

    def search(self, text: str) -> None:
        """Find the first actor at or after the highlighted one whose name, short name or id holds every word."""
        self.search_words = text_words(text)
        self._find(forward=True, including_cursor=True)

    def find_next(self, forward: bool = True) -> None:
        self._find(forward, including_cursor=False)

    def _find(self, forward: bool, including_cursor: bool) -> None:
        words = [word.casefold() for word in getattr(self, "search_words", [])]
        if not words:
            self.app.notify("Nothing to find: press / and type words first", severity="warning")
            return
        tree = self.query_one(Tree)
        nodes = []  # every node in tree order, folded branches too

        def walk(node) -> None:
            nodes.append(node)
            for child in node.children:
                walk(child)

        for child in tree.root.children:
            walk(child)
        at = next((index for index, node in enumerate(nodes) if node is tree.cursor_node), 0)
        order = list(range(at, len(nodes))) + list(range(0, at)) if forward else \
            list(range(at, -1, -1)) + list(range(len(nodes) - 1, at, -1))
        if not including_cursor:
            order = order[1:] + order[:1]
        for index in order:
            node = nodes[index]
            actor = self.actors.get(node.data) if node.data is not None else None
            if actor and all(word in f"{actor['name']} {actor['short_name']} {actor['actor_id']}".casefold() for word in words):
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                self.call_after_refresh(tree.move_cursor, node)
                if (index < at if forward else index > at):
                    self.app.notify(f"“{' '.join(self.search_words)}”: {wrapped_note(forward)}", timeout=3)
                return
        self.app.notify(f"No actor under this filter is named “{' '.join(self.search_words)}”", severity="warning")

    def _select(self, actor_id: str | None) -> None:
        tree = self.query_one(Tree)
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and node.data is not None and (actor_id is None or node.data == actor_id):
                tree.move_cursor(node)
                return

    @property
    def selected_actor_id(self) -> str | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None else None

    @on(Tree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        """The highlighted actor's detail, and its events under the filter looked up unless known or asked for."""
        self.show_detail()
        actor_id = self.selected_actor_id
        if actor_id is not None and actor_id not in self.actor_events and actor_id != self._events_asked:
            self._events_asked = actor_id
            self._load_events(actor_id, self.filters)

    @engine_work("looking up the actor's events", group="actor-events")
    def _load_events(self, actor_id: str, filters: Filters) -> None:
        events = queries.events_in_range(self.app.catalog.cursor(), replace(filters, actor_ids=frozenset({actor_id})),
                                         limit=EVENTS_IN_DETAIL)
        rows = events.select(["date", "date_precision", "title"]).to_pylist()
        self.app.call_from_thread(self._events_loaded, actor_id, filters, rows)

    def _events_loaded(self, actor_id: str, filters: Filters, rows: list[dict]) -> None:
        if filters != self.filters:
            return  # an earlier filter's: the new one's are on their way
        self.actor_events[actor_id] = rows
        if self.selected_actor_id == actor_id:
            self.show_detail()

    def selected_key(self) -> str | None:
        return self.selected_actor_id

    def select_key(self, key: str) -> None:
        self._select(key)

    def cited_record(self) -> CitedRecord | None:
        actor = self.actors.get(self.selected_actor_id or "")
        if actor is None:
            return None
        return CitedRecord(actor["name"], actor["actor_id"], actor["dataset"], ((actor["source"], actor["source_url"]),))

    def detail_text(self) -> DetailText:
        actor = self.actors.get(self.selected_actor_id or "")
        if actor is None:
            return DetailText(["Highlight an actor to see its detail."])
        parent = self.every_actor.get(actor["parent_id"] or "")
        children = [row["short_name"] for row in self.every_actor.values() if row["parent_id"] == actor["actor_id"]]
        lines = [
            f"[b]{escape(actor['name'])}[/b]" + (f" ({escape(actor['short_name'])})" if actor["short_name"].casefold() not in actor["name"].casefold() else ""),
            f"{escape(actor['kind'] or 'kind unknown')} · {escape(actor['country'] or 'country unknown')} · {escape(actor['side'] or NO_SIDE)}",
            "",
            escape(actor["description"] or ""),
            "",
            f"[b]Part of[/b]: {escape(parent['short_name'] if parent else actor['parent_id'] or '—')}",
            f"[b]Includes[/b]: {escape(', '.join(sorted(children)) or '—')}",
            f"[b]Killed under this filter[/b]: {escape(figures_text(actor) or 'none reported')}",
        ]
        estimates = [row for row in self.forces if row["actor_id"] == actor["actor_id"]]
        if estimates:
            lines.append(f"[b]Personnel estimates[/b] ({len(estimates)}, each with its source):")
            for row in estimates:
                size = figure(row["personnel"], row["personnel_qualifier"], row["personnel_high"])
                lines.append(f"  {dated(row['date'], row['date_precision'])}  {size}  [dim]{escape(row['estimate_kind'])} · {escape(row['source'])}[/dim]")
        events = self.actor_events.get(actor["actor_id"])
        lines.append(f"[b]Events[/b] ({actor['events']} under this filter):")
        for event in (events or [])[:EVENTS_IN_DETAIL]:
            lines.append(f"  {dated(event['date'], event['date_precision'])}  {escape(event['title'])}")
        if events is not None and actor["events"] > len(events):
            lines.append(f"  … and {actor['events'] - len(events):,} more")
        lines += ["", f"[b]Source[/b]: {escape(actor['source'])}", *url_lines("[b]URL[/b]", actor["source_url"]),
                  f"[dim]{escape(actor['actor_id'])} · dataset {escape(actor['dataset'])}[/dim]"]
        return DetailText(lines)
