"""Split a MediaCrawler file into one JSON text per record, recovering what a crash left.

Every container ends up as ``(record_index, json_text)`` pairs so that a single SQL
normaliser (``normalize.py``) types and validates all of them. Anything that cannot even
be split into a record (a torn JSONL line, the tail of a truncated JSON array, a CSV row
with the wrong number of fields, a file no supported encoding decodes) becomes a reader-level
reject with a reason; nothing is dropped silently, so ``records_read = len(records) + len(rejects)``.
A reader-level reject keeps only the record's ``fingerprint`` (sha256 and length), never its text:
its fields cannot be told apart, so none of them can be kept safely (see normalize.REJECT_FIELDS).
"""

from __future__ import annotations

import csv
import hashlib
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
    encoding: str = "utf-8"

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
    encoding: str = "utf-8"

    def add(self, index: int, text: str) -> None:
        self.indices.append(index)
        self.texts.append(text)

    def done(self) -> FileRead:
        # string views, like the JSONL reader's, so that the files of an entity concatenate
        return FileRead(
            pa.array(self.texts, pa.string_view()),
            pa.array(self.indices, pa.int64()),
            self.rejects,
            self.bytes_read,
            self.encoding,
        )


class Undecodable(ValueError):
    """A file that no supported encoding decodes without loss; ``str(err)`` is the reject reason."""


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _valid_utf8(body: bytes) -> bool:
    whole = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(body)], np.int64)), pa.py_buffer(body))
    try:
        whole.validate(full=True)  # checks the UTF-8, far faster than decoding to a Python str
    except pa.ArrowInvalid:
        return False
    return True


def decode(data: bytes) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes (without a BOM), and the encoding it was read as.

    UTF-8 (strict; a UTF-8 BOM is dropped), UTF-16 when the file opens with its BOM, else GB18030
    (a superset of GBK: what Excel on Chinese Windows saves) when strict UTF-8 fails. A UTF-8 file
    is returned as it is (the fast path: no decoding to a Python str). Nothing is ever replaced by
    U+FFFD: a file that none of them decodes raises ``Undecodable``.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16").encode(), "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        except UnicodeDecodeError as err:
            raise Undecodable(_reason(data, err)) from None
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    if _valid_utf8(body):
        return body, "utf-8-sig" if bom else "utf-8"
    try:
        utf8_error = body.decode("utf-8")
    except UnicodeDecodeError as err:
        utf8_error = err
    if bom:  # a file that says it is UTF-8 is damaged UTF-8, never GBK
        raise Undecodable(_reason(data, utf8_error, offset=len(_BOM)))
    try:
        return body.decode("gb18030").encode(), "gb18030"
    except UnicodeDecodeError:
        raise Undecodable(_reason(data, utf8_error)) from None


def _reason(data: bytes, err: UnicodeDecodeError, offset: int = 0) -> str:
    at = err.start + offset
    return f"cannot decode file: not UTF-8, UTF-16 or GB18030 (byte 0x{data[at]:02x} at offset {at})"


def fingerprint(raw: bytes | str) -> str:
    """The only thing a reject keeps of a record whose fields cannot be told apart: its hash and size."""
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    return json.dumps({"sha256": hashlib.sha256(raw_bytes).hexdigest(), "length": len(raw)})


def _undecodable(data: bytes, err: Undecodable) -> FileRead:
    """The whole file as one reject, as a file that is not a JSON array is: it counts as one record read."""
    return FileRead(
        pa.array([], pa.string_view()),
        pa.array([], pa.int64()),
        [(0, str(err), fingerprint(data))],
        len(data),
        encoding="undecodable",
    )


