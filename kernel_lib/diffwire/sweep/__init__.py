"""Hyperparameter sweeps: a graph trained once per point of a grid or a random space, each
trial a kept run, locally or on Ray. See README.md in this folder.

The package is callable, as ``dw.train`` is: ``dw.sweep(graph, space)`` runs a sweep and
``dw.sweep.log_uniform(1e-4, 1e-1)`` writes a distribution."""

import inspect as _inspect
import sys as _sys
import types as _types

from .api import sweep
from .result import SweepResult, load_sweep
from .space import choice, int_uniform, log_uniform, uniform


class _CallablePackage(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
__signature__ = _inspect.signature(sweep)
__doc__ = f"{sweep.__doc__}\n{__doc__}"

__all__ = ["SweepResult", "choice", "int_uniform", "load_sweep", "log_uniform", "sweep",
           "uniform"]
