"""A playground run as a Jupyter notebook (nbformat v4): the exported script in cells, each with a line
saying what it does, then cells that train in steps recording the losses and plot the loss curves and the
decision map (matplotlib, where it is installed), and print the same final figures as the script."""

from __future__ import annotations

from typing import Any

import numpy as np

from .script import script_sections

CURVE_POINTS = 50  # the loss is measured this many times while training

TRAIN_CELL = f"""\
hyper, layers, opt_state, data = setup()
history = {{"epoch": [0], **{{k: [v] for k, v in figures(layers).items()}}}}
marks = sorted({{int(round(EPOCHS * i / {CURVE_POINTS})) for i in range(1, {CURVE_POINTS} + 1)}} - {{0}})
done = 0
for mark in marks:
    layers, opt_state = train(layers, opt_state, hyper, data, done, mark)
    done = mark
    history["epoch"].append(done)
    for key, value in figures(layers).items():
        history[key].append(value)
final = {{key: values[-1] for key, values in history.items()}}
print(json.dumps(final))
"""

PLOT_CELL = """\
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib is not installed: pip install matplotlib to see the plots")
if plt is not None:
    fig, (curve, plane) = plt.subplots(1, 2, figsize=(11, 4.5))
    curve.plot(history["epoch"], history["train_loss"], ":", label="training loss")
    curve.plot(history["epoch"], history["test_loss"], "-", label="test loss")
    curve.set_xlabel("epoch"); curve.set_ylabel("loss"); curve.set_yscale("log"); curve.legend()
    side = np.linspace(-6, 6, 100)
    grid = np.stack(np.meshgrid(side, side), -1).reshape(-1, 2).astype(np.float32)
    _, stats = outputs(layers, jnp.asarray(input_features(TRAIN_X)))
    out, _ = outputs(layers, jnp.asarray(input_features(grid)), stats or None)
    out = np.asarray(out)
    value = out.argmax(1) if LOSS == "softmax" else (np.tanh(out / 2) if LOSS == "bce" else out)
    plane.imshow(value.reshape(100, 100), origin="lower", extent=(-6, 6, -6, 6),
                 cmap="tab10" if LOSS == "softmax" else "RdBu", alpha=0.6)
    plane.scatter(TEST_X[:, 0], TEST_X[:, 1], c=TEST_Y, cmap="tab10" if LOSS == "softmax" else "RdBu",
                  edgecolors="k", linewidths=0.4, s=14)
    plane.set_title("decision map and test points")
    plt.show()
"""


def mlp_notebook(
    config: dict[str, Any],
    epochs: int,
    own: tuple[np.ndarray, np.ndarray] | None = None,
    expected: dict[str, Any] | None = None,
    title: str = "an nnplay run",
) -> str:
    """The notebook of a playground run (JSON text, nbformat v4)."""
    import nbformat  # here: 45 ms (and jsonschema's) of every server's start otherwise
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    sections = script_sections(config, epochs, own, expected, title)
    cells = [
        new_markdown_cell(
            f"# {title}\n\nRetrained from its seed with jax, optax and numpy, as nnplay trained it: "
            f"{epochs} epochs. The last cells plot the loss curves and the decision map."
        )
    ]
    for heading, code in sections[:-1]:  # the script's own main() is replaced by the cells below
        if heading:
            cells.append(new_markdown_cell(f"## {heading}"))
        cells.append(new_code_cell(code.rstrip()))
    cells += [
        new_markdown_cell("## Train, measuring the losses as it goes"),
        new_code_cell(TRAIN_CELL.rstrip()),
        new_markdown_cell("## The loss curves and the decision map"),
        new_code_cell(PLOT_CELL.rstrip()),
    ]
    notebook = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return str(nbformat.writes(notebook))
