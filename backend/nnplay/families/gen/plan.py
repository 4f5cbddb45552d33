"""A generative-lab config bound to its data: the plan the engine trains and shows (its uses), fresh and
carried-over states, and headless training for the CLI, benchmarks and tests.

A plan is immutable. Its kernels are keyed by the nets' buckets (and, for the GAN, the loss and batch
size): layer and neuron edits within a bucket, the noise dimension, k, the learning rates, beta, AE <->
VAE and the data set change only the traced inputs, so they compile nothing and keep every weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, cached_property, lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...engine.seam import FrameUse, TrainUse, same_layout
from .config import GenConfig
from .data import DigitData, PlaneData, digit_data, plane_data
from .evaluate import (
    VaeFrameInputs,
    gan_frame_inputs,
    latent_grid,
    make_decode,
    make_encode,
    make_gan_frame,
    make_vae_frame,
)
from .frames import GanFrame, VaeFrame, gan_frame_of, vae_frame_of
from .gan import GanInputs, GanKey, GanState, adam, make_gan_chunk, make_gan_phases
from .nets import NetShape, fit_net, init_net, net_mask, zeros_like_init
from .settings import LATENT, MAX_NOISE
from .vae import OPTIMIZER, VaeInputs, VaeKey, VaeState, make_vae_chunk

f32, i32 = np.float32, np.int32


class GenPlan:
    def __init__(self, config: GenConfig, previous: GenPlan | None = None, custom: Any = None) -> None:
        self.config = config
        self.custom = custom
        self.is_gan = config.is_gan
        if self.is_gan:
            self._init_gan(config, previous, custom)
        else:
            self._init_vae(config, previous)

    # ---- the GAN -------------------------------------------------------------------------------------

    def _init_gan(self, config: GenConfig, previous: GenPlan | None, custom: Any) -> None:
        same = (
            previous is not None
            and previous.is_gan
            and (previous.config.dataset, previous.config.seed) == (config.dataset, config.seed)
            and previous.custom is custom
        )
        self.plane: PlaneData
        self.points: jax.Array
        if same and previous is not None:
            self.plane, self.points = previous.plane, previous.points
        else:
            self.plane = plane_data(config.dataset, config.seed, custom)
            self.points = jnp.asarray(self.plane.padded())
        self.g_shape = NetShape.bucket_for(config.generator_layers, MAX_NOISE, 2)
        self.d_shape = NetShape.bucket_for(config.discriminator_layers, 2, 1)
        self.gan_key = GanKey(self.g_shape, self.d_shape, config.loss, config.batch)
        noise_mask = (np.arange(MAX_NOISE) < config.noise_dim).astype(f32)
        self.gan_inputs = GanInputs(
            g_mask=net_mask(self.g_shape, config.generator_layers, config.generator_activation),
            d_mask=net_mask(self.d_shape, config.discriminator_layers, config.discriminator_activation),
            noise_mask=jnp.asarray(noise_mask),
            g_lr=jnp.asarray(config.generator_lr, f32),
            d_lr=jnp.asarray(config.discriminator_lr, f32),
            d_steps=jnp.asarray(config.d_steps, i32),
            gp_weight=jnp.asarray(config.gp_weight, f32),
            seed=jnp.asarray(config.seed, i32),
            points=self.points,
            n_points=jnp.asarray(max(1, len(self.plane.points)), i32),
        )
        self.gan_view = gan_frame_inputs(config.seed, noise_mask, self.plane.extent)

    # ---- the AE / VAE --------------------------------------------------------------------------------

    def _init_vae(self, config: GenConfig, previous: GenPlan | None) -> None:
        same = previous is not None and not previous.is_gan and previous.config.seed == config.seed
        self.digits: DigitData
        self.train_x: jax.Array
        self.vae_view: VaeFrameInputs
        if same and previous is not None:
            self.digits, self.train_x, self.vae_view = previous.digits, previous.train_x, previous.vae_view
        else:
            self.digits = digit_data(config.seed)
            self.train_x = jnp.asarray(self.digits.train_x)
            self.vae_view = VaeFrameInputs(
                jnp.asarray(self.digits.test_x),
                jnp.asarray(self.digits.test_y),
                jnp.asarray(self.digits.train_y),
                jnp.asarray(latent_grid()),
            )
        digits = self.digits
        layers = config.encoder_layers
        self.e_shape = NetShape.bucket_for(layers, 64, 2 * LATENT)
        self.dec_shape = NetShape.bucket_for(tuple(reversed(layers)), LATENT, 64)
        self.vae_key = VaeKey(self.e_shape, self.dec_shape, config.batch, len(digits.train_y))
        self.vae_inputs = VaeInputs(
            e_mask=net_mask(self.e_shape, layers, config.activation),
            d_mask=net_mask(self.dec_shape, tuple(reversed(layers)), config.activation),
            variational=jnp.asarray(1.0 if config.model == "vae" else 0.0, f32),
            beta=jnp.asarray(config.beta, f32),
            lr=jnp.asarray(config.learning_rate, f32),
            seed=jnp.asarray(config.seed, i32),
            train_x=self.train_x,
        )

    @property
    def steps_per_epoch(self) -> int:
        """Generator updates (GAN: one a unit, shown as steps) or minibatches of the training digits."""
        return 1 if self.is_gan else max(1, len(self.digits.train_y) // self.config.batch)

    # ---- states ----------------------------------------------------------------------------------------

    def fresh_state(self) -> GanState | VaeState:
        """New weights from the seed (numpy: a new run compiles nothing), zero optimizer moments."""
        seed = self.config.seed
        zero: Any = np.zeros((), np.int32)
        nan: Any = np.full((), np.nan, np.float32)
        if self.is_gan:
            g = init_net(seed, 1, self.g_shape, self.config.generator_layers)
            d = init_net(seed, 2, self.d_shape, self.config.discriminator_layers)
            tx = adam(self.config.loss)
            state: Any = GanState(
                g, d, zeros_like_init(tx.init, g), zeros_like_init(tx.init, d), zero, zero, nan, nan
            )
        else:
            layers = self.config.encoder_layers
            e = init_net(seed, 1, self.e_shape, layers)
            dec = init_net(seed, 2, self.dec_shape, tuple(reversed(layers)))
            state = VaeState(e, dec, zeros_like_init(OPTIMIZER.init, (e, dec)), zero, nan)
        return jax.device_put(state)  # type: ignore[no-any-return]

    def adopt(self, state: Any) -> Any:
        """`state` carried to this plan: as it is when the buckets are the same, else its weights copied
        into the new buckets (fresh optimizer moments); a state of the other model kind starts afresh."""
        fresh = self.fresh_state()
        if type(state) is not type(fresh):
            return fresh
        if same_layout(state, fresh):
            return state
        if isinstance(state, GanState) and isinstance(fresh, GanState):
            g, d = fit_net(state.g, fresh.g), fit_net(state.d, fresh.d)
            tx = adam(self.config.loss)
            g_opt, d_opt = zeros_like_init(tx.init, g), zeros_like_init(tx.init, d)
            return fresh._replace(g=g, d=d, g_opt=g_opt, d_opt=d_opt, step=state.step)
        assert isinstance(state, VaeState) and isinstance(fresh, VaeState)
        e, dec = fit_net(state.encoder, fresh.encoder), fit_net(state.decoder, fresh.decoder)
        opt = zeros_like_init(OPTIMIZER.init, (e, dec))
        return fresh._replace(encoder=e, decoder=dec, opt=opt, step=state.step)

    # ---- uses --------------------------------------------------------------------------------------------

    @cached_property
    def _train_uses(self) -> tuple[TrainUse, ...]:
        if self.is_gan:
            gan_key = self.gan_key
            return (TrainUse(("gen.gan", gan_key), self.gan_inputs, lambda: make_gan_chunk(gan_key), "gan"),)
        vae_key = self.vae_key
        return (TrainUse(("gen.vae", vae_key), self.vae_inputs, lambda: make_vae_chunk(vae_key), "vae"),)

    def train_uses(self) -> Sequence[TrainUse]:
        return self._train_uses

    @cached_property
    def _frame_uses(self) -> tuple[FrameUse, ...]:
        if self.is_gan:
            gan_key, plane, config = self.gan_key, self.plane, self.config
            return (
                FrameUse(
                    key=("gen.gan.frame", gan_key),
                    inputs=(self.gan_inputs, self.gan_view),
                    build=lambda: make_gan_frame(gan_key),
                    finish=lambda out: gan_frame_of(out, plane, config.loss),
                ),
            )
        model = self.config.model
        return (
            FrameUse(
                key=("gen.vae.frame", self.vae_key),
                inputs=(self.vae_inputs, self.vae_view),
                build=make_vae_frame,
                finish=lambda out: vae_frame_of(out, model),
            ),
        )

    def frame_uses(self, detail: bool, view: Any = None) -> Sequence[FrameUse]:
        return self._frame_uses

    # ---- probes (a click on the latent plane, a drawn digit) ---------------------------------------------

    def decode_args(self, state: VaeState, z: np.ndarray) -> tuple[Any, ...]:
        return state.decoder, self.vae_inputs.d_mask, jnp.asarray(z, f32).reshape(-1, LATENT)

    def encode_args(self, state: VaeState, x: np.ndarray) -> tuple[Any, ...]:
        return state.encoder, self.vae_inputs.e_mask, jnp.asarray(x, f32).reshape(-1, 64)

    # ---- headless use (the CLI, benchmarks, tests: jitted once per plan) -----------------------------------

    @property
    def _jitted(self) -> tuple[Any, Any]:
        return _headless(self.train_uses()[0].key), _headless_frame(self.frame_uses(False)[0].key)

    def train(self, state: Any, units: int) -> Any:
        trained, _, _ = self._jitted[0](state, self.train_uses()[0].inputs, jnp.asarray(units, jnp.int32))
        return trained

    def evaluate(self, state: Any) -> GanFrame | VaeFrame:
        use = self.frame_uses(False)[0]
        return use.finish(jax.device_get(self._jitted[1](state, use.inputs, None)))  # type: ignore[no-any-return]

    def decode(self, state: VaeState, z: np.ndarray) -> np.ndarray:
        return np.asarray(_probes()[0](*self.decode_args(state, z)))

    def encode(self, state: VaeState, x: np.ndarray) -> np.ndarray:
        return np.asarray(_probes()[1](*self.encode_args(state, x)))

    def discriminator_half(self, state: GanState) -> GanState:
        """The step-by-step mode's first half: the next generator step's k discriminator updates."""
        return _discriminator_half(self.gan_key)(state, self.gan_inputs)  # type: ignore[no-any-return]


# Headless kernels, one per key (compiled once per process, as the engine's cache does for the server), the
# most recent 32 kept: each holds its compiled code, and every compiled kernel costs memory maps (a
# process has 65,530 of them on Linux by default).


@lru_cache(maxsize=32)
def _headless(key: Any) -> Any:
    kind, inner = key
    return jax.jit(make_gan_chunk(inner) if kind == "gen.gan" else make_vae_chunk(inner))


@lru_cache(maxsize=32)
def _headless_frame(key: Any) -> Any:
    kind, inner = key
    return jax.jit(make_gan_frame(inner) if kind == "gen.gan.frame" else make_vae_frame())


@cache
def _probes() -> tuple[Any, Any]:
    return jax.jit(make_decode()), jax.jit(make_encode())


@lru_cache(maxsize=32)
def _discriminator_half(key: GanKey) -> Any:
    return jax.jit(make_gan_phases(key)[0])
