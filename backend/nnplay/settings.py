"""The one table of user-facing training settings.

Every setting is declared once here: its type, default, range, URL key and help text. The pydantic
`TrainConfig` (validation), `/api/schema` (the page's controls and URL codec) and `nnplay train`'s
options are all derived from this table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .fresh_run import FRESH_RUN_MODES, FRESH_RUN_RULES
from .presets import PRESETS

FEATURES: tuple[tuple[str, str], ...] = (
    ("x1", "X₁"),
    ("x2", "X₂"),
    ("x1_sq", "X₁²"),
    ("x2_sq", "X₂²"),
    ("x1_x2", "X₁·X₂"),
    ("sin_x1", "sin(X₁)"),
    ("sin_x2", "sin(X₂)"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in FEATURES)

DATASETS: tuple[tuple[str, str, str], ...] = (
    ("circle", "Circle", "classification"),
    ("xor", "Exclusive or", "classification"),
    ("gauss", "Gaussian", "classification"),
    ("spiral", "Spiral", "classification"),
    ("moons", "Moons", "classification"),
    ("checkerboard", "Checkerboard", "classification"),
    ("blobs", "Blobs", "classification"),  # multi-class: `classes` Gaussian blobs
    ("spirals", "Spirals", "classification"),  # multi-class: one spiral arm per class
    ("plane", "Plane", "regression"),
    ("multigauss", "Multi Gaussian", "regression"),
    ("custom", "Your own data", "any"),  # points drawn on the plot or uploaded as CSV
)
DATASET_PROBLEM: dict[str, str] = {name: problem for name, _, problem in DATASETS}
MULTICLASS_DATASETS: frozenset[str] = frozenset({"blobs", "spirals"})  # labels 0..classes-1
MAX_CLASSES = 8


def dataset_classes(name: str) -> str:
    """ "multi" (labels 0..K-1), "binary" (labels +1/-1) or "value" (regression targets)."""
    if name in MULTICLASS_DATASETS:
        return "multi"
    return "value" if DATASET_PROBLEM[name] == "regression" else "binary"


# TF Playground's four first; the rest compile a kernel of their own when first chosen.
ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "tanh",
    "sigmoid",
    "linear",
    "leaky_relu",
    "elu",
    "gelu",
    "swish",
    "softplus",
)
REGULARIZATIONS: tuple[str, ...] = ("none", "l1", "l2")
LOSSES: tuple[str, ...] = ("square", "cross_entropy", "huber")
PROBLEMS: tuple[str, ...] = ("classification", "regression")
MODES: tuple[str, ...] = ("reference", "extended")

# Layer/neuron limits per mode: "reference" reproduces TensorFlow Playground's, "extended" lifts them.
LIMITS: dict[str, dict[str, int]] = {
    "reference": {"max_layers": 6, "max_neurons": 8},
    "extended": {"max_layers": 12, "max_neurons": 64},
}

# The losses each kind of labels allows (TrainConfig rejects the others, naming the field "loss").
LOSSES_FOR: dict[str, tuple[str, ...]] = {
    "multi": ("cross_entropy",),
    "binary": ("square", "cross_entropy"),
    "value": ("square", "huber"),
}

# Weights and biases typed in by hand (set_weight / set_bias) must lie within +-MAX_EDIT_VALUE.
MAX_EDIT_VALUE = 100.0

# Settings that only mean something for some values of another: {setting: {other: values}}.
# The page shows them only then; the server accepts them always (they are simply unused).
APPLIES_WHEN: dict[str, dict[str, tuple[str, ...]]] = {
    "momentum": {"optimizer": ("momentum", "nesterov", "adam", "adamw")},
    "weight_decay": {"optimizer": ("adamw",)},
    "schedule_epochs": {"schedule": ("step", "cosine", "warmup")},
    "schedule_factor": {"schedule": ("step",)},
    "classes": {"dataset": tuple(sorted(MULTICLASS_DATASETS))},
}

# Where the page starts differently from an API client. Speed 1 (one epoch per frame, at most
# ~60 frames/s: TF Playground's pace) lets a learner watch the boundary form: the circle is solved
# in ~50-100 epochs (2-3 s), the spiral with all seven features in ~100, the spiral from raw
# X1, X2 in ~1,000-2,000 (~30 s). API clients, `nnplay train` and the benchmarks keep "max" (0).
PAGE_DEFAULTS: dict[str, Any] = {"speed": 1}

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

SettingType = Literal["float", "int", "bool", "choice", "features", "layers", "choice_list", "float_list"]


@dataclass(frozen=True)
class Setting:
    """One user-facing setting: everything the page, the validator and the CLI need to know."""

    name: str
    label: str
    type: SettingType
    default: Any
    help: str
    url_key: str
    group: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = field(default_factory=tuple)

    def public(self) -> dict[str, Any]:
        row = asdict(self)
        row["choices"] = list(self.choices)
        return {
            key: value
            for key, value in row.items()
            if value is not None and (value != [] or key == "default")
        }


# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("dataset", "Data set", "choice", "circle",
            "Which points the network learns to separate (or, for regression, to fit).",
            "dataset", "data", choices=tuple(name for name, _, _ in DATASETS)),
    Setting("problem", "Problem type", "choice", "classification",
            "Classification predicts a class (+1 or -1); regression predicts a number.",
            "problem", "data", choices=PROBLEMS),
    Setting("classes", "Classes", "int", 3,
            "How many classes the multi-class data sets (blobs, spirals) have; their net ends in one "
            "output per class and a softmax.",
            "classes", "data", min=3, max=MAX_CLASSES, step=1),
    Setting("noise", "Noise", "int", 0,
            "How much the points are scattered: noisy data is harder to fit and easier to overfit.",
            "noise", "data", min=0, max=50, step=5),
    Setting("train_ratio", "Ratio of training to test data", "int", 50,
            "Percent of the points used for training; the rest only measure how well the net generalises.",
            "percTrainData", "data", min=10, max=90, step=10),
    Setting("batch_size", "Batch size", "int", 10,
            "Points per weight update: small batches are noisy but fast, large ones smooth but slow.",
            "batchSize", "data", min=1, max=30, step=1),
    Setting("learning_rate", "Learning rate", "float", 0.03,
            "How big a step each update takes: too small learns slowly, too large overshoots and diverges.",
            "learningRate", "hyper", min=0.00001, max=10.0, choices=LEARNING_RATES),
    Setting("activation", "Activation", "choice", "tanh",
            "The non-linearity of the hidden neurons: without one, any depth is just a linear model. "
            "ReLU's relatives (leaky ReLU, ELU, GELU, swish, softplus) avoid its dead neurons.",
            "activation", "hyper", choices=ACTIVATIONS),
    Setting("layer_activations", "Activation per layer", "choice_list", [],
            "The activation of each hidden layer, first layer first; layers past the end of the list use "
            "the activation above.",
            "layerActivations", "network", choices=ACTIVATIONS),
    Setting("regularization", "Regularization", "choice", "none",
            "Penalises large weights: L2 shrinks all of them, L1 drives unneeded ones to exactly zero.",
            "regularization", "hyper", choices=REGULARIZATIONS),
    Setting("regularization_rate", "Regularization rate", "float", 0.0,
            "How strongly the penalty pulls weights towards zero.",
            "regularizationRate", "hyper", min=0.0, max=10.0, choices=REGULARIZATION_RATES),
    Setting("loss", "Loss", "choice", "square",
            "What training minimises. Square: ½(output − target)², TensorFlow Playground's, with a tanh "
            "output for classes. Cross-entropy: a sigmoid output for two classes, a softmax over one output "
            "per class for more; it punishes confident mistakes hard and is the standard for classes. "
            "Huber (regression): square near the target, linear far away, so outliers pull less.",
            "loss", "hyper", choices=LOSSES),
    Setting("features", "Features", "features", ["x1", "x2"],
            "Which properties of each point the network sees as input.",
            "features", "network", choices=FEATURE_NAMES),
    Setting("hidden_layers", "Hidden layers", "layers", [4, 2],
            "Neurons in each hidden layer: more neurons and layers can draw more complex boundaries.",
            "networkShape", "network", min=1, max=LIMITS["extended"]["max_neurons"]),
    Setting("mode", "Limits", "choice", "reference",
            "'reference' keeps TensorFlow Playground's limits (6 layers x 8 neurons); 'extended' lifts them.",
            "mode", "network", choices=MODES),
    Setting("optimizer", "Optimizer", "choice", "sgd",
            "How each update uses the gradient: SGD steps straight down it (TensorFlow Playground's rule); "
            "momentum and Nesterov keep a running velocity; Adam, AdamW, RMSProp and Adagrad give every "
            "weight its own step size from its gradient history.",
            "optimizer", "hyper",
            choices=("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad")),
    Setting("momentum", "Momentum", "float", 0.9,
            "How much of the previous steps each update keeps (momentum, Nesterov, and Adam's/AdamW's β₁): "
            "more glides faster along long valleys but may overshoot.",
            "momentum", "hyper", min=0.0, max=0.999, choices=(0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999)),
    Setting("weight_decay", "Weight decay", "float", 0.0,
            "AdamW only: every update also shrinks each weight and bias by learning rate × decay, apart "
            "from the gradient (decoupled weight decay).",
            "weightDecay", "hyper", min=0.0, max=1.0, choices=(0.0, 0.0001, 0.001, 0.01, 0.1, 1.0)),
    Setting("schedule", "Learning-rate schedule", "choice", "constant",
            "How the learning rate changes while training: constant; step (multiplied by the factor every "
            "N epochs); cosine (eases down to 0 over N epochs); warm-up (rises from 0 over N epochs, then "
            "stays).",
            "schedule", "hyper", choices=("constant", "step", "cosine", "warmup")),
    Setting("schedule_epochs", "Schedule epochs (N)", "int", 1000,
            "The schedule's length in epochs: the step interval, the cosine's decay or the warm-up's ramp.",
            "scheduleEpochs", "hyper", min=1, max=100_000, step=1,
            choices=(10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000)),
    Setting("schedule_factor", "Step decay factor", "float", 0.5,
            "Step schedule only: the learning rate is multiplied by this every N epochs.",
            "scheduleFactor", "hyper", min=0.01, max=1.0, choices=(0.1, 0.25, 0.5, 0.75, 0.9, 1.0)),
    Setting("init", "Initial weights", "choice", "uniform",
            "How weights start (applied at the next reset): uniform ±0.5 (TF Playground), Xavier/Glorot for "
            "tanh/sigmoid, He for ReLU, or zeros, which leaves every neuron of a layer identical forever.",
            "init", "network", choices=("uniform", "xavier", "he", "zeros")),
    Setting("dropout", "Dropout rate", "float", 0.0,
            "In training, each hidden neuron is switched off with this probability at every update, so the "
            "net cannot lean on any single one: a guard against overfitting. Evaluation uses every neuron.",
            "dropout", "network", min=0.0, max=0.9, choices=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)),
    Setting("layer_dropout", "Dropout per layer", "float_list", [],
            "The dropout rate of each hidden layer, first layer first; layers past the end of the list use "
            "the dropout rate above.",
            "layerDropout", "network", min=0.0, max=0.9, choices=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)),
    Setting("batch_norm", "Batch norm", "choice", "off",
            "Normalises every hidden neuron's input over the batch (mean 0, variance 1) before its bias and "
            "activation: deep nets train faster and tolerate larger learning rates. Evaluation uses the "
            "statistics of the whole training set instead of a batch's. Batch norm always reshuffles the "
            "points every epoch: in fixed batches a net learns to lean on its batch-mates.",
            "batchNorm", "network", choices=("off", "on")),
    Setting("shuffle", "Reshuffle every epoch", "choice", "off",
            "Visit the training points in a new random order every epoch, as most training code does. "
            "TensorFlow Playground keeps one order ('off').",
            "shuffle", "data", choices=("off", "on")),
    Setting("speed", "Speed", "int", 0,
            "Epochs per frame: 1 shows every single update; 'max' (0) trains as fast as the device allows.",
            "speed", "output", min=0, max=1000, choices=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500)),
    Setting("stop_epoch", "Stop at epoch", "int", 0,
            "Pause by itself at this epoch (0 = never): compare settings after the same amount of training.",
            "stopEpoch", "stopping", min=0, max=10_000_000, step=100),
    Setting("stop_loss", "Stop at training loss", "float", 0.0,
            "Pause by itself once the training loss falls to this value (0 = never).",
            "stopLoss", "stopping", min=0.0, max=10.0, choices=(0.0, 0.1, 0.05, 0.01, 0.005, 0.001)),
    Setting("early_stopping", "Early stopping", "choice", "off",
            "Stop when the test loss stops improving and go back to the best weights: a guard against "
            "overfitting.", "earlyStopping", "stopping", choices=("off", "on")),
    Setting("patience", "Patience (epochs)", "int", 200,
            "How many epochs without a better test loss early stopping waits before it stops.",
            "patience", "stopping", min=1, max=100_000, step=50),
    Setting("seed", "Seed", "int", 1,
            "Seeds the data and the initial weights: the same seed and settings give the same run.",
            "seed", "data", min=0, max=2**31 - 1, step=1),
)
# fmt: on
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
OPTIMIZERS: tuple[str, ...] = SETTINGS_BY_NAME["optimizer"].choices
SCHEDULES: tuple[str, ...] = SETTINGS_BY_NAME["schedule"].choices


def describe_range(setting: Setting) -> str:
    """A phrase naming what a setting accepts, for error messages."""
    if setting.type == "choice":
        return "one of " + ", ".join(str(c) for c in setting.choices)
    if setting.type == "features":
        return "a list of " + ", ".join(setting.choices)
    if setting.type == "layers":
        return "a list of neuron counts per hidden layer"
    if setting.type == "choice_list":
        return "a list (one per hidden layer) of " + ", ".join(setting.choices)
    if setting.type == "float_list":
        return f"a list (one per hidden layer) of numbers between {setting.min:g} and {setting.max:g}"
    if setting.type == "int":  # exact integers: the seed's limit 2147483647 must not print as 2.14748e+09
        return f"between {int(setting.min or 0)} and {int(setting.max or 0)}"
    return f"between {setting.min:g} and {setting.max:g}"


def schema() -> dict[str, Any]:
    """The settings table and the fixed facts the page needs, as served by /api/schema."""
    return {
        "settings": [s.public() for s in SETTINGS],
        "features": [{"name": n, "label": label} for n, label in FEATURES],
        "datasets": [
            {"name": n, "label": label, "problem": p, "classes": dataset_classes(n)}
            for n, label, p in DATASETS
        ],
        "activations": list(ACTIVATIONS),
        "presets": list(PRESETS),
        "limits": LIMITS,
        "losses_for": {kind: list(losses) for kind, losses in LOSSES_FOR.items()},
        "applies_when": {name: {k: list(v) for k, v in rule.items()} for name, rule in APPLIES_WHEN.items()},
        "max_edit_value": MAX_EDIT_VALUE,
        "fresh_run": {
            "modes": list(FRESH_RUN_MODES),
            "rules": [{"settings": list(names), "reason": reason} for names, reason in FRESH_RUN_RULES],
        },
        "page_defaults": PAGE_DEFAULTS,
        "grid": {"size": 100, "neuron_size": 10, "domain": [-6.0, 6.0], "value_range": [-1.0, 1.0]},
    }
