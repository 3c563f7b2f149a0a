"""Small graphs and data shared by the training tests."""

import pathlib

import numpy as np
import torch

import diffwire as dw

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"


def sine_data(n=32):
    x = np.linspace(-2, 2, n, dtype=np.float32)[:, None]
    return {"x": x, "y": np.sin(x).astype(np.float32)}


def mlp_graph(widths=(1, 8, 1)):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=list(widths))
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


def two_mlp_graph():
    """x -> enc (1->8->8) -> dec (8->8->1) -> y."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    a = g.add("MLP", id="enc", widths=[1, 8, 8])
    b = g.add("MLP", id="dec", widths=[8, 8, 1])
    g.connect(x, a)
    g.connect(a, b)
    g.add_output(b, name="y")
    return g


def wait_for(pred, timeout=10.0):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.002)
    return False


def state_copy(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a, b))


def failing_block(type_name: str, on_call: int, error: BaseException, scale: float = 1.0):
    """A block class that passes its input through (times `scale`) and raises `error` on its
    `on_call`-th call: a bug, or an exhausted budget, in a user's block. Register it yourself."""

    class Failing(dw.Block):
        __doc__ = f"Raises {error!r} on call {on_call} (a test block)."
        type = type_name
        category = "test"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            calls = [0]

            def fn(x):
                calls[0] += 1
                if calls[0] == on_call:
                    raise error
                return x * scale

            return fn

    return Failing


def short_lv_ablation(folder: pathlib.Path) -> pathlib.Path:
    """The LV ablation document (two marked terms) saved in `folder`, where its runs may be
    written, with a short trajectory so that tiny budgets stay quick."""
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    for b in g.training["data"].values():
        b["kwargs"] = {"n": 11, "t_end": 1.0}
    path = folder / "lv.diffwire"
    g.save(path)
    return path
