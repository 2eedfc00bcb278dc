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
from collections.abc import Callable
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) encodes a str with
from pathlib import Path

import numpy as np
import pyarrow as pa

_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_BOM = b"\xef\xbb\xbf"


@dataclass
class FileRead:
    """What a reader made of one file: the record texts (an Arrow array, which is what the
    normaliser takes; the JSONL reader's point into the file's bytes) and the rejects."""

    lines: pa.StringViewArray
    indices: pa.Int64Array  # record_index of each line
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (record_index, reason, payload)
    bytes_read: int = 0

    @property
    def texts(self) -> list[str]:
        return self.lines.to_pylist()

    @property
    def records(self) -> list[tuple[int, str]]:
        return list(zip(self.indices.to_pylist(), self.texts))

    @property
    def records_read(self) -> int:
        return len(self.lines) + len(self.rejects)


@dataclass
class _Collector:
    """Record texts gathered one at a time, for the readers that must parse to find a record."""

    bytes_read: int
    indices: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, index: int, text: str) -> None:
        self.indices.append(index)
        self.texts.append(text)

    def done(self) -> FileRead:
        # string views, like the JSONL reader's, so that the files of an entity concatenate
        return FileRead(pa.array(self.texts, pa.string_view()), pa.array(self.indices, pa.int64()),
                        self.rejects, self.bytes_read)


def _text(data: bytes) -> str:
    # utf-8-sig strips a BOM if present; invalid bytes become U+FFFD rather than aborting the file.
    return data.decode("utf-8-sig", errors="replace")


def _utf8(data: bytes) -> bytes:
    """``_text(data)`` as UTF-8 bytes; decoded only when the bytes are not valid UTF-8 already."""
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    whole = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(body)], np.int64)), pa.py_buffer(body))
    try:
        whole.validate(full=True)  # checks the UTF-8, far faster than decoding to a Python str
    except pa.ArrowInvalid:
        return _text(data).encode()
    return body


