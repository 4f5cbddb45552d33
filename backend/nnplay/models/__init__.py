"""The networks nnplay trains (pure functions of explicit parameters) and their losses.

Every float32 matrix product runs at full precision. On an H200 machine JAX's default (TF32 products)
made a session's frame differ from the same session's frame made in a batch by ~2e-5 of its loss
(tests/unit/test_framer.py failed there); at "highest" those tests passed, as they do on CPU, where this
changes nothing. A learner's numbers must not depend on the hardware or on a class's other sessions.
"""

import jax

jax.config.update("jax_default_matmul_precision", "highest")
