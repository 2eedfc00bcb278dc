"""Who comments, in which language, under which kind of post: the cells of Li et al. (2025).

Li et al. cross comment emotion with stance, topic group (political / appearance / cultural) and
identity (Chinese users vs foreign "TikTok refugees"). The emotion and stance labels come from
the label schemes (``lib/labelling/schemes.py``); this module derives the rest, Dagster-free.

**Comment language** (:func:`comment_language`): ``zh`` / ``en`` / ``other`` from
:func:`~rednote_dagster.lib.labelling.text.script_of`. ``other`` is everything else: mixed
Chinese-English comments, emoji- or sticker-only comments and other scripts (kana, hangul …).
Sticker codes such as [笑哭R] are removed first: they are markup, not Chinese.

**Commenter group** (:func:`commenter_group`): ``native`` (RedNote native) / ``foreign`` /
``unknown``, from the comment's ``ip_location`` first, its language second:

1. A provincial-level region of mainland China (the 31 short names as the platform writes
   them: 广东, 内蒙古, 新疆 …; a long form such as 广东省 or 内蒙古自治区 and a leading
   "中国" or "IP属地：" are tolerated), or China without a region (中国, 中国大陆) -> ``native``.
2. 香港 / 澳门 / 台湾 -> ``native`` by default: the platform writes them as regions like the
   provinces, and their users are long-standing, Chinese-writing RedNote users rather than
   TikTok refugees. Pass ``greater_china="foreign"`` (or ``"unknown"``) to count them otherwise.
3. Any other non-empty location -> ``foreign``. The platform writes foreign locations as country
   names in Chinese (美国, 英国, 加拿大, 澳大利亚 …), so anything that is not a Chinese region is a
   country abroad; no country list is needed.
4. No location (null, "", or a placeholder such as 未知 from other crawlers; MediaCrawler writes
   null for comments when the API omits it) -> the language decides: ``zh`` -> ``native``,
   ``en`` -> ``foreign``, ``other`` -> ``unknown``.

The IP location is the platform's own statement and wins over language. Consequence to keep in
mind on real data: an overseas Chinese user (IP 美国, writing Chinese) counts as ``foreign``, and
a native writing English with no IP shown counts as ``foreign`` too.

**Topic group**: Li et al.'s political / appearance / cultural groups, mapped from the taxonomy
codes in ``lib/taxonomy.py`` (:data:`~rednote_dagster.lib.taxonomy.TOPIC_GROUP_OF_CODE`, where
the mapping and its reasons are documented); :func:`with_topic_group` adds it to a frame.
"""

from __future__ import annotations

import re

import polars as pl

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun
from rednote_dagster.lib.labelling.rows import coded_rows
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.text import script_of
from rednote_dagster.lib.taxonomy import TOPIC_GROUP_OF_CODE

LANGUAGES: tuple[str, ...] = ("zh", "en", "other")
GROUPS: tuple[str, ...] = ("native", "foreign", "unknown")

MAINLAND_REGIONS: tuple[str, ...] = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
)
GREATER_CHINA_REGIONS: tuple[str, ...] = ("香港", "澳门", "台湾")
CHINA_UNSPECIFIED: frozenset[str] = frozenset({"中国", "中国大陆", "大陆"})
UNKNOWN_LOCATIONS: frozenset[str] = frozenset({"", "未知", "unknown", "其他", "none", "null"})
_LOCATION_PREFIXES = ("IP属地：", "IP属地:", "IP属地", "中国")
# RedNote stickers arrive as text codes ([笑哭R], [赞R], [doge]): markup, not the comment's language
_STICKER = re.compile(r"\[[^\[\]\s]{1,6}\]")


def comment_language(text: str | None) -> str:
    script = script_of(_STICKER.sub("", text or ""))
    return script if script in ("zh", "en") else "other"


def location_kind(ip_location: str | None) -> str:
    """``mainland`` / ``greater_china`` / ``abroad`` / ``unknown`` for an ip_location value."""
    location = (ip_location or "").strip()
    for prefix in _LOCATION_PREFIXES:
        if location.startswith(prefix) and location not in CHINA_UNSPECIFIED:
            location = location[len(prefix) :].strip()
    if location.casefold() in UNKNOWN_LOCATIONS:
        return "unknown"
    if location in CHINA_UNSPECIFIED or location.startswith(MAINLAND_REGIONS):
        return "mainland"
    if location.startswith(GREATER_CHINA_REGIONS):
        return "greater_china"
    return "abroad"


def commenter_group(ip_location: str | None, language: str, greater_china: str = "native") -> str:
    """native / foreign / unknown by the rule in the module docstring."""
    if greater_china not in GROUPS:
        raise ValueError(f"greater_china must be one of {GROUPS}, not {greater_china!r}")
    kind = location_kind(ip_location)
    if kind == "mainland":
        return "native"
    if kind == "greater_china":
        return greater_china
    if kind == "abroad":
        return "foreign"
    return {"zh": "native", "en": "foreign"}.get(language, "unknown")


def with_language_and_group(
    comments: pl.DataFrame, text_col: str = "content", ip_col: str = "ip_location", greater_china: str = "native"
) -> pl.DataFrame:
    """``comments`` plus ``language`` and ``commenter_group`` columns."""
    language = pl.col(text_col).map_elements(comment_language, return_dtype=pl.String, skip_nulls=False)
    framed = comments.with_columns(language.alias("language"))
    group = pl.struct(ip_col, "language").map_elements(
        lambda row: commenter_group(row[ip_col], row["language"], greater_china), return_dtype=pl.String
    )
    return framed.with_columns(group.alias("commenter_group"))


def with_topic_group(notes: pl.DataFrame, code_col: str = "code") -> pl.DataFrame:
    """``notes`` plus a ``topic_group`` column mapped from ``code_col`` (a missing code stays
    missing; a code outside the taxonomy is an error)."""
    return notes.with_columns(
        pl.col(code_col).replace_strict(TOPIC_GROUP_OF_CODE, return_dtype=pl.String).alias("topic_group")
    )


def affect_rows(
    comments: pl.DataFrame, documents: list[Document], run: LabelRun, backend: LabelBackend, training_ids: set[str]
) -> pl.DataFrame:
    """Rows of enrich.comment_emotion / enrich.comment_stance for the month's ``comments`` (comment_id,
    note_id, collection_month, content, ip_location), one per document: keys, language, commenter group,
    then the code with its label and provenance (``coded_rows``)."""
    framed = with_language_and_group(
        comments.select("comment_id", "note_id", "collection_month", "content", "ip_location")
    )
    keys = framed.select("comment_id", "note_id", "collection_month", "language", "commenter_group")
    scheme = backend.scheme
    return coded_rows(
        keys, "comment_id", documents, run, backend, training_ids, {"label": lambda code: scheme.label(code).name}
    )
