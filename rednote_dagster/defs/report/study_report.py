"""report/study_report: Feng et al.'s Figures 1–7, the supplementary figures, the tables, a paper-vs-
pipeline comparison and the provenance of every label, as one self-contained HTML file under
``$REDNOTE_DATA_DIR/reports/``, plus every mart and analysis table as CSV and Parquet."""

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.report.previews import mart_previews
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData
from rednote_dagster.lib.preview import markdown_table, markdown_text
from rednote_dagster.lib.report.build import export_tables, read_report, write_report
from rednote_dagster.lib.report.images import png_renderer
from rednote_dagster.lib.report.inputs import report_asset_keys

KEY = dg.AssetKey(["report", "study_report"])
REPO = Path(__file__).resolve().parents[3]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def code_version() -> str:
    """Package version plus the git commit (``+dirty`` with uncommitted changes) when run from a checkout."""
    try:
        base = version("rednote_dagster")
    except PackageNotFoundError:
        base = "unknown"
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base} (git {commit}{'+dirty' if dirty else ''})"


@dg.asset(
    key=KEY,
    # every table the report reads (lib/report/inputs.py); partitioned upstreams count with all their partitions
    deps=[dg.AssetKey.from_user_string(key) for key in report_asset_keys()],
    pool=DUCKDB_POOL,
    group_name="report",
    kinds={"plotly", "html"},
    description=(
        "The study report, $REDNOTE_DATA_DIR/reports/report.html: Feng et al.'s Figures 1–7, the stage timeline "
        "(Fig 8) and comment emotion x stance by topic group (Fig 9) (plotly, JavaScript inlined, opens "
        "offline), supplementary figures S1–S3, the χ², κ, influence-weight and phase tables, Feng et al.'s "
        "published values beside ours (labelled synthetic on the bundled corpus) and the provenance of every "
        "label; every marts.* and analysis.* table exported as CSV and Parquet under reports/<schema>/."
    ),
)
def study_report(context: dg.AssetExecutionContext, duckdb: DuckDBResource, rednote: RednoteData):
    paths = rednote.paths
    # The corpus generator writes its planted truth beside the crawl; a real crawl has none.
    synthetic = (paths.inbox / "_truth").is_dir()
    with duckdb.get_connection() as con:
        report = read_report(con, synthetic=synthetic, code_version=code_version())
        exported = export_tables(con, paths.reports)
        # the marts' figure previews, as observations: dbt builds the marts in its own process
        with png_renderer():
            for table, preview in mart_previews(con).items():
                context.log_event(dg.AssetObservation(asset_key=dg.AssetKey(table.split(".")), metadata=preview))
    path = write_report(report, paths.reports / "report.html")
    missing = [f"Figure {f.spec.number}: {f.missing}" for f in report.figures if f.figure is None]
    for line in missing:
        context.log.warning(line)
    context.log.info(f"report written to {path} ({report.drawn} of {len(report.figures)} figures)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "figures_drawn": dg.MetadataValue.int(report.drawn),
            # the reasons name tables and columns: escaped like every other text in metadata markdown
            "figures_missing": dg.MetadataValue.md("\n".join(f"- {markdown_text(m)}" for m in missing) or "none"),
            "synthetic_corpus": dg.MetadataValue.bool(synthetic),
            "paper_vs_pipeline": dg.MetadataValue.md(markdown_table(report.paper, max_rows=40, max_chars=120)),
            "exported_files": dg.MetadataValue.int(len(exported)),
            "exports": dg.MetadataValue.path(str(paths.reports)),
            "size_mib": dg.MetadataValue.float(round(path.stat().st_size / 2**20, 2)),
        }
    )
