"""Split a MediaCrawler file into one JSON text per record, recovering what a crash left.

Every container ends up as ``(record_index, json_text)`` pairs so that a single SQL
normaliser (``normalize.py``) types and validates all of them. Anything that cannot even
be split into a record (a torn JSONL line, the tail of a truncated JSON array, a CSV row
with the wrong number of fields) becomes a reader-level reject with a reason; nothing is
dropped silently, so ``records_read = len(records) + len(rejects)``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


@dataclass
class FileRead:
    indices: list[int] = field(default_factory=list)  # record_index of each text, parallel to texts
    texts: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (record_index, reason, payload)
    bytes_read: int = 0

    @property
    def records(self) -> list[tuple[int, str]]:
        return list(zip(self.indices, self.texts))

    @property
    def records_read(self) -> int:
        return len(self.texts) + len(self.rejects)

    def add(self, index: int, text: str) -> None:
        self.indices.append(index)
        self.texts.append(text)


def _text(data: bytes) -> str:
    # utf-8-sig strips a BOM if present; invalid bytes become U+FFFD rather than aborting the file.
    return data.decode("utf-8-sig", errors="replace")


def read_jsonl(data: bytes) -> FileRead:
    # Validity is judged by the SQL normaliser (json_valid), far faster than parsing each line
    # here; blank lines are not records.
    texts = [line for line in _text(data).split("\n") if line and not line.isspace()]
    return FileRead(indices=list(range(len(texts))), texts=texts, bytes_read=len(data))


def read_json_array(data: bytes) -> FileRead:
    """One JSON array per file (indented or one-line); recover every complete record of a truncated one."""
    out = FileRead(bytes_read=len(data))
    text = _text(data)
    pos = _WS.match(text, 0).end()
    if pos == len(text):
        return out  # an empty file: MediaCrawler's writer resets a file it cannot parse
    if text[pos] == "{":
        # A single object instead of an array: treat it as a one-record file.
        return _read_array_items(text, pos, out, single=True)
    if text[pos] != "[":
        out.rejects.append((0, "not a JSON array: file does not start with '['", text[:2000]))
        return out
    return _read_array_items(text, pos + 1, out, single=False)


def _read_array_items(text: str, pos: int, out: FileRead, *, single: bool) -> FileRead:
    index = 0
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= len(text):
            if not single:
                # Ended without ']' but on a record boundary: nothing is lost, only the bracket.
                pass
            return out
        if not single and text[pos] == "]":
            tail = text[pos + 1 :].strip()
            if tail:
                out.rejects.append((index, "unexpected data after the closing ']'", tail))
            return out
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            remainder = text[pos:]
            out.rejects.append(
                (index, f"truncated or invalid JSON array: record {index} does not parse ({err.msg})", remainder)
            )
            return out
        out.add(index, text[pos:end])
        index += 1
        pos = _WS.match(text, end).end()
        if single:
            continue
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            out.rejects.append((index, "invalid JSON array: expected ',' or ']' between records", text[pos:]))
            return out


def read_csv(data: bytes) -> FileRead:
    """MediaCrawler CSV: utf-8-sig, header once, multi-line quoted fields (``newline=''``)."""
    out = FileRead(bytes_read=len(data))
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    header: list[str] | None = None
    index = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            # keep the header's keys so the payload can be redacted; surplus values are unnamed
            payload = dict(zip(header, row))
            if len(row) > len(header):
                payload["<surplus values>"] = f"{len(row) - len(header)} not stored"
            out.rejects.append(
                (index, f"CSV row has {len(row)} fields, header has {len(header)}", json.dumps(payload, ensure_ascii=False))
            )
        else:
            out.add(index, json.dumps(dict(zip(header, row)), ensure_ascii=False))
        index += 1
    return out


def read_xlsx_sheet(path: Path, sheet: str) -> FileRead:
    """One worksheet of a MediaCrawler workbook: a header row, then one record per row. MediaCrawler
    writes None as "" and str()s lists and dicts, so cells are text or numbers; empty rows are skipped."""
    from openpyxl import load_workbook

    out = FileRead(bytes_read=path.stat().st_size)
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        index = 0
        for row in rows:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            values = ["" if v is None else v for v in row]
            out.add(index, json.dumps(dict(zip(header, values)), ensure_ascii=False, default=str))
            index += 1
    finally:
        book.close()
    return out


READERS = {"jsonl": read_jsonl, "json": read_json_array, "csv": read_csv}


def read_file(path: Path, fmt: str, sheet: str | None = None) -> FileRead:
    if fmt == "xlsx":
        return read_xlsx_sheet(path, sheet or "")
    return READERS[fmt](path.read_bytes())
