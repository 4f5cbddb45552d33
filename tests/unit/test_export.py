"""Exports of a run: the standalone script retrains to the same numbers (run in a subprocess that may not
import nnplay), the notebook validates and its cells retrain the same, the .npz holds the exact layers, the
HTML report is one self-contained file, `nnplay export` writes them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nnplay.cli import main as cli_main
from nnplay.engine.snapshot import state_to_bytes
from nnplay.export.notebook import mlp_notebook
from nnplay.export.report import comparison_report, figure_block, html_report, table_block, text_block
from nnplay.export.script import ExportError, mlp_script
from nnplay.export.weights import npz_bytes
from nnplay.families.mlp.trainer import Trainer
from nnplay.schemas import make_config

ALL_FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
TOLERANCE = 1e-5  # the issue's target for the final test loss

# The script's own process, as a person's: no compile cache of the test run's (jax reads this variable),
# which the servers of the tests share.
SCRIPT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}

# Runs each script as __main__ with nnplay (and scikit-learn, flax) unimportable: only jax, optax, numpy.
ISOLATED = """
import runpy, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("nnplay", "sklearn", "flax"):
            raise ImportError(f"the exported script imported {name}")
sys.meta_path.insert(0, Refuse())
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
"""


def run_isolated(*paths: Path) -> list[dict]:
    """Each script's last line of output (one JSON object), run one after another in a fresh interpreter
    (one, so that jax is imported once)."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=paths[0].parent,
        env=SCRIPT_ENV,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def trained(changes: dict, epochs: int):
    """The reference: nnplay's own trainer (the exact kernel the engine trains with), its state and frame."""
    config = make_config(None, changes)
    trainer = Trainer(config)
    state = trainer.init_params()
    trainer.prepare_exact(state)
    outcome = trainer.train(state, epochs)
    assert outcome.epochs == epochs and not outcome.diverged
    return config, outcome.params, trainer.evaluate(outcome.params)


CASES = {
    # Adam on the penalised loss, L2, a fresh order every epoch, a cosine schedule, every feature
    "spiral-adam-l2-shuffle-cosine": (
        {
            "dataset": "spiral",
            "features": ALL_FEATURES,
            "hidden_layers": [8, 8, 8],
            "optimizer": "adam",
            "learning_rate": 0.01,
            "regularization": "l2",
            "regularization_rate": 0.001,
            "shuffle": "on",
            "batch_size": 16,
            "schedule": "cosine",
            "schedule_epochs": 60,
        },
        80,
    ),
    # softmax over 3 classes, dropout, He init, momentum, a warm-up schedule
    "blobs-softmax-dropout-he-momentum": (
        {
            "dataset": "blobs",
            "classes": 3,
            "loss": "cross_entropy",
            "activation": "relu",
            "dropout": 0.2,
            "init": "he",
            "optimizer": "momentum",
            "schedule": "warmup",
            "schedule_epochs": 20,
            "hidden_layers": [6, 4],
        },
        60,
    ),
    # scikit-learn's moons (embedded points), batch norm, a sigmoid output with cross-entropy, L1 SGD
    "moons-batchnorm-bce-l1": (
        {
            "dataset": "moons",
            "loss": "cross_entropy",
            "batch_norm": "on",
            "regularization": "l1",
            "regularization_rate": 0.003,
            "hidden_layers": [5],
        },
        60,
    ),
}


def test_exported_scripts_retrain_to_their_runs_final_test_loss_using_only_jax_optax_numpy(tmp_path):
    frames, paths = [], []
    for name, (changes, epochs) in CASES.items():
        config, _, frame = trained(changes, epochs)
        frames.append((name, epochs, frame))
        paths.append(tmp_path / f"{name}.py")
        paths[-1].write_text(mlp_script(config.public(), epochs, expected={"test_loss": frame.test_loss}))
    results = run_isolated(*paths)
    assert len(results) == len(CASES)
    for (name, epochs, frame), got in zip(frames, results, strict=True):
        assert got["epoch"] == epochs, name
        assert abs(got["test_loss"] - frame.test_loss) < TOLERANCE, name
        assert abs(got["train_loss"] - frame.train_loss) < TOLERANCE, name
        assert abs(got["test_accuracy"] - frame.test_accuracy) < 0.01, (
            name
        )  # a point on the boundary may flip


