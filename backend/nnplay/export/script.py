"""A playground run as a standalone Python script (jax, optax and numpy only) that retrains it.

The script is written from the run's config: the data generator, feature maps, initial weights, update
rules and schedules are copied from nnplay's own source (`inspect.getsource`), so it cannot drift from
what the server trains; the network and its training loop are the exact-shape kernel's
(families/mlp/exact.py) written out plainly. Data sets made by scikit-learn (moons) and a person's own
points are embedded as numbers. It prints its final figures as one JSON line at the end.

What it does not replay: edits made while the run trained (weights set by hand, settings changed midway,
early stopping's restore, a rollback). A run trained with one config from its seed is reproduced to
round-off: the server may have trained some chunks on its padded kernel, the script trains the exact one.
"""

from __future__ import annotations

import base64
import inspect
import pprint
import textwrap
from typing import Any

import numpy as np

from .. import datasets
from ..settings import DATASET_PROBLEM, FEATURE_NAMES, MULTICLASS_DATASETS

# Source that the script copies (each a pure function of numpy or jax, with no nnplay imports). Read from
# files, not imported, so that writing a script never imports jax (the API's rule).
_MODULES = {
    "init": "models/mlp_init.py",
    "mlp": "models/mlp.py",
    "losses": "models/losses.py",
    "optimizers": "engine/optimizers.py",
    "train": "families/mlp/train.py",
}
GENERATOR_HELPERS = {
    "plane": ["_regression_points"],
    "multigauss": ["_regression_points", "multigauss_label"],
}
EMBEDDED_DATASETS = ("moons", "custom")  # not pure numpy here: their points travel in the script


class ExportError(ValueError):
    """The run cannot be exported in this format (another lab, a setting the script does not replay)."""


def _source(module: str, name: str) -> str:
    """The source of top-level function or class `name` in nnplay's `module` (see _MODULES)."""
    import ast
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / _MODULES[module]
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    raise KeyError(f"{name} not in {module}")


def _array_literal(values: np.ndarray) -> str:
    """float32 numbers, exactly, as a base64 literal the script decodes."""
    data = base64.b64encode(np.ascontiguousarray(values, np.float32).tobytes()).decode()
    return f'np.frombuffer(base64.b64decode("{data}"), np.float32).reshape{tuple(values.shape)!r}'


def _data_section(config: dict[str, Any], own: tuple[np.ndarray, np.ndarray] | None) -> str:
    name = config["dataset"]
    if name == "custom" or name in EMBEDDED_DATASETS:
        if name == "custom":
            if own is None:
                raise ExportError("this run's own points are missing: it cannot be exported")
            points, labels = own
            split = datasets.custom_split(points, labels, config["train_ratio"], config["seed"])
        else:
            split = datasets.generate(name, config["noise"], config["train_ratio"], config["seed"])
        return textwrap.dedent(
            f"""\
            # The points ({name!r}: embedded, exactly as the run had them after its shuffle and split).
            TRAIN_X = {_array_literal(split.train_x)}
            TRAIN_Y = {_array_literal(split.train_y)}
            TEST_X = {_array_literal(split.test_x)}
            TEST_Y = {_array_literal(split.test_y)}
            """
        )
    helpers = [inspect.getsource(getattr(datasets, h)) for h in GENERATOR_HELPERS.get(name, [])]
    if name == "multigauss":
        helpers.insert(0, f"_GAUSSIANS = {datasets._GAUSSIANS!r}\n")
    generator = inspect.getsource(datasets.GENERATORS.get(name) or datasets.MULTICLASS_GENERATORS[name])
    n = datasets.NUM_SAMPLES[DATASET_PROBLEM[name]]
    extra = ", CONFIG['classes']" if name in MULTICLASS_DATASETS else ""
    function = generator.split("(")[0].removeprefix("def ")
    return "\n\n".join(
        [
            "# The data set, generated as nnplay does (nnplay/datasets.py).",
            *helpers,
            generator,
            textwrap.dedent(
                f"""\
                def make_split():
                    rng = np.random.default_rng(CONFIG["seed"])
                    xy, labels = {function}({n}, CONFIG["noise"] / 100.0, rng{extra})
                    order = rng.permutation(len(xy))
                    xy, labels = xy[order].astype(np.float32), labels[order].astype(np.float32)
                    split = int(len(xy) * CONFIG["train_ratio"] / 100)
                    return xy[:split], labels[:split], xy[split:], labels[split:]


                TRAIN_X, TRAIN_Y, TEST_X, TEST_Y = make_split()
                """
            ),
        ]
    )


