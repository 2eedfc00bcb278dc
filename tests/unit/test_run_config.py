"""Run config is validated when Dagster builds it: a bad value fails with a pydantic error naming
the field and the value, before the asset body runs; the defaults stay valid."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource
from pydantic import ValidationError

from rednote_dagster.defs.analysis.influence import InfluenceConfig
from rednote_dagster.defs.analysis.qualitative import SamplingFrameConfig, StageMarkersConfig, stage_timeline
from rednote_dagster.defs.analysis.statistics import AffectChiSquareConfig, ChiSquareConfig, EngagementConfig
from rednote_dagster.defs.analysis.timeline import BreakpointConfig
from rednote_dagster.defs.enrich.topic_clusters import TopicModelRun
from rednote_dagster.lib.stages import RESERVED_STAGE_NAMES

CONFIGS = [
    SamplingFrameConfig,
    StageMarkersConfig,
    InfluenceConfig,
    ChiSquareConfig,
    AffectChiSquareConfig,
    EngagementConfig,
    BreakpointConfig,
    TopicModelRun,
]


@pytest.mark.parametrize("config", CONFIGS)
def test_defaults_are_valid(config):
    config()


def _fails(config: type[dg.Config], field: str, bad: str, **kwargs) -> None:
    with pytest.raises(ValidationError) as info:
        config(**kwargs)
    message = str(info.value)
    assert field in message and bad in message, message


@pytest.mark.parametrize("term", ["", "   ", "\t"])
def test_blank_marker_term_is_refused(term):
    # the empty pattern would mark every text as every stage
    _fails(StageMarkersConfig, "markers", "cat_tax", markers={"cat_tax": ["cat tax", term]})


@pytest.mark.parametrize("stage", sorted(RESERVED_STAGE_NAMES | {"entity"}))
def test_stage_named_like_a_column_is_refused(stage):
    _fails(StageMarkersConfig, "markers", repr(stage), markers={stage: ["cat tax"]})


def test_stage_names_must_be_named_and_have_terms():
    _fails(StageMarkersConfig, "markers", "''", markers={"": ["cat tax"]})
    _fails(StageMarkersConfig, "markers", "pets", markers={"pets": []})
    _fails(StageMarkersConfig, "markers", "at least one stage", markers={})
    _fails(StageMarkersConfig, "min_week_texts", "0", min_week_texts=0)
    assert StageMarkersConfig(markers={"pets": ["dog", "狗"]}).markers == {"pets": ["dog", "狗"]}


def test_sampling_frame_config():
    _fails(
        SamplingFrameConfig, "hashtags", "'cattax' repeats '#CatTax'", hashtags=["#CatTax", "cattax"], volumes=[1, 2]
    )
    _fails(SamplingFrameConfig, "hashtags", "'#'", hashtags=["#", "cattax"], volumes=[1, 2])
    _fails(SamplingFrameConfig, "volumes", "-1", hashtags=["a", "b"], volumes=[-1, 2])
    _fails(SamplingFrameConfig, "volumes", "positive", hashtags=["a", "b"], volumes=[0, 0])
    _fails(SamplingFrameConfig, "volumes (3)", "hashtags (4)", volumes=[1, 2, 3])
    _fails(SamplingFrameConfig, "rank_by", "'views'", rank_by="views")
    _fails(SamplingFrameConfig, "posts", "0", posts=0)
    _fails(SamplingFrameConfig, "comments_per_post", "-1", comments_per_post=-1)
    assert SamplingFrameConfig(comments_per_post=0, rank_by="collects").comments_per_post == 0


@pytest.mark.parametrize(
    "config, field, bad",
    [
        (InfluenceConfig, "high_share", 0.0),
        (InfluenceConfig, "high_share", 1.5),
        (InfluenceConfig, "min_notes", 0),
        (ChiSquareConfig, "per_group", 0),
        (ChiSquareConfig, "n_resamples", 0),
        (ChiSquareConfig, "seed", -1),
        (AffectChiSquareConfig, "n_resamples", 0),
        (BreakpointConfig, "tolerance_days", -1),
        (TopicModelRun, "refit_threshold", 0.0),
        (TopicModelRun, "refit_threshold", 2.0),
        (TopicModelRun, "min_cluster_size", 1),
    ],
)
def test_numeric_settings_in_range(config, field, bad):
    _fails(config, field, str(bad), **{field: bad})


def test_breakpoint_dates():
    _fails(BreakpointConfig, "surge_start", "'19 Jan'", surge_start="19 Jan")
    _fails(BreakpointConfig, "stabilization_start", "2025-01-01", stabilization_start="2025-01-01")


def test_bad_config_fails_the_step_before_the_body_runs(tmp_path):
    # an empty warehouse: had the body run, it would fail on the missing intermediate tables instead
    result = dg.materialize(
        [stage_timeline],
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb"))},
        run_config={"ops": {"analysis__stage_timeline": {"config": {"markers": {"week": ["x"]}}}}},
        raise_on_error=False,
    )
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    text = str(error.cause.message if error.cause else error.message)
    assert "markers" in text and "stage name 'week' collides" in text
