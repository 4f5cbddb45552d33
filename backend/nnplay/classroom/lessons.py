"""Guided lessons: a sequence of steps, each a short explanation, a preset and a question to think about.

The teacher advances (lesson-next); each step's `config` is applied on top of the defaults to the
teacher's run (from epoch 0) and pushed to every student who tries it themselves. Setting names are
those of settings.py. tests/unit/test_lessons.py performs what each step (and each one-click lesson of
presets.PRESETS) tells the learner to do, and checks the result its text claims.
"""

from __future__ import annotations

from typing import Any

from .lesson import Lesson, Step

ALL_FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "features",
        "Why features matter",
        (
            Step(
                "A straight line cannot draw a circle",
                "With only X₁ and X₂ and no hidden layer, the network can draw one straight line.",
                {"dataset": "circle", "features": ["x1", "x2"], "hidden_layers": [], "learning_rate": 0.03},
                "Press play. Why does the test loss stay high, whatever you wait?",
            ),
            Step(
                "The right features make it easy",
                "X₁² and X₂² measure the distance from the centre: the circle becomes a line in them, and "
                "the net finds it within 50 epochs.",
                {"dataset": "circle", "features": ["x1_sq", "x2_sq"], "hidden_layers": []},
                "Now switch X₂² off: why can X₁² alone not draw the circle?",
            ),
            Step(
                "Or let hidden neurons build the features",
                "Back to raw X₁, X₂, with one hidden layer of 4 neurons: they learn their own features "
                "(the circle is learnt within 100 epochs).",
                {"dataset": "circle", "features": ["x1", "x2"], "hidden_layers": [4]},
                "Look at each hidden neuron's picture: what shape does each one draw?",
            ),
        ),
    ),
    Lesson(
        "layers",
        "Hidden layers and neurons",
        (
            Step(
                "XOR needs a hidden layer",
                "No hidden layer: one straight line, and XOR needs more; it stays near 50 %.",
                {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": []},
                "How many straight lines would separate the four corners?",
            ),
            Step(
                "Two neurons are not enough",
                "One hidden layer of 2 neurons draws two lines, but cannot combine them into XOR's four "
                "corners: it stops near 87 %.",
                {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [2]},
                "Which points does it still get wrong, and why those?",
            ),
            Step(
                "Six neurons succeed",
                "One hidden layer of 6 neurons: above 95 % within 300 epochs.",
                {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [6]},
                "Press “Regenerate data” a few times: does it always succeed?",
            ),
            Step(
                "Spiral: depth and width",
                "The spiral from raw coordinates needs several layers and patience: about 2,000 epochs.",
                {
                    "dataset": "spiral",
                    "features": ["x1", "x2"],
                    "hidden_layers": [8, 8, 8, 8, 8, 6],
                    "learning_rate": 0.01,
                },
                "Remove layers one by one: when does it stop working?",
            ),
        ),
    ),
    Lesson(
        "learning-rate",
        "The learning rate: too small, too large",
        (
            Step(
                "Too small",
                "A learning rate of 0.0001 takes tiny steps: after 500 epochs the loss has barely moved.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [4, 2],
                    "learning_rate": 0.0001,
                },
                "How many epochs would it need to get anywhere?",
            ),
            Step(
                "About right",
                "0.03: the loss falls smoothly, below 0.05 within 200 epochs.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [4, 2],
                    "learning_rate": 0.03,
                },
                "What does the loss curve look like now?",
            ),
            Step(
                "Too large",
                "At 3 the steps overshoot: the loss jumps up instead of down, or the run gets stuck with "
                "every point in one class.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [4, 2],
                    "learning_rate": 3.0,
                },
                "What happens to the decision boundary? Lower the rate to 0.03 and compare.",
            ),
        ),
    ),
    Lesson(
        "overfitting",
        "Overfitting and regularization",
        (
            Step(
                "Few noisy points, a big net",
                "10 % of noisy data for training and a big net: it memorises the noise.",
                {
                    "dataset": "gauss",
                    "noise": 50,
                    "train_ratio": 10,
                    "features": ALL_FEATURES,
                    "hidden_layers": [8, 8, 8],
                    "learning_rate": 0.03,
                    "regularization": "none",
                },
                "Watch train and test loss: which one keeps falling, which one rises?",
            ),
            Step(
                "L2 regularization",
                "L2 adds a cost for large weights: the boundary gets smoother and the test loss stays lower.",
                {
                    "dataset": "gauss",
                    "noise": 50,
                    "train_ratio": 10,
                    "features": ALL_FEATURES,
                    "hidden_layers": [8, 8, 8],
                    "learning_rate": 0.03,
                    "regularization": "l2",
                    "regularization_rate": 0.03,
                },
                "Is the test loss better now? What if the rate is 0.3?",
            ),
            Step(
                "More data",
                "The same net with 90 % of the points for training: its test loss stays lower than with "
                "10 %.",
                {
                    "dataset": "gauss",
                    "noise": 50,
                    "train_ratio": 90,
                    "features": ALL_FEATURES,
                    "hidden_layers": [8, 8, 8],
                    "learning_rate": 0.03,
                    "regularization": "none",
                },
                "Why does more data help against overfitting?",
            ),
        ),
    ),
    Lesson(
        "vanishing-gradients",
        "Vanishing gradients and their cure",
        (
            Step(
                "Six sigmoid layers",
                "Open the insight panel: the first layers' gradients are thousands of times smaller, and "
                "the net does not learn.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [8] * 6,
                    "activation": "sigmoid",
                    "init": "uniform",
                    "batch_norm": "off",
                    "learning_rate": 0.03,
                },
                "Why does the signal shrink layer after layer?",
            ),
            Step(
                "ReLU and He initialization",
                "ReLU does not squash its input and He init keeps the scale layer after layer: every layer "
                "gets a gradient of the same size, and the circle is learnt within 300 epochs.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [8] * 6,
                    "activation": "relu",
                    "init": "he",
                    "batch_norm": "off",
                    "learning_rate": 0.01,
                },
                "Compare the gradient norms with the last step.",
            ),
            Step(
                "Batch norm",
                "Back to sigmoid, with batch norm: every layer's input is re-centred and rescaled, and it "
                "learns within 100 epochs.",
                {
                    "dataset": "circle",
                    "features": ["x1", "x2"],
                    "hidden_layers": [8] * 6,
                    "activation": "sigmoid",
                    "init": "uniform",
                    "batch_norm": "on",
                    "learning_rate": 0.03,
                },
                "Switch batch norm off and on again: what changes in the first epochs?",
            ),
        ),
    ),
    Lesson(
        "softmax",
        "More than two classes: softmax",
        (
            Step(
                "Three blobs",
                "One output neuron per class; a softmax turns them into probabilities.",
                {
                    "dataset": "blobs",
                    "classes": 3,
                    "loss": "cross_entropy",
                    "features": ["x1", "x2"],
                    "hidden_layers": [6],
                },
                "Where on the map is the network least sure? Why there?",
            ),
            Step(
                "Five blobs",
                "Five classes: watch the confusion matrix empty out off its diagonal.",
                {
                    "dataset": "blobs",
                    "classes": 5,
                    "loss": "cross_entropy",
                    "features": ["x1", "x2"],
                    "hidden_layers": [6],
                },
                "Which classes get confused, and why those?",
            ),
        ),
    ),
)


def _lab_lessons() -> tuple[Lesson, ...]:
    """The lessons other labs' families declare as plain data (id, title, lab, steps of title/explanation/
    config/question), imported here and not at the top: a family may load first (as the CLI does)."""
    from ..families.gen.lessons import LESSONS as GENERATIVE
    from ..families.seq.lessons import LESSONS as SEQUENCES

    return tuple(
        Lesson(raw["id"], raw["title"], tuple(Step(**step) for step in raw["steps"]), lab=raw["lab"])
        for raw in (*SEQUENCES, *GENERATIVE)
    )


LESSONS = LESSONS + _lab_lessons()
BY_ID = {lesson.id: lesson for lesson in LESSONS}


def lesson_catalog() -> list[dict[str, Any]]:
    """Every lesson with its steps, as the page shows them."""
    return [lesson.public() for lesson in LESSONS]
