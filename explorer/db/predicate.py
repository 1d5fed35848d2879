"""A parameterised SQL boolean expression, and the value tests the filters are made of.

No user text is ever pasted into SQL: values travel as parameters, column names come from our own declarations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Predicate:
    """A SQL boolean expression with its positional parameters."""

    sql: str = "TRUE"
    params: tuple = ()

    def __and__(self, other: Predicate) -> Predicate:
        if self.sql == "TRUE":
            return other
        if other.sql == "TRUE":
            return self
        return Predicate(f"({self.sql}) AND ({other.sql})", self.params + other.params)


def any_of(predicates: list[Predicate]) -> Predicate:
    """True where one of `predicates` is (FALSE when there are none)."""
    return Predicate(" OR ".join(f"({predicate.sql})" for predicate in predicates) or "FALSE",
                     sum((predicate.params for predicate in predicates), ()))


def known(values: frozenset[str | None]) -> list[str]:
    """The values of a choice other than None (the unknown value), sorted."""
    return sorted(value for value in values if value is not None)


def value_set(column: str, values: frozenset[str | None]) -> Predicate:
    """`column` is one of `values`; None in `values` also selects empty values."""
    parts = [Predicate(f"list_contains(?, {column})", (known(values),))] if known(values) else []
    if None in values:
        parts.append(Predicate(f"{column} IS NULL"))
    return any_of(parts)


def has_any_of(list_column: str) -> str:
    """`list_column` holds one of the values of a list parameter (faster than list_has_any, which hashes per row)."""
    return f"len(list_filter({list_column}, lambda item: list_contains(?, item))) > 0"


def list_holds(list_column: str, values: frozenset[str | None]) -> Predicate:
    """The list `list_column` holds one of `values`; None in `values` also selects an empty list."""
    parts = [Predicate(has_any_of(list_column), (known(values),))] if known(values) else []
    if None in values:
        parts.append(Predicate(f"len({list_column}) = 0"))
    return any_of(parts)