def read_jsonl(data: bytes) -> FileRead:
    """One record per line; blank lines are not records.

    Validity is judged by the SQL normaliser (json_valid), far faster than parsing each line
    here, so the lines are not even copied out of the file: they are Arrow string views into it.
    The result is what ``[l for l in decode(data)[0].decode().split("\\n") if l and not l.isspace()]`` gives.
    """
    try:
        body, encoding = decode(data)
    except Undecodable as err:
        return _undecodable(data, err)
    buf = np.frombuffer(body, np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.append(newlines, len(buf))
    kept = np.flatnonzero(ends > starts)
    # Only a line that does not open with '{' can be all whitespace: str.isspace judges those few.
    unusual = kept[buf[starts[kept]] != ord("{")]
    blank = [i for i in unusual if body[starts[i] : ends[i]].decode().isspace()]
    if blank:
        kept = np.setdiff1d(kept, blank)
    lines = _string_views(body, starts[kept], ends[kept])
    return FileRead(lines, pa.array(np.arange(len(lines), dtype=np.int64)), bytes_read=len(data), encoding=encoding)


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
    try:
        body, encoding = decode(data)
    except Undecodable as err:
        return _undecodable(data, err)
    out = _Collector(bytes_read=len(data), encoding=encoding)
    text = body.decode()
    pos = _WS.match(text, 0).end()
    if pos == len(text):
        pass  # an empty file: MediaCrawler's writer resets a file it cannot parse
    elif text[pos] == "{":
        # A single object instead of an array: treat it as a one-record file.
        _read_array_items(text, pos, out, single=True)
    elif text[pos] != "[":
        out.rejects.append((0, "not a JSON array: file does not start with '['", fingerprint(text)))
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
                out.rejects.append((index, "unexpected data after the closing ']'", fingerprint(tail)))
            return
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except RecursionError:
            # nested deeper than Python's parser goes (~1,000 levels; no MediaCrawler record is
            # nested at all): the record is rejected and the array read on from its end
            end = _value_end(text, pos)
            if end is None:
                out.rejects.append(
                    (index, f"truncated or invalid JSON array: record {index} does not end", fingerprint(text[pos:]))
                )
                return
            out.rejects.append((index, "record nested too deeply to read", fingerprint(text[pos:end])))
            index += 1
            pos = _WS.match(text, end).end()
            if pos < len(text) and text[pos] == ",":
                pos += 1
            continue
        except json.JSONDecodeError as err:
            remainder = text[pos:]
            out.rejects.append(
                (
                    index,
                    f"truncated or invalid JSON array: record {index} does not parse ({err.msg})",
                    fingerprint(remainder),
                )
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
            out.rejects.append(
                (index, "invalid JSON array: expected ',' or ']' between records", fingerprint(text[pos:]))
            )
            return


# a JSON string (escapes included) or a bracket: what finding a value's end needs to look at
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _value_end(text: str, pos: int) -> int | None:
    """Where the object or array opening at ``pos`` ends, found without recursion (so at any
    depth); None when it does not end."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text, pos):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
        elif bracket in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


def read_csv(data: bytes) -> FileRead:
    """MediaCrawler CSV: utf-8-sig (or GBK, UTF-16: see ``decode``), header once, multi-line quoted
    fields (``newline=''``)."""
    try:
        body, encoding = decode(data)
    except Undecodable as err:
        return _undecodable(data, err)
    out = _Collector(bytes_read=len(data), encoding=encoding)
    text = body.decode()
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    index = 0
    while True:
        lines_done = reader.line_num  # the lines of the rows read so far; the next row starts after them
        try:
            row = next(reader, None)
        except csv.Error as err:
            # csv cannot go on: a quote left open swallowed the rest into one field past the field
            # limit, or a NUL byte. What is left is one reject.
            out.rejects.append(
                (
                    index,
                    f"CSV cannot be parsed from here on ({err})",
                    fingerprint(_lines_after(text, lines_done)),
                )
            )
            break
        if row is None:
            break
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            to_json = _object_encoder(header)
            continue
        if len(row) != len(header):
            # its values do not line up with the header's names (a user id may sit under create_time):
            # nothing of it is kept but its fingerprint
            raw = io.StringIO(newline="")
            csv.writer(raw).writerow(row)
            out.rejects.append(
                (index, f"CSV row has {len(row)} fields, header has {len(header)}", fingerprint(raw.getvalue()))
            )
        else:
            out.add(index, to_json(row))
        index += 1
    return out.done()


def _lines_after(text: str, lines: int) -> str:
    """``text`` after its first ``lines`` lines, counted as csv.reader counts them (``newline=''``)."""
    rest = io.StringIO(text, newline="")
    for _ in range(lines):
        rest.readline()
    return rest.read()


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

    out = _Collector(bytes_read=path.stat().st_size, encoding="xlsx")
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = book[sheet]
        worksheet.reset_dimensions()  # every row, whatever a stale <dimension> claims
        rows = worksheet.iter_rows(values_only=True)
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
