"""A sweep's runs train together on the batched engine (shared calls) to the numbers each reaches alone,
and `nnplay sweep --json` prints every run's config and figures; bad input exits 2 with a clear message."""

import json

import pytest

from nnplay.cli import main, run_training
from nnplay.families.cnn.headless import run_image_training
from nnplay.families.seq.headless import run_sequence_training

SPIRAL = [
    "--dataset",
    "spiral",
    "--features",
    "x1,x2,x1_sq,x2_sq,x1_x2,sin_x1,sin_x2",
    "--hidden-layers",
    "6,6",
]


def test_nnplay_sweep_trains_its_runs_together_to_the_figures_each_run_reaches_alone(capsys):
    args = ["sweep", *SPIRAL, "--learning-rate", "0.01,0.1", "--seeds", "1-2", "--epochs", "60", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    runs = result["runs"]
    assert [(r["varied"]["learning_rate"], r["seed"]) for r in runs] == [
        (0.01, 1),
        (0.01, 2),
        (0.1, 1),
        (0.1, 2),
    ]
    assert result["status"] == "done" and result["wall_s"] > 0
    engine = result["engine"]
    assert engine["engine"] == "batched" and engine["chunks"] >= 2 * engine["training_calls"]  # calls shared
    assert engine["frames"] == len(runs)  # one evaluation a run, where it stopped: none at 0, none twice
    for run in runs:
        assert run["state"] == "done" and run["epoch"] == 60 and run["config"]["stop_epoch"] == 60
        alone = run_training({k: v for k, v in run["config"].items() if k != "stop_epoch"}, 60)
        assert alone["epoch"] == 60
        for figure in ("train_loss", "test_loss"):
            assert run[figure] == pytest.approx(alone[figure], rel=1e-4, abs=1e-6), (run["index"], figure)
        assert run["test_accuracy"] == pytest.approx(alone["test_accuracy"], abs=0.01)
    losses = {r["test_loss"] for r in runs}
    assert len(losses) == 4  # four different runs, not one run four times
    groups = result["groups"]
    assert [g["runs"] for g in groups] == [[0, 1], [2, 3]] and all(g["test_loss"]["n"] == 2 for g in groups)


def test_a_sweep_of_the_sequence_lab_trains_its_models_together_to_what_each_reaches_alone(capsys):
    task = ["--task", "parity_dense", "--length", "6", "--width", "16", "--learning-rate", "0.01"]
    args = ["sweep", "--lab", "sequences", *task, "--model", "rnn,lstm", "--seeds", "1-2", "--epochs", "60"]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["lab"] == "sequences" and result["varied"] == ["model"]
    runs = result["runs"]
    order = [(r["varied"]["model"], r["seed"]) for r in runs]
    assert order == [(m, i) for m in ("rnn", "lstm") for i in (1, 2)]
    engine = result["engine"]
    assert engine["chunks"] > engine["training_calls"]  # a model's two seeds share calls
    for run in runs:  # an epoch is a step here
        assert run["state"] == "done" and run["epoch"] == 60 and run["config"]["stop_epoch"] == 60
        alone = run_sequence_training({k: v for k, v in run["config"].items() if k != "stop_epoch"}, 60)
        assert alone["steps"] == 60
        assert run["test_loss"] == pytest.approx(alone["test_loss"], rel=1e-4, abs=1e-6), run["index"]
        assert run["test_accuracy"] == pytest.approx(alone["test_sequence_accuracy"], abs=1e-6)
    assert len({r["test_loss"] for r in runs}) == 4
    assert main(["sweep", "--lab", "sequences", "--model", "rnn,gpt", "--epochs", "5"]) == 2
    assert "--model: run 2 (model 'gpt', seed 1): model must be one of" in capsys.readouterr().err


def test_a_sweep_of_the_image_lab_trains_its_runs_together_to_what_each_reaches_alone(capsys):
    args = ["sweep", "--lab", "images", "--learning-rate", "0.003,0.01", "--augment-shift", "true,false"]
    assert main([*args, "--seeds", "1", "--epochs", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["lab"] == "images" and result["varied"] == ["learning_rate", "augment_shift"]
    runs = result["runs"]
    assert [(r["varied"]["learning_rate"], r["config"]["augment_shift"]) for r in runs] == [
        (0.003, True),
        (0.003, False),
        (0.01, True),
        (0.01, False),
    ]
    assert result["engine"]["chunks"] > result["engine"]["training_calls"]  # runs share calls
    for run in runs:  # an epoch of minibatch steps, stopped at its end
        assert run["state"] == "done" and run["epoch"] == 1
        alone = run_image_training({k: v for k, v in run["config"].items() if k != "stop_epoch"}, 1)
        assert run["test_loss"] == pytest.approx(alone["test_loss"], rel=1e-4, abs=1e-6), run["index"]
        assert run["test_accuracy"] == pytest.approx(alone["test_accuracy"], abs=1e-6)
    assert len({r["test_loss"] for r in runs}) == 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--learning-rate", ""], "--learning-rate: the range of learning rate is empty"),
        (
            ["--batch-size", "1..25", "--seeds", "1-400"],
            "at most 256 runs at once; this one would train 10,000",
        ),
        (["--seeds", "1-x"], "--seeds: seeds: '1-x' is not a seed"),
        (["--batch-size", "5,ten"], "--batch-size: batch size: '5,ten' is not a whole number"),
    ],
)
def test_nnplay_sweep_refuses_bad_input_with_exit_2_and_a_message(capsys, args, words):
    assert main(["sweep", "--epochs", "5", *args]) == 2
    assert words in capsys.readouterr().err
