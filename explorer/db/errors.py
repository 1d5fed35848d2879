"""Errors raised on the user's input, each with a one-line message written for the analyst."""


class ExplorerError(Exception):
    """Base of every error the app shows and the CLI prints as one line (exit status 1)."""


class DataDirectoryError(ExplorerError):
    """A data directory is missing, unreadable or does not follow the schema."""


class RefusedStatement(ExplorerError):
    """A SQL statement the read-only guard will not run."""


class QueryError(ExplorerError):
    """A statement the guard allowed failed in the engine (syntax, unknown column, ...)."""


class InvalidFilter(ExplorerError):
    """A filter value that cannot be understood (an invalid date)."""


class ImportFailed(ExplorerError):
    """An input file that cannot be imported, or an output directory an import will not write."""
