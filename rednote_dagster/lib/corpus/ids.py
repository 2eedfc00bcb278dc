"""Identifiers, opaque tokens, CDN URLs and display strings, shaped like what the xhs API returns.

Everything here is a pure function of its inputs (or of the factory's own `random.Random`), so the
corpus stays byte-identical for a given seed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the CDN signs image URLs with a Beijing-time stamp


class IdFactory:
    """24-hex ids built like Mongo ObjectIds: 8 hex of unix seconds, then 16 hex.

    xhs ids look like `6785219f000000xxxxxxxxxx` (Feng et al. Appendix A), so the first 8 hex are
    the creation second of the note / comment / account and can be checked against its timestamp.
    """

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._used: set[str] = set()  # membership only, never iterated

    def make(self, epoch_ms: int) -> str:
        seconds = epoch_ms // 1000
        while True:
            candidate = f"{seconds:08x}000000{self._rng.getrandbits(40):010x}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate


def digest(key: str, size: int = 16) -> str:
    """Stable hex digest of a key (used for tokens and URLs that must not consume RNG state)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=size).hexdigest()


def xsec_token(key: str) -> str:
    """An xsec_token-like opaque string: 'AB' + 42 base64 characters + '='."""
    raw = base64.b64encode(hashlib.sha256(key.encode("utf-8")).digest()).decode("ascii")
    return "AB" + raw[:42].replace("/", "_").replace("+", "-") + "="


def note_url(note_id: str, token: str | None) -> str:
    # MediaCrawler's f-string; a missing token becomes the text "None".
    return f"https://www.xiaohongshu.com/explore/{note_id}?xsec_token={token}&xsec_source=pc_search"


def avatar_url(user_id: str) -> str:
    key = digest("avatar" + user_id, 12)
    return f"https://sns-avatar-qc.xhscdn.com/avatar/1040g2jo{key}?imageView2/2/w/120/format/jpg"


def _cdn_stamp(crawl_ms: int) -> str:
    return dt.datetime.fromtimestamp(crawl_ms / 1000, tz=SHANGHAI).strftime("%Y%m%d%H%M")


def image_urls(note_id: str, n_images: int, crawl_ms: int) -> str:
    """Comma-joined signed image URLs; the signature and stamp change with every crawl (they expire)."""
    stamp = _cdn_stamp(crawl_ms)
    urls = []
    for i in range(n_images):
        sig = digest(f"sig:{note_id}:{i}:{crawl_ms}")
        key = digest(f"img:{note_id}:{i}", 12)
        urls.append(f"http://sns-webpic-qc.xhscdn.com/{stamp}/{sig}/1040g{key}!nd_dft_wlteh_webp_3")
    return ",".join(urls)


def video_url(note_id: str) -> str:
    return f"http://sns-video-bd.xhscdn.com/spectrum/1040g0jg{digest('video' + note_id, 12)}"


def comment_picture_url(comment_id: str, crawl_ms: int) -> str:
    sig = digest(f"csig:{comment_id}:{crawl_ms}")
    key = digest("cimg" + comment_id, 12)
    return f"http://sns-webpic-qc.xhscdn.com/{_cdn_stamp(crawl_ms)}/{sig}/comment/1040g{key}!nc_n_webp_mw_1"


def display_count(n: int, style: str = "wan") -> str:
    """The raw display string xhs sends for a count: "44", "1.2万" (or "1.2w"), "10万+".

    One decimal, truncated (the app floors). `style` "w" is another client vintage's unit.
    """
    if n < 10_000:
        return str(n)
    unit = "w" if style == "w" else "万"
    if n >= 100_000:
        return f"10{unit}+"
    tenths = n // 1_000
    return f"{tenths // 10}.{tenths % 10}{unit}"


def mask_nickname(name: str | None) -> str:
    """MediaCrawler HEAD `tools/user_hash.py::mask_nickname`."""
    if name is None:
        return ""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "***" + name[-1]


def creator_hash(user_id: str | None) -> str:
    """MediaCrawler HEAD `anonymize_user_id`: sha256(str(user_id)).hexdigest()[:16], "" without an id."""
    if user_id is None or not str(user_id).strip():
        return ""
    return hashlib.sha256(str(user_id).strip().encode("utf-8")).hexdigest()[:16]
