#!/usr/bin/env python3
"""Build the public human-labelled sets that benchmarks/real_text.py reads (docs/real_text.md), from
git copies of their source repositories, deterministically.

The data is third-party and stays out of this repository: clone the repositories (``--print-clones``
prints the commands), then build into a folder of your choice. Every source file is read with
``git --git-dir=<copy> show <pinned commit>:<path>``, so the output does not depend on what the copy's
HEAD later becomes.

Sampling (only when a split is larger than its cap):
  * single-label sets: proportional stratified sample by label (largest-remainder
    rounding so the total is exactly the cap), each stratum drawn with
    random.Random(SEED + stratum-specific offset); rows are then written in their
    original source order.
  * GoEmotions (multi-label): simple random sample (random.Random(SEED)), since
    stratifying on label combinations is meaningless; original order kept.
Caps: train.csv <= 1000 rows, test.csv <= 2000 rows, data.csv (no split) <= 3000.

Text handling: leading/trailing whitespace stripped; rows with empty text or
empty label dropped; exact duplicate (text,label) rows within a split dropped
(first kept). No other normalisation. CSV is UTF-8 (no BOM), header `text,label`,
csv.QUOTE_MINIMAL (RFC-4180 quoting; embedded newlines are quoted).

Usage:  python scripts/build_real_text_sets.py --print-clones            # git clone commands
        python scripts/build_real_text_sets.py --repos DIR --out SETS_DIR  # build every set
"""

import argparse
import collections
import csv
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET

MIRROR = "."  # --repos
OUT = "sets"  # --out
SEED = 20240601
CAP_TRAIN, CAP_TEST, CAP_DATA = 1000, 2000, 3000

REPOS = {
    # name: (GitHub owner/name, pinned commit)
    "tweeteval": ("cardiffnlp/tweeteval", "4fbd22cd78421f05b1ecdb4fc5725bc7a7bd8f66"),
    "goemotions": ("monologg/GoEmotions-pytorch", "b75f9d3a8b76bc1060687925b04ca98a1b8ea66b"),
    "smp2020": ("BrownSweater/BERT_SMP2020-EWECT", "e928cec001824668999ed02326aacbea0d369563"),
    "nlpcc2016": ("jacoxu/2016NLPCC_Stance_Detection", "185c76329ec77be974d21e6259696d2c1d84b871"),
    "nlpcc2014": ("intfloat/weibo-emotion-analyzer", "d73e51e81b73a37fb8205b7770cf3b6f1f5f4ec7"),
    "clue": ("CLUEbenchmark/CLUEmotionAnalysis2020", "ff1bc945fc3a5854e0013de5a2f222dd1da61516"),
    "sophon": ("SophonPlus/ChineseNlpCorpus", "a0b781d72158bde242c0626c9e354d2b328865ff"),
}


def git_dir(repo):
    """The copy of ``repo`` under --repos: a clone at <owner>/<name> or <owner>+<name> (bare or not)."""
    slug = REPOS[repo][0]
    for relative in (slug, slug.replace("/", "+"), slug.replace("/", "+") + "/repo"):
        for candidate in (os.path.join(MIRROR, relative, ".git"), os.path.join(MIRROR, relative)):
            if os.path.isdir(os.path.join(candidate, "objects")):
                return candidate
    sys.exit(f"no git copy of {slug} under {MIRROR}: run with --print-clones for the commands")


