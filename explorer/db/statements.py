"""Finding the SQL statement under the editor's cursor, respecting quotes and comments."""

from __future__ import annotations


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each `;`-separated statement, ignoring `;` in strings, identifiers and comments."""
    spans, start, index, length = [], 0, 0, len(text)
    while index < length:
        char = text[index]
        if char in "'\"":
            closing = text.find(char, index + 1)
            while closing != -1 and closing + 1 < length and text[closing + 1] == char:
                closing = text.find(char, closing + 2)
            index = length if closing == -1 else closing + 1
            continue
        if text.startswith("--", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline + 1
            continue
        if text.startswith("/*", index):
            closing = text.find("*/", index + 2)
            index = length if closing == -1 else closing + 2
            continue
        if char == ";":
            spans.append((start, index + 1))
            start = index + 1
        index += 1
    spans.append((start, length))
    return [(a, b) for a, b in spans if text[a:b].strip(" \t\r\n;")]


def statement_at(text: str, offset: int) -> str:
    """The statement the cursor at `offset` is in (or just after), without surrounding blank lines."""
    spans = statement_spans(text)
    if not spans:
        return ""
    for start, end in spans:
        if offset <= end:
            return text[start:end].strip()
    return text[spans[-1][0] : spans[-1][1]].strip()
