"""Text that is not UTF-8: found before DuckDB reads the file, and read in its own encoding, never dropped.

DuckDB reads CSV as UTF-8 and rejects the records it cannot decode, so a Windows-1252 export would
lose every row with an accented actor name. The file is checked as it streams (gzip included);
one that is not UTF-8 is transcoded to a UTF-8 copy in the staging folder, from the encoding the
user names with --encoding or the one charset-normalizer, a maintained detector, finds in it.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from explorer.db.errors import ImportFailed

CHUNK = 1 << 20
SAMPLE = 4 << 20
"""How much of the file, from the first undecodable byte on, the detector reads."""
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _chunks(path: Path, compression: str) -> Iterator[bytes]:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def first_undecodable(path: Path, compression: str, encoding: str = "utf-8") -> int | None:
    """The offset of the first byte that is not valid in `encoding` (streamed), or None if all of it is."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    for chunk in _chunks(path, compression):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return offset + error.start
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _sample(path: Path, compression: str, start: int) -> bytes:
    """SAMPLE bytes from the start of the file and from around `start`, where UTF-8 failed."""
    head, around, offset = bytearray(), bytearray(), 0
    for chunk in _chunks(path, compression):
        if len(head) < SAMPLE:
            head += chunk[: SAMPLE - len(head)]
        if offset + len(chunk) > start - CHUNK and len(around) < SAMPLE:
            around += chunk
        offset += len(chunk)
        if len(head) >= SAMPLE and len(around) >= SAMPLE:
            break
    return bytes(head + b"\n" + around)


def detect(path: Path, compression: str) -> str:
    """The encoding of a file that is not UTF-8: its byte-order mark, else charset-normalizer's best guess."""
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as stream:
        start = stream.read(4)
    for bom, name in BOMS:
        if start.startswith(bom):
            return name
    bad = first_undecodable(path, compression) or 0
    sample = _sample(path, compression, bad)
    if b"\x00" in sample:
        raise ImportFailed(f"{path}: not a CSV, gzip-compressed CSV or Parquet file (it holds binary data)")
    best = from_bytes(sample).best()
    if best is None:
        raise ImportFailed(f"{path.name}: its text is not UTF-8 and its encoding could not be recognised: "
                           "name it with --encoding (for example --encoding cp1252)")
    if codecs.lookup(best.encoding).name in LATIN_SINGLE_BYTE and _decodes(sample, "cp1252"):
        return "cp1252"  # the detector cannot tell these apart on names alone; Windows' Western one is by far the likeliest
    return best.encoding


LATIN_SINGLE_BYTE = frozenset(codecs.lookup(name).name for name in (
    "cp1250", "cp1252", "cp1257", "latin-1", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-9", "iso8859-13", "iso8859-15",
    "iso8859-16", "mac-roman", "mac-latin2", "cp850", "cp437"))
"""Single-byte encodings of the Latin script, which a short sample of names cannot tell apart."""


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def as_utf8(path: Path, compression: str, encoding: str | None, folder: Path) -> tuple[Path, str, str | None]:
    """(the file to read, its compression, a note) : the file itself when it is UTF-8 (or --encoding says so),
    else a UTF-8 copy in `folder`. An --encoding that does not fit the file is refused in one line."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFailed(f"--encoding {encoding}: not an encoding Python knows (try utf-8, cp1252, latin-1, utf-16)") from None
    named = encoding is not None
    if encoding is None:
        if first_undecodable(path, compression) is None:
            return path, compression, None
        encoding = detect(path, compression)
    elif codecs.lookup(encoding).name == "utf-8":
        bad = first_undecodable(path, compression)
        if bad is not None:
            raise ImportFailed(f"{path.name}: --encoding {encoding}, but byte {bad:,} is not UTF-8: name the file's encoding")
        return path, compression, None
    bad = first_undecodable(path, compression, encoding)
    if bad is not None:
        raise ImportFailed(f"{path.name}: byte {bad:,} is not valid {encoding}: name the file's encoding with --encoding")
    copy = folder / "input-utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)()
    with copy.open("w", encoding="utf-8", newline="") as out:
        for chunk in _chunks(path, compression):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    how = "as named with --encoding" if named else "as detected; name another with --encoding"
    return copy, "none", f"the file's text is not UTF-8: read as {encoding} ({how})"
