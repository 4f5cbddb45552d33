"""The sequence lab's settings table: every setting declared once (type, default, range, URL key, help),
as the playground's (nnplay/settings.py). SeqConfig (config.py), the lab's schema (the page's controls),
the CLI's options and the errors that name a setting all come from it."""

from __future__ import annotations

from ...settings import SETTINGS_BY_NAME as PLAYGROUND_SETTINGS
from ...settings import Setting
from .names import MODELS, POSITIONAL, TASK_NAMES, TOKENS

OPTIMIZERS = PLAYGROUND_SETTINGS["optimizer"].choices
SCHEDULES = PLAYGROUND_SETTINGS["schedule"].choices

MAX_LENGTH = 150  # recurrent nets on one-label tasks (adding T=150)
MAX_SEQ2SEQ_LENGTH = 32  # read, then answer: 64 steps for a recurrent net
MAX_TRANSFORMER_LENGTH = 64  # the attention maps a frame carries grow with its square

# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("task", "Task", "choice", "reverse",
            "What the network learns to do with a sequence (generated fresh for every step).", "task", "task",
            choices=TASK_NAMES),
    Setting("length", "Length", "int", 8,
            "Tokens per sequence (up to 32 for copy/reverse/sort, 64 for the Transformer, 150 otherwise).",
            "length", "task", min=2, max=MAX_LENGTH, step=1),
    Setting("vocab", "Vocabulary", "int", 8,
            "How many different tokens copy, reverse and sort use (parity and brackets have two).",
            "vocab", "task", min=2, max=TOKENS, step=1),
    Setting("model", "Model", "choice", "transformer",
            "A recurrent cell read step by step, or an encoder Transformer that attends to every step.",
            "model", "model", choices=MODELS),
    Setting("width", "Width", "int", 32,
            "Hidden units of a recurrent layer, or the Transformer's model width.", "width", "model",
            min=4, max=128, step=1),
    Setting("layers", "Layers", "int", 1, "Stacked recurrent layers or Transformer blocks.", "layers",
            "model", min=1, max=4, step=1),
    Setting("heads", "Heads", "int", 2, "Attention heads per Transformer block (they split the width).",
            "heads", "model", min=1, max=4, step=1),
    Setting("positional", "Positional encoding", "choice", "learned",
            "How the Transformer knows where a token is: a learned vector per step, sinusoids, or nothing.",
            "positional", "model", choices=POSITIONAL),
    Setting("optimizer", "Optimizer", "choice", "adam",
            "How the weights are updated from the gradients (optax).", "optimizer", "optimizer",
            choices=OPTIMIZERS),
    Setting("learning_rate", "Learning rate", "float", 0.01, "How big a step each update takes.",
            "learningRate", "optimizer", min=1e-5, max=1.0,
            choices=(0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)),
    Setting("momentum", "Momentum", "float", 0.9,
            "Momentum, Nesterov's and Adam's decay of past gradients.", "momentum", "optimizer",
            min=0.0, max=0.999, choices=(0.0, 0.5, 0.9, 0.95, 0.99)),
    Setting("weight_decay", "Weight decay", "float", 0.0, "AdamW's decoupled decay of the weights.",
            "weightDecay", "optimizer", min=0.0, max=0.1, choices=(0.0, 0.0001, 0.001, 0.01, 0.1)),
    Setting("schedule", "Schedule", "choice", "constant", "How the learning rate changes over the steps.",
            "schedule", "optimizer", choices=SCHEDULES),
    Setting("schedule_epochs", "Schedule steps", "int", 1000,
            "The step interval, cosine decay or warm-up length, in training steps.", "scheduleSteps",
            "optimizer", min=1, max=100000, step=1),
    Setting("schedule_factor", "Schedule factor", "float", 0.5, "The step schedule's factor.",
            "scheduleFactor", "optimizer", min=0.01, max=1.0, choices=(0.1, 0.2, 0.5, 0.8, 0.9)),
    Setting("clip", "Gradient clipping", "float", 1.0,
            "The largest global gradient norm of an update (0: no clipping): tames exploding gradients.",
            "clip", "optimizer", min=0.0, max=100.0, choices=(0.0, 0.1, 0.5, 1.0, 5.0, 100.0)),
    Setting("batch_size", "Batch size", "int", 64, "Sequences per update.", "batchSize", "optimizer",
            min=4, max=256, step=1, choices=(8, 16, 32, 64, 128, 256)),
    Setting("speed", "Speed", "int", 1,
            "Training steps per frame: 1 lets you watch every update (the attention forms over seconds); "
            "'max' (0) trains as fast as the device allows.", "speed", "pace", min=0, max=1000,
            choices=(0, 1, 2, 5, 10, 20, 50, 100)),
    Setting("stop_epoch", "Stop at step", "int", 0,
            "Pause by itself at this training step (0 = never): compare settings after the same training.",
            "stopStep", "pace", min=0, max=10_000_000, step=100),
    Setting("seed", "Seed", "int", 1,
            "Seeds the weights and every generated sequence: the same seed, the same run.", "seed", "task",
            min=0, max=2**31 - 1, step=1),
)
# fmt: on
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
