"""Per-month asset checks beside the ones declared on the assets themselves.

Checks visible in the UI, all together:

| check | on | kind |
|---|---|---|
| ``conservation`` | raw/notes, raw/comments, raw/creators | blocking (declared in ``ingest/assets.py``) |
| ``row_count`` | raw/notes (ERROR), raw/comments, raw/creators (WARN) | this module: the month holds rows |
| ``label_coverage`` | enrich/*_sentiment, enrich/note_topics, enrich/comment_{emotion,stance} | this module |
| ``labels_from_model`` | enrich/*_sentiment | WARN when the lexicon fallback labelled (``enrich/sentiment.py``) |
| ``kappa_above_minimum`` | analysis/coding_agreement | blocking κ gate (``analysis/coding_agreement.py``) |
| ``expected_count_rule`` | analysis/{sentiment,comment_affect}_chi_square | WARN (``analysis/statistics.py``) |

Both checks here are partitioned like their assets, so each month has its own result; each is one step
for its three assets (``multi_asset_check``) and runs in the DuckDB pool (it reads the warehouse).
"""

import warnings
from dataclasses import dataclass

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.partitions import collection_month, months_in_window
from rednote_dagster.defs.resources import DUCKDB_POOL, CheckThresholds
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.warehouse import table_exists

MAX_UNKNOWN = CheckThresholds.model_fields["max_unknown_share"]

# raw table → severity when a month holds no row. A crawl without notes is broken; one without
# comments or creator profiles is possible (a search-only crawl), so those only warn.
ROW_COUNT_TABLES = {
    "raw.notes": dg.AssetCheckSeverity.ERROR,
    "raw.comments": dg.AssetCheckSeverity.WARN,
    "raw.creators": dg.AssetCheckSeverity.WARN,
}

# label table → (source table, id column, "no label" predicate)
LABEL_TABLES = {
    "enrich.note_sentiment": ("raw.notes", "note_id", "label IS NULL"),
    "enrich.comment_sentiment": ("raw.comments", "comment_id", "label IS NULL"),
    "enrich.note_topics": ("raw.notes", "note_id", "code IS NULL"),
    "enrich.comment_emotion": ("raw.comments", "comment_id", "code IS NULL"),
    "enrich.comment_stance": ("raw.comments", "comment_id", "code IS NULL"),
}


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def _month_spec(name: str, table: str, **kwargs) -> dg.AssetCheckSpec:
    """A check partitioned like its asset: one result per collection month."""
    with warnings.catch_warnings():  # partitions_def on a check spec is marked preview in 1.13
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=_key(table), partitions_def=collection_month, **kwargs)


# --- pure verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Label rows of one month against the source rows they should label."""

    expected: int  # source rows of the month
    labelled: int  # label rows of the month
    missing: int  # source ids without a label row
    extra: int  # label rows whose id is not in the source month
    duplicates: int  # label rows beyond one per id
    unknown: int  # label rows without a label (model could not decide, empty text, LLM off-scheme)

    @property
    def unknown_share(self) -> float:
        return self.unknown / self.labelled if self.labelled else 0.0


def coverage_verdict(months: dict[str, Coverage], max_unknown_share: float) -> tuple[bool, dg.AssetCheckSeverity, str]:
    """(passed, severity, description). ERROR when rows are missing, extra or duplicated; WARN when every row
    is there but too many carry no label."""
    broken = [m for m, c in months.items() if c.missing or c.extra or c.duplicates]
    if broken:
        return False, dg.AssetCheckSeverity.ERROR, f"label rows do not match the source rows in {', '.join(broken)}"
    vague = [m for m, c in months.items() if c.unknown_share > max_unknown_share]
    if vague:
        return (
            False,
            dg.AssetCheckSeverity.WARN,
            f"more than {max_unknown_share:.0%} of rows have no label in {', '.join(vague)}",
        )
    return True, dg.AssetCheckSeverity.ERROR, "every source row has exactly one label row"


def row_count_verdict(rows_by_month: dict[str, int]) -> tuple[bool, str]:
    empty = [m for m, n in rows_by_month.items() if n == 0]
    if empty:
        return False, f"no rows for {', '.join(empty)} (is inbox/<YYYY-MM>/ empty or unreadable?)"
    return True, f"{sum(rows_by_month.values())} rows"


# --- checks --------------------------------------------------------------------------------------------


