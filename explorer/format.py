"""How figures, dates and ranges read on screen and in exports (no Textual import)."""

from __future__ import annotations

from datetime import date

QUALIFIER_PREFIX = {"about": "~", "at least": "≥", "at most": "≤", "exact": ""}


def counted_noun(count: int, noun: str) -> str:
    """`1 event`, `2,000 events`: a count with its noun in the singular or the plural."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def short_count(count: int) -> str:
    """`634`, `12.3k`, `2.5M`, `10M`, `1.2B`: a count in five characters or fewer (a narrow row of tabs)."""
    for size, unit in ((1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if count >= size * 0.9995:  # 999,999 is 1M, not 1000k
            value = count / size
            return f"{value:.1f}".rstrip("0").rstrip(".") + unit if value < 100 else f"{value:.0f}{unit}"
    return str(count)


def figure(value: int | None, qualifier: str | None = None, high: int | None = None) -> str:
    """One reported figure: `~50`, `≥100`, `≤50`, `1,300–1,500`, or `—` when not reported."""
    if value is None and high is None:
        return "—"
    if value is None:
        return f"≤{high:,}"
    if high is not None and high != value:
        return f"{value:,}–{high:,}"
    return f"{QUALIFIER_PREFIX.get(qualifier or 'exact', '')}{value:,}"


def counted(value: int | None, low: int | None, high: int | None, reports: int, qualifier: str | None = None) -> str:
    """An occurrence's counted figure with the range and number of reports: `13 (13–20 · 4 reports)`, `≥100`."""
    if value is None and high is None:
        shown = "—"
    elif value is None:
        shown = f"≤{high:,}"
    else:
        shown = f"{QUALIFIER_PREFIX.get(qualifier or 'exact', '')}{value:,}"
    spread = low is not None and high is not None and low != high
    if reports > 1 or spread:
        range_text = f"{low:,}–{high:,} · " if spread else ""
        return f"{shown} ({range_text}{counted_noun(reports, 'report')})"
    return shown


def period(start: date | None, end: date | None) -> str:
    """`2015-10-01 → 2016-02-29`, a single date, `as of 2016-05-31`, or `date unknown`."""
    if start is None and end is None:
        return "date unknown"
    if start is None:
        return f"as of {end}"
    if end is None or end == start:
        return str(start)
    return f"{start} → {end}"


def dated(day: date | None, precision: str | None) -> str:
    """A date as precise as its source gives it: `2013` (year), `2013-03` (month), `2013-03-01` (day or week)."""
    if day is None:
        return "undated"
    return {"year": str(day.year), "month": day.strftime("%Y-%m")}.get(precision or "day", str(day))


def cell(value: object, separator: str = ", ") -> str:
    """A table cell: lists joined, None as empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return separator.join(cell(item, separator) for item in value)
    return str(value)
