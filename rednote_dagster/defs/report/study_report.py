"""report/study_report: Feng et al.'s Figures 1–7, the supplementary figures, the tables, a paper-vs-
pipeline comparison and the provenance of every label, as one self-contained HTML file under
``$REDNOTE_DATA_DIR/reports/``, plus every mart and analysis table as CSV and Parquet."""

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData
from rednote_dagster.lib.preview import markdown_table, markdown_text
from rednote_dagster.lib.report.build import export_tables, read_report, write_report

KEY = dg.AssetKey(["report", "study_report"])
# Everything the report reads; partitioned upstreams count with all their partitions.
REPORT_INPUTS = [
    ["marts", "fig1_daily_notes"], ["marts", "fig2_engagement_by_phase_influence"],
    ["marts", "fig3_phase_transitions"], ["marts", "fig4_topic_share_by_influence"],
    ["marts", "fig6_sentiment_by_topic"], ["marts", "fig7_sentiment_by_topic_influence"],
    ["marts", "collection_summary"], ["analysis", "category_engagement"], ["analysis", "sentiment_chi_square"],
    ["analysis", "coding_agreement"], ["analysis", "user_influence"], ["analysis", "phase_breakpoints"],
    ["enrich", "topic_info"], ["enrich", "note_sentiment"], ["enrich", "comment_sentiment"],
    ["enrich", "note_topics"], ["raw", "notes"], ["enrich", "comment_emotion"], ["enrich", "comment_stance"],
    ["marts", "comment_affect_by_topic_group"], ["analysis", "stage_timeline"], ["analysis", "sampling_frame"],
    ["analysis", "comment_affect_chi_square"],
]
REPO = Path(__file__).resolve().parents[3]


def code_version() -> str:
    """Package version plus the git commit (``+dirty`` with uncommitted changes) when run from a checkout."""
    try:
        base = version("rednote_dagster")
    except PackageNotFoundError:
        base = "unknown"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base} (git {commit}{'+dirty' if dirty else ''})"


@dg.asset(
    key=KEY,
    deps=[dg.AssetKey(k) for k in REPORT_INPUTS],
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
    path = write_report(report, paths.reports / "report.html")
    missing = [f"Figure {f.spec.number}: {f.missing}" for f in report.figures if f.figure is None]
    for line in missing:
        context.log.warning(line)
    context.log.info(f"report written to {path} ({report.drawn} of {len(report.figures)} figures)")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "figures_drawn": dg.MetadataValue.int(report.drawn),
        # the reasons name tables and columns: escaped like every other text in metadata markdown
        "figures_missing": dg.MetadataValue.md("\n".join(f"- {markdown_text(m)}" for m in missing) or "none"),
        "synthetic_corpus": dg.MetadataValue.bool(synthetic),
        "paper_vs_pipeline": dg.MetadataValue.md(markdown_table(report.paper, max_rows=40, max_chars=120)),
        "exported_files": dg.MetadataValue.int(len(exported)),
        "exports": dg.MetadataValue.path(str(paths.reports)),
        "size_mib": dg.MetadataValue.float(round(path.stat().st_size / 2**20, 2)),
    })