def _constants(config: dict[str, Any], epochs: int, expected: dict[str, Any] | None) -> str:
    from ..families.mlp.exact import SCAN_UNROLL
    from ..families.mlp.train import SHUFFLE_STREAM, TRAIN_ROWS
    from ..models.losses import HUBER_DELTA
    from ..models.mlp import BN_EPSILON, DEPTH_BUCKETS, MAX_OUTPUTS, N_FEATURES, WIDTH_BUCKETS
    from ..models.mlp_init import INITIALIZERS

    hidden = list(config["hidden_layers"])
    widest = max([N_FEATURES, *hidden])
    width = next(w for w in WIDTH_BUCKETS if w >= widest)
    depth = next(d for d in DEPTH_BUCKETS if d >= len(hidden))
    classes = config["classes"] if config["dataset"] in MULTICLASS_DATASETS else 1
    layer_acts = list(config.get("layer_activations") or [])
    activations = [layer_acts[i] if i < len(layer_acts) else config["activation"] for i in range(len(hidden))]
    layer_drop = list(config.get("layer_dropout") or [])
    dropout = [layer_drop[i] if i < len(layer_drop) else config["dropout"] for i in range(len(hidden))]
    loss = config["loss"]
    if loss == "cross_entropy":
        loss = "softmax" if classes > 1 else "bce"
    rate = config["regularization_rate"]
    regularization = config["regularization"] if rate > 0 else "none"
    output = "tanh" if config["problem"] == "classification" else "linear"
    columns = [FEATURE_NAMES.index(f) for f in config["features"]]
    use_dropout = any(r > 0 for r in dropout)
    batch_norm = config["batch_norm"] == "on"
    shuffle = config["shuffle"] == "on" or batch_norm
    literal = pprint.pformat(config, indent=4, sort_dicts=True)
    return f"CONFIG = {literal}\n" + textwrap.dedent(
        f"""\
        EPOCHS = {epochs}  # the epochs the run had trained when it was exported
        EXPECTED = {expected!r}  # the run's own final figures, to compare with

        FEATURES = {columns!r}  # columns of the 7 input features
        HIDDEN = {hidden!r}
        ACTIVATIONS = {activations!r}
        OUTPUT_ACTIVATION = {output!r}
        LOSS = {loss!r}  # square (TF Playground's 1/2 squared error) | bce | softmax | huber
        OUTPUTS = {classes}
        DROPOUT = {dropout!r}
        USE_DROPOUT = {use_dropout}
        BATCH_NORM = {batch_norm}
        SHUFFLE = {shuffle}
        REGULARIZATION = {regularization!r}
        INITIALIZERS = {INITIALIZERS!r}
        # nnplay draws initial weights for a padded net of this shape, then uses the part the net needs.
        PADDED_DEPTH, PADDED_WIDTH, MAX_OUTPUTS, N_FEATURES = {depth}, {width}, {MAX_OUTPUTS}, {N_FEATURES}
        MAX_DEPTH = {DEPTH_BUCKETS[-1]}
        TRAIN_ROWS = {TRAIN_ROWS}  # rows a shuffle draws numbers for (nnplay's padded data)
        SHUFFLE_STREAM = {SHUFFLE_STREAM}
        BN_EPSILON = {BN_EPSILON!r}
        HUBER_DELTA = {HUBER_DELTA!r}
        SCAN_UNROLL = {SCAN_UNROLL}
        """
    )


