"""The playground's one-click lessons: each is a partial config laid over the defaults (settings.py serves
them in /api/schema; tests/unit/test_lessons.py trains each as its text tells the learner)."""

from __future__ import annotations

from typing import Any

PRESETS: tuple[dict[str, Any], ...] = (
    {
        "name": "xor-hidden-layer",
        "label": "XOR needs a hidden layer",
        "description": "With no hidden layer the net can only draw one straight line and stays near 50 % on "
        "XOR. Add a hidden layer (+ left of the network): with its 2 neurons it stops near 87 %; press its + "
        "until it has 6 neurons and it passes 95 % within 300 epochs. Or, with no hidden layer, switch on "
        "the X₁·X₂ feature: 100 % within 100 epochs.",
        "look_for": "the single straight boundary stuck near 50 % test accuracy; then, with 6 hidden "
        "neurons, the map splitting into four quadrants.",
        "config": {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": []},
    },
    {
        "name": "circle-features",
        "label": "The right features make it easy",
        "description": "X₁² and X₂² turn the circle into a straight-line problem: no hidden layer needed.",
        "look_for": "the boundary becoming a ring within a few dozen epochs although the net has no "
        "hidden layer.",
        "config": {"dataset": "circle", "features": ["x1_sq", "x2_sq"], "hidden_layers": []},
    },
    {
        "name": "spiral-raw",
        "label": "Spiral from raw X₁, X₂",
        "description": "Only the coordinates as input: the net must build the spiral itself, "
        "which takes several layers and patience (about 2,000 epochs).",
        "look_for": "the first layers' neurons drawing straight lines and stripes that later layers "
        "bend into arms; the test loss falling in steps.",
        "config": {
            "dataset": "spiral",
            "features": ["x1", "x2"],
            "hidden_layers": [8, 8, 8, 8, 8, 6],
            "learning_rate": 0.01,
            "batch_size": 10,
        },
    },
    {
        "name": "overfitting",
        "label": "Overfitting with 10 % training data",
        "description": "Few noisy points and a big net: the training loss keeps falling while the test loss "
        "rises. Try L2 regularization.",
        "look_for": "the training loss (dotted) falling while the test loss (solid) turns upwards, "
        "and the boundary wrapping around single noisy points.",
        "config": {
            "dataset": "gauss",
            "noise": 50,
            "train_ratio": 10,
            "hidden_layers": [8, 8, 8],
            "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"],
            "learning_rate": 0.03,
        },
    },
    {
        "name": "vanishing-gradients",
        "label": "Vanishing gradients",
        "description": "Six sigmoid layers: watch the gradient norms panel, where the first layers get "
        "thousands of times less signal than the last; the net does not learn.",
        "look_for": "in Insight → gradient norm, the first layers' lines far below the last one's; "
        "the first layers' neurons barely change.",
        "config": {"dataset": "circle", "hidden_layers": [8] * 6, "activation": "sigmoid", "init": "uniform"},
    },
    {
        "name": "relu-he",
        "label": "Deep net cured by ReLU + He",
        "description": "The same deep net with ReLU and He init: every layer gets a healthy gradient, and "
        "the circle is learnt within 300 epochs.",
        "look_for": "the gradient-norm lines of all layers close together, and the circle learnt in a"
        " few hundred epochs.",
        "config": {
            "dataset": "circle",
            "hidden_layers": [8] * 6,
            "activation": "relu",
            "init": "he",
            "learning_rate": 0.01,
        },
    },
    {
        "name": "blobs-softmax",
        "label": "Five classes: softmax",
        "description": "Five blobs, one output neuron per class and a softmax over them, trained on "
        "cross-entropy. Watch the confusion matrix empty out off its diagonal (within 200 epochs).",
        "look_for": "five colours on the map, one output node per class, and the confusion matrix's "
        "off-diagonal cells emptying.",
        "config": {"dataset": "blobs", "classes": 5, "loss": "cross_entropy", "hidden_layers": [6]},
    },
    {
        "name": "batch-norm",
        "label": "Batch norm rescues a deep sigmoid net",
        "description": "The vanishing-gradients net again, with batch norm: every layer's input is "
        "re-centred and rescaled, so gradients reach the first layers and it learns in a few dozen "
        "epochs. Switch batch norm off to see it stall.",
        "look_for": "the loss dropping within a few dozen epochs where the same net without batch "
        "norm stays flat.",
        "config": {
            "dataset": "circle",
            "hidden_layers": [8] * 6,
            "activation": "sigmoid",
            "init": "uniform",
            "batch_norm": "on",
        },
    },
    {
        "name": "regression-plane",
        "label": "Regression: fit a plane",
        "description": "Predict a number instead of a class: the colour is the predicted value.",
        "look_for": "the colour turning into a smooth slope that matches the points' shades; the loss"
        " falling towards 0.",
        "config": {"dataset": "plane", "problem": "regression", "hidden_layers": [2]},
    },
)
