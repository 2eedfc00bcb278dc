"""The command line's step lines (rednote_dagster/console.py): what a person reads after each step."""

import io
import logging

import dagster as dg

from rednote_dagster.console import RunConsole, step_summary


def test_step_summary_reads_counts_rejects_and_labels_from_metadata():
    ingest = {
        "dagster/partition_row_count": dg.MetadataValue.int(11755),
        "rejected": dg.MetadataValue.int(52),
        "duplicates": dg.MetadataValue.int(4567),
    }
    line = step_summary("raw__comments", [("raw/comments", ingest)], 2.0)
    assert line.startswith("raw/comments ")
    assert "11,755 rows (52 rejected, 4,567 duplicates) · 2.0 s · 5,878 rows/s" in line

    labels = {
        "dagster/partition_row_count": dg.MetadataValue.int(4218),
        "cache_misses": dg.MetadataValue.int(3859),
        "cache_hits": dg.MetadataValue.int(339),
        "backend": dg.MetadataValue.text("lexicon"),
    }
    line = step_summary("enrich__comment_sentiment", [("enrich/comment_sentiment", labels)], 0.5)
    assert "4,218 rows (3,859 labelled by lexicon, 339 cached) · 0.5 s · 7,718 texts/s" in line

    # small tables: no rate (it would measure start-up); one row is a row
    assert step_summary("s", [("analysis/x", {"dagster/row_count": dg.MetadataValue.int(1)})], 2.0).endswith(
        "1 row · 2.0 s"
    )
    assert (
        step_summary("rednote_dbt_models", [("a", {}), ("b", {})], 7.5)
        == f"{'rednote_dbt_models':<34} 2 assets · 7.5 s"
    )


def test_run_console_says_each_warning_once_and_keeps_everything_in_the_file(tmp_path):
    out = io.StringIO()
    console = RunConsole(tmp_path / "logs" / "run.log", out=out)
    try:
        for _ in range(3):
            console.logger.warning("labels come from the LEXICON FALLBACK")
        console.logger.debug("a debug event")
        logging.getLogger("rednote_dagster.lib.report.images").warning("PNG previews skipped: no browser")
        logging.getLogger("rednote_dagster.lib.report.images").warning("PNG previews skipped: no browser")
        with console.printing_to_log():
            print("Running with dbt=1.11")
    finally:
        console.close()
    shown = out.getvalue()
    assert shown.count("LEXICON FALLBACK") == 1 and shown.count("PNG previews skipped") == 1
    assert "debug event" not in shown and "Running with dbt" not in shown
    log = (tmp_path / "logs" / "run.log").read_text()
    assert log.count("LEXICON FALLBACK") == 3 and "a debug event" in log and "Running with dbt=1.11" in log


def test_closing_the_console_gives_the_root_logger_back(tmp_path):
    root = logging.getLogger()
    marker = logging.NullHandler()
    root.addHandler(marker)
    level = root.level
    try:
        console = RunConsole(tmp_path / "run.log", out=io.StringIO())
        assert marker not in root.handlers  # library logs go to the file only while it is open
        console.close()
        assert marker in root.handlers and root.level == level and console.file_handler not in root.handlers
    finally:
        root.removeHandler(marker)
