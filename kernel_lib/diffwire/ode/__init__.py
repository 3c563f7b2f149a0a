"""ODE blocks, problem generators, universal differential equations, symbolic recovery
and the structure-ablation experiment. See README.md in this folder."""

from ..blocks.registry import register
from .solve import METHODS, ODESolve, ODESolveModule, SolverStats, solver_stats

register(ODESolve)

__all__ = ["METHODS", "ODESolve", "ODESolveModule", "SolverStats", "solver_stats"]