def read_jsonl(data: bytes) -> FileRead:
    """One record per line; blank lines are not records.

    Validity is judged by the SQL normaliser (json_valid), far faster than parsing each line
    here, so the lines are not even copied out of the file: they are Arrow string views into it.
    The result is what ``[l for l in _text(data).split("\\n") if l and not l.isspace()]`` gives.
    """
    body = _utf8(data)
    buf = np.frombuffer(body, np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.append(newlines, len(buf))
    kept = np.flatnonzero(ends > starts)
    # Only a line that does not open with '{' can be all whitespace: str.isspace judges those few.
    unusual = kept[buf[starts[kept]] != ord("{")]
    blank = [i for i in unusual if body[starts[i]:ends[i]].decode().isspace()]
    if blank:
        kept = np.setdiff1d(kept, blank)
    lines = _string_views(body, starts[kept], ends[kept])
    return FileRead(lines, pa.array(np.arange(len(lines), dtype=np.int64)), bytes_read=len(data))


# An Arrow string view locates its text by a signed 32-bit offset into one of the array's data
# buffers, so a file is handed over as windows of at most this many bytes, each opening a line.
VIEW_WINDOW_BYTES = 2**31 - 1


def _string_views(body: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Arrow string views of ``body[starts[i]:ends[i]]`` (ascending, disjoint) that point into ``body``.

    A view is 16 bytes: the length, then either the text itself (up to 12 bytes) or its first
    4 bytes, the index of the data buffer holding it and its offset there (Arrow columnar format).
    """
    n, buf = len(starts), np.frombuffer(body, np.uint8)
    lengths = ends - starts
    if n and lengths.max() > VIEW_WINDOW_BYTES:
        raise ValueError(f"a line of {lengths.max()} bytes is longer than an Arrow string can be")
    window_of_line = np.zeros(n, np.intp)
    window_starts: list[int] = []
    first = 0
    while first < n:  # one pass for any file under 2 GiB
        base = int(starts[first])
        last = int(np.searchsorted(ends, base + VIEW_WINDOW_BYTES, side="right"))
        window_of_line[first:last] = len(window_starts)
        window_starts.append(base)
        first = last
    views = np.zeros((n, 4), "<i4")  # Arrow buffers are little-endian
    views[:, 0] = lengths
    views[:, 2] = window_of_line
    views[:, 3] = starts - np.asarray(window_starts, np.int64)[window_of_line]
    # the first 4 bytes (or, for a text of up to 12 bytes, all of it, zero-padded) sit in the view
    width = np.arange(12)
    inline = np.where(width < lengths[:, None], buf[np.minimum(starts[:, None] + width, len(buf) - 1)], 0)
    as_bytes = views.view(np.uint8)
    as_bytes[:, 4:8] = inline[:, :4]
    short = lengths <= 12
    as_bytes[short, 4:16] = inline[short]
    whole = pa.py_buffer(body)
    windows = [whole.slice(w, min(VIEW_WINDOW_BYTES, len(body) - w)) for w in window_starts]
    return pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), *windows])


def read_json_array(data: bytes) -> FileRead:
    """One JSON array per file (indented or one-line); recover every complete record of a truncated one."""
    out = _Collector(bytes_read=len(data))
    text = _text(data)
    pos = _WS.match(text, 0).end()
    if pos == len(text):
        pass  # an empty file: MediaCrawler's writer resets a file it cannot parse
    elif text[pos] == "{":
        # A single object instead of an array: treat it as a one-record file.
        _read_array_items(text, pos, out, single=True)
    elif text[pos] != "[":
        out.rejects.append((0, "not a JSON array: file does not start with '['", text[:2000]))
    else:
        _read_array_items(text, pos + 1, out, single=False)
    return out.done()


def _read_array_items(text: str, pos: int, out: _Collector, *, single: bool) -> None:
    index = 0
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= len(text):
            if not single:
                # Ended without ']' but on a record boundary: nothing is lost, only the bracket.
                pass
            return
        if not single and text[pos] == "]":
            tail = text[pos + 1 :].strip()
            if tail:
                out.rejects.append((index, "unexpected data after the closing ']'", tail))
            return
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            remainder = text[pos:]
            out.rejects.append(
                (index, f"truncated or invalid JSON array: record {index} does not parse ({err.msg})", remainder)
            )
            return
        out.add(index, text[pos:end])
        index += 1
        pos = _WS.match(text, end).end()
        if single:
            continue
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            out.rejects.append((index, "invalid JSON array: expected ',' or ']' between records", text[pos:]))
            return


def read_csv(data: bytes) -> FileRead:
    """MediaCrawler CSV: utf-8-sig, header once, multi-line quoted fields (``newline=''``)."""
    out = _Collector(bytes_read=len(data))
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    header: list[str] | None = None
    index = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            to_json = _object_encoder(header)
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
            out.add(index, to_json(row))
        index += 1
    return out.done()


def _object_encoder(keys: list[str]) -> Callable[[list[str]], str]:
    """``row -> json.dumps(dict(zip(keys, row)), ensure_ascii=False)`` for rows of strings.

    With distinct keys the text is joined from pre-encoded ``"key": `` prefixes, which skips
    building a dict and running the general encoder for every row; repeated keys keep dict semantics.
    """
    if len(set(keys)) < len(keys):
        return lambda row: json.dumps(dict(zip(keys, row)), ensure_ascii=False)
    prefixes = [encode_basestring(k) + ": " for k in keys]
    return lambda row: "{" + ", ".join(map(str.__add__, prefixes, map(encode_basestring, row))) + "}"


def read_xlsx_sheet(path: Path, sheet: str) -> FileRead:
    """One worksheet of a MediaCrawler workbook: a header row, then one record per row. MediaCrawler
    writes None as "" and str()s lists and dicts, so cells are text or numbers; empty rows are skipped."""
    from openpyxl import load_workbook

    out = _Collector(bytes_read=path.stat().st_size)
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
    return out.done()


READERS = {"jsonl": read_jsonl, "json": read_json_array, "csv": read_csv}


def read_file(path: Path, fmt: str, sheet: str | None = None) -> FileRead:
    if fmt == "xlsx":
        return read_xlsx_sheet(path, sheet or "")
    return READERS[fmt](path.read_bytes())
