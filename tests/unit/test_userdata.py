import numpy as np
import pytest

from nnplay.userdata import PointsError, check_point, parse_csv


def test_csv_with_header_and_zero_labels_parses():
    points, labels = parse_csv("x1,x2,label\n1,2,1\n-3.5,0.25,0\n\n4,-1,-1\n", "classification")
    np.testing.assert_array_equal(points, [[1, 2], [-3.5, 0.25], [4, -1]])
    np.testing.assert_array_equal(labels, [1, -1, -1])


def test_csv_without_header_for_regression_keeps_real_labels():
    points, labels = parse_csv("0,0,0.5\n1,1,-2.25\n", "regression")
    assert points.shape == (2, 2) and labels.tolist() == [0.5, -2.25]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2\n1,2\n", "line 1: expected 3 columns (x1,x2,label), found 2"),
        ("1,2,1\n1,two,1\n", "line 2: '1,two,1' is not three numbers"),
        ("1,2,nan\n", "line 1: label must be a finite number"),
        ("1,9,1\n", "line 1: x2 must be between -6 and 6, got 9"),
        ("1,2,0\n1,2,1\n3,3,2\n", "too many classes (0, 1, 2)"),
        ("1,2,0.5\n", "too many classes (0.5)"),
        ("", "the file has no points"),
        ("x1,x2,label\n", "the file has no points"),
        ("1,2,1\n" * 1201, "the file has 1201 points; at most 1200"),
    ],
)
def test_bad_csv_files_get_an_error_naming_the_line(text, message):
    with pytest.raises(PointsError) as error:
        parse_csv(text, "classification")
    assert message in str(error.value)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(PointsError, match="larger than 256 KB"):
        parse_csv("1,1,1\n" * 60_000, "classification")


def test_regression_labels_are_bounded():
    with pytest.raises(PointsError, match="between -10 and 10"):
        check_point(0, 0, 11, "regression")