_FEATURES = textwrap.dedent(
    """\
    FEATURE_FUNCTIONS = [
        lambda x1, x2: x1,
        lambda x1, x2: x2,
        lambda x1, x2: x1 * x1,
        lambda x1, x2: x2 * x2,
        lambda x1, x2: x1 * x2,
        lambda x1, x2: np.sin(x1),
        lambda x1, x2: np.sin(x2),
    ]  # x1, x2, x1², x2², x1·x2, sin x1, sin x2 (nnplay/features.py)


    def input_features(points):
        x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
        every = np.stack([f(x1, x2) for f in FEATURE_FUNCTIONS], axis=1).astype(np.float32)
        return every[:, FEATURES]
    """
)


def _copied() -> str:
    parts = [
        ("init", "Params", "the padded weights nnplay draws (nnplay/models/mlp.py)"),
        ("init", "init_params", "initial weights (nnplay/models/mlp_init.py)"),
        ("mlp", "drop", None),
        ("losses", "point_loss", "losses and accuracy (nnplay/models/losses.py)"),
        ("losses", "correct", None),
        ("optimizers", "Hyper", "hyperparameters and optimizers (nnplay/engine/optimizers.py)"),
        ("optimizers", "make_hyper", None),
        ("optimizers", "dropout_key", None),
        ("optimizers", "make_optimizer", None),
        ("optimizers", "schedule_value", None),
        ("optimizers", "scheduled_rate", None),
        ("optimizers", "penalty_gradient", None),
        ("train", "regularized_update", "TF Playground's SGD step (nnplay/families/mlp/train.py)"),
        ("train", "shuffle_order", None),
    ]
    out = []
    for module, name, heading in parts:
        if heading:
            out.append(f"# ---- {heading}")
        source = _source("mlp", name) if name == "Params" else _source(module, name)
        out.append(source)
    return "\n\n\n".join(out)


def script_sections(
    config: dict[str, Any],
    epochs: int,
    own: tuple[np.ndarray, np.ndarray] | None = None,
    expected: dict[str, Any] | None = None,
    title: str = "an nnplay run",
) -> list[tuple[str, str]]:
    """The script in sections, (what it does, its code), in order: the notebook's cells."""
    if config.get("dataset") not in DATASET_PROBLEM or "hidden_layers" not in config:
        raise ExportError("an exported script or notebook replays the playground's networks only")
    return [
        ("", _header(title)),
        ("The run's settings", _constants(config, epochs, expected)),
        ("The data", _data_section(config, own)),
        ("The input features", _FEATURES),
        ("nnplay's own functions, copied", _copied()),
        ("The network and one training step", _NETWORK),
        ("Training and evaluation", _MAIN),
        ("Train and print the final figures", _RUN),
    ]


def mlp_script(
    config: dict[str, Any],
    epochs: int,
    own: tuple[np.ndarray, np.ndarray] | None = None,
    expected: dict[str, Any] | None = None,
    title: str = "an nnplay run",
) -> str:
    """The standalone script that retrains a playground run of `config` for `epochs` epochs."""
    sections = script_sections(config, epochs, own, expected, title)
    return "\n\n".join(code.rstrip() + "\n" for _, code in sections)


def _header(title: str) -> str:
    title = title.replace("\\", "/").replace('"', "'")  # a name must not end the docstring it is in
    return textwrap.dedent(
        f'''\
        """{title}: retrained from its seed, standalone (jax, optax and numpy only).

        Written by nnplay's export. It regenerates the run's data, draws the same initial weights, trains
        the same network with the same batches, optimizer, schedule and regularization for EPOCHS epochs,
        and prints the final figures as one JSON line. Run it with: python this_file.py
        """

        from __future__ import annotations

        import base64
        import json
        from collections.abc import Callable, Sequence
        from typing import Any, NamedTuple

        import jax
        import jax.numpy as jnp
        import numpy as np
        import optax
        '''
    )


