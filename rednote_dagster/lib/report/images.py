"""Static PNGs of the report's plotly figures, for the Dagster UI's markdown previews.

Plotly renders PNGs through Kaleido, which drives a Chrome or Chromium already on the machine
(Debian's ``chromium`` package here; Kaleido never downloads one unless asked). Without a browser
the previews are skipped with the reason, and the HTML report itself does not need one.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterator

import plotly.graph_objects as go

log = logging.getLogger(__name__)


@contextlib.contextmanager
def png_renderer() -> Iterator[None]:
    """Keep one browser for every PNG rendered inside the block (a cold start costs ~3 s each)."""
    try:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
    except Exception as exc:  # no kaleido or no browser: figure_png reports it per figure
        log.debug("no persistent Kaleido server: %s", exc)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            kaleido.stop_sync_server(silence_warnings=True)


def figure_png(fig: go.Figure, width: int = 1000, height: int | None = None) -> tuple[bytes | None, str | None]:
    """(PNG bytes, None) or (None, why not)."""
    try:
        return fig.to_image(format="png", width=width, height=height or fig.layout.height or 480, scale=1), None
    except Exception as exc:  # ChromeNotFoundError, a missing kaleido, a crashed browser
        return None, f"PNG preview skipped: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def png_markdown(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data: image URLs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
