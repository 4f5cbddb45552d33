"""Our metrics against scikit-learn's on the same predictions."""

import numpy as np
import pytest
from sklearn import metrics as sk

from nnplay.engine.metrics import binary_metrics, confusion_matrix, multiclass_metrics, roc_auc, roc_curve


def predictions(seed: int, n: int = 300, ties: bool = False):
    rng = np.random.default_rng(seed)
    labels = rng.choice([-1.0, 1.0], n)
    scores = np.tanh(labels * rng.uniform(0, 1, n) + rng.normal(0, 0.8, n))
    if ties:
        scores = np.round(scores, 1)
    return labels, scores


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, False), (2, True), (3, True)])
def test_binary_metrics_match_scikit_learn(seed, ties):
    labels, scores = predictions(seed, ties=ties)
    predicted = np.where(scores > 0, 1.0, -1.0)
    ours = binary_metrics(labels, scores, with_curve=True)
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(labels, predicted))
    assert ours["precision"] == pytest.approx(sk.precision_score(labels, predicted))
    assert ours["recall"] == pytest.approx(sk.recall_score(labels, predicted))
    assert ours["f1"] == pytest.approx(sk.f1_score(labels, predicted))
    assert ours["roc_auc"] == pytest.approx(sk.roc_auc_score(labels, scores))
    assert ours["confusion_matrix"] == sk.confusion_matrix(labels, predicted, labels=[-1, 1]).tolist()


@pytest.mark.parametrize("ties", [False, True])
def test_roc_curve_matches_scikit_learn(ties):
    labels, scores = predictions(5, ties=ties)
    fpr, tpr = roc_curve(labels, scores)
    sk_fpr, sk_tpr, _ = sk.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert roc_auc(labels, scores) == pytest.approx(np.trapezoid(tpr, fpr))


def test_roc_curve_in_a_frame_is_thinned_but_keeps_its_ends():
    labels, scores = predictions(7, n=1000)
    result = binary_metrics(labels, scores, with_curve=True)
    assert len(result["roc_fpr"]) <= 65
    assert (result["roc_fpr"][0], result["roc_tpr"][0]) == (0.0, 0.0)
    assert (result["roc_fpr"][-1], result["roc_tpr"][-1]) == (1.0, 1.0)


def test_auc_is_undefined_with_one_class_and_precision_is_zero_without_positive_predictions():
    labels = np.ones(10)
    assert roc_auc(labels, np.linspace(-1, 1, 10)) is None
    result = binary_metrics(-np.ones(4), -np.ones(4))
    assert result["precision"] == 0.0 and result["recall"] == 0.0 and result["f1"] == 0.0
    assert result["accuracy"] == 1.0


def test_confusion_matrix_counts_multiclass_like_scikit_learn():
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    classes = np.arange(4)
    expected = sk.confusion_matrix(labels, predicted, labels=classes)
    assert confusion_matrix(labels, predicted, classes).tolist() == expected.tolist()


@pytest.mark.parametrize(("seed", "k"), [(0, 3), (1, 5), (2, 8)])
def test_multiclass_metrics_match_scikit_learn(seed, k):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, 400)
    logits = rng.normal(0, 1, (400, k)) + 1.5 * np.eye(k)[labels] * rng.uniform(0, 1, (400, 1))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    ours = multiclass_metrics(labels.astype(np.float32), probabilities)
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(labels, predicted))
    assert ours["precision"] == pytest.approx(sk.precision_score(labels, predicted, average="macro"))
    assert ours["recall"] == pytest.approx(sk.recall_score(labels, predicted, average="macro"))
    assert ours["f1"] == pytest.approx(sk.f1_score(labels, predicted, average="macro"))
    expected_auc = sk.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    assert ours["roc_auc"] == pytest.approx(expected_auc)
    assert ours["confusion_matrix"] == sk.confusion_matrix(labels, predicted, labels=range(k)).tolist()
    assert ours["classes"] == list(range(k))


def test_multiclass_auc_is_undefined_when_a_class_is_missing():
    probabilities = np.asarray([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    result = multiclass_metrics(np.asarray([0.0, 1.0]), probabilities)
    assert result["roc_auc"] is None and result["accuracy"] == 1.0
    assert result["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
