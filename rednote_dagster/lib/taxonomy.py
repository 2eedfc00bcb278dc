"""Feng, Dong & Lei (2025) Appendix B: the 7-category taxonomy of RedNote posts.

Single source of truth for topic codes: the corpus generator plants them, the labelling
schemes offer them to models, and the marts name them.
"""

from __future__ import annotations

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
