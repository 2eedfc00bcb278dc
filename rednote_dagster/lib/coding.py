"""Manual coding and agreement (Feng et al. §4.2: two coders, 20 % of notes; κ validation).

Input, in ``$REDNOTE_DATA_DIR/manual/`` (:data:`CODED_TABLES` says which label table each validates):

* ``taxonomy_coding.csv``: note_id, coder, code (the taxonomy's codes);
* ``emotion_coding.csv``, ``stance_coding.csv``: comment_id, coder, code (the scheme's codes);
* ``sentiment_coding.csv``: entity, id, coder, code — notes and comments in one file, ``entity`` saying
  which (``note`` / ``comment``) and ``code`` the level −2 … 2. Sentiment is the one scheme labelled on
  both, and one coder codes one item's feeling the same way whatever it is; an id names one item only
  (RedNote's note and comment ids are distinct object ids), which the reader checks.

The manually coded items are split once, deterministically by a hash of the id, into a training part
(what the supervised backend learns from) and a held-out validation part (where the model is compared
with the humans). Agreement is Cohen's κ from scikit-learn, each with its N: model vs each coder and
vs their consensus on the validation part, and coder vs coder on every doubly coded item; for the
taxonomy also on the 7 categories and per category one-vs-rest (is it category c or not). Every
figure is given over all items and per written language of the item's text (``script_of``: zh / en /
mixed / none), so a model that is good on English and at chance on Chinese shows as such.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from sklearn.metrics import cohen_kappa_score

from rednote_dagster.lib.labelling.documents import current_comment_texts, current_note_texts
from rednote_dagster.lib.labelling.scheme import LabelScheme
from rednote_dagster.lib.labelling.schemes import EMOTION, SENTIMENT, STANCE, TAXONOMY
from rednote_dagster.lib.labelling.text import script_of
from rednote_dagster.lib.taxonomy import CATEGORIES, TOPIC_CODES, category_of

ENTITIES = ("note", "comment")
# script_of's values: the languages agreement is broken down by ("all" is every item)
LANGUAGES = ("zh", "en", "mixed", "none")
# A language's κ decides the gate only from this many held-out items up: below it one disagreement
# moves κ by more than ~0.05 and the figure is shown, not judged.
MIN_LANGUAGE_N = 30


def read_manual_coding(
    path: Path, codes: Sequence[str] = TOPIC_CODES, id_col: str = "note_id", *, entities: Sequence[str] = ()
) -> pl.DataFrame:
    """<id_col>, coder, code — codes checked against ``codes``, the taxonomy by default (a bad code
    is an error, not a guess). Comment codings (emotion, stance) use id_col="comment_id". With
    ``entities`` (the sentiment coding: id_col="id") the file has an ``entity`` column too, each value
    one of ``entities``, kept first in the result; an id coded under two entities is an error."""
    wanted = ["entity"] if entities else []
    wanted += [id_col, "coder", "code"]
    df = pl.read_csv(path, schema_overrides=dict.fromkeys(wanted, pl.String))
    missing = set(wanted) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)} (need {', '.join(wanted)})")
    df = df.select(pl.col(c).str.strip_chars() for c in wanted).with_columns(pl.col("code").str.to_lowercase())
    bad = df.filter(~pl.col("code").is_in(list(codes)))
    if bad.height:
        scheme = "the taxonomy" if tuple(codes) == TOPIC_CODES else f"the codes {', '.join(codes)}"
        raise ValueError(f"{path}: {bad.height} rows with codes outside {scheme}, e.g. {bad.row(0)}")
    if entities:
        df = df.with_columns(pl.col("entity").str.to_lowercase())
        bad = df.filter(~pl.col("entity").is_in(list(entities)))
        if bad.height:
            raise ValueError(
                f"{path}: {bad.height} rows whose entity is not one of {', '.join(entities)}, e.g. {bad.row(0)}"
            )
        both = df.group_by(id_col).agg(pl.col("entity").n_unique()).filter(pl.col("entity") > 1)
        if both.height:
            raise ValueError(f"{path}: {both.height} ids coded as more than one entity, e.g. {both[id_col][0]}")
    return df.unique([id_col, "coder"], keep="last", maintain_order=True)


def in_validation(note_id: str, share: float) -> bool:
    """Deterministic, order-free split: the same note is always on the same side."""
    bucket = int(hashlib.sha256(f"validation:{note_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share


def consensus(coding: pl.DataFrame, id_col: str = "note_id", resolved: pl.DataFrame | None = None) -> pl.DataFrame:
    """One code per note (or comment): the code all its coders agree on, or, where they disagree, the
    adjudicator's resolution in ``resolved`` (<id_col>, code; the last row of an item wins). A
    disagreement nobody has resolved is left out (the paper resolved them by discussion; the
    disagreement sheet of ``coding_workflow`` records it)."""
    spread = coding.group_by(id_col).agg(pl.col("code").n_unique().alias("codes"), pl.col("code").first())
    agreed = spread.filter(pl.col("codes") == 1).select(id_col, "code")
    if resolved is None or not resolved.height:
        return agreed.sort(id_col)
    disputed = spread.filter(pl.col("codes") > 1).select(id_col)
    adjudicated = (
        resolved.select(id_col, "code").unique(id_col, keep="last", maintain_order=True).join(disputed, on=id_col)
    )
    return pl.concat([agreed, adjudicated]).sort(id_col)


def adjudication_path(coding_path: Path) -> Path:
    """``manual/<scheme>_adjudication.csv`` beside ``manual/<scheme>_coding.csv``: the resolved disagreements."""
    return coding_path.with_name(coding_path.name.replace("_coding.csv", "_adjudication.csv"))


def read_adjudication(
    coding_path: Path, codes: Sequence[str], id_col: str, *, entities: Sequence[str] = ()
) -> pl.DataFrame | None:
    """The resolutions for a coding file (same columns, ``coder`` the adjudicator), or None without any."""
    path = adjudication_path(coding_path)
    return read_manual_coding(path, codes, id_col, entities=entities) if path.exists() else None


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


def _row(comparison: str, level: str, category: str, n: int, left: list[str], right: list[str]) -> dict:
    return {
        "comparison": comparison,
        "level": level,
        "category": category,
        "n": n,
        "kappa": _kappa(left, right),
        "percent_agreement": _share_equal(left, right),
    }


def agreement_rows(
    comparison: str,
    left: list[str],
    right: list[str],
    group_of: Callable[[str], str] | None = category_of,
    groups: Sequence[str] = tuple(CATEGORIES),
) -> list[dict]:
    """κ on codes for one pair of raters; with ``group_of`` (the taxonomy's category of a code) also on
    the groups, and per group one-vs-rest."""
    rows = [_row(comparison, "code", "all", len(left), left, right)]
    if group_of is None:
        return rows
    cat_l, cat_r = [group_of(c) for c in left], [group_of(c) for c in right]
    rows.append(_row(comparison, "category", "all", len(left), cat_l, cat_r))
    for cat in groups:
        in_l = [str(c == cat) for c in cat_l]
        in_r = [str(c == cat) for c in cat_r]
        n = sum(1 for x, y in zip(cat_l, cat_r) if cat in (x, y))
        rows.append(_row(comparison, "category_vs_rest", cat, n, in_l, in_r))
    return rows


def _share_equal(a: list[str], b: list[str]) -> float | None:
    return sum(x == y for x, y in zip(a, b)) / len(a) if a else None


AGREEMENT_SCHEMA = {
    "language": pl.String,
    "comparison": pl.String,
    "level": pl.String,
    "category": pl.String,
    "n": pl.Int64,
    "kappa": pl.Float64,
    "percent_agreement": pl.Float64,
}


def _pair_rows(
    coding: pl.DataFrame,
    validation: pl.DataFrame,
    model: dict[str, str],
    id_col: str,
    rows_of,
    resolved: pl.DataFrame | None = None,
) -> list[dict]:
    coders = sorted(coding["coder"].unique().to_list())
    rows: list[dict] = []
    for coder in coders:
        pairs = [
            (model[n], c)
            for n, c in validation.filter(pl.col("coder") == coder).select(id_col, "code").iter_rows()
            if n in model
        ]
        rows += rows_of(f"model_vs_{coder}", [p[0] for p in pairs], [p[1] for p in pairs])
    pairs = [(model[n], c) for n, c in consensus(validation, id_col, resolved).iter_rows() if n in model]
    rows += rows_of("model_vs_consensus", [p[0] for p in pairs], [p[1] for p in pairs])
    if len(coders) >= 2:
        wide = coding.filter(pl.col("coder").is_in(coders[:2])).pivot("coder", index=id_col, values="code").drop_nulls()
        rows += rows_of(f"{coders[0]}_vs_{coders[1]}", wide[coders[0]].to_list(), wide[coders[1]].to_list())
    return rows


def coding_agreement(
    coding: pl.DataFrame,
    model_codes: pl.DataFrame,
    validation_share: float,
    id_col: str = "note_id",
    *,
    language_of: Mapping[str, str] | None = None,
    group_of: Callable[[str], str] | None = category_of,
    groups: Sequence[str] = tuple(CATEGORIES),
    resolved: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Agreement table. ``model_codes``: <id_col>, code (unknowns dropped before). ``resolved``: the
    adjudicator's codes for items the coders disagree on, which join the consensus (:func:`consensus`).

    Model-vs-human rows use the validation part only; inter-coder rows use every doubly coded item.
    Rows come for language "all" and, with ``language_of`` (id → :func:`script_of` of its text), again
    for each language of :data:`LANGUAGES` that has coded items; an id without a language counts in
    "all" only."""
    _, validation = split(coding, validation_share, id_col)
    model = dict(model_codes.select(id_col, "code").iter_rows())

    def rows_of(comparison: str, left: list[str], right: list[str]) -> list[dict]:
        return agreement_rows(comparison, left, right, group_of, groups)

    rows = [{"language": "all"} | r for r in _pair_rows(coding, validation, model, id_col, rows_of, resolved)]
    for language in LANGUAGES if language_of else ():
        in_language = pl.col(id_col).replace_strict(language_of, default=None, return_dtype=pl.String) == language
        part = coding.filter(in_language)
        if part.height:
            rows += [
                {"language": language} | r
                for r in _pair_rows(part, validation.filter(in_language), model, id_col, rows_of, resolved)
            ]
    return pl.DataFrame(rows, schema=AGREEMENT_SCHEMA)


# -- which label table each coding validates ------------------------------------------------------
@dataclass(frozen=True)
class CodedTable:
    """A label table and the manual coding it is measured against."""

    table: str  # enrich.<name>
    scheme: LabelScheme
    coding_file: str  # in $REDNOTE_DATA_DIR/manual/
    coding_id: str  # the coding file's id column
    entity: str  # what the table labels: note | comment
    code_sql: str  # the table's code as text

    @property
    def asset_key(self) -> list[str]:
        return self.table.split(".")

    @property
    def id_column(self) -> str:
        return f"{self.entity}_id"

    @property
    def entities(self) -> tuple[str, ...]:
        """The entities of a coding file with an ``entity`` column (sentiment); () otherwise."""
        return ENTITIES if self.coding_id == "id" else ()

    def read_coding(self, manual_dir: Path) -> pl.DataFrame:
        """The coding rows of this table's items: <coding_id>, coder, code."""
        coding = read_manual_coding(
            manual_dir / self.coding_file, self.scheme.codes, self.coding_id, entities=self.entities
        )
        if self.entities:
            coding = coding.filter(pl.col("entity") == self.entity).drop("entity")
        return coding

    def read_adjudication(self, manual_dir: Path) -> pl.DataFrame | None:
        """The adjudicator's resolutions for this table's items (<coding_id>, coder, code), or None."""
        resolved = read_adjudication(
            manual_dir / self.coding_file, self.scheme.codes, self.coding_id, entities=self.entities
        )
        if resolved is not None and self.entities:
            resolved = resolved.filter(pl.col("entity") == self.entity).drop("entity")
        return resolved

    def model_codes(self, con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
        """<coding_id>, code: the latest code the table holds for each item."""
        return con.sql(f"""
            SELECT {self.id_column} AS "{self.coding_id}", arg_max({self.code_sql}, collection_month) AS code
            FROM {self.table} GROUP BY 1 HAVING arg_max({self.code_sql}, collection_month) IS NOT NULL""").pl()


SENTIMENT_CODING_FILE = "sentiment_coding.csv"
CODED_TABLES: tuple[CodedTable, ...] = (
    CodedTable("enrich.note_topics", TAXONOMY, "taxonomy_coding.csv", "note_id", "note", "code"),
    CodedTable("enrich.comment_emotion", EMOTION, "emotion_coding.csv", "comment_id", "comment", "code"),
    CodedTable("enrich.comment_stance", STANCE, "stance_coding.csv", "comment_id", "comment", "code"),
    CodedTable("enrich.note_sentiment", SENTIMENT, SENTIMENT_CODING_FILE, "id", "note", "score::VARCHAR"),
    CodedTable("enrich.comment_sentiment", SENTIMENT, SENTIMENT_CODING_FILE, "id", "comment", "score::VARCHAR"),
)


def current_texts(con: duckdb.DuckDBPyConnection, entity: str, ids: list[str]) -> dict[str, str]:
    """Text of each note or comment (its latest crawl), as the labelling backends read it."""
    return (current_note_texts if entity == "note" else current_comment_texts)(con, ids)


def table_agreement(
    con: duckdb.DuckDBPyConnection,
    coded: CodedTable,
    coding: pl.DataFrame,
    validation_share: float,
    resolved: pl.DataFrame | None = None,
):
    """:func:`coding_agreement` of one label table against its coding (and the adjudicator's resolutions),
    per language of the items' texts, with the table and scheme in front."""
    ids = coding[coded.coding_id].unique().to_list()
    language_of = {i: script_of(t) for i, t in current_texts(con, coded.entity, ids).items()}
    taxonomy = coded.scheme is TAXONOMY
    table = coding_agreement(
        coding,
        coded.model_codes(con),
        validation_share,
        coded.coding_id,
        language_of=language_of,
        group_of=category_of if taxonomy else None,
        resolved=resolved,
    )
    return table.select(pl.lit(coded.table).alias("label_table"), pl.lit(coded.scheme.name).alias("scheme"), pl.all())


# analysis.coding_agreement: every label table's rows
TABLE_AGREEMENT_SCHEMA = {"label_table": pl.String, "scheme": pl.String, **AGREEMENT_SCHEMA}


# -- the gate --------------------------------------------------------------------------------------
Z_95 = 1.959964  # the normal quantile of a two-sided 95 % interval


def kappa_by_language(agreement: pl.DataFrame, tables: Sequence[str]) -> pl.DataFrame:
    """Model vs the coders' consensus on codes, one row per table and language: n, κ, its standard
    error and the upper end of its 95 % interval (:func:`kappa_standard_error`)."""
    rows = agreement.filter(
        pl.col("label_table").is_in(list(tables))
        & (pl.col("comparison") == "model_vs_consensus")
        & (pl.col("level") == "code")
    )
    se = [kappa_standard_error(n, k, p) for n, k, p in rows.select("n", "kappa", "percent_agreement").iter_rows()]
    return (
        rows.select("label_table", "language", "n", "kappa")
        .with_columns(pl.Series("kappa_se", se, dtype=pl.Float64))
        .with_columns((pl.col("kappa") + Z_95 * pl.col("kappa_se")).alias("kappa_upper_95"))
        .sort(
            "label_table",
            pl.col("language").replace_strict({"all": 0, **{lang: i + 1 for i, lang in enumerate(LANGUAGES)}}),
        )
    )


def kappa_standard_error(n: int, kappa: float | None, observed: float | None) -> float | None:
    """Cohen's (1960) large-sample standard error of κ, sqrt(p_o (1 − p_o) / (N (1 − p_e)²)), with the
    chance agreement p_e recovered from κ and the observed agreement p_o (κ = (p_o − p_e) / (1 − p_e))."""
    if not n or kappa is None or observed is None:
        return None
    if kappa >= 1.0:
        return 0.0
    chance = (observed - kappa) / (1.0 - kappa)
    if chance >= 1.0:
        return None
    return (observed * (1.0 - observed) / n) ** 0.5 / (1.0 - chance)


@dataclass(frozen=True)
class GateResult:
    """What the κ gate found: ``failures`` block; ``warnings`` are languages whose κ is under the
    minimum by less than its sampling error (the upper end of the 95 % interval reaches it)."""

    failures: list[str]
    warnings: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def kappa_gate(agreement: pl.DataFrame, tables: Sequence[str], minimum: float) -> GateResult:
    """Each table's κ against the consensus must reach ``minimum`` over all its held-out items. In each
    language with at least :data:`MIN_LANGUAGE_N` items a κ under the minimum blocks when it is clearly
    under it (even the upper end of its 95 % interval is), and is a warning when sampling error could
    explain it: fifty items of one language give κ a standard error near 0.09, and a pipeline that stops
    on a coin toss teaches people to turn the gate off. The overall figure is judged as it is."""
    kappas = kappa_by_language(agreement, tables)
    failures, warnings = [], []
    for table in tables:
        rows = kappas.filter(pl.col("label_table") == table)
        overall = rows.filter(pl.col("language") == "all")
        if not overall.height or not overall["n"][0]:
            failures.append(f"{table}: no held-out coded item has a label")
            continue
        for language, n, kappa, upper in rows.select("language", "n", "kappa", "kappa_upper_95").iter_rows():
            if not (language == "all" or n >= MIN_LANGUAGE_N) or (kappa is not None and kappa >= minimum):
                continue
            shown = "undefined" if kappa is None else f"{kappa:.3f}"
            if language != "all" and kappa is not None and upper is not None and upper >= minimum:
                warnings.append(f"{table} ({language}): κ {shown} < {minimum} (N = {n}; 95 % upper bound {upper:.3f})")
            else:
                failures.append(f"{table} ({language}): κ {shown} < {minimum} (N = {n})")
    return GateResult(failures, warnings)
