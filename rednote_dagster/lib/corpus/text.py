"""Note and comment text that carries the planted topic, sentiment, emotion, stance and stage
markers in its words.

A text is composed from independent slot lists - opening, topic clause (topic vocabulary), detail,
sentiment clause (one of five intensity levels), closing, emoji, RedNote markers and hashtags - in
English and Chinese, plus noise (typos, lower-casing, a passing mention of another topic). Comments
carry their emotion in the sentiment phrase itself, their stance in a clause of its own, and the
stage markers (猫税, 对账, 李华) in phrases of their own. The phrases are data: `data/notes.toml`,
`data/comments.toml` and `data/marks.toml`, read through `tables.table`.
"""

from __future__ import annotations

import random
import re

from .tables import table

# Read once, on import; as module attributes because tests/unit/test_sentiment_backends.py collects
# the corpus phrases from this module.
NOTES, COMMENTS, MARKS = table("notes"), table("comments"), table("marks")
SLOTS, EMOJI, MARKERS = NOTES["slots"], MARKS["emoji"], MARKS["markers"]

_SLOT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[A-Za-z]{5,}")


class TextComposer:
    """Composes note bodies and comments from the banks with one `random.Random`."""

    def __init__(self, rng: random.Random, topic_bleed: float):
        self.rng = rng
        self.topic_bleed = topic_bleed
        self._codes = tuple(NOTES["topic"]["en"])

    # -- helpers -----------------------------------------------------------------------------------
    def _fill(self, template: str) -> str:
        if "{" not in template:
            return template
        return _SLOT.sub(lambda m: self.rng.choice(SLOTS[m.group(1)]), template)

    def _pick(self, bank: tuple[str, ...]) -> str:
        return self._fill(self.rng.choice(bank))

    def _typo(self, text: str) -> str:
        words = list(_WORD.finditer(text))
        if not words:
            return text
        m = self.rng.choice(words)
        i = m.start() + self.rng.randrange(len(m.group()) - 1)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def _emoji(self, sentiment: int, k: int) -> str:
        return "".join(self.rng.choice(EMOJI[sentiment]) for _ in range(k))

    # -- notes -------------------------------------------------------------------------------------
    def note_body(self, code: str, sentiment: int, lang: str) -> tuple[str, str]:
        """(headline, body) for a note; the headline is the topic clause, used when a title is set."""
        if lang == "zh":
            return self._zh_note(code, sentiment)
        return self._en_note(code, sentiment, mixed=lang == "mixed")

    def _en_note(self, code: str, sentiment: int, mixed: bool) -> tuple[str, str]:
        rng = self.rng
        head = self._pick(NOTES["topic"]["en"][code])
        head = head[0].upper() + head[1:]
        parts = []
        if mixed and rng.random() < 0.6:
            parts.append(rng.choice(NOTES["open"]["zh"]))
        elif rng.random() < 0.55:
            parts.append(self._pick(NOTES["open"]["en"]))
        parts.append(head + ".")
        if rng.random() < 0.7:
            parts.append(self._pick(NOTES["detail"]["en"][code]))
        if rng.random() < self.topic_bleed:
            parts.append(self._pick(NOTES["detail"]["en"][rng.choice(self._codes)]))
        # a mixed note has at least one Chinese sentence: the greeting, the sentiment, or both
        use_zh = mixed and (parts[0] not in NOTES["open"]["zh"] or rng.random() < 0.5)
        parts.append(rng.choice(NOTES["sentiment"]["zh" if use_zh else "en"][sentiment]))
        if abs(sentiment) == 2 and rng.random() < 0.35:
            parts.append(rng.choice(NOTES["sentiment"]["en"][sentiment]))
        if rng.random() < 0.15:
            parts.append(rng.choice(NOTES["filler"]["en"]))
        if rng.random() < 0.45:
            parts.append(rng.choice(NOTES["close"]["en"]))
        body = (" " if rng.random() < 0.6 else "\n").join(parts)
        if rng.random() < 0.6:
            body += " " + self._emoji(sentiment, rng.randint(1, 3))
        if rng.random() < 0.2:
            body = body.lower()
        if rng.random() < 0.25:
            body = self._typo(body)
        return head, body

    def _zh_note(self, code: str, sentiment: int) -> tuple[str, str]:
        rng = self.rng
        head = self._pick(NOTES["topic"]["zh"][code])
        parts = []
        if rng.random() < 0.6:
            parts.append(rng.choice(NOTES["open"]["zh"]))
        parts.append(head + "。")
        if rng.random() < 0.6:
            parts.append(rng.choice(NOTES["detail"]["zh"][code]))
        parts.append(rng.choice(NOTES["sentiment"]["zh"][sentiment]))
        if rng.random() < 0.2:
            parts.append(rng.choice(NOTES["filler"]["zh"]))
        if rng.random() < 0.35:
            parts.append(rng.choice(NOTES["close"]["zh"]))
        body = ("" if rng.random() < 0.6 else "\n").join(parts)
        if rng.random() < 0.5:
            body += self._emoji(sentiment, rng.randint(1, 2))
        if rng.random() < 0.3:  # US users writing Chinese often add the English too
            body += "\n(" + self._pick(NOTES["topic"]["en"][code]) + ")"
        return head, body

    def hashtags(self, code: str, keywords: list[str]) -> list[str]:
        """Tag names: one per search keyword the note matches, then 0-2 topic tags, maybe a general one."""
        rng, bank = self.rng, NOTES["hashtags"]
        tags = [rng.choice(bank["keyword"][k]) for k in keywords]
        for tag in rng.sample(bank["topic"][code], min(len(bank["topic"][code]), rng.randint(0, 2))):
            if tag not in tags:
                tags.append(tag)
        if rng.random() < 0.3:
            tags.append(rng.choice(bank["general"]))
        return tags

    # -- stage markers -----------------------------------------------------------------------------
    def note_stage(self, stage: str, lang: str) -> str:
        """A sentence naming a stage's practice, in the note's language (either one for a mixed note)."""
        zh = lang == "zh" or (lang == "mixed" and self.rng.random() < 0.5)
        return self._pick(NOTES["stage"]["zh" if zh else "en"][stage])

    # -- comments ----------------------------------------------------------------------------------
    def comment(
        self, code: str, sentiment: int, lang: str, emotion: str, stance: str, stages: tuple[str, ...] = ()
    ) -> tuple[str, tuple[str, ...]]:
        """(text, the stages whose phrases it carries). 5 % of comments are nothing but emoji or
        markers: only their rough polarity is readable, and they carry no stage phrase."""
        rng = self.rng
        if rng.random() < 0.05:
            return self._reaction_only(sentiment), ()
        if lang == "en":
            return self._en_comment(code, sentiment, emotion, stance, stages), stages
        text = self._zh_comment(code, sentiment, emotion, stance, stages)
        if lang == "mixed":  # a native adding some English, before or after
            if rng.random() < 0.5:
                text = self._core("en", emotion, sentiment) + " " + text
            else:
                text += " " + rng.choice(("lol", "haha", "omg", "hi"))
        return text, stages

    def _reaction_only(self, sentiment: int) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return self._emoji(sentiment, rng.randint(1, 3))
        return "".join(rng.choice(MARKERS[sentiment]) for _ in range(rng.randint(1, 3)))

    def _core(self, lang: str, emotion: str, sentiment: int) -> str:
        """Emotion phrase + tail. 15 % of very positive / very negative comments use the emotion's
        milder words and show their intensity only through emphatic punctuation and emoji."""
        rng = self.rng
        bank = COMMENTS["emotion"][lang][emotion]
        tails = COMMENTS["question_tail"][lang] if emotion == "curiosity" else COMMENTS["tail"][lang][sentiment]
        if abs(sentiment) == 2 and rng.random() < 0.15:
            return rng.choice(bank[sentiment // 2]) + rng.choice(tails) + self._emoji(sentiment, 3)
        return rng.choice(bank[sentiment]) + rng.choice(tails)

    def _with_stance(self, core: str, lang: str, stance: str) -> str:
        """A stance clause before or after the core: always for a side, sometimes an even-handed one."""
        rng = self.rng
        if stance == "neutral" and rng.random() >= NEUTRAL_CLAUSE_SHARE:
            return core
        clause = rng.choice(COMMENTS["stance"][lang][stance])
        return _then(clause, core, lang) if rng.random() < 0.3 else _then(core, clause, lang)

    def _with_stages(self, core: str, lang: str, stages: tuple[str, ...]) -> str:
        for stage in stages:
            core = _then(core, self._pick(COMMENTS["stage"][lang][stage]), lang)
        return core

    def _en_comment(self, code: str, sentiment: int, emotion: str, stance: str, stages: tuple[str, ...]) -> str:
        rng = self.rng
        core = self._core("en", emotion, sentiment)
        r = rng.random()
        if r < 0.25:
            core = f"{rng.choice(COMMENTS['topic']['en'][code])}? {core}"
        elif r < 0.45:
            core = f"{core} ({rng.choice(COMMENTS['topic']['en'][code])})"
        if rng.random() < 0.4:
            core = rng.choice(COMMENTS["open"]["en"][emotion]) + core
        core = self._with_stance(core, "en", stance)
        if rng.random() < 0.1:  # before the stage phrase, so a typo never breaks a stage marker
            core = self._typo(core)
        core = self._with_stages(core, "en", stages)
        if rng.random() < 0.5:
            core += " " + self._emoji(sentiment, rng.randint(1, 2))
        if rng.random() < 0.1:
            core += rng.choice(MARKERS[sentiment])
        return core

    def _zh_comment(self, code: str, sentiment: int, emotion: str, stance: str, stages: tuple[str, ...]) -> str:
        rng = self.rng
        core = self._core("zh", emotion, sentiment)
        if rng.random() < 0.45:
            core = f"{rng.choice(COMMENTS['topic']['zh'][code])}，{core}"
        if rng.random() < 0.35:
            core = rng.choice(COMMENTS["open"]["zh"][emotion]) + core
        core = self._with_stages(self._with_stance(core, "zh", stance), "zh", stages)
        if rng.random() < 0.45:
            core += rng.choice(MARKERS[sentiment])
        if rng.random() < 0.2:
            core += self._emoji(sentiment, 1)
        if code in ("5a", "5c") and rng.random() < 0.3:
            core += " #猫税[话题]#"
        return core


NEUTRAL_CLAUSE_SHARE = 0.2  # neutral comments that still weigh the two countries evenly


def _then(first: str, second: str, lang: str) -> str:
    """Two sentences in a row: a full stop between them unless the first already ends one (the
    lexicon backend scores sentence by sentence, so a clause must not merge into the core)."""
    if lang == "en":
        return f"{first} {second}" if first.endswith((".", "!", "?")) else f"{first}. {second}"
    return first + second if first.endswith(("。", "！", "？", "～")) else f"{first}。{second}"
