"""analysis/coding_sample_<scheme>: the manual coding sample of each scheme and its hand-outs — coder workbooks,
a Label Studio project, the disagreement sheet — under $REDNOTE_DATA_DIR/coding/<scheme>/ (lib/coding_workflow).
One multi-asset serves every scheme that has a coding file (lib/coding.CODED_TABLES): a scheme is data."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field, model_validator

from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData
from rednote_dagster.lib.coding_workflow.handout import DEFAULT_CODERS, coding_folder, prepare_handout
from rednote_dagster.lib.coding_workflow.sample import SampleSize
from rednote_dagster.lib.coding_workflow.targets import TARGETS, CodingTarget
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

RAW = [dg.AssetKey(["raw", "notes"]), dg.AssetKey(["raw", "comments"])]


class CodingSampleConfig(dg.Config):
    # Neither: the scheme's default (taxonomy 20 % of the notes, Feng et al.; comment schemes 3,000 comments).
    share: float | None = Field(default=None, gt=0, le=1, description="sample size as a share of the items")
    count: int | None = Field(default=None, ge=0, description="sample size as a number of items")
    seed: int = Field(default=0, description="the draw's seed; the same seed and size give the same sample")
    coders: list[str] = Field(default=list(DEFAULT_CODERS), description="one workbook per coder")
    adjudicator: str = Field(default="adjudicator", description="named in the disagreement sheet")

    @model_validator(mode="after")
    def _one_size(self) -> "CodingSampleConfig":
        if self.share is not None and self.count is not None:
            raise ValueError("give the sample size as share or as count, not both")
        return self

    def size(self, target: CodingTarget) -> SampleSize:
        if self.share is None and self.count is None:
            return target.default_size
        return SampleSize(share=self.share, count=self.count)


def _key(target: CodingTarget) -> dg.AssetKey:
    return dg.AssetKey(["analysis", f"coding_sample_{target.name}"])


SCHEME_OF_KEY = {_key(target): target for target in TARGETS.values()}


# One step for every scheme (a line, not four, in `make run`'s console); can_subset, so the UI can
# materialize one scheme's sample with its own size.
@dg.multi_asset(
    name="coding_samples",
    specs=[
        dg.AssetSpec(
            key,
            deps=RAW,
            group_name="analysis",
            kinds={"duckdb", "polars", "excel"},
            description=(
                f"The manual coding sample of the {t.name} scheme ({' and '.join(t.entities)}s), stratified by "
                "collection month, phase and language, seeded; items already coded or drawn before are kept, so it "
                f"grows. Writes $REDNOTE_DATA_DIR/coding/{t.name}/: sample.csv, one XLSX workbook per coder with "
                "what they have not coded yet, Label Studio tasks and config, and a sheet of the unresolved "
                "disagreements. `python -m rednote_dagster coding import` takes the codes back into "
                f"manual/{t.coding_file}."
            ),
        )
        for key, t in SCHEME_OF_KEY.items()
    ],
    can_subset=True,
    pool=DUCKDB_POOL,
)
def coding_samples(
    context: dg.AssetExecutionContext, config: CodingSampleConfig, duckdb: DuckDBResource, rednote: RednoteData
):
    paths = rednote.paths
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        target = SCHEME_OF_KEY[key]
        with duckdb.get_connection() as con:
            handout = prepare_handout(
                con,
                target,
                paths.root,
                paths.manual,
                config.size(target),
                config.seed,
                tuple(config.coders),
                config.adjudicator,
            )
            rows = handout.sample.with_columns(
                pl.when(pl.col("entity") == entity).then(pl.col("item_id")).alias(f"{entity}_id")
                for entity in target.entities
            ).drop("item_id")  # note_id / comment_id: the share package pseudonymises them by name
            replace_partitions(con, [PartitionWrite(".".join(key.path), rows.to_arrow(), {})])
        for line in handout.lines():
            context.log.info(line)
        reasons = dict(handout.sample.group_by("reason").len().iter_rows())
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(handout.sample.height),
                "items": dg.MetadataValue.int(handout.population),
                "size": dg.MetadataValue.text(str(handout.size)),
                "already_coded": dg.MetadataValue.int(reasons.get("coded", 0)),
                "newly_drawn": dg.MetadataValue.int(reasons.get("drawn", 0)),
                "to_code": dg.MetadataValue.json(handout.to_code),
                "handed_out_before": dg.MetadataValue.json(handout.pending),
                "unresolved_disagreements": dg.MetadataValue.int(handout.disagreements),
                "folder": dg.MetadataValue.path(str(coding_folder(paths.root, target).root)),
                "files_written": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in handout.written) or "none"),
                "strata": dg.MetadataValue.md(markdown_table(handout.strata, max_rows=40)),
            },
        )