def test_a_script_of_a_runs_own_points_carries_them(tmp_path):
    rng = np.random.default_rng(3)
    points = rng.uniform(-5, 5, (60, 2)).astype(np.float32)
    labels = np.where(points[:, 0] > 0, 1.0, -1.0).astype(np.float32)
    config = make_config(None, {"dataset": "custom"})
    trainer = Trainer(config)
    trainer.set_custom_points(points, labels)
    state = trainer.train(trainer.init_params(), 30).params
    text = mlp_script(config.public(), 30, own=(points, labels))
    assert "TRAIN_X = np.frombuffer(base64.b64decode(" in text
    with pytest.raises(ExportError, match="own points are missing"):
        mlp_script(config.public(), 30, own=None)
    namespace: dict = {}
    exec(compile(text.replace('if __name__ == "__main__":', "if False:"), "run.py", "exec"), namespace)
    hyper, layers, opt_state, data = namespace["setup"]()
    layers, _ = namespace["train"](layers, opt_state, hyper, data, 0, 30)
    assert abs(namespace["figures"](layers)["test_loss"] - trainer.evaluate(state).test_loss) < TOLERANCE


def test_the_notebook_validates_and_its_cells_retrain_to_the_same_numbers(tmp_path):
    config, _, frame = trained({"dataset": "xor", "hidden_layers": [4]}, 40)
    text = mlp_notebook(config.public(), 40, title="xor run")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].cell_type == "markdown" and "xor run" in notebook.cells[0].source
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert "matplotlib" in code[-1]  # the plots
    path = tmp_path / "cells.py"
    path.write_text("\n\n".join(code[:-1]) + "\n")  # every cell but the plots, in order
    (got,) = run_isolated(path)
    assert abs(got["test_loss"] - frame.test_loss) < TOLERANCE


def test_the_npz_holds_each_layers_exact_weights_and_the_config():
    config, state, frame = trained({"hidden_layers": [3, 2]}, 5)
    data = np.load(io.BytesIO(npz_bytes("playground", config.public(), 5, state_to_bytes(state))))
    assert json.loads(str(data["config"]))["hidden_layers"] == [3, 2]
    assert int(data["epoch"]) == 5
    for i, (weights, biases) in enumerate(zip(frame.weights, frame.biases, strict=True), start=1):
        np.testing.assert_array_equal(data[f"layer{i}_weights"], weights)
        np.testing.assert_array_equal(data[f"layer{i}_biases"], biases)
    assert list(data["features"]) == list(config.features)


def test_the_html_report_is_one_file_with_plotly_inline_and_its_text_escaped():
    page = html_report(
        "A <b>sweep</b>",
        [
            text_block("runs </script><script>alert(1)</script>", "Intro"),
            table_block(["lr", "loss"], [[0.1, 0.25], [0.03, None]]),
            figure_block({"data": [{"type": "scatter", "x": [1], "y": ["</script>"]}], "layout": {}}),
        ],
    )
    assert "<script src" not in page and "<link" not in page  # nothing to fetch
    assert "A &lt;b&gt;sweep&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 3  # plotly.js, the figures' data, the drawing: nothing else closes
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.min.js itself


def test_a_comparison_report_lists_the_runs_and_the_settings_that_differ():
    runs = [
        {"label": name, "source": "saved", "lab": "playground", "epoch": 10, "train_loss": 0.1}
        | {"test_loss": 0.2, "train_accuracy": 0.9, "test_accuracy": 0.8}
        for name in ("slow", "fast")
    ]
    compared = {
        "runs": runs,
        "config_diff": [{"setting": "learning_rate", "label": "Learning rate", "values": [0.01, 0.3]}],
        "loss": {"data": [], "layout": {}},
        "maps": [None, None],
        "confusions": [None, None],
    }
    page = comparison_report(compared)
    assert "Learning rate" in page and "<td>0.3</td>" in page and "<td>slow</td>" in page


def test_nnplay_export_writes_a_script_of_the_settings_given(tmp_path, capsys):
    out = tmp_path / "xor.py"
    code = cli_main(["export", "--format", "script", "--dataset", "xor", "--epochs", "25", "-o", str(out)])
    assert code == 0
    text = out.read_text()
    assert "EPOCHS = 25" in text and "'dataset': 'xor'" in text
    compile(text, "xor.py", "exec")
    assert cli_main(["export", "--learning-rate", "50"]) == 2
    assert "learning rate must be between" in capsys.readouterr().err
    assert cli_main(["export", "--run", "nothing-saved", "--data-dir", str(tmp_path)]) == 2
    assert "no saved run named 'nothing-saved'" in capsys.readouterr().err
