"""nnplay: a neural-network playground backed by JAX."""

__version__ = "0.1.0"
