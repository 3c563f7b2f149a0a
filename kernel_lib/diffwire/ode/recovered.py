"""What recovery returns: the chosen equation, how sure it is of each term, the runners-up."""

from __future__ import annotations

import dataclasses

import numpy as np

UNSURE = 0.8  # a term kept in fewer bags than this is reported as uncertain
BETTER = 0.5  # an equation fitting the data 2x better than its network: unconverged; 2x
#               worse: a term the library lacks
UNEXPLAINED = 0.1  # so is a component whose equation misses this much of the targets' scale


@dataclasses.dataclass
class Recovered:
    """A recovered equation: `coefficients` [D, F] over monomials with exponents
    `powers` [F, D]; `names` are the state variables' display names.

    From :func:`~diffwire.ode.recover` with a threshold sweep, also: `inclusion` [D, F],
    the fraction of bootstrap bags whose sparse fit keeps each term (at the chosen model's
    threshold); `ci` [D, F, 2], a 95% bootstrap interval of each kept coefficient;
    `candidates`, every model the sweep offered, the chosen one first (the sparsest whose
    score under `criterion` is within `tolerance` of the best), then best first, each with
    its score and Akaike weight; `fit`, the squared error on the observations of the model
    with the equation and with the network; `unexplained` [D], the rms misfit of the chosen terms
    (least squares on the targets) per component, relative to the targets' rms; `scored_on`, what the held-out residuals were:
    ``"simulation"`` (the model with the candidate in place of the network, against the
    observations) or ``"regression"`` (the network's outputs)."""

    coefficients: np.ndarray
    powers: np.ndarray
    names: list
    inclusion: np.ndarray | None = None
    ci: np.ndarray | None = None
    candidates: list = dataclasses.field(default_factory=list)
    criterion: str | None = None
    scored_on: str | None = None
    network_coefficients: np.ndarray | None = None
    tolerance: float = 2.0  # the criterion difference within which the sparsest is chosen
    unexplained: np.ndarray | None = None  # [D] rms misfit of the targets / their rms
    #                                        (without observations; see symbolic._refined)
    fit: tuple | None = None  # squared error on the observations: (equation, network)

    @property
    def text(self) -> str:
        """One line per component, e.g. ``U0 = -0.9 x*y``."""
        lines = []
        for k, row in enumerate(self.coefficients):
            terms = [_term(c, self._monomial(j, self.names, "*")) for j, c in enumerate(row)
                     if c != 0]
            lines.append(f"U{k} = " + (" ".join(terms) if terms else "0"))
        return "\n".join(lines)

    @property
    def uncertain(self) -> list[str]:
        """Why this result should not be trusted as it stands (empty when it can be):
        terms kept in few bootstrap bags, terms whose 95% interval includes zero (the data
        do not tell them from absent), another model as sparse and as good, or no term.
        A dense polynomial fitted to a network's small errors shows up here: its extra
        terms are collinear along one trajectory, so their intervals are wide and the bags
        disagree on them."""
        notes = []
        for k, j in zip(*np.nonzero(self.coefficients)):
            mono = self._monomial(j, self.names, "*")
            if self.inclusion is not None and self.inclusion[k, j] < UNSURE:
                notes.append(f"U{k}: {mono} kept in {self.inclusion[k, j]:.0%} of the "
                             "bootstrap bags")
            if self.ci is not None and self.ci[k, j, 0] <= 0 <= self.ci[k, j, 1]:
                notes.append(f"U{k}: {mono}'s 95% interval [{self.ci[k, j, 0]:+.3g}, "
                             f"{self.ci[k, j, 1]:+.3g}] includes 0")
        if self.unexplained is not None:
            for k, u in enumerate(self.unexplained):
                if u > UNEXPLAINED:
                    notes.append(f"U{k}: the equation misses {u:.0%} of the term's scale "
                                 "(the library may lack the term)")
        if self.fit is not None and self.fit[0] < BETTER * self.fit[1]:
            notes.append(f"the equation fits the observations {self.fit[1] / self.fit[0]:.1f}x "
                         "better than the network it was read from: the network's training "
                         "has not converged, so what it learned is not the law")
        if self.fit is not None and self.fit[0] * BETTER > self.fit[1]:
            notes.append(f"the equation fits the observations {self.fit[0] / self.fit[1]:.1f}x "
                         "worse than the network it was read from (the library may lack "
                         "the term)")
        if self.candidates:
            chosen = self.candidates[0]
            rivals = [c for c in self.candidates[1:] if c.k <= chosen.k
                      and c.score - chosen.score < self.tolerance]
            if rivals:
                notes.append(f"another {rivals[0].k}-term model scores within "
                             f"{self.tolerance:g} of the chosen one: "
                             f"{self.support_text(rivals[0].support)}")
        if not np.any(self.coefficients):
            notes.append("no term was kept")
        return notes

    @property
    def confident(self) -> bool:
        """True when nothing in :attr:`uncertain` casts doubt on the equation."""
        return not self.uncertain

    def summary(self) -> str:
        """The equation, a table of its terms (coefficient, 95% interval, inclusion
        probability), the best candidates and what is uncertain."""
        lines = [self.text, "", "term        coefficient  95% interval          inclusion"]
        for k, j in zip(*np.nonzero(self.coefficients)):
            mono = self._monomial(j, self.names, "*")
            ci = "" if self.ci is None else f"[{self.ci[k, j, 0]:+.4g}, {self.ci[k, j, 1]:+.4g}]"
            inc = "" if self.inclusion is None else f"{self.inclusion[k, j]:.0%}"
            lines.append(f"U{k}: {mono:7s} {self.coefficients[k, j]:+11.4g}  {ci:21s} {inc}")
        if self.candidates:
            lines += ["", f"candidates ranked by {self.criterion} ({self.scored_on}); the "
                      f"first, chosen, is the sparsest within {self.tolerance:g} of the best:"]
            for c in self.candidates[:5]:
                lines.append(f"  {c.k:2d} terms  {self.criterion} {c.score:10.2f}  "
                             f"weight {c.weight:.2f}  {self.support_text(c.support)}")
        notes = self.uncertain
        lines += ["", "UNCERTAIN: " + "; ".join(notes) if notes else "no term is in doubt"]
        return "\n".join(lines)

    def support_text(self, support: np.ndarray) -> str:
        """A support [D, F] as ``U0: x*y | U1: x*y``."""
        return " | ".join(
            f"U{k}: " + (" ".join(self._monomial(j, self.names, "*")
                                  for j in np.nonzero(row)[0]) or "0")
            for k, row in enumerate(support))

    def __repr__(self) -> str:
        return f"Recovered(\n{self.summary()}\n)"

    def coefficient(self, component: int, monomial: dict) -> float:
        """The coefficient of a monomial given as {variable index: power} in a component."""
        j = self.index(monomial)
        return 0.0 if j is None else float(self.coefficients[component, j])

    def index(self, monomial: dict) -> int | None:
        """The library column of a monomial given as {variable index: power}."""
        want = np.zeros(self.powers.shape[1], dtype=int)
        for i, p in monomial.items():
            want[i] = p
        for j, pw in enumerate(self.powers):
            if np.array_equal(pw, want):
                return j
        return None

    def terms(self, component: int) -> dict[str, float]:
        """The non-zero terms of one component: monomial text -> coefficient."""
        return {self._monomial(j, self.names, "*"): float(c)
                for j, c in enumerate(self.coefficients[component]) if c != 0}

    def as_expression(self, input_name: str = "y", learnable: bool = True) -> dict:
        """Params of an Expression block computing the recovered equation from one input
        (the state, components taken as ``y[0]``, ``y[1]``, ...). Coefficients become
        constants ``c<component>_<monomial index>``, learnable by default so the
        replaced term can be fine-tuned."""
        refs = [f"{input_name}[{i}]" for i in range(self.powers.shape[1])]
        consts, parts = {}, []
        for k, row in enumerate(self.coefficients):
            terms = []
            for j, c in enumerate(row):
                if c == 0:
                    continue
                name = f"c{k}_{j}"
                consts[name] = float(c)
                mono = self._monomial(j, refs, "*")
                terms.append(name if mono == "1" else f"{name}*{mono}")
            parts.append(" + ".join(terms) if terms else f"0*{refs[0]}")
        key = "learnable" if learnable else "constants"
        return {"expr": ", ".join(parts), "inputs": [input_name], key: consts}

    def _monomial(self, j: int, names, sep: str) -> str:
        factors = []
        for name, p in zip(names, self.powers[j]):
            factors += [name] * int(p)
        return sep.join(factors) if factors else "1"


def _term(c: float, mono: str) -> str:
    return f"{c:+.4g}" if mono == "1" else f"{c:+.4g} {mono}"
