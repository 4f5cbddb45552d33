"""The image lab's settings table: every setting declared once (type, default, range, URL key, help), as
the playground's (nnplay/settings.py). ImageConfig (config.py), the lab's schema (what its page builds its
controls from) and the errors that name a setting are derived from it; the layer stack has its own
checks (models/cnn_stack.py)."""

from __future__ import annotations

from ...settings import OPTIMIZERS, SCHEDULES, Setting  # the playground's (not optax's: 80 ms to import)

# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("optimizer", "Optimizer", "choice", "adam",
            "How the weights are updated from the gradients (optax).", "optimizer", "optimizer",
            choices=OPTIMIZERS),
    Setting("learning_rate", "Learning rate", "float", 0.01,
            "How big a step each update takes.", "learningRate", "optimizer", min=1e-5, max=1.0),
    Setting("momentum", "Momentum", "float", 0.9,
            "Momentum, Nesterov's and Adam's decay of past gradients.", "momentum", "optimizer",
            min=0.0, max=0.999),
    Setting("weight_decay", "Weight decay", "float", 0.0,
            "AdamW's decoupled decay of the weights.", "weightDecay", "optimizer", min=0.0, max=0.1),
    Setting("schedule", "Schedule", "choice", "constant",
            "How the learning rate changes over the epochs.", "schedule", "optimizer", choices=SCHEDULES),
    Setting("schedule_epochs", "Schedule epochs", "int", 20,
            "The step interval, cosine decay or warm-up length, in epochs.", "scheduleEpochs", "optimizer",
            min=1, max=1000, step=1),
    Setting("schedule_factor", "Schedule factor", "float", 0.5,
            "The step schedule's factor.", "scheduleFactor", "optimizer", min=0.01, max=1.0),
    Setting("batch_size", "Batch size", "int", 32,
            "Digits per weight update.", "batchSize", "data", min=8, max=256, step=1),
    Setting("train_ratio", "Train ratio", "float", 0.8,
            "The share of the digits trained on; the rest measure how well the net generalises.",
            "trainRatio", "data", min=0.1, max=0.9),
    Setting("stop_epoch", "Stop at epoch", "int", 0,
            "Pause by itself at the end of this epoch (0 = never): compare settings after the same training.",
            "stopEpoch", "data", min=0, max=100_000, step=1),
    Setting("seed", "Seed", "int", 1,
            "Seeds the split, the weights, the order and the augmentation: the same seed, the same run.",
            "seed", "data", min=0, max=2**31 - 1, step=1),
    Setting("augment_shift", "Shift", "bool", False,
            "Shift each training digit by up to one pixel.", "augmentShift", "augmentation"),
    Setting("augment_rotation", "Rotation", "bool", False,
            "Rotate each training digit a little (up to 15 degrees).", "augmentRotation", "augmentation"),
    Setting("augment_noise", "Noise", "bool", False,
            "Add Gaussian noise to each training digit.", "augmentNoise", "augmentation"),
)
# fmt: on
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
