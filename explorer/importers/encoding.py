"""Text that is not UTF-8: found before DuckDB reads the file, and read in its own encoding, never dropped.

DuckDB reads CSV as UTF-8 and rejects the records it cannot decode, so a Windows-1252 export would
lose every row with an accented actor name. The file is checked as it streams (gzip included).
One that is not UTF-8 is copied as UTF-8 into the staging folder, line by line: a line that is
UTF-8 stays as it is, and the others are read in the encoding the user names with --encoding or
the one charset-normalizer, a maintained detector, finds in them. So a file of one legacy
encoding, and a UTF-8 file with a few legacy lines pasted in, both come out whole.
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
"""How much of the lines that are not UTF-8 the detector reads."""
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
CANDIDATES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "mac_roman",
              "cp874", "cp932", "gb18030", "big5", "euc_kr", "koi8_r", "cp866", "cp437", "cp850")
"""The legacy encodings real exports come in (Windows' code pages first): what the detector chooses among."""


def _chunks(path: Path, compression: str) -> Iterator[bytes]:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def _lines(path: Path, compression: str) -> Iterator[bytes]:
    """The file's lines with their ends, streamed (single-byte encodings and UTF-8 both end lines with \\n)."""
    rest = b""
    for chunk in _chunks(path, compression):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


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


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _start(path: Path, compression: str) -> bytes:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as stream:
        return stream.read(4096)


def _utf16_without_bom(start: bytes) -> str | None:
    """UTF-16 written without a byte-order mark: text whose every other byte is 0."""
    pairs = len(start) // 2
    if pairs < 8:
        return None
    if sum(start[index] == 0 for index in range(1, pairs * 2, 2)) > pairs * 0.9:
        return "utf-16-le"
    if sum(start[index] == 0 for index in range(0, pairs * 2, 2)) > pairs * 0.9:
        return "utf-16-be"
    return None


def detect(sample: bytes, name: str) -> str:
    """The encoding of lines that are not UTF-8: charset-normalizer's choice among the legacy encodings
    real exports use, Windows-1252 when it cannot tell a Latin-script code page from another."""
    if b"\x00" in sample:
        raise ImportFailed(f"{name}: not a CSV, gzip-compressed CSV or Parquet file (it holds binary data)")
    matches = list(from_bytes(sample, cp_isolation=list(CANDIDATES)))
    if not matches:
        raise ImportFailed(f"{name}: its text is not UTF-8 and its encoding could not be recognised: "
                           "name it with --encoding (for example --encoding cp1252)")
    best = matches[0]
    ties = [match.encoding for match in matches if (match.chaos, match.coherence) == (best.chaos, best.coherence)]
    if "cp1252" in ties or _same_text(sample, best.encoding, "cp1252"):
        return "cp1252"  # what a Latin-script code page cannot be told from, Windows' Western one most likely is
    return best.encoding


def _same_text(data: bytes, encoding: str, other: str) -> bool:
    try:
        return data.decode(encoding) == data.decode(other)
    except UnicodeDecodeError:
        return False


def _checked(encoding: str) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ImportFailed(f"--encoding {encoding}: not a text encoding Python knows (try utf-8, cp1252, latin-1, utf-16)")
    return info.name


def as_utf8(path: Path, compression: str, encoding: str | None, folder: Path) -> tuple[Path, str, str | None]:
    """(the file to read, its compression, a note): the file itself when it is UTF-8, else a UTF-8 copy in
    `folder`. An --encoding that does not fit the file is refused in one line."""
    try:
        return _as_utf8(path, compression, encoding, folder)
    except UnicodeError as error:
        raise ImportFailed(f"{path.name}: cannot be read as {encoding or 'detected'} ({error}): name the file's encoding "
                           "with --encoding") from None


def _as_utf8(path: Path, compression: str, encoding: str | None, folder: Path) -> tuple[Path, str, str | None]:
    named = _checked(encoding) if encoding is not None else None
    start = _start(path, compression)
    whole = named or next((name for bom, name in BOMS[1:] if start.startswith(bom)), None) or _utf16_without_bom(start)
    if whole is not None and codecs.lookup(whole).name.startswith("utf-16"):
        return _transcode_whole(path, compression, whole, folder, named is not None)
    if named is None and first_undecodable(path, compression) is None:
        return path, compression, None
    if named == "utf-8":
        bad = first_undecodable(path, compression)
        if bad is not None:
            raise ImportFailed(f"{path.name}: --encoding {encoding}, but byte {bad:,} is not UTF-8: name the file's encoding")
        return path, compression, None
    if named is not None:
        return _transcode_whole(path, compression, named, folder, True)
    sample = bytearray()
    for line in _lines(path, compression):
        if not _utf8(line):
            sample += line
            if len(sample) >= SAMPLE:
                break
    legacy = detect(bytes(sample), path.name)
    copy, other = folder / "input-utf8.csv", 0
    with copy.open("w", encoding="utf-8", newline="") as out:
        for line in _lines(path, compression):
            try:
                out.write(line.decode("utf-8"))
            except UnicodeDecodeError:
                out.write(line.decode(legacy, errors="replace"))
                other += 1
    return copy, "none", (f"{other:,} line(s) of the file are not UTF-8: read as {legacy} (as detected; name another "
                          "with --encoding)")


def _transcode_whole(path: Path, compression: str, encoding: str, folder: Path, named: bool) -> tuple[Path, str, str]:
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
