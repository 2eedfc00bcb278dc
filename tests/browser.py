"""Shared helpers for browser tests: Debian's chromium driven by Playwright, and a loopback Dagster server.

Use from a test::

    from tests.browser import launch_chromium   # or take the `browser` fixture from tests/conftest.py

    @pytest.mark.browser
    def test_something(tmp_path):
        with launch_chromium() as browser:      # pytest.skip()s with a reason when chromium is absent
            page = browser.new_page()
            ...

No browser is ever downloaded: only a system chromium (``/usr/bin/chromium`` or ``$REDNOTE_CHROMIUM``) is used.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "data" / "test-artifacts"  # git-ignored (data/ is), stable place to look at screenshots


def chromium_executable() -> str | None:
    """Path of a system chromium, or None. `$REDNOTE_CHROMIUM` overrides the search."""
    override = os.environ.get("REDNOTE_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@contextlib.contextmanager
def launch_chromium(headless: bool = True) -> Iterator[object]:
    """A launched Playwright chromium Browser; calls `pytest.skip` (with the reason) when it cannot start."""
    exe = chromium_executable()
    if exe is None:
        pytest.skip("Debian chromium not installed (make chromium, or apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("python playwright not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=exe, headless=headless, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.skip(f"chromium at {exe} failed to launch: {exc}")
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None, timeout: float = 10) -> dict:
    """POST a GraphQL query to a local Dagster webserver; returns the `data` member."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = json.load(resp)
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


LOCATION_QUERY = (
    "{ workspaceOrError { ... on Workspace { locationEntries "
    "{ name loadStatus locationOrLoadError { __typename } } } } }"
)


def wait_for_code_location(port: int, timeout: float = 180, proc: subprocess.Popen | None = None) -> list[dict]:
    """Poll until the workspace's first code location finished loading; returns the location entries."""
    deadline = time.monotonic() + timeout
    entries: list[dict] = []
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"dagster server exited early with {proc.returncode}")
        try:
            entries = graphql(port, LOCATION_QUERY, timeout=5)["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED":
                return entries
        except (OSError, RuntimeError, KeyError, TypeError):
            pass
        time.sleep(1)
    return entries


@contextlib.contextmanager
def dagster_server(
    env: dict[str, str], *, dev: bool = False, log_path: Path | None = None, port: int | None = None
) -> Iterator[tuple[int, subprocess.Popen]]:
    """Start `dagster-webserver` (or `dagster dev` when dev=True, which adds the daemon) on 127.0.0.1.

    Runs in its own process group, which is terminated (then killed) on exit. Yields (port, process).
    """
    port = port or free_port()
    bindir = Path(sys.executable).parent
    if dev:
        cmd = [str(bindir / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    else:
        cmd = [str(bindir / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    env = {**env, "PATH": f"{bindir}{os.pathsep}{env.get('PATH', os.environ.get('PATH', ''))}"}
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield port, proc
    finally:
        stop_process_group(proc)
        if log_path:
            out.close()


def stop_process_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM the process group started with start_new_session=True, then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    # children (code server, daemon) may outlive the leader; the group id is the leader's pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
