"""The structure ablation of a person's own UDE graph: terms marked on the canvas, every
subset and the controls built from the graph, results kept beside the document."""

from .api import ablate
from .effects import effects_figure, term_effects
from .result import GraphAblationResult, ablations, load_ablation
from .terms import GraphVariant, Term, field_terms, resolve_terms, variants

__all__ = ["GraphAblationResult", "GraphVariant", "Term", "ablate", "ablations",
           "effects_figure", "field_terms", "load_ablation", "resolve_terms", "term_effects",
           "variants"]
