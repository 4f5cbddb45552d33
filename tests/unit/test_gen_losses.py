"""The generative lab's losses against closed forms on tiny cases."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.families.gen.gan import d_loss_of, g_loss_of, gradient_penalty
from nnplay.families.gen.vae import kl_standard_normal, reconstruction


def test_the_nonsaturating_discriminator_loss_at_d_one_half_is_two_log_two():
    half = jnp.zeros(5)  # logits 0: D = 1/2 everywhere
    assert float(d_loss_of("nonsaturating", half, half)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(g_loss_of("nonsaturating", half)) == pytest.approx(math.log(2), rel=1e-6)


def test_the_least_squares_losses_at_d_one_half_are_a_quarter_and_an_eighth():
    half = jnp.full(4, 0.5)
    assert float(d_loss_of("least_squares", half, half)) == pytest.approx(0.25)  # (1/4 + 1/4) / 2
    assert float(g_loss_of("least_squares", half)) == pytest.approx(0.125)


def test_the_wasserstein_critic_loss_is_the_gap_of_its_means():
    real, fake = jnp.array([1.0, 3.0]), jnp.array([-1.0, 0.0])
    assert float(d_loss_of("wasserstein_gp", real, fake)) == pytest.approx(-0.5 - 2.0)
    assert float(g_loss_of("wasserstein_gp", fake)) == pytest.approx(0.5)


@pytest.mark.parametrize("slope", [(0.6, 0.8), (3.0, 4.0), (0.0, 0.5)])
def test_the_gradient_penalty_of_a_linear_critic_is_its_slope_norm_minus_one_squared(slope):
    a = jnp.asarray(slope)
    points = jax.random.normal(jax.random.PRNGKey(0), (7, 2))
    penalty = gradient_penalty(lambda x: (x @ a)[:, None] + 0.3, points)
    assert float(penalty) == pytest.approx((math.hypot(*slope) - 1) ** 2, abs=1e-5)


def test_the_kl_of_a_standard_normal_is_zero_and_of_a_shifted_one_half_its_squared_mean():
    zeros = jnp.zeros((3, 2))
    assert np.allclose(kl_standard_normal(zeros, zeros), 0.0)
    mu = jnp.array([[1.0, 2.0]])
    assert float(kl_standard_normal(mu, jnp.zeros((1, 2)))[0]) == pytest.approx(0.5 * 5)
    # a variance of e: 0.5 (e - 1 - 1) per dimension
    assert float(kl_standard_normal(jnp.zeros((1, 1)), jnp.ones((1, 1)))[0]) == pytest.approx(
        0.5 * (math.e - 2)
    )


def test_the_reconstruction_is_the_bernoulli_negative_log_likelihood_in_nats():
    x = jnp.array([[1.0, 0.0, 0.5]])
    logits = jnp.array([[0.0, 2.0, -1.0]])
    p = 1 / (1 + np.exp(-np.array([0.0, 2.0, -1.0])))
    expected = -np.sum(
        np.array([1.0, 0.0, 0.5]) * np.log(p) + (1 - np.array([1.0, 0.0, 0.5])) * np.log(1 - p)
    )
    assert float(reconstruction(logits, x)[0]) == pytest.approx(expected, rel=1e-5)
