"""Static PNGs of the report's plotly figures, for the Dagster UI's markdown previews.

Plotly renders PNGs through Kaleido, which drives a Chrome or Chromium already on the machine
(Debian's ``chromium`` package here). Nothing here downloads a browser: without one the previews are
skipped at once with the reason, and the HTML report does not need one.

A preview must never hold up a run (Kaleido's sync server waited forever on a browser that never
answered), so figures are rendered in a worker process (png_worker.py) that is killed, browser and
all, when a figure takes longer than ``REDNOTE_PNG_TIMEOUT_S`` or the figures of one
``png_renderer()`` block longer than ``REDNOTE_PNG_STEP_BUDGET_S``; the block's remaining figures are
then skipped. ``REDNOTE_PNG_PREVIEWS=off`` turns previews off (lib/settings.py).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go
import plotly.io.json as pio_json

from rednote_dagster.lib.report.png_worker import HEADER
from rednote_dagster.lib.settings import (
    BROWSER_PATH_ENV,
    PNG_PREVIEWS_ENV,
    PNG_STEP_BUDGET_ENV,
    PNG_TIMEOUT_ENV,
    PngPreviewSettings,
)

log = logging.getLogger(__name__)

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
SKIPPED = "PNG preview skipped: "


def find_browser(settings: PngPreviewSettings) -> tuple[str | None, str | None]:
    """(path, None) or (None, why not): $BROWSER_PATH when set, else the first of BROWSER_NAMES on PATH."""
    if settings.browser_path:
        path = settings.browser_path
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path, None
        return None, f"{BROWSER_PATH_ENV}={path} is not an executable"
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found, None
    return None, (
        f"no Chrome/Chromium found (none of {', '.join(BROWSER_NAMES)} on PATH, "
        f"{BROWSER_PATH_ENV} not set); apt-get install chromium for previews"
    )


class _Renderer:
    """One worker (one warm browser) for the figures of a png_renderer() block, within its time bounds.
    Once something goes wrong for the whole block (no browser, a time-out, the worker died), every
    later figure is skipped with that reason, which is logged once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one request at a time on the worker's pipes
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp: Path | None = None
        self.skip: str | None = None
        self.browser: str | None = None
        self.spent = 0.0  # seconds spent rendering, against the block's budget
        try:
            self.settings = PngPreviewSettings.from_env()
        except ValueError as exc:
            self.settings = PngPreviewSettings(enabled=False)
            self._give_up(str(exc))
            return
        if not self.settings.enabled:
            self._give_up(f"PNG previews turned off ({PNG_PREVIEWS_ENV}=off)")
        else:
            self.browser, why_not = find_browser(self.settings)
            if why_not:
                self._give_up(why_not)

    def render(self, fig: go.Figure, width: int, height: int | None) -> tuple[bytes | None, str | None]:
        with self.lock:
            if self.skip:
                return None, SKIPPED + self.skip
            try:
                request = pio_json.to_json_plotly(
                    {
                        "figure": fig.to_plotly_json(),
                        "width": width,
                        "height": height or fig.layout.height or 480,
                    }
                ).encode()
            except Exception as exc:  # not a figure plotly can serialise: this figure only
                return None, f"{SKIPPED}{type(exc).__name__}: {exc}"[:300]
            budget_left = self.settings.step_budget_s - self.spent
            if budget_left <= 0:
                return None, SKIPPED + self._give_up(self._budget_spent())
            limit = min(self.settings.timeout_s, budget_left)
            started = time.monotonic()
            try:
                if self.proc is None:
                    self._start()
                reply = self._exchange(request, started + limit)
            except (OSError, EOFError) as exc:  # the worker could not start, or died
                why = f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else "no reply"
                return None, SKIPPED + self._give_up(f"PNG renderer exited ({why}){self._last_log_line()}")
            finally:
                self.spent += time.monotonic() - started
            if reply is None:
                why = (
                    self._budget_spent()
                    if limit < self.settings.timeout_s
                    else (
                        f"PNG renderer timed out after {self.settings.timeout_s:g} s on one figure ({PNG_TIMEOUT_ENV})"
                    )
                )
                return None, SKIPPED + self._give_up(
                    f"{why}; the renderer was stopped and the step's other figures are skipped"
                )
            kind, body = reply[:1], reply[1:]
            if kind == b"P":
                return body, None
            why = body.decode(errors="replace")
            if kind == b"F":  # the browser did not start: no later figure will fare better
                return None, SKIPPED + self._give_up(f"PNG renderer failed: {why}")
            log.info("PNG preview of one figure failed: %s", why)
            return None, SKIPPED + why

    def close(self) -> None:
        """Let the worker close its browser (it exits at end of input), then kill whatever is left."""
        with self.lock:
            if self.proc is not None:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5)
                self._kill()
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None

    def _start(self) -> None:
        # The worker, its browser and their temporary files live in one process group and one folder,
        # so that both can be removed whatever state they are in.
        self.tmp = Path(tempfile.mkdtemp(prefix="rednote-png-"))
        env = {**os.environ, BROWSER_PATH_ENV: self.browser, "TMPDIR": str(self.tmp)}
        with open(self.tmp / "worker.log", "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "rednote_dagster.lib.report.png_worker", self.browser],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
        os.set_blocking(self.proc.stdin.fileno(), False)

    def _exchange(self, request: bytes, until: float) -> bytes | None:
        """Send one frame and read the reply; None if `until` (time.monotonic) comes first."""
        pending = memoryview(HEADER.pack(len(request)) + request)
        received = bytearray()
        stdin, stdout = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE)
            selector.register(stdout, selectors.EVENT_READ)
            while (left := until - time.monotonic()) > 0:
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        with contextlib.suppress(BlockingIOError):
                            pending = pending[os.write(stdin, pending) :]
                        if not pending:
                            selector.unregister(stdin)
                        continue
                    chunk = os.read(stdout, 1 << 20)
                    if not chunk:
                        raise EOFError
                    received += chunk
                    if len(received) >= HEADER.size:
                        size = HEADER.size + HEADER.unpack_from(received)[0]
                        if len(received) >= size:
                            return bytes(received[HEADER.size : size])
        return None

    def _kill(self) -> None:
        """Kill the worker's process group (its browser with it) and forget the worker."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.kill()  # no-op once it is dead; reaped below
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        self.proc = None

    def _give_up(self, why: str) -> str:
        """Skip the rest of the block for `why`; stops the worker if one runs."""
        if self.skip is None:
            self.skip = why
            log.warning("PNG previews skipped: %s", why)
        if self.proc is not None:
            self._kill()
        return self.skip

    def _budget_spent(self) -> str:
        return (
            f"the budget of {self.settings.step_budget_s:g} s for this step's PNG previews "
            f"is spent ({PNG_STEP_BUDGET_ENV})"
        )

    def _last_log_line(self) -> str:
        if self.tmp is None:
            return ""
        with contextlib.suppress(OSError):
            lines = (self.tmp / "worker.log").read_text(errors="replace").strip().splitlines()
            return f": {lines[-1][:200]}" if lines else ""
        return ""


_active: _Renderer | None = None  # the open png_renderer() block's renderer, if any


@contextlib.contextmanager
def png_renderer() -> Iterator[None]:
    """Keep one browser for every PNG rendered inside the block (a cold start costs ~3 s each), with a
    time budget for all of them; the browser is always stopped at the end. A nested block shares the
    outer one's browser and budget."""
    global _active
    if _active is not None:
        yield
        return
    _active = renderer = _Renderer()
    try:
        yield
    finally:
        _active = None
        renderer.close()


def figure_png(fig: go.Figure, width: int = 1000, height: int | None = None) -> tuple[bytes | None, str | None]:
    """(PNG bytes, None) or (None, why not). Outside a png_renderer() block each call starts its own browser."""
    if (renderer := _active) is not None:
        return renderer.render(fig, width, height)
    with png_renderer():
        return figure_png(fig, width, height)


def png_markdown(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data: image URLs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
