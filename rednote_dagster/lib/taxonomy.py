"""Feng, Dong & Lei (2025) Appendix B: the 7-category taxonomy of RedNote posts.

Single source of truth for topic codes: the corpus generator plants them, the labelling
schemes offer them to models, and the marts name them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TopicCode:
    code: str
    name: str
    category: str  # top-level category number as text, "1" … "7"
    category_name: str


CATEGORIES: dict[str, str] = {
    "1": "Platform Migration & Adaptation",
    "2": "Cross-Cultural Communication & Identity",
    "3": "Social & Political Discourse",
    "4": "Marketing & E-Commerce",
    "5": "Creative Expression & Social Interaction",
    "6": "Arts & Creativity",
    "7": "Unknown / Not Relevant",
}

_NAMES: dict[str, str] = {
    "1a": "About TikTok Ban / Censorship",
    "1b": "About Adjusting to RedNote",
    "2a": "Language & Cultural Exchange",
    "2b": "National Identity & Stereotypes",
    "2c": "Food, Lifestyle & Fashion",
    "3a": "Political & Social Movements",
    "3b": "Free Speech & Digital Rights",
    "3c": "Digital Nationalism & Globalization",
    "4": "Marketing & E-Commerce",
    "5a": "Memes & Humor",
    "5b": "Self-Expression & Personal Stories",
    "5c": "Friendship & Community Building",
    "6": "Arts & Creativity",
    "7": "Unknown / Not Relevant",
}

TOPICS: dict[str, TopicCode] = {
    code: TopicCode(code=code, name=name, category=code[0], category_name=CATEGORIES[code[0]])
    for code, name in _NAMES.items()
}

TOPIC_CODES: tuple[str, ...] = tuple(TOPICS)


def category_of(code: str) -> str:
    """Top-level category ("1" … "7") of a code such as "2c" or "4"."""
    return TOPICS[code].category


# Li et al. (2025) compare affect across three topic groups - political, appearance, cultural -
# found by topic modelling. The pipeline codes notes in Feng et al.'s taxonomy, so the groups are
# unions of codes:
# * political: 1a ban / censorship, 3a political & social movements, 3b free speech & digital
#   rights, 3c digital nationalism & globalization - every code about states, laws, geopolitics.
# * appearance: 2c food, lifestyle & fashion - the only code about looks (outfits, clothes,
#   makeup). It also holds food and daily-life posts, so this group is broader than Li et al.'s;
#   the taxonomy cannot split it further.
# * cultural: 2a language & cultural exchange, 2b national identity & stereotypes, 5a memes &
#   humor (the cat tax is a cultural ritual, Jing & Zhang 2026 §4), 6 arts & creativity.
# * other: 1b adjusting to RedNote, 4 marketing, 5b personal stories, 5c friendship, 7 unknown -
#   in none of Li et al.'s groups.
TOPIC_GROUPS: tuple[str, ...] = ("political", "appearance", "cultural", "other")
TOPIC_GROUP_OF_CODE: dict[str, str] = {
    "1a": "political",
    "3a": "political",
    "3b": "political",
    "3c": "political",
    "2c": "appearance",
    "2a": "cultural",
    "2b": "cultural",
    "5a": "cultural",
    "6": "cultural",
    "1b": "other",
    "4": "other",
    "5b": "other",
    "5c": "other",
    "7": "other",
}
if set(TOPIC_GROUP_OF_CODE) != set(TOPICS) or set(TOPIC_GROUP_OF_CODE.values()) != set(TOPIC_GROUPS):
    raise AssertionError("every taxonomy code needs exactly one topic group")


def topic_group(code: str) -> str:
    """political / appearance / cultural / other for a code such as "3c"."""
    return TOPIC_GROUP_OF_CODE[code]


# The columns of enrich.note_topics that describe a note's code, in table order.
CODE_COLUMNS: dict[str, Callable[[str], str]] = {
    "code_name": lambda code: TOPICS[code].name,
    "category": category_of,
    "category_name": lambda code: TOPICS[code].category_name,
    "topic_group": topic_group,
}
