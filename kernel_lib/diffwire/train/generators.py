"""The registry of data generators: functions that simulate a data set in the kernel.

A generator takes keyword arguments (from the document) and returns a dict of arrays by
name; a data binding ``{"source": "generator", "name": "sine", "kwargs": {...}}`` picks
one of them (``key``, default the binding's own name).

Keyword arguments come from a document, so each generator declares the parameters it
takes (typed :class:`~diffwire.Param` with ranges, by default read from its signature):
an unknown name (``__class__``) or an absurd value (``n = 10**12``) is a ``ParamError``
when the section is validated, before the generator runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from ..errors import GraphError, ParamError
from ..ports import Param
from ..runtime import data

GENERATORS: dict[str, Callable[..., dict]] = {}
#: generator name -> {kwarg name: Param}: what a document may pass it.
PARAMS: dict[str, dict[str, Param]] = {}
#: generator name -> the names of the arrays it returns, when declared (the Training
#: panel offers them as the binding's `key`; undeclared: the person types the key).
KEYS: dict[str, list[str]] = {}

#: Ranges given to signature-derived parameters by name: enough for any data set a
#: notebook trains on; a generator that needs more declares its own `params`.
NAMED_RANGES = {"n": (1, 1_000_000), "seed": (0, 2**32 - 1), "noise": (0.0, 1e3),
                "t_end": (0.0, 1e5)}
#: Any other number: finite and of a size that cannot turn into memory by itself.
DEFAULT_RANGE = (-1e9, 1e9)


def signature_params(fn: Callable, ranges: dict | None = None) -> dict[str, Param]:
    """Params read from `fn`'s signature: the kind from each default's type (int, float,
    bool, str, a list of numbers), the range from `ranges`, else :data:`NAMED_RANGES`,
    else :data:`DEFAULT_RANGE`; parameters of other types (a torch dtype) are not
    settable from a document."""
    out = {}
    ranges = {**NAMED_RANGES, **(ranges or {})}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is p.empty:
            continue
        d = p.default
        lo, hi = ranges.get(p.name, DEFAULT_RANGE)
        if isinstance(d, bool):
            out[p.name] = Param(p.name, "bool", d)
        elif isinstance(d, int):
            out[p.name] = Param(p.name, "int", d, min=int(lo), max=int(hi))
        elif isinstance(d, float):
            out[p.name] = Param(p.name, "float", d, min=lo, max=hi)
        elif isinstance(d, str):
            out[p.name] = Param(p.name, "string", d)
        elif isinstance(d, (tuple, list)) and d and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in d):
            out[p.name] = Param(p.name, "list", list(d), item="float", min=lo, max=hi)
    return out


def register_generator(name: str, params: list[Param] | None = None,
                       ranges: dict | None = None, keys: list[str] | None = None) -> Callable:
    """Register a data generator under `name` (a decorator).

    `params` declares the keyword arguments a document may pass (typed, with ranges);
    by default they are read from the function's signature, with `ranges`
    (``{"n": (1, 5000)}``) bounding them (see :func:`signature_params`). `keys` names the
    arrays it returns (shown in the editor's Training panel).

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
        PARAMS[name] = ({p.name: p for p in params} if params is not None
                        else signature_params(fn, ranges))
        if keys is not None:
            KEYS[name] = [str(k) for k in keys]
        else:
            KEYS.pop(name, None)
        return fn

    return deco


def check_kwargs(name: str, kwargs) -> dict:
    """`kwargs` checked against the generator's declared params (raises ParamError)."""
    if name not in GENERATORS:
        raise GraphError(f"no data generator named '{name}'", port="training.data",
                         expected=f"one of {sorted(GENERATORS)}", found=name,
                         hint="register one with @dw.register_generator(name)")
    if not isinstance(kwargs, dict):
        raise ParamError("generator kwargs are an object", port="kwargs",
                         found=type(kwargs).__name__)
    declared = PARAMS.get(name, {})
    out = {}
    for key, value in kwargs.items():
        if key not in declared:
            raise ParamError(f"generator '{name}' takes no argument '{key}'", port="kwargs",
                             expected=f"some of {sorted(declared)}", found=key)
        out[key] = declared[key].check(value)
    return out


def generate(name: str, kwargs: dict) -> dict:
    """Call the generator `name` with `kwargs`; errors name the binding's generator."""
    kwargs = check_kwargs(name, kwargs)
    try:
        out = GENERATORS[name](**kwargs)
    except GraphError:
        raise
    except Exception as exc:  # a user generator's own failure (MemoryError too), typed here
        raise GraphError(f"generator '{name}' failed: {type(exc).__name__}",
                         port="training.data", found=str(exc)[:200]) from exc
    if not isinstance(out, dict):
        raise GraphError(f"generator '{name}' must return a dict of arrays",
                         port="training.data", found=type(out).__name__)
    return out


@register_generator("delayed_copy", keys=["x", "y"],
                    ranges={"n": (1, 100_000), "steps": (1, 1000), "delay": (0, 1000)})
def delayed_copy(n: int = 256, steps: int = 12, delay: int = 3, seed: int = 0) -> dict:
    """Bit sequences `x` [n, steps, 1] and `y`, the bits `delay` steps later."""
    return {k: v.numpy() for k, v in data.delayed_copy(n, steps, delay, seed).items()}


@register_generator("sine", keys=["x", "y"])
def sine(n: int = 128, noise: float = 0.0, seed: int = 0, low: float = -3.0,
         high: float = 3.0) -> dict:
    """``y = sin(x)`` (+ Gaussian noise) on `n` points of ``[low, high]``, as columns."""
    # the runtime's function, which an exported file embeds: the same data for a seed
    return {k: v.numpy() for k, v in data.sine(n, noise, seed, low, high).items()}


@register_generator("ideal_spring", keys=["x", "dx", "test_x", "test_dx", "y0", "test_y0"],
                    ranges={"samples": (2, 100_000), "n": (1, 100_000),
                            "test_split": (0.0, 1.0)})
def ideal_spring(samples: int = 50, n: int = 30, t_end: float = 3.0, noise: float = 0.1,
                 seed: int = 0, test_split: float = 0.5) -> dict:
    """The ideal mass-spring of the Hamiltonian neural network paper (H = (q^2 + p^2) / 2):
    noisy states `x` and clean derivatives `dx` from `samples` trajectories, half of them
    held out as `test_x` / `test_dx`."""
    return {k: v.numpy() for k, v in data.ideal_spring(samples, n, t_end, noise, seed,
                                                       test_split).items()}
