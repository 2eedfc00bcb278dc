"""A share-safe replication package: what a researcher can deposit with a paper.

The warehouse holds note and comment ids (a note's public page shows its author), texts and IP
locations. The package holds the marts and analysis tables, the study report and a data dictionary,
with

* every id column (``note_id``, ``comment_id``, ``parent_comment_id``, ``author_key``) replaced by a
  keyed pseudonym of its own (HMAC-SHA256 under a key derived from the pseudonym key, so rows still
  join across tables, but the package's ids match neither the platform's nor the warehouse's);
* every text column and every column not known to be a category or a number dropped: a string
  column is kept only if it is on :data:`CATEGORY_COLUMNS` (phases, codes, tiers, test names …), so a
  new free-text column is left out until someone decides it is safe;
* IP locations dropped;

and ``manifest.json`` says, table by table, what was kept, pseudonymised or removed and why. The
report is copied as it is: it shows aggregates only (the e2e test checks it holds no id, text or
nickname of the input).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from rednote_dagster.lib.exports import atomic_folder, write_csv

SCHEMAS = ("marts", "analysis")
ID_COLUMNS = frozenset({"note_id", "comment_id", "parent_comment_id", "author_key"})
# String columns whose values come from the project's own vocabularies, not from anyone's text.
CATEGORY_COLUMNS = frozenset(
    {
        "phase",
        "from_phase",
        "to_phase",
        "tier",
        "from_tier",
        "to_tier",
        "code",
        "code_name",
        "category",
        "category_name",
        "topic_group",
        "commenter_group",
        "emotion",
        "stance",
        "group",
        "comparison",
        "level",
        "variables",
        "rows",
        "columns",
        "warning",
        "report",
        "dropped_scores",
        "boundary",
        "method",
        "hashtag",
        "entity",
        "stage",
        "indicator",
    }
)
_ID_LABEL = b"rednote_dagster share package ids v1"


@dataclass(frozen=True)
class Treatment:
    action: str  # keep | pseudonymise | drop
    reason: str


def column_treatment(name: str, dtype: pl.DataType) -> Treatment:
    """What the package does with one column, and why."""
    if name in ID_COLUMNS:
        return Treatment("pseudonymise", "platform or warehouse id: replaced by a package-only keyed pseudonym")
    if name == "ip_location" or "ip_location" in name:
        return Treatment("drop", "IP location")
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.List, pl.Struct, pl.Object)):
        if name in CATEGORY_COLUMNS and dtype in (pl.String, pl.Categorical):
            return Treatment("keep", "category from the project's own vocabulary")
        return Treatment("drop", "text, or a string column not known to be a category")
    return Treatment("keep", "number, date or flag")


class IdPseudonyms:
    """Package-only pseudonyms: HMAC-SHA256 of the id under a key derived from the pseudonym key."""

    def __init__(self, pseudonym_key: str | bytes):
        raw = pseudonym_key.encode() if isinstance(pseudonym_key, str) else pseudonym_key
        self._keyed = hmac.new(hmac.new(raw, _ID_LABEL, hashlib.sha256).digest(), digestmod=hashlib.sha256)

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        mac = self._keyed.copy()
        mac.update(value.encode())
        return mac.hexdigest()[:20]


def share_table(df: pl.DataFrame, ids: IdPseudonyms) -> tuple[pl.DataFrame, dict[str, Treatment]]:
    """The table as the package holds it, and what was done to each column."""
    treatments = {name: column_treatment(name, dtype) for name, dtype in df.schema.items()}
    columns = []
    for name, treatment in treatments.items():
        if treatment.action == "keep":
            columns.append(pl.col(name))
        elif treatment.action == "pseudonymise":
            columns.append(pl.col(name).cast(pl.String).map_elements(ids, return_dtype=pl.String))
    return df.select(columns), treatments


def write_share_package(
    warehouse: Path,
    report: Path | None,
    out: Path,
    pseudonym_key: str,
    dictionary: dict[str, dict[str, str]] | None = None,
) -> dict:
    """Write the package to ``out`` (replaced whole, atomically: a failed write leaves the previous one).
    ``dictionary``: {"schema.table": {column or "": description}} from the dbt docs. Returns the manifest."""
    ids = IdPseudonyms(pseudonym_key)
    dictionary = dictionary or {}
    with atomic_folder(out) as staging:
        manifest = {
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tables": {},
            "not_included": [
                "raw layer (texts, platform ids)",
                "enrich layer (labels keyed by note and comment id, texts' hashes)",
                "the inbox",
                "the pseudonym key",
            ],
        }
        entries = []
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                f"AND table_schema IN ({', '.join('?' * len(SCHEMAS))}) ORDER BY 1, 2",
                list(SCHEMAS),
            ).fetchall()
            for schema, table in tables:
                shared, treatments = share_table(con.sql(f'SELECT * FROM "{schema}"."{table}"').pl(), ids)
                folder = staging / schema
                folder.mkdir(exist_ok=True)
                shared.write_parquet(folder / f"{table}.parquet")
                write_csv(shared, folder / f"{table}.csv")
                name = f"{schema}.{table}"
                manifest["tables"][name] = {
                    "rows": shared.height,
                    **{
                        action: {c: t.reason for c, t in treatments.items() if t.action == action}
                        for action in ("pseudonymise", "drop")
                    },
                }
                described = dictionary.get(name, {})
                entries.append(
                    {
                        "table": name,
                        "column": "",
                        "type": "table",
                        "treatment": "",
                        "why": "",
                        "description": described.get("", ""),
                    }
                )
                entries += [
                    {
                        "table": name,
                        "column": c,
                        "type": str(shared.schema.get(c, "")),
                        "treatment": t.action,
                        "why": t.reason,
                        "description": described.get(c, ""),
                    }
                    for c, t in treatments.items()
                ]
        if report is not None and report.exists():
            shutil.copy2(report, staging / "report.html")
            manifest["report"] = "report.html (aggregates only)"
        write_csv(
            pl.DataFrame(
                entries, schema=dict.fromkeys(("table", "column", "type", "treatment", "why", "description"), pl.String)
            ),
            staging / "data_dictionary.csv",
        )
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


def dbt_descriptions(manifest_path: Path) -> dict[str, dict[str, str]]:
    """{"schema.table": {"": table description, column: description}} from dbt's manifest.json."""
    if not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text(encoding="utf-8")).get("nodes", {})
    out: dict[str, dict[str, str]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "model":
            continue
        name = f"{node['schema']}.{node.get('alias') or node['name']}"
        out[name] = {
            "": node.get("description", ""),
            **{c: v.get("description", "") for c, v in node.get("columns", {}).items()},
        }
    return out
