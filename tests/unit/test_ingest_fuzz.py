"""Fuzz: valid MediaCrawler files of every format, mutated by hypothesis (bytes flipped, cut, spliced,
lines duplicated, values replaced by hostile JSON). Ingest never crashes and conservation holds for
every file: records_read = accepted + rejected + duplicates, and the rows written are the accepted ones.

Bounded in time: a fixed number of examples per format, no deadline per example (CI machines vary).
"""

import datetime as dt
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.ingest import ingest_entity
from tests.xhs_samples import comment, creator, head_note, note, write_csv, write_json, write_jsonl, write_xlsx

MONTH = dt.date(2025, 1, 1)
PSEUDONYMS = Pseudonymizer("fuzz-key")
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["1.2万", "10万+", "1k+", "None", "", "0", "-1", "1e400", "NaN", "\x00", "9" * 40, "２万", "3千", "💥", "null"]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def valid_records(entity: str, fmt: str = "json") -> list[dict]:
    if entity == "note":
        # a CSV file has one header, so one vintage; JSON files mix them
        head = [] if fmt == "csv" else [head_note(50 + i, user=7) for i in range(2)]
        return [note(i, user=i % 3) for i in range(6)] + head
    if entity == "comment":
        return [comment(i, i % 3, user=i % 4, parent=0 if i % 2 else "0") for i in range(8)]
    return [creator(u) for u in range(5)]


FILE_NAMES = {"note": "search_contents", "comment": "search_comments", "creator": "creator_creator"}


def write_file(month, entity: str, fmt: str, records: list[dict]):
    name = f"xhs/{fmt}/{FILE_NAMES[entity]}_2025-01-20.{fmt}"
    writer = {"json": write_json, "jsonl": write_jsonl, "csv": write_csv}[fmt]
    return writer(month / name, records)


def mutate_bytes(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, a, b in ops:
        if not buf:
            break
        i, j = a % len(buf), b % len(buf)
        if op == "flip":
            buf[i] ^= 1 << (j % 8)
        elif op == "cut":
            del buf[min(i, j) : max(i, j)]
        elif op == "truncate":
            del buf[i:]
        elif op == "splice":
            buf[i:i] = buf[min(i, j) : max(i, j)][:200]
        elif op == "dupline":
            lines = bytes(buf).split(b"\n")
            k = i % len(lines)
            lines.insert(k, lines[k])
            buf = bytearray(b"\n".join(lines))
    return bytes(buf)


BYTE_OPS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "truncate", "splice", "dupline"]), st.integers(0, 10**6), st.integers(0, 10**6)
    ),
    min_size=1,
    max_size=4,
)


def assert_conserved(result) -> None:
    log = result.log.to_pylist()
    assert log, "every file gets a log row"
    for row in log:
        assert row["records_read"] == row["accepted"] + row["rejected"] + row["duplicates"], row
    assert result.rows.num_rows == sum(r["accepted"] for r in log)
    assert result.rejects.num_rows == sum(r["rejected"] for r in log)
    for reason in result.rejects.column("reason").to_pylist():
        assert reason and reason.strip()


@pytest.mark.parametrize("entity", ["note", "comment", "creator"])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@FUZZ
@given(ops=BYTE_OPS)
def test_byte_mutations_never_crash_and_conserve(tmp_path_factory, entity, fmt, ops):
    month = tmp_path_factory.mktemp("fuzz")
    path = write_file(month, entity, fmt, valid_records(entity, fmt))
    path.write_bytes(mutate_bytes(path.read_bytes(), ops))
    assert_conserved(ingest_entity(month, MONTH, entity, PSEUDONYMS))


@pytest.mark.parametrize("entity", ["note", "comment", "creator"])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@FUZZ
@given(data=st.data())
def test_hostile_values_never_crash_and_conserve(tmp_path_factory, entity, fmt, data):
    month = tmp_path_factory.mktemp("fuzz")
    records = valid_records(entity, fmt)
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    for _ in range(data.draw(st.integers(1, 12))):
        rec = rng.choice(records)
        key = rng.choice(list(rec))
        rec[key] = data.draw(HOSTILE)
        if rng.random() < 0.1:
            rec.pop(rng.choice(list(rec)), None)
    if fmt == "csv":  # CSV carries text only, as MediaCrawler's csv writer does
        records = [
            {
                k: "" if v is None else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                for k, v in r.items()
            }
            for r in records
        ]
    try:
        write_file(month, entity, fmt, records)
    except (ValueError, OverflowError):
        return  # the sample writer cannot encode this value (NaN in strict JSON): nothing to ingest
    assert_conserved(ingest_entity(month, MONTH, entity, PSEUDONYMS))


@FUZZ
@given(ops=BYTE_OPS)
def test_corrupt_excel_workbooks_are_rejected_not_fatal(tmp_path_factory, ops):
    month = tmp_path_factory.mktemp("fuzz")
    path = write_xlsx(
        month / "xhs/excel/xhs_search_20250120_101500.xlsx",
        {"Contents": valid_records("note"), "Comments": valid_records("comment")},
    )
    path.write_bytes(mutate_bytes(path.read_bytes(), ops))
    for entity in ("note", "comment", "creator"):
        assert_conserved_or_skipped(ingest_entity(month, MONTH, entity, PSEUDONYMS))


def assert_conserved_or_skipped(result) -> None:
    """A workbook too damaged to open is logged as one unreadable file (or skipped with a reason)."""
    if result.log.num_rows:
        assert_conserved(result)
    else:
        assert result.rows.num_rows == 0