_NETWORK = textwrap.dedent(
    '''\
    # ---- the network, exact shape (nnplay/families/mlp/exact.py)
    ACTS = {
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "linear": lambda z: z,
        "leaky_relu": lambda z: jax.nn.leaky_relu(z, 0.01),
        "elu": jax.nn.elu,
        "gelu": jax.nn.gelu,
        "swish": jax.nn.swish,
        "softplus": jax.nn.softplus,
    }


    def initial_layers():
        """The exact net's (weights, biases) per layer, output last, cut out of nnplay's padded draw."""
        sizes = [len(FEATURES), *HIDDEN, OUTPUTS]
        shape = NamedTuple("Shape", [("depth", int), ("width", int)])(PADDED_DEPTH, PADDED_WIDTH)
        params = init_params(jax.random.PRNGKey(CONFIG["seed"]), shape, CONFIG["init"], sizes)
        rows, layers = np.asarray(FEATURES), []
        for layer, n in enumerate(HIDDEN):
            layers.append((params.w[layer][rows][:, :n], params.b[layer][:n]))
            rows = np.arange(n)
        layers.append((params.w_out[rows][:, :OUTPUTS], params.b_out[:OUTPUTS]))
        return layers


    def batch_loss(layers, x, y, drop_key, rate):
        """The mean training loss of a batch (dropout and batch norm as in training)."""
        h = x
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if BATCH_NORM:
                mean = jnp.mean(z, axis=0)
                z = (z - mean) * jax.lax.rsqrt(jnp.mean((z - mean) ** 2, axis=0) + BN_EPSILON)
            h = ACTS[ACTIVATIONS[layer]](z + b)
            if drop_key is not None:
                h = drop(h, jax.random.fold_in(drop_key, layer), rate[layer])
        w, b = layers[-1]
        z = h @ w + b
        if LOSS == "square":
            return jnp.mean(0.5 * (ACTS[OUTPUT_ACTIVATION](z[:, 0]) - y) ** 2)
        return jnp.mean(point_loss(z if LOSS == "softmax" else z[:, 0], y, LOSS))


    def update(layers, opt_state, hyper, lr, x, y, drop_key=None):
        """One step on one batch: TF Playground's SGD, or the optax optimizer on the penalised loss."""
        grads = jax.grad(batch_loss)(layers, x, y, drop_key, hyper.dropout)
        if CONFIG["optimizer"] == "sgd":
            if REGULARIZATION == "none":
                return [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(layers, grads)], ()
            h = hyper._replace(learning_rate=lr)
            pairs = zip(layers, grads)
            return [(regularized_update(w, gw, h), b - lr * gb) for (w, b), (gw, gb) in pairs], ()
        if REGULARIZATION != "none":
            grads = [(gw + penalty_gradient(w, hyper), gb) for (w, _), (gw, gb) in zip(layers, grads)]
        tx = make_optimizer(CONFIG["optimizer"], lr, hyper.momentum, hyper.weight_decay)
        updates, opt_state = tx.update(grads, opt_state, layers)
        return optax.apply_updates(layers, updates), opt_state
    '''
)


