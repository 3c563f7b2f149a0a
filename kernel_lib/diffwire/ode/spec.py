"""What an ablation varies: a problem, its named terms, a wrong term, the network."""

from __future__ import annotations

import dataclasses
import itertools
import math

from ..document import Graph
from ..errors import GraphError
from .ude import LV_CONSTANTS, LV_TERMS, ude


@dataclasses.dataclass(frozen=True)
class Variant:
    """One model of the ablation: `kind` is ``ude`` (supplied terms + network),
    ``black_box`` (a network of t alone, no ODE) or ``wrong`` (a wrong term supplied)."""

    name: str
    kind: str
    terms: tuple = ()


@dataclasses.dataclass
class AblationSpec:
    """An environment fully specified by differential equations, and the models to try.

    **Fields:**

    - `problem`: a generator name in `diffwire.ode.PROBLEMS`; `problem_kwargs` its args.
    - `dim`: the state's size; `terms`: name -> (component, expression in ``y[k]``);
      `constants`: the terms' true constants (supplied terms use them, fixed).
    - `wrong`: the terms of the deliberately wrong control, name -> (component, expr).
    - `hidden`, `activation`: the neural term; `solve`: ODESolve params.
    - `horizons`: extrapolation horizons as multiples of the training span.
    """

    problem: str
    dim: int
    terms: dict
    constants: dict
    wrong: dict
    problem_kwargs: dict = dataclasses.field(default_factory=dict)
    hidden: tuple = (5, 5, 5)
    activation: str = "rbf"
    solve: dict = dataclasses.field(default_factory=lambda: {"method": "dopri5", "rtol": 1e-6,
                                                            "atol": 1e-6, "max_steps": 2000})

    def variants(self, terms=None) -> list[Variant]:
        """Every subset of `terms` (default: all) supplied as known structure, from the
        empty set (a pure neural ODE) to all of them, then the black box and the wrong term."""
        if isinstance(terms, str) or not isinstance(terms, (list, tuple, type(None))):
            raise GraphError("terms is a list of the spec's term names", port="terms",
                             expected=list(self.terms), found=repr(terms)[:80])
        names = list(terms if terms is not None else self.terms)
        for n in names:
            if n not in self.terms:
                raise GraphError(f"{n!r} in terms is not a term of the {self.problem} spec",
                                 port="terms", expected=list(self.terms), found=n)
        if len(set(names)) != len(names):
            raise GraphError("a term is listed twice in terms", port="terms", found=names)
        out = []
        for k in range(len(names) + 1):
            for subset in itertools.combinations(names, k):
                label = " + ".join(subset) if subset else "none (neural ODE)"
                out.append(Variant(label, "ude", tuple(subset)))
        out.append(Variant("black box (no ODE)", "black_box"))
        out.append(Variant("wrong term", "wrong", tuple(self.wrong)))
        return out

    def build(self, variant: Variant) -> Graph:
        """The graph for one variant (Inputs y0, t; Output y)."""
        if variant.kind == "black_box":
            return black_box(self.dim, self.neural_parameter_count())
        table = self.wrong if variant.kind == "wrong" else self.terms
        known = [table[n] for n in variant.terms]
        return ude(self.dim, known, constants=self.constants, hidden=self.hidden,
                   activation=self.activation, **self.solve)

    def neural_parameter_count(self) -> int:
        widths = [self.dim, *self.hidden, self.dim]
        return sum(a * b + b for a, b in zip(widths, widths[1:]))


def black_box(dim: int, n_params: int) -> Graph:
    """A network from time straight to the state, t -> MLP 1-h-h-D, with h chosen so its
    parameter count matches `n_params` (the control without ODE structure)."""
    # h^2 + (3 + D) h + D = n_params
    b = 3 + dim
    h = max(1, round((-b + math.sqrt(b * b + 4 * (n_params - dim))) / 2))
    g = Graph()
    g.add("Input", name="y0", kind="state", shape=[dim])
    t = g.add("Input", name="t", kind="time", shape=["T"])
    col = g.add("Reshape", id="column", shape=[-1, 1], keep_batch=False)
    net = g.add("MLP", id="net", widths=[1, h, h, dim], activation="tanh")
    g.connect(t, col)
    g.connect(col, net)
    g.add_output(net, name="y")
    return g


def lotka_volterra_spec(**kw) -> AblationSpec:
    """The Lotka-Volterra ablation: four terms, the UDE paper's data and network; the
    wrong control supplies the predation term with the wrong sign."""
    base = dict(
        problem="lotka_volterra", dim=2, terms=dict(LV_TERMS), constants=dict(LV_CONSTANTS),
        wrong={"alpha*x": LV_TERMS["alpha*x"], "+beta*x*y (wrong sign)": (0, "beta*y[0]*y[1]"),
               "-delta*y": LV_TERMS["-delta*y"]},
    )
    base.update(kw)
    return AblationSpec(**base)


SPECS = {"lotka_volterra": lotka_volterra_spec}