def git_show(repo, path):
    commit = REPOS[repo][1]
    return subprocess.run(
        ["git", "--git-dir", git_dir(repo), "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout


def text_of(repo, path, enc="utf-8-sig"):
    return git_show(repo, path).decode(enc)


# ---------------------------------------------------------------- sampling
def stratified(rows, cap, seed):
    """rows: list of (text, label). Proportional stratified sample of size cap."""
    if len(rows) <= cap:
        return list(rows)
    by = collections.defaultdict(list)
    for i, r in enumerate(rows):
        by[r[1]].append(i)
    n = len(rows)
    quota = {k: cap * len(v) / n for k, v in by.items()}
    alloc = {k: int(q) for k, q in quota.items()}
    rest = cap - sum(alloc.values())
    # largest remainder; ties broken by label name for determinism
    for k in sorted(quota, key=lambda k: (-(quota[k] - alloc[k]), k))[:rest]:
        alloc[k] += 1
    keep = []
    for k in sorted(by):
        h = int(hashlib.sha256(k.encode()).hexdigest()[:8], 16)
        rng = random.Random(seed + h)
        keep.extend(rng.sample(by[k], alloc[k]))
    return [rows[i] for i in sorted(keep)]


def random_sample(rows, cap, seed):
    if len(rows) <= cap:
        return list(rows)
    idx = sorted(random.Random(seed).sample(range(len(rows)), cap))
    return [rows[i] for i in idx]


def clean(rows):
    out, seen = [], set()
    for t, lab_ in rows:
        t = (t or "").strip()
        lab_ = (lab_ or "").strip()
        if not t or not lab_ or (t, lab_) in seen:
            continue
        seen.add((t, lab_))
        out.append((t, lab_))
    return out


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["text", "label"])
        w.writerows(rows)


STATS = {}


def emit(name, splits, labels_meta, sampler=stratified):
    """splits: dict split-> rows; keys among 'train','test','data'."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for fn in ("train.csv", "test.csv", "data.csv"):
        p = os.path.join(d, fn)
        if os.path.exists(p):
            os.remove(p)
    st = {}
    for split, rows in splits.items():
        n_raw = len(rows)
        rows = clean(rows)
        cap = {"train": CAP_TRAIN, "test": CAP_TEST, "data": CAP_DATA}[split]
        samp = sampler(rows, cap, SEED)
        write_csv(os.path.join(d, f"{split}.csv"), samp)
        st[split] = {
            "source_rows_raw": n_raw,
            "source_rows_after_cleaning": len(rows),
            "rows_written": len(samp),
            "label_counts_source": dict(sorted(collections.Counter(lab_ for _, lab_ in rows).items())),
            "label_counts_written": dict(sorted(collections.Counter(lab_ for _, lab_ in samp).items())),
        }
        if labels_meta.get("multi_label"):
            sep = labels_meta["label_separator"]
            for key, rr in (("component_counts_source", rows), ("component_counts_written", samp)):
                st[split][key] = dict(sorted(collections.Counter(c for _, lab_ in rr for c in lab_.split(sep)).items()))
    labels_meta = dict(labels_meta)
    labels_meta["splits"] = st
    labels_meta["sampling"] = (
        f"{'simple random' if sampler is random_sample else 'proportional stratified by label'}"
        f" sample, seed {SEED}, caps train<={CAP_TRAIN} test<={CAP_TEST} data<={CAP_DATA};"
        " rows kept in source order; built by scripts/build_real_text_sets.py"
    )
    with open(os.path.join(d, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(labels_meta, f, ensure_ascii=False, indent=2)
        f.write("\n")
    STATS[name] = st


# ---------------------------------------------------------------- TweetEval
def tweeteval_split(task, split):
    txt = text_of("tweeteval", f"datasets/{task}/{split}_text.txt", "utf-8").split("\n")
    lab = text_of("tweeteval", f"datasets/{task}/{split}_labels.txt", "utf-8").split("\n")
    lab = [lab_.strip() for lab_ in lab]
    # files end with a trailing newline -> last element empty
    while txt and txt[-1] == "":
        txt.pop()
    while lab and lab[-1] == "":
        lab.pop()
    assert len(txt) == len(lab), (task, split, len(txt), len(lab))
    return txt, lab


def tweeteval_mapping(task):
    m = {}
    for line in text_of("tweeteval", f"datasets/{task}/mapping.txt", "utf-8").splitlines():
        if line.strip():
            i, name = line.split("\t")
            m[i.strip()] = name.strip()
    return m


def build_tweeteval():
    # sentiment: train_text.txt is >4 MiB and absent from the snapshot -> use the
    # official validation split as the "train" portion.
    m = tweeteval_mapping("sentiment")
    sp = {}
    for out_split, src in (("train", "val"), ("test", "test")):
        t, lab_ = tweeteval_split("sentiment", src)
        sp[out_split] = [(a, m[b]) for a, b in zip(t, lab_)]
    emit(
        "tweeteval_sentiment",
        sp,
        {
            "language": "en",
            "source": "cardiffnlp/tweeteval datasets/sentiment (SemEval-2017 Task 4A, English tweets)",
            "annotation": "human (crowdsourced, SemEval-2017 Task 4)",
            "train_csv_is": "official VALIDATION split (train_text.txt >4MiB, not in snapshot)",
            "labels": ["negative", "neutral", "positive"],
            "sentiment": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
            "emotion": {"negative": None, "neutral": "neutral", "positive": None},
        },
    )

    m = tweeteval_mapping("emotion")
    sp = {}
    for out_split, src in (("train", "train"), ("test", "test")):
        t, lab_ = tweeteval_split("emotion", src)
        sp[out_split] = [(a, m[b]) for a, b in zip(t, lab_)]
    emit(
        "tweeteval_emotion",
        sp,
        {
            "language": "en",
            "source": "cardiffnlp/tweeteval datasets/emotion (SemEval-2018 Task 1 E-c, tweets with "
            "exactly one of the 4 most common emotions; single label)",
            "annotation": "human (crowdsourced, SemEval-2018 Affect in Tweets)",
            "labels": ["anger", "joy", "optimism", "sadness"],
            "sentiment": {"anger": "negative", "joy": "positive", "optimism": "positive", "sadness": "negative"},
            "emotion": {"anger": "anger", "joy": "joy", "optimism": None, "sadness": None},
            "notes": "No neutral class: every tweet carries one of the four emotions.",
        },
    )

    m = tweeteval_mapping("stance")
    targets = {
        "abortion": "abortion",
        "atheism": "atheism",
        "climate": "climate",
        "feminist": "feminist",
        "hillary": "hillary",
    }
    sp = {"train": [], "test": []}
    for tgt in targets:
        for out_split in ("train", "test"):
            t, lab_ = tweeteval_split(f"stance/{tgt}", out_split)
            sp[out_split] += [(a, f"{tgt}|{m[b]}") for a, b in zip(t, lab_)]
    lab = sorted({f"{t}|{s}" for t in targets for s in ("none", "against", "favor")})
    emit(
        "tweeteval_stance",
        sp,
        {
            "language": "en",
            "source": "cardiffnlp/tweeteval datasets/stance/<target> (SemEval-2016 Task 6A)",
            "annotation": "human (crowdsourced, SemEval-2016 Task 6)",
            "label_format": "<target>|<stance>; targets: abortion (legalization of abortion), atheism, "
            "climate (climate change is a real concern), feminist (feminist movement), "
            "hillary (Hillary Clinton); stance in none/against/favor",
            "labels": lab,
            "stance": {k: k.split("|")[1] for k in lab},
            "sentiment": dict.fromkeys(lab),
            "emotion": dict.fromkeys(lab),
            "notes": "Stance toward the named target, not sentiment. The target is not always "
            "mentioned in the tweet text.",
        },
    )


# ---------------------------------------------------------------- GoEmotions
GOEMO_SENT = {  # google-research goemotions/data/sentiment_mapping.json grouping
    "positive": [
        "amusement",
        "excitement",
        "joy",
        "love",
        "desire",
        "optimism",
        "caring",
        "pride",
        "admiration",
        "gratitude",
        "relief",
        "approval",
    ],
    "negative": [
        "fear",
        "nervousness",
        "remorse",
        "embarrassment",
        "disappointment",
        "sadness",
        "grief",
        "disgust",
        "anger",
        "annoyance",
        "disapproval",
    ],
    "ambiguous": ["realization", "surprise", "curiosity", "confusion"],
}


def build_goemotions():
    names = [x.strip() for x in text_of("goemotions", "data/original/labels.txt", "utf-8").splitlines() if x.strip()]
    assert len(names) == 28
    sp = {}
    for out_split in ("train", "test"):
        rows = []
        raw = text_of("goemotions", f"data/original/{out_split}.tsv", "utf-8")
        for line in raw.split("\n"):
            if not line:
                continue
            text, ids, _cid = line.split("\t")
            labs = "+".join(sorted(names[int(i)] for i in ids.split(",")))
            rows.append((text, labs))
        sp[out_split] = rows
    sent = {"neutral": "neutral"}
    for pol, ems in GOEMO_SENT.items():
        for e in ems:
            sent[e] = pol if pol != "ambiguous" else None
    emo = dict.fromkeys(names)
    emo.update(
        {
            "anger": "anger",
            "annoyance": "anger",
            "pride": "pride",
            "admiration": "praise",
            "curiosity": "curiosity",
            "joy": "joy",
            "amusement": "joy",
            "excitement": "joy",
            "neutral": "neutral",
        }
    )
    emit(
        "goemotions",
        sp,
        {
            "language": "en",
            "source": "GoEmotions (Demszky et al., ACL 2020) train/test.tsv, Reddit comments; copy in "
            "monologg/GoEmotions-pytorch data/original/ (test.tsv identical in length, 434,093 chars "
            "/ 5,427 rows, to google-research/google-research goemotions/data/test.tsv)",
            "annotation": "human (3-5 raters per comment; released splits keep labels with >=2 raters agreeing)",
            "multi_label": True,
            "label_separator": "+",
            "label_format": "one or more of the 28 labels, sorted alphabetically, joined with '+'; map "
            "each component separately",
            "labels": names,
            "sentiment": sent,
            "sentiment_note": "from Google's sentiment_mapping.json grouping; 'ambiguous' group "
            "(realization, surprise, curiosity, confusion) mapped to null",
            "emotion": emo,
            "emotion_note": "annoyance->anger follows GoEmotions' own Ekman grouping; admiration->praise "
            "is an approximation; disgust/disapproval are NOT mapped to contempt",
        },
        sampler=random_sample,
    )


# ---------------------------------------------------------------- SMP2020-EWECT
SMP_SENT = {
    "angry": "negative",
    "sad": "negative",
    "fear": "negative",
    "happy": "positive",
    "neutral": "neutral",
    "surprise": None,
}
POLAR = {"negative", "positive"}
SMP_EMO = {"angry": "anger", "happy": "joy", "neutral": "neutral", "sad": None, "fear": None, "surprise": None}


def smp_rows(path):
    return [(d["content"], d["label"]) for d in json.loads(text_of("smp2020", path))]


def build_smp():
    common = {
        "language": "zh",
        "annotation": "human (labelled by HIT-SCIR for the SMP2020-EWECT evaluation; raw Weibo "
        "posts from 微热点大数据研究院)",
        "labels": ["angry", "fear", "happy", "neutral", "sad", "surprise"],
        "label_meaning": {
            "happy": "积极 (positive)",
            "angry": "愤怒",
            "sad": "悲伤",
            "fear": "恐惧",
            "surprise": "惊奇",
            "neutral": "无情绪 (no emotion)",
        },
        "sentiment": SMP_SENT,
        "emotion": SMP_EMO,
        "emotion_note": "'happy' is 积极 (general positive affect, incl. praise/gratitude), mapped to "
        "joy only approximately",
    }
    emit(
        "smp2020_ewect_usual",
        {
            "train": smp_rows("data/raw/usual_eval_labeled.txt"),
            "test": smp_rows("data/raw/usual_test_labeled.txt"),
        },
        dict(
            common,
            source="SMP2020-EWECT general-domain (通用) Weibo set",
            train_csv_is="official labelled EVAL split (usual_eval_labeled; usual_train.txt >4MiB, not in snapshot)",
        ),
    )
    emit(
        "smp2020_ewect_virus",
        {
            "train": smp_rows("data/raw/virus_train.txt"),
            "test": smp_rows("data/raw/virus_test_labeled.txt"),
        },
        dict(common, source="SMP2020-EWECT COVID-19 (疫情) Weibo set"),
    )
    # Binary polarity views of the same human labels (no public human-labelled binary Weibo set was found;
    # weibo_senti_100k is labelled by its emoticons): 积极 → positive, 愤怒/悲伤/恐惧 → negative; neutral and
    # surprise, which carry no polarity, are left out.
    for part, train_path, test_path in (
        ("usual", "data/raw/usual_eval_labeled.txt", "data/raw/usual_test_labeled.txt"),
        ("virus", "data/raw/virus_train.txt", "data/raw/virus_test_labeled.txt"),
    ):
        emit(
            f"smp2020_ewect_{part}_polarity",
            {
                split: [(text, SMP_SENT[label]) for text, label in smp_rows(path) if SMP_SENT[label] in POLAR]
                for split, path in (("train", train_path), ("test", test_path))
            },
            {
                "language": "zh",
                "annotation": common["annotation"],
                "source": f"SMP2020-EWECT {part} Weibo set, binary polarity view: happy → positive; "
                "angry, sad, fear → negative; neutral and surprise rows left out",
                "labels": sorted(POLAR),
                "sentiment": {label: label for label in sorted(POLAR)},
            },
        )


# ---------------------------------------------------------------- NLPCC 2014 emotion
NLPCC_EMO_LABELS = ["anger", "disgust", "fear", "happiness", "like", "none", "sadness", "surprise"]


def nlpcc2014_rows(path):
    root = ET.fromstring(git_show("nlpcc2014", path))
    rows = []
    for w in root.iter("weibo"):
        text = "".join((s.text or "").strip() for s in w.findall("sentence"))
        rows.append((text, w.get("emotion-type1")))
    return rows


def build_nlpcc2014():
    # The emotion-classification training XML is >4 MiB and absent from the snapshot, and the sister
    # subtask's training file has no 'none' weibo, so a model trained on it can never say "no emotion",
    # which is most of the test set. Both halves therefore come from the official test file with answers,
    # split disjointly by a hash of the text (a third to train, the rest to test).
    labelled = clean(nlpcc2014_rows("data/answer/EmotionClassificationTest.xml"))

    def to_train(row):
        return int(hashlib.sha256(row[0].encode()).hexdigest()[:8], 16) % 3 == 0

    emit(
        "nlpcc2014_weibo_emotion",
        {
            "train": [r for r in labelled if to_train(r)],
            "test": [r for r in labelled if not to_train(r)],
        },
        {
            "language": "zh",
            "source": "NLPCC 2014 Task 1 (Emotion Analysis in Chinese Weibo Texts); weibo-level primary "
            "emotion (attribute emotion-type1); text = the weibo's sentences concatenated",
            "annotation": "human (NLPCC 2013/2014 shared-task annotators; guideline doc/guideline.pdf in repo)",
            "train_csv_is": "the third of the official test set with answers "
            "(data/answer/EmotionClassificationTest.xml) whose sha256(text) is 0 mod 3; the emotion-classification "
            "training XML is >4MiB and absent from the snapshot, and the sister subtask's training data has no 'none'",
            "test_csv_is": "the other two thirds of the same file (disjoint from train)",
            "labels": NLPCC_EMO_LABELS,
            "label_meaning": {
                "like": "喜好",
                "happiness": "高兴",
                "sadness": "悲伤",
                "anger": "愤怒",
                "disgust": "厌恶",
                "fear": "恐惧",
                "surprise": "惊讶",
                "none": "无情绪",
            },
            "sentiment": {
                "anger": "negative",
                "disgust": "negative",
                "fear": "negative",
                "sadness": "negative",
                "happiness": "positive",
                "like": "positive",
                "surprise": None,
                "none": "neutral",
            },
            "emotion": {
                "anger": "anger",
                "happiness": "joy",
                "none": "neutral",
                "like": None,
                "disgust": None,
                "fear": None,
                "sadness": None,
                "surprise": None,
            },
            "notes": "'none' = no emotion (mapped to neutral sentiment as an approximation). A weibo may "
            "also carry a secondary emotion (emotion-type2), not used here.",
        },
    )


# ---------------------------------------------------------------- NLPCC 2016 stance
STANCE_TGT = {"IphoneSE": "iPhone SE", "俄罗斯在叙利亚的反恐行动": "俄罗斯叙利亚反恐行动"}


def nlpcc2016_rows(path, enc):
    lines = git_show("nlpcc2016", path).decode(enc).splitlines()
    assert lines[0].split("\t") == ["ID", "TARGET", "TEXT", "STANCE"], lines[0]
    rows = []
    for lab_ in lines[1:]:
        p = lab_.split("\t")
        if len(p) != 4 or p[3].strip() not in ("FAVOR", "AGAINST", "NONE"):
            continue
        tgt = STANCE_TGT.get(p[1].strip(), p[1].strip())
        rows.append((p[2], f"{tgt}|{p[3].strip()}"))
    return rows


def build_nlpcc2016():
    tr = nlpcc2016_rows("data/evasampledata4-TaskAA.txt", "utf-8-sig")
    te = nlpcc2016_rows("data/NLPCC_2016_Stance_Detection_Task_A_gold.txt", "gb18030")
    lab = sorted({lab_ for _, lab_ in tr + te})
    emit(
        "nlpcc2016_weibo_stance",
        {"train": tr, "test": te},
        {
            "language": "zh",
            "source": "NLPCC 2016 Shared Task 4 Task A: Stance Detection in Chinese Weibo (5 targets)",
            "annotation": "human (shared-task organisers' annotation)",
            "train_csv_is": "official labelled training data evasampledata4-TaskAA.txt "
            "(3,000; 14 unlabelled rows dropped)",
            "test_csv_is": "gold-labelled test subset NLPCC_2016_Stance_Detection_Task_A_gold.txt "
            "(1,000 = 200 per target; GB18030-encoded in source)",
            "label_format": "<target>|<stance>; stance in FAVOR/AGAINST/NONE. Train target spellings "
            "'IphoneSE' and '俄罗斯在叙利亚的反恐行动' normalised to the test spellings "
            "'iPhone SE' and '俄罗斯叙利亚反恐行动'",
            "labels": lab,
            "stance": {k: {"FAVOR": "favor", "AGAINST": "against", "NONE": "none"}[k.split("|")[1]] for k in lab},
            "sentiment": dict.fromkeys(lab),
            "emotion": dict.fromkeys(lab),
        },
    )


# ---------------------------------------------------------------- CLUE emotion (flagged)
def build_clue():
    def rows(path):
        out = []
        for line in text_of("clue", path, "utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out.append((d["content"], d["label"]))
        return out

    emit(
        "clue_emotion2020_FLAG_semiauto",
        {
            "train": rows("CLUEdataset/emotion/valid.txt"),
            "test": rows("CLUEdataset/emotion/test.txt"),
        },
        {
            "language": "zh",
            "source": "CLUEbenchmark/CLUEmotionAnalysis2020 = Li, Long, Lu & Li (LREC 2016) Weibo emotion corpus",
            "annotation": "SEMI-AUTOMATIC (FLAG): labels start from Weibo emotion hashtags; per the paper "
            "54.1% were accepted automatically (lexicon vote + SVM agreement) and the rest "
            "manually checked. Not a fully human-annotated set.",
            "train_csv_is": "official VALID split (train.txt >4MiB, not in snapshot)",
            "labels": ["anger", "disgust", "fear", "happiness", "like", "sadness", "surprise"],
            "sentiment": {
                "anger": "negative",
                "disgust": "negative",
                "fear": "negative",
                "sadness": "negative",
                "happiness": "positive",
                "like": "positive",
                "surprise": None,
            },
            "emotion": {
                "anger": "anger",
                "happiness": "joy",
                "like": None,
                "disgust": None,
                "fear": None,
                "sadness": None,
                "surprise": None,
            },
            "notes": "No neutral/none class.",
        },
    )


# ---------------------------------------------------------------- ChnSentiCorp (secondary)
def build_chnsenticorp():
    raw = text_of("sophon", "datasets/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv")
    r = csv.DictReader(io.StringIO(raw))
    m = {"1": "positive", "0": "negative"}
    rows = [(d["review"], m[d["label"].strip()]) for d in r if d.get("review")]
    emit(
        "chnsenticorp_htl_SECONDARY",
        {"data": rows},
        {
            "language": "zh",
            "source": "ChnSentiCorp_htl_all (Tan Songbo's ChnSentiCorp hotel reviews from Ctrip), "
            "SophonPlus/ChineseNlpCorpus version (merged, de-duplicated, -1 relabelled 0)",
            "annotation": "UNCLEAR (FLAG): compiled by Tan Songbo; the repo does not say whether polarity "
            "came from annotators or from the review sites' own ratings. Not social media.",
            "labels": ["negative", "positive"],
            "label_meaning": {"positive": "source label 1", "negative": "source label 0 (originally -1)"},
            "sentiment": {"negative": "negative", "positive": "positive"},
            "emotion": {"negative": None, "positive": None},
        },
    )


def main():
    global MIRROR, OUT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default=".", help="folder holding a git copy of each source repository")
    parser.add_argument("--out", default="sets", help="folder the sets are written to (keep it out of git)")
    parser.add_argument("--print-clones", action="store_true", help="print the git commands that fetch the sources")
    args = parser.parse_args()
    if args.print_clones:
        for slug, commit in REPOS.values():
            print(f"git clone https://github.com/{slug}.git {slug} && git -C {slug} checkout -q {commit}")
        return
    MIRROR, OUT = args.repos, args.out
    os.makedirs(OUT, exist_ok=True)
    build_tweeteval()
    build_goemotions()
    build_smp()
    build_nlpcc2014()
    build_nlpcc2016()
    build_clue()
    build_chnsenticorp()
    for name, st in STATS.items():
        for split, s in st.items():
            counts = s.get("component_counts_written", s["label_counts_written"])
            print(
                f"{name:32s} {split:5s} raw={s['source_rows_raw']:6d} "
                f"clean={s['source_rows_after_cleaning']:6d} out={s['rows_written']:5d} {counts}"
            )


if __name__ == "__main__":
    main()