@dg.multi_asset_check(
    name="raw_row_counts",
    specs=[
        _month_spec(
            "row_count",
            table,
            description=f"The collection month holds at least one row (severity {severity.value} when not).",
        )
        for table, severity in ROW_COUNT_TABLES.items()
    ],
    can_subset=True,
    pool=DUCKDB_POOL,
)
def raw_row_counts(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    months = months_in_window(context.partition_time_window)
    for check_key in sorted(context.selected_asset_check_keys):
        table = ".".join(check_key.asset_key.path)
        with duckdb.get_connection() as con:
            if table_exists(con, table):
                counts = dict(
                    con.execute(
                        f"SELECT collection_month, count(*) FROM {table} "
                        "WHERE list_contains(?, collection_month) GROUP BY 1",
                        [months],
                    ).fetchall()
                )
            else:
                counts = {}
        rows = {f"{m:%Y-%m}": int(counts.get(m, 0)) for m in months}
        passed, description = row_count_verdict(rows)
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=passed,
            severity=ROW_COUNT_TABLES[table],
            description=description,
            metadata={"rows": dg.MetadataValue.int(sum(rows.values())), "rows_by_month": dg.MetadataValue.json(rows)},
        )


_COVERAGE_SQL = """
WITH src AS (SELECT {id} AS id FROM {source} WHERE collection_month = $month),
     lab AS (SELECT {id} AS id, ({unknown}) AS no_label FROM {table} WHERE collection_month = $month)
SELECT (SELECT count(*) FROM src),
       (SELECT count(*) FROM lab),
       (SELECT count(*) FROM src ANTI JOIN lab USING (id)),
       (SELECT count(*) FROM lab ANTI JOIN src USING (id)),
       (SELECT count(*) - count(DISTINCT id) FROM lab),
       (SELECT count(*) FILTER (WHERE no_label) FROM lab)
"""


@dg.multi_asset_check(
    name="label_coverages",
    specs=[
        _month_spec(
            "label_coverage",
            table,
            additional_deps=[_key(source)],
            description=f"Every {id_column} of {source} in the month has exactly one row here (ERROR otherwise), "
            f"and at most ${MAX_UNKNOWN.json_schema_extra['env']} (default {MAX_UNKNOWN.default:.0%}) of rows lack "
            "a label (WARN).",
        )
        for table, (source, id_column, _) in LABEL_TABLES.items()
    ],
    can_subset=True,
    pool=DUCKDB_POOL,
)
def label_coverages(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, check_thresholds: CheckThresholds):
    months = months_in_window(context.partition_time_window)
    max_unknown = check_thresholds.max_unknown_share
    for check_key in sorted(context.selected_asset_check_keys):
        table = ".".join(check_key.asset_key.path)
        source, id_column, unknown = LABEL_TABLES[table]
        with duckdb.get_connection() as con:
            if not (table_exists(con, table) and table_exists(con, source)):
                yield dg.AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=check_key.name,
                    passed=False,
                    description=f"{table} or {source} does not exist yet",
                )
                continue
            sql = _COVERAGE_SQL.format(id=id_column, source=source, table=table, unknown=unknown)
            coverage = {f"{m:%Y-%m}": Coverage(*con.execute(sql, {"month": m}).fetchall()[0]) for m in months}
        passed, severity, description = coverage_verdict(coverage, max_unknown)
        rows = [{"month": m, **c.__dict__, "unknown_share": round(c.unknown_share, 4)} for m, c in coverage.items()]
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=passed,
            severity=severity,
            description=description,
            metadata={
                "missing": dg.MetadataValue.int(sum(c.missing for c in coverage.values())),
                "extra": dg.MetadataValue.int(sum(c.extra for c in coverage.values())),
                "duplicates": dg.MetadataValue.int(sum(c.duplicates for c in coverage.values())),
                "unknown_share": dg.MetadataValue.float(
                    round(
                        sum(c.unknown for c in coverage.values()) / max(sum(c.labelled for c in coverage.values()), 1),
                        4,
                    )
                ),
                "max_unknown_share": dg.MetadataValue.float(max_unknown),
                "by_month": dg.MetadataValue.md(_table(rows)),
            },
        )


def _table(rows: list[dict]) -> str:
    import polars as pl

    return markdown_table(pl.DataFrame(rows)) if rows else "none"