_MAIN = textwrap.dedent(
    '''\
    # ---- training: every epoch in batches of the batch size, the last one short (as nnplay does)
    BATCH = CONFIG["batch_size"]
    N_TRAIN = len(TRAIN_X)
    N_FULL = N_TRAIN // BATCH
    STEPS_PER_EPOCH = -(-N_TRAIN // BATCH)
    SCHEDULE = CONFIG["schedule"]


    def batched(x, y):
        full = N_FULL * BATCH
        return (
            jnp.asarray(x[:full].reshape(N_FULL, BATCH, x.shape[1])),
            jnp.asarray(y[:full].reshape(N_FULL, BATCH)),
            jnp.asarray(x[full:]),
            jnp.asarray(y[full:]),
        )


    def reshuffled(data, hyper, epoch):
        """This epoch's random order of the points, batched again."""
        bx, by, rx, ry = data
        x = jnp.concatenate([bx.reshape(-1, bx.shape[2]), rx])
        y = jnp.concatenate([by.reshape(-1), ry])
        order = shuffle_order(hyper, epoch, N_TRAIN)[:N_TRAIN]
        x, y = x[order], y[order]
        full = bx.shape[0] * bx.shape[1]
        return x[:full].reshape(bx.shape), y[:full].reshape(by.shape), x[full:], y[full:]


    def one_epoch(layers, opt_state, epoch, hyper, data):
        bx, by, rx, ry = reshuffled(data, hyper, epoch) if SHUFFLE else data

        def batch(carry, xs):
            x, y, *k = xs
            lr = (
                scheduled_rate(SCHEDULE, hyper, epoch, k[0], STEPS_PER_EPOCH)
                if k and SCHEDULE != "constant"
                else hyper.learning_rate
            )
            drop_key = dropout_key(hyper, epoch, k[0]) if USE_DROPOUT else None
            return update(*carry, hyper, lr, x, y, drop_key), None

        xs = (bx, by)
        if SCHEDULE != "constant" or USE_DROPOUT:
            xs += (jnp.arange(N_FULL, dtype=jnp.int32),)
        carry, _ = jax.lax.scan(batch, (layers, opt_state), xs, unroll=SCAN_UNROLL)
        if N_TRAIN % BATCH:
            lr = scheduled_rate(SCHEDULE, hyper, epoch, N_FULL, STEPS_PER_EPOCH)
            drop_key = dropout_key(hyper, epoch, N_FULL) if USE_DROPOUT else None
            carry = update(*carry, hyper, lr, rx, ry, drop_key)
        return carry


    @jax.jit
    def train(layers, opt_state, hyper, data, start, stop):
        """Epochs start..stop-1 (an epoch's number seeds its shuffle, dropout and schedule)."""

        def body(epoch, carry):
            return one_epoch(*carry, epoch, hyper, data)

        return jax.lax.fori_loop(start, stop, body, (layers, opt_state))


    # ---- evaluation: no dropout; batch norm with the statistics of the whole training set
    def outputs(layers, x, stats=None):
        h, used = x, []
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if BATCH_NORM:
                mean, var = stats[layer] if stats else (jnp.mean(z, axis=0), jnp.var(z, axis=0))
                used.append((mean, var))
                z = (z - mean) * jax.lax.rsqrt(var + BN_EPSILON)
            h = ACTS[ACTIVATIONS[layer]](z + b)
        w, b = layers[-1]
        z = h @ w + b
        if LOSS == "softmax":
            return z, used
        return (ACTS[OUTPUT_ACTIVATION](z[:, 0]) if LOSS == "square" else z[:, 0]), used


    def figures(layers):
        _, stats = outputs(layers, jnp.asarray(input_features(TRAIN_X)))
        result = {}
        for name, x, y in (("train", TRAIN_X, TRAIN_Y), ("test", TEST_X, TEST_Y)):
            out, _ = outputs(layers, jnp.asarray(input_features(x)), stats or None)
            y = jnp.asarray(y)
            result[f"{name}_loss"] = float(jnp.mean(point_loss(out, y, LOSS))) if len(x) else None
            if CONFIG["problem"] == "classification":
                result[f"{name}_accuracy"] = float(jnp.mean(correct(out, y, LOSS))) if len(x) else None
        return result


    def setup():
        """The hyperparameters, initial weights and optimizer state, and the batched training data."""
        c = CONFIG
        depth = len(HIDDEN)
        hyper = make_hyper(
            c["learning_rate"],
            l1=c["regularization_rate"] if c["regularization"] == "l1" else 0.0,
            l2=c["regularization_rate"] if c["regularization"] == "l2" else 0.0,
            batch_size=c["batch_size"],
            momentum=c["momentum"],
            weight_decay=c["weight_decay"],
            schedule_epochs=c["schedule_epochs"],
            schedule_factor=c["schedule_factor"],
            dropout=DROPOUT[:depth],
            seed=c["seed"],
        )
        layers = initial_layers()
        opt_state = () if c["optimizer"] == "sgd" else make_optimizer(c["optimizer"], 0.0).init(layers)
        return hyper, layers, opt_state, batched(input_features(TRAIN_X), TRAIN_Y)
    '''
)

_RUN = textwrap.dedent(
    """\
    def main():
        hyper, layers, opt_state, data = setup()
        layers, opt_state = train(layers, opt_state, hyper, data, 0, EPOCHS)
        print(json.dumps({"epoch": EPOCHS, **figures(layers)}))


    if __name__ == "__main__":
        main()
    """
)
