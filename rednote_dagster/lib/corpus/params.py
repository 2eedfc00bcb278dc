"""Every number the corpus generator plants, in one place.

Scale-dependent sizes live in `ScaleParams`; everything else is a `Knobs` field so that
`_truth/params.json` can record the complete parameter set of a run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from rednote_dagster.lib.phases import DEFAULT_STABILIZATION_START, DEFAULT_SURGE_START

TIMELINE_START = dt.date(2025, 1, 1)
TIMELINE_END = dt.date(2025, 6, 27)  # last publication day (New York)
PEAK_DATE = DEFAULT_SURGE_START  # 2025-01-19
TROUGH_DATE = DEFAULT_STABILIZATION_START  # 2025-04-04

# The four search keywords of Feng et al. §3, in the order the team ran them in a session.
KEYWORDS: tuple[str, ...] = ("tt refugee", "TikTok Refugee", "Tiktok ban", "American Refugee")

PAPER_NOTES = 43_338
PAPER_CREATORS = 1_299
PAPER_TOP_COMMENTS = 387_395


@dataclass(frozen=True)
class ScaleParams:
    name: str
    n_notes: int
    n_creators: int
    n_top_comments: int  # unique top-level comments over the whole corpus
    peak_count: int  # notes on PEAK_DATE
    trough_count: int  # notes on TROUGH_DATE, the post-peak minimum
    native_commenters: int  # size of the RedNote-native commenter pool
    foreign_commenters: int  # size of the foreign (refugee) commenter pool


def _scaled(name: str, n_notes: int) -> ScaleParams:
    ratio = n_notes / PAPER_NOTES
    return ScaleParams(
        name=name,
        n_notes=n_notes,
        n_creators=max(20, round(PAPER_CREATORS * ratio)),
        n_top_comments=round(PAPER_TOP_COMMENTS * ratio),
        peak_count=round(2106 * ratio),
        trough_count=max(2, round(64 * ratio)),
        native_commenters=max(400, round(60_000 * ratio)),
        foreign_commenters=max(200, round(25_000 * ratio)),
    )


SCALES: dict[str, ScaleParams] = {
    "paper": ScaleParams(
        name="paper",
        n_notes=PAPER_NOTES,
        n_creators=PAPER_CREATORS,
        n_top_comments=PAPER_TOP_COMMENTS,
        peak_count=2106,
        trough_count=64,
        native_commenters=60_000,
        foreign_commenters=25_000,
    ),
    "small": _scaled("small", 2_000),
    # ten times the paper's collection: for the scale benchmark (benchmarks/pipeline.py), not the CLI
    "paper10": _scaled("paper10", PAPER_NOTES * 10),
}


def _topic_mix() -> dict[str, dict[str, float]]:
    # Feng et al. §6.3 / Fig. 4: low users >30 % self-expression (5b) vs ~24 % for high users; high
    # users more 2c, 3a, 2a (and 4); low users more arts (6) and unknown (7).
    return {
        "high": {
            "1a": 0.05,
            "1b": 0.05,
            "2a": 0.08,
            "2b": 0.04,
            "2c": 0.165,
            "3a": 0.06,
            "3b": 0.025,
            "3c": 0.03,
            "4": 0.04,
            "5a": 0.06,
            "5b": 0.24,
            "5c": 0.06,
            "6": 0.07,
            "7": 0.03,
        },
        "low": {
            "1a": 0.05,
            "1b": 0.06,
            "2a": 0.05,
            "2b": 0.04,
            "2c": 0.10,
            "3a": 0.02,
            "3b": 0.03,
            "3c": 0.02,
            "4": 0.02,
            "5a": 0.06,
            "5b": 0.32,
            "5c": 0.08,
            "6": 0.10,
            "7": 0.05,
        },
    }


def _phase_topic_factor() -> dict[str, dict[str, float]]:
    # Multipliers on the mix per phase (renormalised through 5b/2c so those stay dominant):
    # ban talk peaks before the ban, app-adjustment posts in the surge, marketing grows late (Fig. 5).
    return {
        "pre_ban": {"1a": 1.6, "1b": 0.8, "4": 0.15},
        "surge": {"1a": 1.0, "1b": 1.3, "4": 1.0},
        "stabilization": {"1a": 0.5, "1b": 0.7, "4": 1.8},
    }


def _sentiment_means() -> dict[str, dict[str, float]]:
    # Mean planted note sentiment per (topic, tier), Feng et al. Figs 6/7. Ranges are chosen so that
    # the overall topic ordering holds for any tier weighting between ~45 % and ~75 % high:
    # 5c > 2c > 4 on top, 3a / 3c / 1a at the bottom, arts low 0.56 vs high 0.07. Free speech
    # (3b) is high -0.10 but low users are enthusiastic, so it lands "elevated" overall (~0.2).
    return {
        "1a": {"high": -0.28, "low": -0.12},
        "1b": {"high": 0.20, "low": 0.28},
        "2a": {"high": 0.24, "low": 0.30},
        "2b": {"high": 0.04, "low": 0.14},
        "2c": {"high": 0.39, "low": 0.43},
        "3a": {"high": -0.20, "low": -0.07},
        "3b": {"high": -0.10, "low": 0.60},
        "3c": {"high": -0.18, "low": -0.05},
        "4": {"high": 0.35, "low": 0.38},
        "5a": {"high": 0.22, "low": 0.30},
        "5b": {"high": 0.12, "low": 0.26},
        "5c": {"high": 0.45, "low": 0.50},
        "6": {"high": 0.07, "low": 0.56},
        "7": {"high": 0.04, "low": 0.10},
    }


def _like_means() -> dict[str, dict[str, float]]:
    # Mean observed likes per note at the note's last crawl (§6.2: Pre-Ban high >1600, low 23.5;
    # high declines slightly later, low stays flat).
    return {
        "pre_ban": {"high": 1600.0, "low": 23.5},
        "surge": {"high": 1350.0, "low": 21.0},
        "stabilization": {"high": 1150.0, "low": 19.0},
    }


def _stance_base() -> dict[str, dict[str, float]]:
    # P(stance) per commenter group before the factors below (Li et al. 2025 report no shares; ours:
    # most commenters take no side, natives who do are mostly Pro-China, refugees who do split).
    return {
        "native": {"pro-china": 0.35, "neutral": 0.60, "pro-foreign": 0.05},
        "foreign": {"pro-china": 0.15, "neutral": 0.65, "pro-foreign": 0.20},
    }


def _emotion_by_level() -> dict[int, dict[str, float]]:
    # P(emotion | planted sentiment level) before the factors below. A level lists only emotions
    # whose words can carry it (data/comments.toml), so the planted sentiment stays exactly as it was.
    return {
        -2: {"anger": 1.0, "contempt": 1.0},
        -1: {"anger": 0.8, "contempt": 1.0, "neutral": 0.5},
        0: {"curiosity": 1.2, "neutral": 1.0},
        1: {"joy": 1.0, "praise": 1.0, "pride": 0.4, "curiosity": 0.3},
        2: {"joy": 1.0, "praise": 1.0, "pride": 0.6},
    }


def _emotion_topic_factor() -> dict[str, dict[str, float]]:
    # Li et al.: political threads elicit contempt and anger, cultural ones pride and praise, and
    # appearance posts the most balanced mix (compliments and joy).
    return {
        "political": {"contempt": 1.8, "anger": 1.2, "neutral": 0.6, "pride": 1.3},
        "appearance": {"praise": 1.5, "joy": 1.2},
        "cultural": {"pride": 2.0, "praise": 1.5},
        "other": {},
    }


def _emotion_stance_factor() -> dict[str, dict[str, float]]:
    # Li et al.: contempt and anger "especially from Pro-China commenters" (compounding the political
    # factor), Pro-Foreign users the most negative, neutral users curiosity and joy; pride goes with
    # taking China's side.
    return {
        "pro-china": {"pride": 2.5, "contempt": 1.5},
        "neutral": {"curiosity": 1.5, "joy": 1.5, "pride": 0.5},
        "pro-foreign": {"anger": 1.5, "pride": 0.3},
    }


def _stage_prevalence() -> dict[str, tuple[tuple[str, float], ...]]:
    # P(a note of a fully eligible topic carries the stage's marker) at New York dates, linear in
    # between. Jing & Zhang (2026): the "cat tax" rituals were "concentrated between mid-January and
    # early February 2025" (§5; RedNote topped the US App Store on Jan 14, §1) and later appeared
    # "only sporadically" among late adopters; 对账 price comparison grew as the novelty waned,
    # the second stage (§5; Cheng 2025 §3.2 and the press coverage of it by Feb 14, 2025; Jing &
    # Zhang's second observation period ran mid-February to April), planted here from late
    # January, highest Feb 10 - Mar 10; the Li Hua letters belong to the third stage, "the later
    # stages of the event" after the Jan 20 inauguration and the repeated postponements of the
    # ban (§6), planted from mid-February, highest from April. The paper gives no shares; the
    # heights are ours, large enough that the order shows in weekly shares of the small corpus.
    return {
        "cat_tax": (
            ("2025-01-01", 0.02),
            ("2025-01-12", 0.05),
            ("2025-01-15", 0.70),
            ("2025-02-07", 0.60),
            ("2025-02-21", 0.08),
            ("2025-06-27", 0.03),
        ),
        "duizhang": (
            ("2025-01-01", 0.0),
            ("2025-01-27", 0.0),
            ("2025-02-10", 0.50),
            ("2025-03-10", 0.50),
            ("2025-04-10", 0.10),
            ("2025-06-27", 0.06),
        ),
        "li_hua": (("2025-01-01", 0.0), ("2025-02-15", 0.0), ("2025-04-01", 0.50), ("2025-06-27", 0.45)),
    }


def _stage_topic_affinity() -> dict[str, dict[str, float]]:
    # Which notes a practice turns up in (multiplies the prevalence; unlisted codes 0): cat-tax
    # photos are newcomers' memes and introductions, 对账 is about prices and living costs, Li Hua
    # letters are pen-pal and language posts.
    return {
        "cat_tax": {"5a": 1.0, "5c": 0.8, "5b": 0.6, "1b": 0.6, "7": 0.6, "6": 0.4, "2a": 0.2},
        "duizhang": {"2c": 1.0, "3a": 0.8, "2b": 0.6, "5b": 0.4, "5c": 0.3, "3c": 0.2},
        "li_hua": {"5c": 1.0, "2a": 0.8, "5b": 0.5, "2b": 0.4, "6": 0.3, "1b": 0.2},
    }


@dataclass(frozen=True)
class Knobs:
    # --- timeline shape (weights before exact integer fitting) ---
    preban_base: float = 10.0
    preban_rise: float = 1500.0  # logistic height of the anticipatory rise
    preban_mid_day: float = 14.2  # day index (Jan 1 = 0) of the logistic midpoint
    preban_width: float = 1.4
    surge_floor: float = 80.0
    surge_amp: float = 1900.0
    surge_tau_days: float = 10.0
    tail_level: float = 82.0
    tail_decline: float = 6.0
    weekend_boost: float = 0.06
    trough_dip: float = 0.15  # volume sags around the trough day (end of the mass migration)
    trough_dip_days: float = 3.0
    day_noise_sd: float = 0.06

    # --- users / activity ---
    p_post: dict[str, float] = field(default_factory=lambda: {"pre_ban": 0.24, "surge": 0.96, "stabilization": 0.42})
    p_active_given_post: dict[str, float] = field(
        default_factory=lambda: {"pre_ban": 0.80, "surge": 0.88, "stabilization": 0.60}
    )
    high_share: float = 0.25  # top 25 % of active users by latent influence
    active_min_notes: int = 3
    latent_phase_noise: float = 0.15
    riser_prob: float = 0.10  # Pre-Ban low users who get an influence jump in the Surge
    riser_jump: tuple[float, float] = (1.2, 2.2)
    high_activity_ratio: float = 5.5  # notes per high user vs per low user (median)
    activity_sd: float = 0.6
    viral_users_per_1000: float = 3.0
    viral_boost: float = 1.6  # added to log-engagement of viral accounts
    early_account_share: float = 0.06  # accounts created in 2024 (pre-migration users)

    # --- topics / sentiment / language ---
    topic_mix: dict[str, dict[str, float]] = field(default_factory=_topic_mix)
    phase_topic_factor: dict[str, dict[str, float]] = field(default_factory=_phase_topic_factor)
    sentiment_means: dict[str, dict[str, float]] = field(default_factory=_sentiment_means)
    sentiment_base: tuple[float, ...] = (0.09, 0.17, 0.34, 0.25, 0.15)  # P(-2..2) before tilting
    note_lang: dict[str, float] = field(default_factory=lambda: {"en": 0.84, "zh": 0.08, "mixed": 0.08})
    video_share: float = 0.25
    title_share: float = 0.35
    topic_bleed: float = 0.15  # chance a note also mentions another topic in passing

    # --- engagement ---
    like_means: dict[str, dict[str, float]] = field(default_factory=_like_means)
    user_level_sd: float = 0.45
    latent_slope: float = 0.6
    note_level_sd: float = 0.8
    collect_ratio: float = 0.11
    share_ratio: float = 0.035
    growth_tau_hours: float = 18.0  # counts reach ~98 % of final three days after publication
    followers_offset: float = 2.0  # log followers = offset + mean log-likes level + noise
    followers_sd: float = 0.35
    max_top_comments: int = 50
    sub_comment_root_share: float = 0.10
    sub_reply_to_reply: float = 0.3
    author_reply_share: float = 0.4
    native_commenter_share: float = 0.62

    # --- crawl schedule ---
    min_crawl_delay_hours: float = 3.0
    rolling_stop: str = "2025-03-25T18:00"  # New York start of the last rolling search session
    recrawl_days: tuple[str, ...] = ("2025-06-28", "2025-06-29", "2025-06-30")
    recrawl_from: str = "2025-03-01"  # June homepage crawl covers notes published from this NY date
    second_container_prob: float = 0.2
    extra_keyword_prob: float = 0.3
    third_keyword_prob: float = 0.08
    rerun_prob: float = 0.15
    head_user_share: float = 0.015
    null_interact_prob: float = 0.002  # note without interact_info -> null counts
    zero_last_update_prob: float = 0.08
    int_zero_like_prob: float = 0.5  # comment with 0 likes written as int 0 (key missing upstream)
    missing_token_prob: float = 0.01

    # --- damage / manual coding ---
    garbage_rate: float = 0.003  # corrupted extra copies per note/comment record written
    manual_share: float = 0.20
    coder_accuracy: tuple[float, float] = (0.88, 0.86)
    same_category_confusion: float = 0.6

    # --- comment affect (Li et al. 2025): stance, emotion and their manual coding ---
    stance_base: dict[str, dict[str, float]] = field(default_factory=_stance_base)
    stance_political_factor: float = 1.6  # in political threads a group's own side is this much likelier
    stance_negative_foreign_factor: float = 1.8  # Pro-Foreign behind negative comments (the most negative)
    emotion_by_level: dict[int, dict[str, float]] = field(default_factory=_emotion_by_level)
    emotion_topic_factor: dict[str, dict[str, float]] = field(default_factory=_emotion_topic_factor)
    emotion_stance_factor: dict[str, dict[str, float]] = field(default_factory=_emotion_stance_factor)
    affect_manual_comments: int = 3000  # comments coded by hand for emotion and stance
    emotion_coder_accuracy: tuple[float, float] = (0.88, 0.85)
    stance_coder_accuracy: tuple[float, float] = (0.90, 0.87)
    # Sentiment (-2 .. 2) is coded on the taxonomy's notes and the affect sample's comments in the same pass,
    # and, being one quick rating, on more notes drawn at random up to this share of all notes: with the
    # taxonomy's 20 % alone (~155 agreed training notes at small scale) the note model's κ sat at the gate.
    sentiment_manual_note_share: float = 0.40
    sentiment_coder_accuracy: tuple[float, float] = (0.88, 0.85)

    # --- stage markers (Jing & Zhang 2026) ---
    stage_prevalence: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=_stage_prevalence)
    stage_topic_affinity: dict[str, dict[str, float]] = field(default_factory=_stage_topic_affinity)
    stage_tag_prob: float = 0.5  # a marked note also gets the stage's hashtag
    stage_comment_echo: float = 0.3  # P(a comment repeats a marker its note carries)
    stage_comment_background: float = 0.15  # x prevalence: P(a comment brings up a stage by itself)


def params_dict(scale: ScaleParams, knobs: Knobs, seed: int) -> dict:
    """JSON-ready record of everything that shaped a run (written to `_truth/params.json`)."""
    return {
        "scale": asdict(scale),
        "seed": seed,
        "timeline": {
            "start": TIMELINE_START.isoformat(),
            "end": TIMELINE_END.isoformat(),
            "peak_date": PEAK_DATE.isoformat(),
            "trough_date": TROUGH_DATE.isoformat(),
        },
        "keywords": list(KEYWORDS),
        "knobs": asdict(knobs),
    }
