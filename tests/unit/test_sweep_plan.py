"""A sweep's plan: grid and random sweeps cover what they say, bad input is refused with words that name
the setting, and the spread over seeds is the textbook mean and sample standard deviation."""

import itertools
import math
import statistics

import numpy as np
import pytest

from nnplay.cli import build_parser
from nnplay.experiments.cli import spec_from_args
from nnplay.experiments.parse import parse_seeds, parse_setting
from nnplay.experiments.plan import MAX_RUNS, Axis, SweepSpec, count_runs, plan_runs
from nnplay.experiments.stats import best_group, group_summary, spread
from nnplay.schemas import ConfigError, make_config
from nnplay.settings import SETTINGS_BY_NAME as TABLE


def plan(spec):
    return plan_runs(spec, TABLE, make_config)


def test_a_grid_trains_every_combination_with_every_seed_exactly_once():
    rates, layers, seeds = (0.003, 0.01, 0.03), ([4], [8, 8]), (1, 2, 3, 4)
    spec = SweepSpec(
        (Axis("learning_rate", rates), Axis("hidden_layers", layers)), {"dataset": "spiral"}, seeds, 40
    )
    runs = plan(spec)
    got = [(r.varied["learning_rate"], tuple(r.varied["hidden_layers"]), r.seed) for r in runs]
    want = [(lr, tuple(h), s) for lr, h, s in itertools.product(rates, layers, seeds)]
    assert sorted(got) == sorted(want) and len(got) == len(set(got)) == count_runs(spec) == 24
    for run in runs:  # each run trains what its row says, stops at the sweep's epochs, as fast as it goes
        assert run.config.learning_rate == run.varied["learning_rate"]
        assert list(run.config.hidden_layers) == run.varied["hidden_layers"]
        assert (run.config.seed, run.config.dataset, run.config.stop_epoch, run.config.speed) == (
            run.seed,
            "spiral",
            40,
            0,
        )
    groups = {r.group for r in runs}
    assert len(groups) == 6 and all(sum(r.group == g for r in runs) == 4 for g in groups)


def test_an_integer_range_spans_a_grid():
    runs = plan(SweepSpec((Axis("batch_size", low=3, high=6),), seeds=(1,)))
    assert [r.varied["batch_size"] for r in runs] == [3, 4, 5, 6]


