"""Compiled graph vs the same model by hand: forward+backward time ratio (target <= 1.02),
and the time to validate + compile a 200-node graph (target < 200 ms)."""

import pathlib
import sys
import time

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import diffwire as dw  # noqa: E402

import _util  # noqa: E402


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    width, batch = 256, 256
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, width])
    m = g.add("MLP", widths=[width] * 5, activation="tanh")
    g.connect(x, m)
    g.add_output(m)
    model = g.compile(seed=0)
    hand = nn.Sequential(*[layer for i in range(4) for layer in (
        nn.Linear(width, width), nn.Tanh())][:-1])
    hand.load_state_dict({k.removeprefix("blocks.mlp."): v for k, v in model.state_dict().items()})
    data = torch.randn(batch, width)

    def step(module, **kw):
        def run():
            module.zero_grad(set_to_none=True)
            out = module(**kw) if kw else module(data)
            out.square().mean().backward()
        return run

    for fn in (step(model, x=data), step(hand)):
        for _ in range(20):
            fn()
    t = _util.interleaved({"diffwire": step(model, x=data), "torch": step(hand)}, repeats=200, inner=5)
    ratio = t["diffwire"] / t["torch"]
    print(f"MLP 4x256, batch 256, forward+backward: diffwire {t['diffwire'] * 1e3:.3f} ms, "
          f"hand-written nn.Sequential {t['torch'] * 1e3:.3f} ms (medians of 200)")
    print(f"RATIO compile_overhead {ratio:.3f} (target <= 1.02)")

    big = dw.Graph()
    prev = big.add("Input", name="x", shape=[None, 8])
    for i in range(198):
        node = big.add("Linear", in_features=8, out_features=8) if i % 2 == 0 else big.add(
            "Activation", fn="tanh")
        big.connect(prev, node)
        prev = node
    big.add_output(prev)
    assert len(big.nodes) == 200
    times = []
    for _ in range(7):
        start = time.perf_counter()
        big.compile()
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"validate+compile 200-node graph: median {times[3] * 1e3:.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
