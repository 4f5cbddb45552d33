"""`nnplay train --lab images --json`: the metrics, the confusion matrix and the architecture."""

from __future__ import annotations

import json

import pytest

from nnplay.cli import main


def test_train_lab_images_prints_json_metrics_confusion_matrix_and_architecture(capsys):
    assert main(["train", "--lab", "images", "--epochs", "3", "--seed", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["epoch"] == 3 and result["config"]["seed"] == 2
    assert result["test_accuracy"] > 0.9 and result["train_accuracy"] > 0.9 and result["test_loss"] > 0
    matrix = result["confusion_matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(matrix[c][c] for c in range(10)) / sum(map(sum, matrix)) == pytest.approx(
        result["test_accuracy"]
    )
    assert [layer["kind"] for layer in result["architecture"]] == [
        "conv",
        "maxpool",
        "conv",
        "flatten",
        "output",
    ]


def test_train_lab_images_rejects_a_bad_seed_by_name(capsys):
    assert main(["train", "--lab", "images", "--seed", "-3", "--json"]) == 2
    assert "seed must be between 0 and 2147483647, got -3" in capsys.readouterr().err
