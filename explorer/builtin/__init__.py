"""The built-in dataset: where it lives, and how data/src CSVs become Parquet."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def builtin_data_dir() -> Path:
    """The copy inside an installed wheel, else data/ of the source checkout (editable install)."""
    wheel_copy = _PACKAGE_DIR / "builtin_data"
    if wheel_copy.is_dir():
        return wheel_copy
    return _PACKAGE_DIR.parent / "data"
