"""Manual coding and agreement (Feng et al. §4.2: two coders, 20 % of notes; κ validation).

Input: ``$REDNOTE_DATA_DIR/manual/taxonomy_coding.csv`` with columns note_id, coder, code.
The manually coded notes are split once, deterministically by a hash of the note id, into a
training part (what the supervised backend learns from) and a held-out validation part (where
the model is compared with the humans). Agreement is Cohen's κ from scikit-learn: overall on
codes, overall on the 7 categories, and per category one-vs-rest (is it category c or not), each
with its N; plus inter-coder κ.
"""

import hashlib
from pathlib import Path

import polars as pl
from sklearn.metrics import cohen_kappa_score

from rednote_dagster.lib.taxonomy import CATEGORIES, TOPIC_CODES, category_of


def read_manual_coding(path: Path) -> pl.DataFrame:
    """note_id, coder, code — codes checked against the taxonomy (a bad code is an error, not a guess)."""
    df = pl.read_csv(path, schema_overrides={"note_id": pl.String, "coder": pl.String, "code": pl.String})
    missing = {"note_id", "coder", "code"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)} (need note_id, coder, code)")
    df = df.select(pl.col("note_id").str.strip_chars(), pl.col("coder").str.strip_chars(),
                   pl.col("code").str.strip_chars().str.to_lowercase())
    bad = df.filter(~pl.col("code").is_in(list(TOPIC_CODES)))
    if bad.height:
        raise ValueError(f"{path}: {bad.height} rows with codes outside the taxonomy, e.g. {bad.row(0)}")
    return df.unique(["note_id", "coder"], keep="last", maintain_order=True)


def in_validation(note_id: str, share: float) -> bool:
    """Deterministic, order-free split: the same note is always on the same side."""
    bucket = int(hashlib.sha256(f"validation:{note_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def consensus(coding: pl.DataFrame) -> pl.DataFrame:
    """One code per note: the code all its coders agree on; notes the coders disagree on are left
    out (the paper resolved them by discussion, which a file cannot record)."""
    return (coding.group_by("note_id").agg(pl.col("code").n_unique().alias("codes"), pl.col("code").first())
            .filter(pl.col("codes") == 1).select("note_id", "code").sort("note_id"))


def split(coding: pl.DataFrame, validation_share: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training, validation) rows of the manual coding."""
    flag = pl.col("note_id").map_elements(lambda n: in_validation(n, validation_share), return_dtype=pl.Boolean)
    marked = coding.with_columns(flag.alias("validation"))
    return marked.filter(~pl.col("validation")).drop("validation"), marked.filter(pl.col("validation")).drop("validation")


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
        {"comparison": comparison, "level": "code", "category": "all", "n": len(left),
         "kappa": _kappa(left, right), "percent_agreement": _share_equal(left, right)},
        {"comparison": comparison, "level": "category", "category": "all", "n": len(left),
         "kappa": _kappa(cat_l, cat_r), "percent_agreement": _share_equal(cat_l, cat_r)},
    ]
    for cat in CATEGORIES:
        in_l = [str(c == cat) for c in cat_l]
        in_r = [str(c == cat) for c in cat_r]
        rows.append({"comparison": comparison, "level": "category_vs_rest", "category": cat,
                     "n": sum(1 for x, y in zip(cat_l, cat_r) if cat in (x, y)),
                     "kappa": _kappa(in_l, in_r), "percent_agreement": _share_equal(in_l, in_r)})
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
        pairs = [(model[n], c) for n, c in validation.filter(pl.col("coder") == coder).select("note_id", "code").iter_rows()
                 if n in model]
        rows += agreement_rows(f"model_vs_{coder}", [p[0] for p in pairs], [p[1] for p in pairs])
    pairs = [(model[n], c) for n, c in consensus(validation).iter_rows() if n in model]
    rows += agreement_rows("model_vs_consensus", [p[0] for p in pairs], [p[1] for p in pairs])
    if len(coders) >= 2:
        wide = coding.filter(pl.col("coder").is_in(coders[:2])).pivot("coder", index="note_id", values="code").drop_nulls()
        rows += agreement_rows(f"{coders[0]}_vs_{coders[1]}", wide[coders[0]].to_list(), wide[coders[1]].to_list())
    return pl.DataFrame(rows, schema={"comparison": pl.String, "level": pl.String, "category": pl.String,
                                      "n": pl.Int64, "kappa": pl.Float64, "percent_agreement": pl.Float64})
