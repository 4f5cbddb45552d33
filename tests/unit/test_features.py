"""Input features: the seven TF Playground feature maps, the feature mask and the prediction grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnplay.features import all_features, feature_mask, grid_points
from nnplay.settings import FEATURE_NAMES


def test_feature_names_are_in_tf_playground_order():
    assert FEATURE_NAMES == ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2")


def test_all_features_of_one_point_equal_hand_computed_values():
    row = all_features(np.array([[0.5, -2.0]]))[0]
    expected = [0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)]
    np.testing.assert_allclose(row, expected, rtol=1e-6)
    assert row[5] == pytest.approx(0.479425538604203, rel=1e-6)
    assert row[6] == pytest.approx(-0.9092974268256817, rel=1e-6)


def test_all_features_equal_the_closed_forms_in_order():
    points = np.array([[0.0, 0.0], [3.0, 1.5], [-1.25, 4.0], [-6.0, -6.0], [math.pi / 2, -math.pi]])
    x1, x2 = points[:, 0], points[:, 1]
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    result = all_features(points)
    assert result.shape == (5, 7)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_all_features_accept_float32_points():
    points = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=np.float32)
    result = all_features(points)
    np.testing.assert_allclose(result[:, 4], [2.0, -1.5])
    np.testing.assert_allclose(result[:, 2:4], [[1.0, 4.0], [9.0, 0.25]])


def test_feature_mask_marks_the_default_features():
    mask = feature_mask(("x1", "x2"))
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask, [1, 1, 0, 0, 0, 0, 0])


def test_feature_mask_ignores_the_order_of_selection():
    np.testing.assert_array_equal(feature_mask(["sin_x2", "x1_sq"]), [0, 0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(feature_mask(["x1_sq", "sin_x2"]), [0, 0, 1, 0, 0, 0, 1])


def test_feature_mask_of_every_feature_is_all_ones_and_of_none_all_zeros():
    np.testing.assert_array_equal(feature_mask(FEATURE_NAMES), np.ones(7))
    np.testing.assert_array_equal(feature_mask(()), np.zeros(7))


def test_grid_points_shape_is_size_squared_by_two():
    assert grid_points(4).shape == (16, 2)
    assert grid_points(100).shape == (10_000, 2)
    assert grid_points(4).dtype == np.float32


def test_grid_points_are_cell_centres_with_row_0_at_the_top_and_column_0_at_the_left():
    # 4 cells over [-6, 6]: width 3, centres -4.5, -1.5, 1.5, 4.5.
    grid = grid_points(4).reshape(4, 4, 2)
    centres = [-4.5, -1.5, 1.5, 4.5]
    for row in range(4):
        for col in range(4):
            assert grid[row, col].tolist() == [centres[col], centres[3 - row]]
    assert grid[0, 0].tolist() == [-4.5, 4.5]  # top-left: x1 minimal, x2 maximal
    assert grid[3, 3].tolist() == [4.5, -4.5]  # bottom-right


def test_grid_points_row_major_first_point_is_top_left_of_default_grid():
    grid = grid_points(100)
    np.testing.assert_allclose(grid[0], [-5.94, 5.94], rtol=1e-6)
    np.testing.assert_allclose(grid[99], [5.94, 5.94], rtol=1e-6)  # end of the top row
    np.testing.assert_allclose(grid[100], [-5.94, 5.82], rtol=1e-6)  # start of the second row
    np.testing.assert_allclose(grid[-1], [5.94, -5.94], rtol=1e-6)


def test_grid_points_follow_a_custom_domain():
    grid = grid_points(2, domain=(0.0, 1.0))
    np.testing.assert_allclose(grid, [[0.25, 0.75], [0.75, 0.75], [0.25, 0.25], [0.75, 0.25]])
