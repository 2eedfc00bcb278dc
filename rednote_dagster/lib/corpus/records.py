"""MediaCrawler record dicts (key order as `store/xhs/__init__.py` writes them) for one crawl moment.

Pre-HEAD installs write the older schemas; the HEAD "teaching edition" install drops `user_id`,
`avatar`, `ip_location`, adds `creator_hash` and masks nicknames.
"""

from __future__ import annotations

import json
import random

from .crawl import Container
from .engagement import followers_at, interaction_at, shown
from .ids import (
    avatar_url,
    comment_picture_url,
    creator_hash,
    display_count,
    image_urls,
    mask_nickname,
    note_url,
    video_url,
    xsec_token,
)
from .model import Comment, Note, User
from .params import Knobs

LEGACY_CREATOR_MONTH = "2025-01"  # the one-line-JSON teammate upgraded their install in February


class RecordBuilder:
    def __init__(self, knobs: Knobs, rng: random.Random):
        self.knobs = knobs
        self.rng = rng
        self.tau = knobs.growth_tau_hours
        self._comment_totals: dict[int, int] = {}

    # -- notes ---------------------------------------------------------------------------------------
    def note(self, note: Note, ts: int, keyword: str, container: Container) -> dict:
        user = note.user
        counts = self._note_counts(note, ts, container.count_style)
        token = None if self.rng.random() < self.knobs.missing_token_prob else xsec_token(f"{note.note_id}:{ts}")
        last_update = (
            note.last_update_ms if note.last_update_ms < ts else (note.publish_ms if note.last_update_ms else 0)
        )
        head = container.kind == "head"
        record = {
            "note_id": note.note_id,
            "type": note.type,
            "title": note.title or note.desc[:255],
            "desc": note.desc,
            "video_url": video_url(note.note_id) if note.type == "video" else "",
            "time": note.publish_ms,
            "last_update_time": last_update,
        }
        if head:
            record["creator_hash"] = creator_hash(user.user_id)
            record["nickname"] = mask_nickname(user.nickname)
        else:
            record["user_id"] = user.user_id
            record["nickname"] = user.nickname
            record["avatar"] = avatar_url(user.user_id)
        record.update(counts)
        if not head:
            record["ip_location"] = user.ip_location if (note.idx % 29) else ""  # the API omits it now and then
        record["image_list"] = image_urls(note.note_id, note.n_images, ts)
        record["tag_list"] = ",".join(note.tags)
        record["last_modify_ts"] = ts
        record["note_url"] = note_url(note.note_id, token)
        record["source_keyword"] = keyword
        record["xsec_token"] = token
        return record

    def _note_counts(self, note: Note, ts: int, style: str) -> dict:
        if note.null_interact:  # interact_info missing upstream -> MediaCrawler writes null
            return {"liked_count": None, "collected_count": None, "comment_count": None, "share_count": None}
        visible = sum(1 for c in note.comments if c.create_ms < ts)
        comments = max(visible, shown(self._comment_total(note), note.publish_ms, ts, self.tau))
        return {
            "liked_count": display_count(shown(note.likes, note.publish_ms, ts, self.tau), style),
            "collected_count": display_count(shown(note.collects, note.publish_ms, ts, self.tau), style),
            "comment_count": display_count(comments, style),
            "share_count": display_count(shown(note.shares, note.publish_ms, ts, self.tau), style),
        }

    def _comment_total(self, note: Note) -> int:
        """All comments the note really has: uncrawled top-level ones plus every reply."""
        if note.idx not in self._comment_totals:
            replies = sum(len(c.replies) for c in note.comments if c.parent is None)
            self._comment_totals[note.idx] = max(note.top_total, note.k_top) + replies
        return self._comment_totals[note.idx]

    def true_counts(self, note: Note) -> dict[str, int]:
        """Integer counts at the note's last crawl (what `_truth/notes.csv` records)."""
        ts = max(note.crawl_times)
        visible = sum(1 for c in note.comments if c.create_ms < ts)
        return {
            "liked_count": shown(note.likes, note.publish_ms, ts, self.tau),
            "collected_count": shown(note.collects, note.publish_ms, ts, self.tau),
            "comment_count": max(visible, shown(self._comment_total(note), note.publish_ms, ts, self.tau)),
            "share_count": shown(note.shares, note.publish_ms, ts, self.tau),
        }

    # -- comments ------------------------------------------------------------------------------------
    def comment(self, comment: Comment, ts: int, note_crawl_ts: int, container: Container) -> dict:
        who = comment.commenter
        root = comment.parent is None
        sub_count = str(sum(1 for r in comment.replies if r < note_crawl_ts)) if root else 0
        picture = comment_picture_url(comment.comment_id, note_crawl_ts) if comment.has_picture else ""
        likes = shown(comment.like_final, comment.create_ms, note_crawl_ts, self.tau)
        if likes == 0 and self.rng.random() < self.knobs.int_zero_like_prob:
            like_value: str | int = 0  # key missing upstream -> MediaCrawler's int default
        else:
            like_value = display_count(likes, container.count_style)
        if container.kind == "head":
            return {
                "comment_id": comment.comment_id,
                "create_time": comment.create_ms,
                "note_id": comment.note.note_id,
                "content": comment.content,
                "creator_hash": creator_hash(who.user_id),
                "nickname": mask_nickname(who.nickname),
                "sub_comment_count": sub_count,
                "pictures": picture,
                "parent_comment_id": "" if root else comment.parent.comment_id,
                "last_modify_ts": ts,
                "like_count": like_value,
            }
        return {
            "comment_id": comment.comment_id,
            "create_time": comment.create_ms,
            "ip_location": who.ip_location,
            "note_id": comment.note.note_id,
            "content": comment.content,
            "user_id": who.user_id,
            "nickname": who.nickname,
            "avatar": who.avatar,
            "sub_comment_count": sub_count,
            "pictures": picture,
            "parent_comment_id": 0 if root else comment.parent.comment_id,
            "last_modify_ts": ts,
            "like_count": like_value,
        }

    # -- creators ------------------------------------------------------------------------------------
    def creator(self, user: User, ts: int, container: Container, month: str) -> dict:
        legacy = container.kind == "json1" and month == LEGACY_CREATOR_MONTH
        tags = {"info": user.info_tag, "location": user.location_tag}
        gender = user.gender
        if legacy and gender is None:
            gender = "男"  # before d929ad1 (2024-12-28) an unknown gender was written as '男'
        style = container.count_style
        return {
            "user_id": user.user_id,
            "nickname": user.nickname,
            "gender": gender,
            "avatar": avatar_url(user.user_id),
            "desc": user.bio,
            "ip_location": user.ip_location,
            "follows": str(user.follows) if user.follows else 0,
            "fans": display_count(followers_at(user, ts), style),
            "interaction": display_count(interaction_at(user, ts, self.tau), style),
            # old installs json.dumps'ed the tags with ensure_ascii=True -> \\uXXXX escapes
            "tag_list": json.dumps(tags, ensure_ascii=legacy),
            "last_modify_ts": ts,
        }
