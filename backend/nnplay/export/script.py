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
from . import script_parts as parts

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
        ("The input features", parts.FEATURES),
        ("nnplay's own functions, copied", _copied()),
        ("The network and one training step", parts.NETWORK),
        ("Training and evaluation", parts.TRAINING),
        ("Train and print the final figures", parts.RUN),
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
