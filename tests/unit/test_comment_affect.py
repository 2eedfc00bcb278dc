"""Comment language, commenter group, topic group, and the emotion / stance label schemes."""

import polars as pl
import pytest

from rednote_dagster.lib.comment_affect import (
    comment_language,
    commenter_group,
    location_kind,
    with_language_and_group,
    with_topic_group,
)
from rednote_dagster.lib.corpus.names import CN_PROVINCES, FOREIGN_LOCATIONS
from rednote_dagster.lib.labelling.documents import comment_document
from rednote_dagster.lib.labelling.llm import parse_answer
from rednote_dagster.lib.labelling.schemes import EMOTION, SCHEMES, STANCE
from rednote_dagster.lib.taxonomy import TOPIC_GROUP_OF_CODE, TOPIC_GROUPS, TOPICS, topic_group


@pytest.mark.parametrize(
    "text, language",
    [
        ("欢迎来小红书！太可爱了", "zh"),
        ("welcome to RedNote, so cute", "en"),
        ("so cute 太可爱了吧爱了爱了", "other"),  # mixed
        ("😂😂[笑哭R]", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_comment_language(text, language):
    assert comment_language(text) == language


@pytest.mark.parametrize(
    "location, kind",
    [
        ("广东", "mainland"),
        ("内蒙古", "mainland"),
        ("广东省", "mainland"),
        ("新疆维吾尔自治区", "mainland"),
        ("中国", "mainland"),
        ("中国大陆", "mainland"),
        ("中国上海", "mainland"),
        ("IP属地：北京", "mainland"),
        ("香港", "greater_china"),
        ("澳门", "greater_china"),
        ("台湾", "greater_china"),
        ("中国台湾", "greater_china"),
        ("美国", "abroad"),
        ("新西兰", "abroad"),
        ("澳大利亚", "abroad"),
        ("日本", "abroad"),
        (None, "unknown"),
        ("", "unknown"),
        ("  ", "unknown"),
        ("未知", "unknown"),
    ],
)
def test_location_kind(location, kind):
    assert location_kind(location) == kind


def test_every_location_the_corpus_plants_is_read_as_planted():
    assert {location_kind(p) for p in CN_PROVINCES} == {"mainland"}
    assert {location_kind(p) for p in FOREIGN_LOCATIONS} == {"abroad"}


def test_commenter_group_ip_first_language_second():
    assert commenter_group("广东", "en") == "native"  # a native writing English
    assert commenter_group("美国", "zh") == "foreign"  # the IP wins, even over Chinese
    assert commenter_group("香港", "zh") == "native"
    assert commenter_group("香港", "zh", greater_china="foreign") == "foreign"
    assert commenter_group("台湾", "zh", greater_china="unknown") == "unknown"
    assert commenter_group(None, "zh") == "native"
    assert commenter_group("", "en") == "foreign"
    assert commenter_group(None, "other") == "unknown"
    with pytest.raises(ValueError):
        commenter_group("广东", "zh", greater_china="refugee")


def test_language_and_group_columns():
    comments = pl.DataFrame(
        {"content": ["你好呀", "hello friend", None, "😂"], "ip_location": [None, None, "美国", ""]}
    )
    out = with_language_and_group(comments)
    assert out["language"].to_list() == ["zh", "en", "other", "other"]
    assert out["commenter_group"].to_list() == ["native", "foreign", "foreign", "unknown"]


def test_topic_groups_cover_the_taxonomy():
    assert set(TOPIC_GROUP_OF_CODE) == set(TOPICS)
    assert {topic_group(c) for c in ("1a", "3a", "3b", "3c")} == {"political"}
    assert topic_group("2c") == "appearance"
    assert {topic_group(c) for c in ("2a", "2b", "5a", "6")} == {"cultural"}
    assert set(TOPIC_GROUP_OF_CODE.values()) == set(TOPIC_GROUPS)
    notes = with_topic_group(pl.DataFrame({"code": ["3c", "2c", None]}))
    assert notes["topic_group"].to_list() == ["political", "appearance", None]
    with pytest.raises(pl.exceptions.InvalidOperationError):
        with_topic_group(pl.DataFrame({"code": ["9z"]}))


def test_emotion_and_stance_schemes_are_plain_schemes():
    assert SCHEMES["emotion"] is EMOTION and SCHEMES["stance"] is STANCE
    assert {"contempt", "anger", "pride", "praise", "curiosity", "joy", "neutral"} == set(EMOTION.codes)
    assert STANCE.codes == ("pro-china", "neutral", "pro-foreign")
    for scheme in (EMOTION, STANCE):
        assert all(label.description for label in scheme.labels)
        assert all(code in scheme.system_prompt for code in scheme.codes)
        prompt = scheme.render_user_prompt(comment_document(" 太自豪了 ", "Letter to Li Hua"))
        assert "太自豪了" in prompt and "Letter to Li Hua" in prompt
        assert scheme.fingerprint() != SCHEMES["sentiment"].fingerprint()
    assert comment_document("  ", None).fields == {"comment": "No Comment", "title": "No Title"}
    # what an LLM is likely to answer maps onto the codes
    assert parse_answer("Pro-China", STANCE.codes) == "pro-china"
    assert parse_answer("Joy.", EMOTION.codes) == "joy"
    assert parse_answer("Pro-Foreign or neutral", STANCE.codes) is None
