"""The process that renders plotly figures to PNG for images.py: one Kaleido (one headless browser)
for as many figures as it is sent, in a process of its own so that a browser that hangs can be killed.

    python -m rednote_dagster.lib.report.png_worker /usr/bin/chromium

Frames on stdin and stdout are a 4-byte big-endian length and a payload. A request is the JSON
``{"figure": ..., "width": ..., "height": ...}``; the reply is ``P`` + the PNG, ``E`` + why this figure
failed, or ``F`` + why nothing can be rendered (then the worker exits). End of stdin: close and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import struct
import sys
import threading
import time
from typing import BinaryIO

log = logging.getLogger(__name__)

HEADER = struct.Struct(">I")


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload, or None at end of stream."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def describe(exc: BaseException) -> bytes:
    """The exception's name and first line (choreographer's errors carry several strings of advice)."""
    text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    first_line = text.strip().splitlines()[0][:300] if text.strip() else ""
    return f"{type(exc).__name__}: {first_line}".encode()


def keep_browser_in_our_process_group() -> None:
    """choreographer starts the browser in a session of its own; keep it in ours, so that images.py
    killing this worker's process group on a time-out takes the browser with it."""
    from choreographer.browsers.chromium import Chromium

    popen_args = Chromium.get_popen_args

    def without_new_session(self: Chromium) -> dict:
        return {k: v for k, v in popen_args(self).items() if k != "start_new_session"}

    Chromium.get_popen_args = without_new_session


def exit_with_parent() -> None:
    """If images.py's process dies without closing us (killed run), take the browser down too."""
    parent = os.getppid()
    if os.getpgid(0) != os.getpid():  # not started as its own process group: nothing of ours to end
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


async def serve(browser: str, requests: BinaryIO, replies: BinaryIO) -> None:
    import kaleido

    try:
        # An explicit path: choreographer's own search prefers a browser it once downloaded.
        # mathjax=False: the default loads MathJax from a CDN, and the report's figures use no TeX.
        async with kaleido.Kaleido(path=browser, mathjax=False) as k:
            while (request := await asyncio.to_thread(read_frame, requests)) is not None:
                try:
                    job = json.loads(request)
                    opts = {"format": "png", "width": job["width"], "height": job["height"], "scale": 1}
                    write_frame(replies, b"P" + await k.calc_fig(job["figure"], opts=opts))
                except Exception as exc:  # this figure only; the browser stays up for the next
                    write_frame(replies, b"E" + describe(exc))
    except Exception as exc:  # the browser did not start (or crashed)
        log.exception("PNG worker failed")
        with contextlib.suppress(OSError):  # images.py already gone
            write_frame(replies, b"F" + describe(exc))


def main() -> None:
    # Frames go to a private copy of stdout; whatever a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    exit_with_parent()
    keep_browser_in_our_process_group()
    asyncio.run(serve(sys.argv[1], sys.stdin.buffer, replies))


if __name__ == "__main__":
    main()
