"""conflict-explorer: a keyboard-driven terminal explorer for conflict data."""

__version__ = "0.1.0"
