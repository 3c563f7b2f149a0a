"""ODE blocks, problem generators, universal differential equations, symbolic recovery
and the structure-ablation experiment. See README.md in this folder."""

from ..blocks.registry import register
from . import problems, ude
from .ablate import ablate
from .fitting import FitResult, fit
from .hamiltonian import derivative_mlp, energy_mse, hamiltonian_nn, rollout, spring_energy
from .problems import (
    PROBLEMS,
    Trajectory,
    damped_pendulum,
    lotka_volterra,
    mass_spring,
    sir,
    spiral,
)
from .solve import METHODS, ODESolve, ODESolveModule, SolverStats, solver_metrics, solver_stats
from .spec import AblationSpec, Variant, black_box, lotka_volterra_spec
from .symbolic import Recovered, fit_sindy, recover, replace_with_expression
from .table import AblationResult
from .ude import lotka_volterra_ude, neural_ode, pendulum_ude, sir_ude, spiral_neural_ode, term_ude

register(ODESolve)

__all__ = [
    "AblationResult", "AblationSpec", "Variant", "ablate", "black_box", "lotka_volterra_spec",
    "FitResult", "METHODS", "ODESolve", "ODESolveModule", "PROBLEMS", "Recovered", "SolverStats",
    "Trajectory", "damped_pendulum", "fit", "fit_sindy", "lotka_volterra", "lotka_volterra_ude", "mass_spring",
    "neural_ode", "problems", "recover", "replace_with_expression", "solver_metrics", "solver_stats", "spiral", "spiral_neural_ode",
    "ude", "derivative_mlp", "energy_mse", "hamiltonian_nn", "rollout", "spring_energy",
    "sir", "sir_ude", "pendulum_ude", "term_ude",
]
