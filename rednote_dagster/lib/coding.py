"""Manual coding and agreement (Feng et al. §4.2: two coders, 20 % of notes; κ validation).

Input: ``$REDNOTE_DATA_DIR/manual/taxonomy_coding.csv`` with columns note_id, coder, code (the
readers also take comment codings: comment_id, coder, code over the emotion or stance codes).
The manually coded notes are split once, deterministically by a hash of the note id, into a
training part (what the supervised backend learns from) and a held-out validation part (where
the model is compared with the humans). Agreement is Cohen's κ from scikit-learn: overall on
codes, overall on the 7 categories, and per category one-vs-rest (is it category c or not), each
with its N; plus inter-coder κ.
"""

import hashlib
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from sklearn.metrics import cohen_kappa_score

from rednote_dagster.lib.taxonomy import CATEGORIES, TOPIC_CODES, category_of


def read_manual_coding(path: Path, codes: Sequence[str] = TOPIC_CODES, id_col: str = "note_id") -> pl.DataFrame:
    """<id_col>, coder, code — codes checked against ``codes``, the taxonomy by default (a bad code
    is an error, not a guess). Comment codings (emotion, stance) use id_col="comment_id"."""
    df = pl.read_csv(path, schema_overrides={id_col: pl.String, "coder": pl.String, "code": pl.String})
    missing = {id_col, "coder", "code"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)} (need {id_col}, coder, code)")
    df = df.select(
        pl.col(id_col).str.strip_chars(),
        pl.col("coder").str.strip_chars(),
        pl.col("code").str.strip_chars().str.to_lowercase(),
    )
    bad = df.filter(~pl.col("code").is_in(list(codes)))
    if bad.height:
        scheme = "the taxonomy" if tuple(codes) == TOPIC_CODES else f"the codes {', '.join(codes)}"
        raise ValueError(f"{path}: {bad.height} rows with codes outside {scheme}, e.g. {bad.row(0)}")
    return df.unique([id_col, "coder"], keep="last", maintain_order=True)


def in_validation(note_id: str, share: float) -> bool:
    """Deterministic, order-free split: the same note is always on the same side."""
    bucket = int(hashlib.sha256(f"validation:{note_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def consensus(coding: pl.DataFrame, id_col: str = "note_id") -> pl.DataFrame:
    """One code per note (or comment): the code all its coders agree on; those the coders disagree
    on are left out (the paper resolved them by discussion, which a file cannot record)."""
    return (
        coding.group_by(id_col)
        .agg(pl.col("code").n_unique().alias("codes"), pl.col("code").first())
        .filter(pl.col("codes") == 1)
        .select(id_col, "code")
        .sort(id_col)
    )


def split(coding: pl.DataFrame, validation_share: float, id_col: str = "note_id") -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training, validation) rows of the manual coding."""
    flag = pl.col(id_col).map_elements(lambda n: in_validation(n, validation_share), return_dtype=pl.Boolean)
    marked = coding.with_columns(flag.alias("validation"))
    return marked.filter(~pl.col("validation")).drop("validation"), marked.filter(pl.col("validation")).drop(
        "validation"
    )


def _kappa(a: list[str], b: list[str]) -> float | None:
    if not a:
        return None
    if len(set(a) | set(b)) < 2:
        return 1.0 if a == b else None  # κ undefined when only one label occurs
    return float(cohen_kappa_score(a, b))


def agreement_rows(comparison: str, left: list[str], right: list[str]) -> list[dict]:
    """κ on codes, on categories, and per category one-vs-rest, for one pair of raters."""
    cat_l, cat_r = [category_of(c) for c in left], [category_of(c) for c in right]
    rows = [
        {
            "comparison": comparison,
            "level": "code",
            "category": "all",
            "n": len(left),
            "kappa": _kappa(left, right),
            "percent_agreement": _share_equal(left, right),
        },
        {
            "comparison": comparison,
            "level": "category",
            "category": "all",
            "n": len(left),
            "kappa": _kappa(cat_l, cat_r),
            "percent_agreement": _share_equal(cat_l, cat_r),
        },
    ]
    for cat in CATEGORIES:
        in_l = [str(c == cat) for c in cat_l]
        in_r = [str(c == cat) for c in cat_r]
        rows.append(
            {
                "comparison": comparison,
                "level": "category_vs_rest",
                "category": cat,
                "n": sum(1 for x, y in zip(cat_l, cat_r) if cat in (x, y)),
                "kappa": _kappa(in_l, in_r),
                "percent_agreement": _share_equal(in_l, in_r),
            }
        )
    return rows


def _share_equal(a: list[str], b: list[str]) -> float | None:
    return sum(x == y for x, y in zip(a, b)) / len(a) if a else None


def coding_agreement(coding: pl.DataFrame, model_codes: pl.DataFrame, validation_share: float) -> pl.DataFrame:
    """Agreement table. ``model_codes``: note_id, code (unknowns dropped before).

    Model-vs-human rows use the validation part only; inter-coder rows use every doubly coded note.
    """
    _, validation = split(coding, validation_share)
    coders = sorted(coding["coder"].unique().to_list())
    rows: list[dict] = []
    model = dict(model_codes.select("note_id", "code").iter_rows())
    for coder in coders:
        pairs = [
            (model[n], c)
            for n, c in validation.filter(pl.col("coder") == coder).select("note_id", "code").iter_rows()
            if n in model
        ]
        rows += agreement_rows(f"model_vs_{coder}", [p[0] for p in pairs], [p[1] for p in pairs])
    pairs = [(model[n], c) for n, c in consensus(validation).iter_rows() if n in model]
    rows += agreement_rows("model_vs_consensus", [p[0] for p in pairs], [p[1] for p in pairs])
    if len(coders) >= 2:
        wide = (
            coding.filter(pl.col("coder").is_in(coders[:2])).pivot("coder", index="note_id", values="code").drop_nulls()
        )
        rows += agreement_rows(f"{coders[0]}_vs_{coders[1]}", wide[coders[0]].to_list(), wide[coders[1]].to_list())
    return pl.DataFrame(
        rows,
        schema={
            "comparison": pl.String,
            "level": pl.String,
            "category": pl.String,
            "n": pl.Int64,
            "kappa": pl.Float64,
            "percent_agreement": pl.Float64,
        },
    )
