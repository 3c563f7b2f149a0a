"""Hyperparameter sweeps: a graph trained once per point of a grid or a random space, each
trial a kept run, locally or on Ray. See README.md in this folder.

The package is callable, as ``dw.train`` is: ``dw.sweep(graph, space)`` runs a sweep and
``dw.sweep.log_uniform(1e-4, 1e-1)`` writes a distribution."""

from ..callable_package import make_callable as _make_callable
from .api import sweep
from .result import SweepResult, load_sweep
from .space import choice, int_uniform, log_uniform, uniform

_make_callable(__name__, sweep)

__all__ = ["SweepResult", "choice", "int_uniform", "load_sweep", "log_uniform", "sweep",
           "uniform"]
