"""The GAN's figures on hand-made samples: the mode counter, the good-sample share, the divergence."""

import numpy as np
import pytest

from nnplay.families.gen.data import ring_centres
from nnplay.families.gen.metrics import js_divergence, mode_figures, near_share
from nnplay.families.gen.points import PointsError, parse_points_csv


def test_samples_on_five_of_eight_ring_modes_cover_five_with_every_sample_good():
    centres = ring_centres()
    samples = np.repeat(centres[:5], 20, axis=0) + 0.01
    assert mode_figures(samples, centres, 0.05) == (5, 1.0)


def test_samples_between_modes_are_not_good_and_a_mode_with_a_stray_sample_is_not_covered():
    centres = ring_centres()
    on_modes = np.repeat(centres, 30, axis=0)  # 240 good samples, 30 on each mode
    between = np.zeros((60, 2))  # the ring's centre: 2 away from every mode
    stray = centres[:1] + 0.0  # one more sample on mode 0 does not matter
    covered, good = mode_figures(np.vstack([on_modes[:210], between, stray]), centres, 0.05)
    assert good == pytest.approx(211 / 271)
    assert covered == 7  # mode 7 has no sample at all (on_modes[:210] stops after mode 6)
    lonely = np.vstack([np.repeat(centres[:7], 40, axis=0), centres[7:8]])  # mode 7: 1 of 281 samples
    assert mode_figures(lonely, centres, 0.05)[0] == 7  # below a tenth of its fair share (35)


def test_the_near_share_counts_samples_within_the_radius_of_a_real_point():
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    samples = np.array([[0.05, 0.0], [1.0, 1.09], [0.5, 0.5], [3.0, 3.0]])
    assert near_share(samples, points, 0.1) == 0.5


def test_the_divergence_is_zero_for_equal_samples_and_one_bit_for_disjoint_ones():
    a = np.array([[-1.0, -1.0], [-1.2, -1.1]])
    b = np.array([[1.0, 1.0], [1.1, 1.2]])
    assert js_divergence(a, a, 3.0) == pytest.approx(0.0)
    assert js_divergence(a, b, 3.0) == pytest.approx(1.0)


def test_a_csv_of_points_parses_with_a_header_and_text_in_it_is_refused_naming_the_line():
    text = "x,y\n" + "\n".join(f"{i},{i * 0.5}" for i in range(10))
    points = parse_points_csv(text)
    assert points.shape == (10, 2) and points[3].tolist() == [3.0, 1.5]
    with pytest.raises(PointsError, match=r"line 3: 'banana' is not a number"):
        parse_points_csv("1,2\n3,4\nbanana,5\n" + "1,1\n" * 10)
    with pytest.raises(PointsError, match="at least 8 points"):
        parse_points_csv("1,2\n3,4\n")
