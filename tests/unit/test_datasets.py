"""Data sets: sizes, splits, labels and the geometry of each TF Playground generator.

Reference values are closed forms of the data sets' definitions (radii, signs, sums), computed
here with numpy from the generated points, never by calling the generators a second way.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnplay.datasets import generate, multigauss_label

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("plane", "multigauss")


def _points(split):
    return np.concatenate([split.train_x, split.test_x]), np.concatenate([split.train_y, split.test_y])


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_sets_have_500_points(name):
    split = generate(name, noise_percent=0, train_ratio_percent=50, seed=1)
    assert len(split.train_x) + len(split.test_x) == 500


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_sets_have_1200_points(name):
    split = generate(name, noise_percent=0, train_ratio_percent=50, seed=1)
    assert len(split.train_x) + len(split.test_x) == 1200


@pytest.mark.parametrize(
    ("name", "ratio", "n_train", "n_test"),
    [
        ("circle", 50, 250, 250),
        ("circle", 10, 50, 450),
        ("xor", 90, 450, 50),
        ("spiral", 30, 150, 350),
        ("plane", 50, 600, 600),
        ("multigauss", 10, 120, 1080),
    ],
)
def test_split_sizes_follow_the_train_ratio(name, ratio, n_train, n_test):
    split = generate(name, noise_percent=0, train_ratio_percent=ratio, seed=3)
    assert split.train_x.shape == (n_train, 2)
    assert split.train_y.shape == (n_train,)
    assert split.test_x.shape == (n_test, 2)
    assert split.test_y.shape == (n_test,)


def test_split_arrays_are_float32():
    split = generate("gauss", noise_percent=10, train_ratio_percent=50, seed=1)
    for array in (split.train_x, split.train_y, split.test_x, split.test_y):
        assert array.dtype == np.float32


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("noise", [0, 25, 50])
def test_classification_labels_are_exactly_plus_or_minus_one(name, noise):
    _, y = _points(generate(name, noise_percent=noise, train_ratio_percent=50, seed=7))
    assert set(np.unique(y).tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_same_seed_gives_identical_arrays(name):
    a = generate(name, noise_percent=20, train_ratio_percent=50, seed=42)
    b = generate(name, noise_percent=20, train_ratio_percent=50, seed=42)
    for left, right in zip(_points(a), _points(b), strict=True):
        np.testing.assert_array_equal(left, right)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    np.testing.assert_array_equal(a.test_y, b.test_y)


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_different_seed_gives_different_points(name):
    a = generate(name, noise_percent=20, train_ratio_percent=50, seed=1)
    b = generate(name, noise_percent=20, train_ratio_percent=50, seed=2)
    assert not np.array_equal(a.train_x, b.train_x)


def test_circle_without_noise_is_separated_by_radius():
    x, y = _points(generate("circle", noise_percent=0, train_ratio_percent=50, seed=5))
    r = np.hypot(x[:, 0].astype(np.float64), x[:, 1].astype(np.float64))
    eps = 1e-5  # float32 rounding of the stored points
    inside = r < 2.5 + eps
    beyond = r > 3.5 - eps
    assert np.all(inside | beyond), "no point lies in the empty ring 2.5 < r < 3.5"
    assert np.all(y[inside] == 1.0)
    assert np.all(y[beyond] == -1.0)
    assert np.all(r <= 5.0 + eps)
    assert inside.sum() == 250
    assert beyond.sum() == 250


def test_circle_with_noise_has_labels_that_disagree_with_the_radius_rule():
    x, y = _points(generate("circle", noise_percent=50, train_ratio_percent=50, seed=1))
    geometric = np.where(np.hypot(x[:, 0], x[:, 1]) < 3.0, 1.0, -1.0)
    disagreements = int(np.sum(geometric != y))
    assert disagreements > 0
    assert disagreements < len(y) // 2


def test_xor_without_noise_labels_are_the_sign_of_x1_times_x2():
    x, y = _points(generate("xor", noise_percent=0, train_ratio_percent=50, seed=5))
    product = x[:, 0].astype(np.float64) * x[:, 1].astype(np.float64)
    assert np.all(product != 0.0)
    np.testing.assert_array_equal(y, np.sign(product))


def test_xor_points_keep_the_padding_away_from_the_axes():
    x, _ = _points(generate("xor", noise_percent=0, train_ratio_percent=50, seed=5))
    assert np.all(np.abs(x) >= 0.3 - 1e-6)
    assert np.all(np.abs(x) <= 5.3 + 1e-6)


def test_gauss_without_noise_puts_positive_points_around_plus_two():
    x, y = _points(generate("gauss", noise_percent=0, train_ratio_percent=50, seed=5))
    np.testing.assert_allclose(x[y == 1.0].mean(axis=0), [2.0, 2.0], atol=0.15)
    np.testing.assert_allclose(x[y == -1.0].mean(axis=0), [-2.0, -2.0], atol=0.15)
    assert np.sum(y == 1.0) == 250


def test_spiral_without_noise_lies_within_radius_5():
    x, y = _points(generate("spiral", noise_percent=0, train_ratio_percent=50, seed=5))
    r = np.hypot(x[:, 0].astype(np.float64), x[:, 1].astype(np.float64))
    assert np.all(r <= 5.0 + 1e-5)
    assert r.max() > 4.9  # the arms reach out to the rim
    assert np.sum(y == 1.0) == np.sum(y == -1.0) == 250


def test_spiral_with_full_noise_stays_within_radius_5_plus_jitter():
    x, _ = _points(generate("spiral", noise_percent=50, train_ratio_percent=50, seed=5))
    r = np.hypot(x[:, 0], x[:, 1])
    # Jitter is at most 0.5 per coordinate at 50 % noise.
    assert np.all(r <= 5.0 + 0.5 * np.sqrt(2) + 1e-5)


def test_plane_without_noise_label_is_x1_plus_x2_over_10():
    x, y = _points(generate("plane", noise_percent=0, train_ratio_percent=50, seed=5))
    expected = (x[:, 0].astype(np.float64) + x[:, 1].astype(np.float64)) / 10.0
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-6)
    assert np.all(np.abs(x) <= 6.0)


_BUMPS = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
]


@pytest.mark.parametrize(("cx", "cy", "sign"), _BUMPS)
def test_multigauss_label_at_a_bump_centre_is_its_sign(cx, cy, sign):
    assert multigauss_label(np.array([[cx, cy]])).tolist() == [sign]


@pytest.mark.parametrize("point", [(0.0, 0.0), (6.0, 0.0), (-6.0, 6.0), (2.0, 5.5), (-2.0, -5.0)])
def test_multigauss_label_is_zero_more_than_2_from_every_bump(point):
    assert multigauss_label(np.array([point])).tolist() == [0.0]


def test_multigauss_label_falls_linearly_to_zero_at_distance_2():
    # (0, 1.5) is 1 from the negative bump at (0, 2.5) and more than 2 from all others.
    points = np.array([[0.0, 1.5], [1.0, 2.5], [-4.0, 4.0], [4.0, -0.5]])
    np.testing.assert_allclose(multigauss_label(points), [-0.5, -0.5, 0.25, 0.0], atol=1e-12)


def test_multigauss_without_noise_label_follows_the_nearest_bump():
    x, y = _points(generate("multigauss", noise_percent=0, train_ratio_percent=50, seed=5))
    centres = np.array([(cx, cy) for cx, cy, _ in _BUMPS])
    signs = np.array([s for _, _, s in _BUMPS])
    d = np.linalg.norm(x[:, None, :].astype(np.float64) - centres[None], axis=2)
    nearest = d.argmin(axis=1)
    d_min = d.min(axis=1)
    expected = np.where(d_min < 2.0, signs[nearest] * (1.0 - d_min / 2.0), 0.0)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert np.all(np.abs(y) <= 1.0)


def test_unknown_dataset_name_raises_value_error():
    with pytest.raises(ValueError, match="unknown data set 'banana'"):
        generate("banana", noise_percent=0, train_ratio_percent=50, seed=1)


# ---- data sets beyond TensorFlow Playground -------------------------------------------------


def test_moons_follow_scikit_learns_half_circles():
    from sklearn.datasets import make_moons

    split = generate("moons", 0, 100, seed=3)
    points = np.concatenate([split.train_x, split.test_x])
    labels = np.concatenate([split.train_y, split.test_y])
    assert len(points) == 500 and set(np.unique(labels)) == {-1.0, 1.0}
    raw = points / 3.5 + (0.5, 0.25)  # undo the scaling: back on sklearn's noise-free moons
    reference, _ = make_moons(2000, noise=0.0)
    distance = np.min(np.linalg.norm(raw[:, None, :] - reference[None, :, :], axis=2), axis=1)
    assert distance.max() < 0.01
    upper = labels == 1.0  # sklearn's class 0 is the upper moon
    assert raw[upper, 1].mean() > raw[~upper, 1].mean()


def test_checkerboard_labels_alternate_by_square():
    split = generate("checkerboard", 0, 100, seed=4)
    x, y = split.train_x, split.train_y
    expected = np.where((np.floor(x[:, 0] / 3) + np.floor(x[:, 1] / 3)) % 2 == 0, 1.0, -1.0)
    np.testing.assert_array_equal(y, expected)
    assert np.abs(x).max() <= 6.0
