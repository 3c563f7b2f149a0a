"""The program a new ``.diffwire`` file starts as (File > New > Differentiable Program, the
launcher card): Input -> MLP -> Output, an Optimizer, and a training section that fits
y = sin(x) from the built-in `sine` generator, so the new file trains as it is.

The params are the blocks' own defaults. JupyterLab creates the file before any kernel
runs, so the extension ships this document as ``extension/src/lab/starter.json``, written
by ``python -m diffwire.widget.starter extension/src/lab/starter.json`` (``make starter``);
tests/test_lab_comm.py fails when that file is not what :func:`starter` makes.
"""

from __future__ import annotations

import pathlib
import sys

from ..document import Graph, atomic_write_text


def starter() -> Graph:
    """A new program: y = MLP(x), trained on the `sine` generator with Adam."""
    g = Graph()
    x = g.add("Input", id="x", position=[0, 0], shape=[None, 1])
    mlp = g.add("MLP", id="mlp", position=[220, 80], widths=[1, 32, 32, 1])
    y = g.add("Output", id="y", position=[440, 0])
    g.connect(x, mlp)
    g.connect(mlp, y)
    g.add("Optimizer", id="optim", position=[220, 260], lr=0.01)

    def sine() -> dict:  # x and y of the same samples: one generator, one seed
        return {"source": "generator", "name": "sine", "kwargs": {"n": 256, "noise": 0.05}}

    g.training = {
        "data": {"x": sine(), "y": sine()},
        "loss": {"output": "y", "target": "y", "fn": "mse"},
        "optimizer": "optim",
        "steps": 2000,
    }
    return g


if __name__ == "__main__":
    text = starter().to_json()
    if len(sys.argv) > 1:
        atomic_write_text(pathlib.Path(sys.argv[1]), text)
    else:
        sys.stdout.write(text)
