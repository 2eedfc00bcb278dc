"""Text helpers shared by every labelling step: what text a note is, and which script it is in."""

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# MediaCrawler hashtags look like "#TikTokRefugee[话题]#"; the marker is markup, not language.
_TOPIC_MARKUP = re.compile(r"\[话题\]#?")


def note_text(title: str | None, description: str | None) -> str:
    """Title and description as one text; MediaCrawler repeats the description as the title when a
    note has none, so a title that the description already starts with is not doubled."""
    title, description = (title or "").strip(), (description or "").strip()
    if not title or description.startswith(title):
        return description
    if not description or title.startswith(description):
        return title
    return f"{title}\n{description}"


def script_of(text: str) -> str:
    """'zh', 'en', 'mixed' or 'none' by how much of the text is Chinese characters vs Latin words."""
    text = _TOPIC_MARKUP.sub("", text or "")
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if not cjk and not words:
        return "none"
    # ~1.5 Chinese characters carry about what one English word does
    zh_share = (cjk / 1.5) / (cjk / 1.5 + words)
    if zh_share >= 0.8:
        return "zh"
    if zh_share <= 0.2:
        return "en"
    return "mixed"


def without_markup(text: str) -> str:
    return _TOPIC_MARKUP.sub("", text or "")
