"""The structure ablation of a person's own UDE graph: terms marked on the canvas, every
subset and the controls built from the graph, results kept beside the document."""

from .api import ablate
from .result import GraphAblationResult, ablations, load_ablation
from .terms import GraphVariant, Term, field_terms, resolve_terms, variants

__all__ = ["GraphAblationResult", "GraphVariant", "Term", "ablate", "ablations", "field_terms",
           "load_ablation", "resolve_terms", "variants"]