def test_a_random_sweep_draws_its_samples_within_the_ranges_and_lists_and_repeats_with_its_seed():
    axes = (
        Axis("learning_rate", low=0.001, high=0.3),
        Axis("activation", ("relu", "tanh")),
        Axis("noise", low=0, high=20),
    )
    spec = SweepSpec(axes, {}, (1, 2), 10, "random", samples=40, sample_seed=7)
    runs = plan(spec)
    assert len(runs) == 80 == count_runs(spec)
    rates = np.array([r.varied["learning_rate"] for r in runs])
    assert rates.min() >= 0.001 and rates.max() <= 0.3
    assert {r.varied["activation"] for r in runs} == {"relu", "tanh"}
    assert all(0 <= r.varied["noise"] <= 20 and isinstance(r.varied["noise"], int) for r in runs)
    # log-uniform over a range of 300x: about as many draws below the geometric middle as above it
    below = np.mean(np.log(rates) < (math.log(0.001) + math.log(0.3)) / 2)
    assert 0.25 < below < 0.75
    for group in {r.group for r in runs}:  # every draw is trained with every seed
        assert sorted(r.seed for r in runs if r.group == group) == [1, 2]
    again = plan(spec)
    assert [r.varied for r in again] == [r.varied for r in runs]
    other = plan(SweepSpec(axes, {}, (1, 2), 10, "random", samples=40, sample_seed=8))
    assert [r.varied for r in other] != [r.varied for r in runs]


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (SweepSpec((Axis("learning_rate", ()),)), "learning_rate", "the range of learning rate is empty"),
        (SweepSpec((Axis("noise", low=30, high=10),), mode="random", samples=2), "noise", "empty"),
        (SweepSpec(seeds=()), "seeds", "seeds are empty"),
        (SweepSpec((Axis("learning_rate", (0.1, 0.1)),)), "learning_rate", "listed twice"),
        (SweepSpec((Axis("learning_rate", low=0.01, high=0.1),)), "learning_rate", "random sweeps"),
        (SweepSpec((Axis("stop_epoch", (10, 20)),)), "stop_epoch", "set epochs instead"),
        (SweepSpec((Axis("wings", (1, 2)),)), "wings", "unknown setting"),
        (SweepSpec(epochs=0), "epochs", "between 1"),
        (SweepSpec(mode="random", samples=0), "samples", "at least one"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_setting(spec, field, words):
    with pytest.raises(ConfigError) as refused:
        plan(spec)
    assert refused.value.field == field and words in refused.value.message


def test_ten_thousand_runs_are_refused_before_any_run_is_made():
    made = []

    def counting(base, changes):
        made.append(changes)
        return make_config(base, changes)

    spec = SweepSpec((Axis("batch_size", low=1, high=25),), seeds=tuple(range(400)))
    assert count_runs(spec) == 10_000
    with pytest.raises(ConfigError) as refused:
        plan_runs(spec, TABLE, counting)
    assert refused.value.field == "runs" and f"at most {MAX_RUNS} runs" in refused.value.message
    assert "10,000" in refused.value.message and made == []


def test_a_run_the_settings_refuse_is_named_with_its_values():
    spec = SweepSpec((Axis("hidden_layers", ([4], [9])),), {"mode": "reference"})
    with pytest.raises(ConfigError) as refused:
        plan(spec)
    assert refused.value.field == "hidden_layers"
    assert refused.value.message.startswith("run 2 (hidden layers [9], seed 1): neurons in hidden layer 1")


def test_typed_values_are_read_as_nnplay_train_reads_them():
    assert parse_seeds("1-8") == tuple(range(1, 9)) and parse_seeds("1..3,7") == (1, 2, 3, 7)
    assert parse_setting(TABLE["learning_rate"], "0.003, 0.01,0.03") == Axis(
        "learning_rate", (0.003, 0.01, 0.03)
    )
    assert parse_setting(TABLE["learning_rate"], "0.01") == 0.01
    assert parse_setting(TABLE["hidden_layers"], "8,8/8,8,8") == Axis("hidden_layers", ([8, 8], [8, 8, 8]))
    assert parse_setting(TABLE["hidden_layers"], "8,8") == [8, 8]
    assert parse_setting(TABLE["learning_rate"], "0.001..0.3") == Axis("learning_rate", low=0.001, high=0.3)
    with pytest.raises(ConfigError) as refused:
        parse_setting(TABLE["batch_size"], "5,ten")
    assert refused.value.field == "batch_size" and "'5,ten'" in refused.value.message
    with pytest.raises(ConfigError):
        parse_seeds("1-x")


def test_the_issues_command_line_asks_for_four_rates_times_eight_seeds():
    args = build_parser().parse_args(
        [
            "sweep",
            "--dataset",
            "spiral",
            "--learning-rate",
            "0.003,0.01,0.03,0.1",
            "--seeds",
            "1-8",
            "--epochs",
            "500",
            "--json",
        ]
    )
    spec = spec_from_args(args)
    assert spec.base == {"dataset": "spiral"} and spec.seeds == tuple(range(1, 9)) and spec.epochs == 500
    assert spec.axes == (Axis("learning_rate", (0.003, 0.01, 0.03, 0.1)),) and count_runs(spec) == 32


def test_the_spread_over_seeds_is_the_mean_and_sample_standard_deviation():
    losses = [0.2, 0.25, 0.31, None]
    got = spread(losses)
    assert got["n"] == 3 and got["mean"] == pytest.approx(statistics.fmean(losses[:3]))
    assert got["std"] == pytest.approx(np.std(losses[:3], ddof=1))
    assert spread([0.5]) == {"mean": 0.5, "std": 0.0, "n": 1} and spread([None, math.nan])["n"] == 0
    runs = [
        {"index": i, "group": i // 2, "seed": i % 2, "varied": {"learning_rate": lr}, "test_loss": loss}
        for i, (lr, loss) in enumerate([(0.01, 0.4), (0.01, 0.5), (0.1, 0.1), (0.1, 0.2)])
    ]
    rows = group_summary(runs)
    assert [row["runs"] for row in rows] == [[0, 1], [2, 3]]
    assert rows[1]["test_loss"]["mean"] == pytest.approx(0.15)
    assert rows[1]["test_loss"]["std"] == pytest.approx(np.std([0.1, 0.2], ddof=1))
    assert best_group(rows) == 1
