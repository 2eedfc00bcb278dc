"""The in-memory world the generator plants before anything is written.

Plain `__slots__` classes: the paper scale holds ~45k notes and ~460k comments, so these stay lean.
Per-phase attributes are dicts keyed by `rednote_dagster.lib.phases.PHASES`.
"""

from __future__ import annotations

import datetime as dt


class User:
    __slots__ = (
        "idx",
        "user_id",
        "created_ms",
        "nickname",
        "gender",
        "bio",
        "location_tag",
        "info_tag",
        "ip_location",
        "follows",
        "z",
        "viral",
        "latent",
        "tier",
        "n_notes",
        "level",
        "followers",
        "head_era",
        "first_note_ms",
        "notes",
    )

    def __init__(self, idx: int, z: float):
        self.idx = idx
        self.z = z
        self.user_id = ""
        self.created_ms = 0
        self.nickname = ""
        self.gender: str | None = None
        self.bio = ""
        self.location_tag = ""
        self.info_tag: str | None = None
        self.ip_location = "美国"
        self.follows = 0
        self.viral = False
        self.latent: dict[str, float] = {}
        self.tier: dict[str, str] = {}
        self.n_notes: dict[str, int] = {}
        self.level: dict[str, float] = {}  # log-likes level per phase (engagement driver)
        self.followers = 0
        self.head_era = False
        self.first_note_ms = 0
        self.notes: list[Note] = []


class Note:
    __slots__ = (
        "idx",
        "note_id",
        "user",
        "publish_ms",
        "ny_date",
        "phase",
        "tier",
        "code",
        "sentiment",
        "lang",
        "type",
        "title",
        "desc",
        "tags",
        "keywords",
        "n_images",
        "last_update_ms",
        "likes",
        "collects",
        "shares",
        "top_total",
        "k_top",
        "crawl_times",
        "comments",
        "null_interact",
        "stages",
    )

    def __init__(self, user: User, publish_ms: int, ny_date: dt.date, phase: str):
        self.idx = 0
        self.note_id = ""
        self.user = user
        self.publish_ms = publish_ms
        self.ny_date = ny_date
        self.phase = phase
        self.tier = ""
        self.code = ""
        self.sentiment = 0
        self.lang = "en"
        self.type = "normal"
        self.title = ""
        self.desc = ""
        self.tags: list[str] = []
        self.keywords: list[str] = []
        self.n_images = 1
        self.last_update_ms = 0
        # final ("potential") engagement; what a crawl shows is a fraction of it, see engagement.py
        self.likes = 0
        self.collects = 0
        self.shares = 0
        self.top_total = 0  # top-level comments the note really has (most are never crawled)
        self.k_top = 0  # top-level comments that get crawled (<= 50)
        self.crawl_times: list[int] = []  # every crawl of the note (rolling and June)
        self.comments: list[Comment] = []
        self.null_interact = False
        self.stages: tuple[str, ...] = ()  # stage markers planted in the text (Jing & Zhang 2026)


class Comment:
    __slots__ = (
        "comment_id",
        "note",
        "parent",
        "create_ms",
        "content",
        "lang",
        "group",
        "sentiment",
        "commenter",
        "like_final",
        "replies",
        "has_picture",
        "emotion",
        "stance",
        "stages",
    )

    def __init__(self, note: Note, parent: Comment | None, create_ms: int, commenter: Commenter):
        self.comment_id = ""
        self.note = note
        self.parent = parent  # the replied-to comment (may itself be a reply); None for top-level
        self.create_ms = create_ms
        self.content = ""
        self.lang = "zh"
        self.group = commenter.group
        self.sentiment = 0
        self.commenter = commenter
        self.like_final = 0
        self.replies: list[int] = []  # sorted create_ms of every reply in this root's thread
        self.has_picture = False
        self.emotion = "neutral"  # Li et al. (2025) emotion, stance and the stage markers in the text
        self.stance = "neutral"
        self.stages: tuple[str, ...] = ()


class Commenter:
    __slots__ = ("user_id", "created_ms", "nickname", "avatar", "group", "ip_location")

    def __init__(self, user_id: str, created_ms: int, nickname: str, avatar: str, group: str, ip_location: str | None):
        self.user_id = user_id
        self.created_ms = created_ms
        self.nickname = nickname
        self.avatar = avatar
        self.group = group  # "native" (RedNote native) or "foreign"
        self.ip_location = ip_location
