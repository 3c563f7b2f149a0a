"""The registry of data generators: functions that simulate a data set in the kernel.

A generator takes keyword arguments (from the document) and returns a dict of arrays by
name; a data binding ``{"source": "generator", "name": "sine", "kwargs": {...}}`` picks
one of them (``key``, default the binding's own name).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import GraphError

GENERATORS: dict[str, Callable[..., dict]] = {}


def register_generator(name: str) -> Callable:
    """Register a data generator under `name` (a decorator).

    ```python
    @dw.register_generator("parabola")
    def parabola(n=64, seed=0):
        x = np.linspace(-1, 1, n)[:, None]
        return {"x": x, "y": x**2}
    ```
    """
    if not isinstance(name, str) or not name:
        raise GraphError("a generator name is a non-empty string", found=repr(name))

    def deco(fn: Callable[..., dict]) -> Callable[..., dict]:
        GENERATORS[name] = fn
        return fn

    return deco


def generate(name: str, kwargs: dict) -> dict:
    """Call the generator `name` with `kwargs`; errors name the binding's generator."""
    try:
        fn = GENERATORS[name]
    except KeyError:
        raise GraphError(f"no data generator named '{name}'", port="training.data",
                         expected=f"one of {sorted(GENERATORS)}", found=name,
                         hint="register one with @dw.register_generator(name)") from None
    out = fn(**kwargs)
    if not isinstance(out, dict):
        raise GraphError(f"generator '{name}' must return a dict of arrays",
                         port="training.data", found=type(out).__name__)
    return out


@register_generator("sine")
def sine(n: int = 128, noise: float = 0.0, seed: int = 0, low: float = -3.0,
         high: float = 3.0) -> dict:
    """``y = sin(x)`` (+ Gaussian noise) on `n` points of ``[low, high]``, as columns."""
    rng = np.random.default_rng(seed)
    x = np.linspace(low, high, n, dtype=np.float32)[:, None]
    y = np.sin(x) + noise * rng.standard_normal(x.shape).astype(np.float32)
    return {"x": x, "y": y.astype(np.float32)}
