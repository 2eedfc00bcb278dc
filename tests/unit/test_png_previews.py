"""lib/report/images: PNG previews never hold up a run. No browser, previews turned off, a browser
that hangs: each is skipped with the reason in bounded time, and no process is left behind."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from rednote_dagster.lib.report import images
from rednote_dagster.lib.report.images import figure_png, png_markdown, png_renderer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("BROWSER_PATH", "REDNOTE_PNG_PREVIEWS", "REDNOTE_PNG_TIMEOUT_S", "REDNOTE_PNG_STEP_BUDGET_S"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workers(monkeypatch) -> list:
    """The worker processes started, recorded as they start."""
    started, popen = [], images.subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(images.subprocess, "Popen", recording_popen)
    return started


def figure() -> go.Figure:
    return go.Figure(go.Bar(x=["pre_ban", "surge", "stabilization"], y=[3, 40, 10]), layout={"height": 300})


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain `text` (zombies have none)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # gone meanwhile
            if text in (line := cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")):
                found.append(line)
    return found


def test_a_browser_path_that_is_not_there_is_skipped_at_once(monkeypatch, workers, tmp_path):
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(missing))
    started = time.monotonic()
    png, why_not = figure_png(figure())
    assert time.monotonic() - started < 2
    assert png is None and why_not == f"PNG preview skipped: BROWSER_PATH={missing} is not an executable"
    assert workers == []


def test_previews_turned_off_start_nothing_and_say_so_once(monkeypatch, workers, caplog):
    monkeypatch.setenv("REDNOTE_PNG_PREVIEWS", "off")
    with caplog.at_level(logging.INFO, logger=images.__name__), png_renderer():
        results = [figure_png(figure()) for _ in range(3)]
    assert results == [(None, "PNG preview skipped: PNG previews turned off (REDNOTE_PNG_PREVIEWS=off)")] * 3
    assert workers == []
    assert [r.getMessage() for r in caplog.records] == [
        "PNG previews skipped: PNG previews turned off (REDNOTE_PNG_PREVIEWS=off)"
    ]


def test_a_setting_it_cannot_use_is_a_skip_with_the_reason(monkeypatch, workers):
    monkeypatch.setenv("REDNOTE_PNG_TIMEOUT_S", "soon")
    png, why_not = figure_png(figure())
    assert png is None and "REDNOTE_PNG_TIMEOUT_S='soon'" in why_not
    assert workers == []


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("REDNOTE_PNG_TIMEOUT_S", "timed out after 3 s"),
        ("REDNOTE_PNG_STEP_BUDGET_S", "budget of 3 s for this step's PNG previews is spent"),
    ],
)
def test_a_browser_that_hangs_is_killed_and_the_rest_of_the_step_skipped(
    monkeypatch, workers, tmp_path, setting, reason
):
    fake = tmp_path / "hanging-chromium"  # starts, then never answers, like the browser in the bug
    fake.write_text("#!/bin/sh\nwhile :; do sleep 1; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    monkeypatch.setenv(setting, "3")
    with png_renderer():
        started = time.monotonic()
        first = figure_png(figure())
        took = time.monotonic() - started
        second = figure_png(figure())
        took_second = time.monotonic() - started - took
    assert first[0] is None and reason in first[1] and first[1].startswith("PNG preview skipped")
    assert second == first and took_second < 0.5
    assert 2.9 < took < 6
    assert len(workers) == 1 and workers[0].poll() is not None
    # The worker, choreographer's wrapper and the fake browser all name it: none is left.
    assert processes_mentioning(str(fake)) == []


@pytest.mark.browser
def test_a_real_browser_renders_every_figure_of_a_block_with_one_worker(workers):
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    started = time.monotonic()
    with png_renderer():
        pngs = [figure_png(figure(), width=600) for _ in range(3)]
    took = time.monotonic() - started
    for png, why_not in pngs:
        assert why_not is None and png[:8] == PNG_MAGIC
    assert png_markdown(pngs[0][0], "Figure 1").startswith("![Figure 1](data:image/png;base64,iVBOR")
    assert len(workers) == 1 and workers[0].returncode is not None
    assert processes_mentioning(f"--user-data-dir={images.tempfile.gettempdir()}/rednote-png-") == []
    logging.getLogger(__name__).info("3 PNGs with one browser in %.1f s", took)
