"""Truth tables as data: every input combination and the target bits, as bool arrays."""

from __future__ import annotations

import itertools

import numpy as np

from ..train.generators import register_generator


def _all_inputs(n_bits: int, repeat: int) -> np.ndarray:
    rows = np.array(list(itertools.product([0, 1], repeat=n_bits)), dtype=bool)[:, ::-1]
    return np.tile(rows, (repeat, 1))


@register_generator("adder2", ranges={"repeat": (1, 10_000)},
                    keys=["a0", "a1", "b0", "b1", "s0", "s1", "s2"])
def adder2(repeat: int = 1) -> dict:
    """A 2-bit adder's truth table: a = a1a0, b = b1b0, s = a + b = s2s1s0, all 16 input
    rows (`repeat` times), one bool array of shape [rows] per bit."""
    x = _all_inputs(4, repeat)
    a = x[:, 0] * 1 + x[:, 1] * 2
    b = x[:, 2] * 1 + x[:, 3] * 2
    s = a + b
    out = {"a0": x[:, 0], "a1": x[:, 1], "b0": x[:, 2], "b1": x[:, 3]}
    out.update({f"s{i}": ((s >> i) & 1).astype(bool) for i in range(3)})
    return out


@register_generator("parity4", ranges={"repeat": (1, 10_000)},
                    keys=["x0", "x1", "x2", "x3", "y"])
def parity4(repeat: int = 1) -> dict:
    """4-bit parity: y = x0 XOR x1 XOR x2 XOR x3 on all 16 input rows."""
    x = _all_inputs(4, repeat)
    out = {f"x{i}": x[:, i] for i in range(4)}
    out["y"] = np.logical_xor.reduce(x, axis=1)
    return out
