"""``SnowNLP(sentence).sentiments``, bit for bit, ~10× faster.

Why: ~93 % of the lexicon backend's time went to SnowNLP's character tagger
(``snownlp/seg/y09_2047.py``, a Viterbi whose every step goes through ``NormalProb`` method
calls): ~750 comments/s, ~8000 with this module (measured on the benchmark warehouse).
Here the same Viterbi runs over the model's plain dicts, only over tag triples that occur in the
model (any other triple has trigram count 0, which adds exactly 0), with the same float
expressions in the same order and the same tie-breaking (first maximum wins), so the words — and
then SnowNLP's own stop-word filter and Bayes classifier, called unchanged — give the same value.
Mirrors snownlp :data:`VERIFIED_SNOWNLP`; with any other installed version :func:`sentiments`
simply calls SnowNLP. (SnowNLP("") raises in its BM25 set-up; here "" gets
``snownlp.sentiment.classify("")``.) Checked in ``tests/unit/test_sentiment_backends.py``.
"""

from functools import lru_cache
from importlib.metadata import version
from math import inf, log

VERIFIED_SNOWNLP = "0.12.3"

_TAGS = ("b", "m", "e", "s")  # CharacterBasedGenerativeModel.status, in its order
_BOS = ("", "BOS")


class _Tagger:
    """CharacterBasedGenerativeModel.tag over the loaded model's dicts. Tags are numbered in
    ``status`` order; from the second character on, the 16 Viterbi states (previous tag a, tag s)
    sit at index s * 4 + a, which is the insertion order of the original ``stage`` dict."""

    def __init__(self, model):
        self.uni, self.bi, self.tri = model.uni.d, model.bi.d, model.tri.d
        self.total = model.uni.total
        self.l1, self.l2, self.l3 = model.l1, model.l2, model.l3
        index = {t: i for i, t in enumerate(_TAGS)}
        # Only (t2, t3) / (t1, t2, t3) tag combinations with some count in the model can add a
        # non-zero bi / tri term; per position kind (0: first character, both before it BOS;
        # 1: second, one BOS; 2: later) those are looked up, everything else adds exactly 0.
        bi_tags = sorted({(a[1], b[1]) for a, b in self.bi})
        tri_tags = sorted({(a[1], b[1], c[1]) for a, b, c in self.tri})
        self.bi_terms, self.tri_terms = [], []
        for kind in range(3):
            before = [("BOS",), ("BOS",)] if kind == 0 else [("BOS",), _TAGS] if kind == 1 else [_TAGS, _TAGS]
            self.bi_terms.append(
                [
                    (index[t2] * 4 + index[t3], index[t2], index[t3])
                    for t2, t3 in bi_tags
                    if t2 in before[1] and t3 in index
                ]
                if kind
                else [(index[t3], 0, index[t3]) for t2, t3 in bi_tags if t2 == "BOS" and t3 in index]
            )
            self.tri_terms.append(
                [
                    (i1 * 16 + i2 * 4 + i3, i2 * 4 + i3, i1, i2, i3)
                    for t1, t2, t3 in tri_tags
                    if t1 in before[0] and t2 in before[1] and t3 in index
                    for i1, i2, i3 in [(index.get(t1, 0), index.get(t2, 0), index[t3])]
                ]
            )
        self.unigram = lru_cache(maxsize=32768)(self._unigram)
        self.bos = (False, None, None, (_BOS,) * 4)

    def _unigram(self, w):
        """(found, l1 * freq((w, s)), their logs, states (w, s)) for the four tags; found as in
        tag(): some freq((w, s)) != 0."""
        states = tuple((w, s) for s in _TAGS)
        counts = [self.uni.get(st, 0) for st in states]
        u = [self.l1 * (float(c) / self.total) for c in counts]
        return any(c != 0 for c in counts), u, [log(x) if x != 0 else -inf for x in u], states

    def log_probs(self, kind, c1, c2, c3):
        """log_prob(s1, s2, s3) for every tag triple, flat at t1 * 16 + t2 * 4 + t3 (BOS = 0);
        c1..c3 are unigram() of the three characters (self.bos before the start)."""
        uni, bi, tri, l2, l3 = self.uni, self.bi, self.tri, self.l2, self.l3
        u3, lu3, st3 = c3[1], c3[2], c3[3]
        st1, st2 = c1[3], c2[3]
        ub = u3 * 4  # uni + bi at t2 * 4 + t3; bi adds exactly 0 without the bigram
        base = lu3 * 4
        for k, i2, i3 in self.bi_terms[kind]:
            c = bi.get((st2[i2], st3[i3]))
            if c is not None:
                d = uni.get(st2[i2], 0)
                ub[k] = x = u3[i3] + (0 if d == 0 else (l2 * c) / d)
                base[k] = log(x) if x != 0 else -inf
        out = base * 4
        for k, k2, i1, i2, i3 in self.tri_terms[kind]:
            c = tri.get((st1[i1], st2[i2], st3[i3]))
            if c is not None:
                d = bi.get((st1[i1], st2[i2]), 0)
                x = ub[k2] + (0 if d == 0 else (l3 * c) / d)
                out[k] = log(x) if x != 0 else -inf
        return out

    def tag(self, data: str) -> list[str]:
        """The tags CharacterBasedGenerativeModel.tag(data) gives data's characters."""
        n = len(data)
        if n == 0:
            return []
        chars = [self.unigram(w) for w in data]
        backs = []  # per character after the first: state index -> previous state index
        # first character: states s (from the single BOS state)
        if chars[0][0]:
            lp = self.log_probs(0, self.bos, self.bos, chars[0])
            now = [0.0 + lp[s] for s in range(4)]
        else:
            now = [0.0, 0.0, 0.0, 0.0]
        if n > 1:
            # second character: states (a, s) from state a
            if chars[1][0]:
                lp = self.log_probs(1, self.bos, chars[0], chars[1])
                now = [now[a] + lp[a * 4 + s] for s in range(4) for a in range(4)]
            else:
                now = [now[a] for s in range(4) for a in range(4)]
            backs.append(_SECOND)
        for i in range(2, n):
            if not chars[i][0]:
                # the original overwrites stage[(a, s)] with every state (p, a): the last, p = 3, stays
                now = [now[a * 4 + 3] for s in range(4) for a in range(4)]
                backs.append(_UNKNOWN)
                continue
            lp = self.log_probs(2, chars[i - 2], chars[i - 1], chars[i])
            new, back = [], []
            for s in range(4):
                for a in range(4):
                    # candidates (p, a), p = 0..3, in stage order; strict > keeps the first maximum
                    j, k = a * 4, a * 4 + s
                    best, arg = now[j] + lp[k], j
                    v = now[j + 1] + lp[16 + k]
                    if v > best:
                        best, arg = v, j + 1
                    v = now[j + 2] + lp[32 + k]
                    if v > best:
                        best, arg = v, j + 2
                    v = now[j + 3] + lp[48 + k]
                    if v > best:
                        best, arg = v, j + 3
                    new.append(best)
                    back.append(arg)
            now = new
            backs.append(back)
        state = max(range(len(now)), key=now.__getitem__)  # max() returns the first maximum
        tags = []
        for back in reversed(backs):
            tags.append(_TAGS[state // 4])
            state = back[state]
        tags.append(_TAGS[state])
        return tags[::-1]


_SECOND = [a for s in range(4) for a in range(4)]
_UNKNOWN = [a * 4 + 3 for s in range(4) for a in range(4)]


class _Engine:
    def __init__(self):
        from snownlp import normal, seg, sentiment

        self.tagger = _Tagger(seg.segger.segger)
        self.re_zh = seg.re_zh
        self.filter_stop = normal.filter_stop
        self.sentiment = sentiment

    def single_seg(self, sent: str) -> list[str]:
        """snownlp.seg.seg.Seg.seg(sent) as a list."""
        words, tmp = [], ""
        for ch, t in zip(sent, self.tagger.tag(sent)):
            if t == "e":
                words.append(tmp + ch)
                tmp = ""
            elif t == "b" or t == "s":
                if tmp:
                    words.append(tmp)
                tmp = ch
            else:
                tmp += ch
        if tmp:
            words.append(tmp)
        return words

    def seg(self, sent: str) -> list[str]:
        """snownlp.seg.seg(sent)."""
        words = []
        for s in self.re_zh.split(sent):
            s = s.strip()
            if not s:
                continue
            if self.re_zh.match(s):
                words += self.single_seg(s)
            else:
                for word in s.split():
                    word = word.strip()
                    if word:
                        words.append(word)
        return words

    def sentiments(self, sentence: str) -> float:
        """snownlp.sentiment.Sentiment.classify with the segmentation above."""
        ret, prob = self.sentiment.classifier.classifier.classify(self.filter_stop(self.seg(sentence)))
        if ret == "pos":
            return prob
        return 1 - prob


_engine: _Engine | None = None


def is_exact_version() -> bool:
    return version("snownlp") == VERIFIED_SNOWNLP


@lru_cache(maxsize=65536)
def sentiments(sentence: str) -> float:
    """``snownlp.SnowNLP(sentence).sentiments`` (memoised: corpora repeat sentences)."""
    global _engine
    if _engine is None:
        if not is_exact_version():
            import snownlp

            return snownlp.SnowNLP(sentence).sentiments
        _engine = _Engine()
    return _engine.sentiments(sentence)
