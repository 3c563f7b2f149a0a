"""The terms of a graph's vector fields that an ablation may withhold, and the graph of
each variant: the person's own graph with some terms' outputs replaced by zero, one term's
sign flipped (the wrong-term control), or the ODE replaced by a network of time (the
black-box control).

A term is an Expression node inside the ``field`` body of an ODESolve node, named by its
path (``solve/field/known``). Withholding rewrites the node's expression as zero with the
same components (``0*(...)``, its learnable constants made fixed), so the field's wiring,
its node ids and every other block stay as the person drew them.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from ... import expr as ex
from ...document import Edge, Graph
from ...errors import GraphError

NEURAL = "none (neural ODE)"
BLACK_BOX = "black box (no ODE)"
WRONG = "wrong term"


@dataclasses.dataclass(frozen=True)
class Term:
    """An Expression node of a vector field: its path, the ODESolve it belongs to, label."""

    path: str
    solve: str
    label: str
    marked: bool


@dataclasses.dataclass(frozen=True)
class GraphVariant:
    """One model of a graph ablation. `kind`: ``ude`` (the `terms` supplied, the other
    varied terms withheld), ``neural`` (every term of the fields withheld), ``black_box``
    or ``wrong`` (all varied terms supplied, `wrong` replaced: a sign flip or the person's
    expression)."""

    name: str
    kind: str
    terms: tuple = ()
    wrong: tuple = ()  # (term path, expression text) for kind "wrong"


def solves(graph: Graph) -> list[str]:
    """Ids of the top-level ODESolve nodes that have a field body."""
    return [n.id for n in graph.nodes.values() if n.type == "ODESolve" and "field" in n.body]


def field_terms(graph: Graph) -> list[Term]:
    """Every Expression node in the field body of a top-level ODESolve."""
    out = []
    for sid in solves(graph):
        for path, node in graph.nodes[sid].body["field"].walk(f"{sid}/field/"):
            if node.type == "Expression":
                out.append(Term(path, sid, node.label or node.id,
                                bool(node.params.get("ablatable"))))
    return out


def resolve_terms(graph: Graph, terms) -> list[Term]:
    """The terms to vary: `terms` (paths or plain node ids), or the marked ones.

    Raises a GraphError naming the node and the parameter when a term is not an
    Expression of a vector field, when the graph has no ODESolve, or when nothing is
    marked."""
    if not solves(graph):
        raise GraphError("the graph has no ODESolve node with a vector field to ablate",
                         port="terms", expected="an ODESolve node whose field body holds "
                         "Expression terms", found=sorted(n.type for n in graph.nodes.values()),
                         hint="ablation varies the known terms of an ODE's vector field")
    known = field_terms(graph)
    if terms is None:
        marked = [t for t in known if t.marked]
        stray = [p for p, n in graph.walk() if n.type == "Expression"
                 and n.params.get("ablatable") and p not in {t.path for t in known}]
        if stray:
            raise GraphError("a term marked ablatable is not in a vector field", node=stray[0],
                             port="ablatable", expected="an Expression inside an ODESolve's "
                             "field body", found=stray[0])
        if not known:
            sid = solves(graph)[0]
            raise GraphError(f"the vector field of ODESolve '{sid}' holds no Expression "
                             "term to ablate", node=f"{sid}/field", port="terms",
                             expected="the known terms as Expression blocks beside the network",
                             found=sorted(n.type for n in graph.nodes[sid].body["field"]
                                          .nodes.values()),
                             hint="add each known term as an Expression block in the field "
                                  "and tick its 'ablatable' box")
        if not marked:
            raise GraphError("no term is marked ablatable", port="terms",
                             expected=[t.path for t in known], found=[],
                             hint="tick 'ablatable' on Expression nodes of the field, or pass "
                                  "terms=[node ids]")
        return marked
    if isinstance(terms, str) or not isinstance(terms, (list, tuple)):
        raise GraphError("terms is a list of node ids", port="terms", found=repr(terms)[:80])
    by_path = {t.path: t for t in known}
    out: list[Term] = []
    for ref in terms:
        matches = [t for t in known if ref in (t.path, t.path.rsplit("/", 1)[-1])] \
            if isinstance(ref, str) else []
        if len(matches) != 1:
            where = _where(graph, ref)
            if len(matches) > 1:
                raise GraphError(f"term '{ref}' names a node in several vector fields",
                                 node=str(ref), port="terms",
                                 expected="one of " + ", ".join(t.path for t in matches),
                                 found=ref)
            raise GraphError(f"'{ref}' is not a term of a vector field", node=str(ref)[:80],
                             port="terms", expected=f"an Expression in an ODESolve's field: "
                             f"{sorted(by_path)}", found=where)
        if matches[0] in out:
            raise GraphError(f"term '{ref}' is listed twice", node=matches[0].path,
                             port="terms", found=list(terms))
        out.append(matches[0])
    if not out:
        raise GraphError("terms is empty", port="terms", expected=sorted(by_path), found=[])
    return out


def _where(graph: Graph, ref) -> str:
    for path, node in graph.walk():
        if ref in (path, node.id):
            return f"a {node.type} node at '{path}'"
    return "no such node"


def variants(graph: Graph, terms: list[Term], controls=("neural", "black_box", "wrong"),
             wrong=None) -> list[GraphVariant]:
    """Every subset of `terms` supplied (the rest withheld), then the controls asked for:
    the pure neural ODE (every term of the fields withheld; the empty subset when the
    varied terms are all of them), the black box, and the wrong term (`wrong`:
    ``{term: expression}`` chosen by the person, ``{term: None}`` that term's sign flipped;
    default the first term's sign flipped)."""
    unknown = set(controls) - {"neural", "black_box", "wrong"}
    if unknown:
        raise GraphError("unknown control", port="controls",
                         expected=["neural", "black_box", "wrong"], found=sorted(unknown))
    paths = [t.path for t in terms]
    every = len(terms) == len(field_terms(graph))
    out = []
    for k in range(len(paths) + 1):
        for subset in itertools.combinations(paths, k):
            label = " + ".join(_short(p) for p in subset) if subset else \
                (NEURAL if every else "none of the varied terms")
            out.append(GraphVariant(label, "ude", tuple(subset)))
    if "neural" in controls and not every:
        out.append(GraphVariant(NEURAL, "neural"))
    if "black_box" in controls:
        out.append(GraphVariant(BLACK_BOX, "black_box"))
    if "wrong" in controls:
        out.append(GraphVariant(WRONG, "wrong", tuple(paths), _wrong_pair(graph, terms, wrong)))
    return out


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _wrong_pair(graph: Graph, terms: list[Term], wrong) -> tuple:
    if wrong is None:
        first = terms[0].path
        return (first, flipped_expr(graph.node(first).params["expr"]))
    if not isinstance(wrong, dict) or len(wrong) != 1:
        raise GraphError("wrong is one {term: expression}", port="wrong",
                         expected="{'known': '-alpha*y[0], ...'}", found=repr(wrong)[:80])
    (ref, text), = wrong.items()
    term = resolve_terms(graph, [ref])[0]
    node = graph.node(term.path)
    if text is None:  # that term, its sign flipped
        return (term.path, flipped_expr(node.params["expr"]))
    if not isinstance(text, str):
        raise GraphError("the wrong term's expression is text", node=term.path, port="wrong",
                         found=type(text).__name__)
    trial = dict(node.params, expr=text)
    try:
        node.block.check_params(trial, node=term.path)
    except GraphError as exc:
        exc.port = "wrong"
        exc.args = (exc._text(),)
        raise
    return (term.path, str(text))


def components(text: str) -> list[str]:
    """The top-level components of an expression (``a, b`` -> two), as text."""
    ex.parse(text)  # a bad expression fails here, with the parser's message
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def zero_expr(text: str) -> str:
    """The same components, each multiplied by zero: the term's output is zero of its shape."""
    return ", ".join(f"0*({c})" for c in components(text))


def flipped_expr(text: str) -> str:
    """Every component's sign flipped: the generated wrong term."""
    return ", ".join(f"-({c})" for c in components(text))


def build(graph: Graph, varied: list[Term], variant: GraphVariant, dim: int,
          n_params: int) -> Graph:
    """The graph of one variant: a copy of the person's graph with terms withheld, one
    term replaced, or (black box) each ODESolve replaced by a network of time."""
    g = graph.copy()
    if variant.kind == "black_box":
        return _black_box(g, dim, n_params)
    if variant.kind == "neural":
        withheld = [t.path for t in field_terms(graph)]
    else:
        withheld = [t.path for t in varied if t.path not in variant.terms]
    for path in withheld:
        _withhold(g.node(path))
    if variant.kind == "wrong":
        path, text = variant.wrong
        g.node(path).params["expr"] = text
    return g


def _withhold(node) -> None:
    p = node.params
    p["expr"] = zero_expr(p["expr"])
    p["constants"] = {**p.get("constants", {}), **p.get("learnable", {})}
    p["learnable"] = {}


def _black_box(g: Graph, dim: int, n_params: int) -> Graph:
    """Each ODESolve replaced by t -> MLP 1-h-h-D (tanh), h matching `n_params` (the
    trainable parameters of the full model's fields); y0 is then unused."""
    b = 3 + dim
    h = max(1, round((-b + math.sqrt(max(b * b + 4 * (n_params - dim), 0))) / 2))
    for sid in solves(g):
        t_edge = g.edges_into(sid).get("t")
        if t_edge is None:
            raise GraphError("the ODESolve's t port is not wired", node=sid, port="t")
        col = g.add("Reshape", id=f"{sid}_column", shape=[-1, 1], keep_batch=False)
        net = g.add("MLP", id=f"{sid}_black_box", widths=[1, h, h, dim], activation="tanh")
        g.connect((t_edge.source, t_edge.source_port), col)
        g.connect(col, net)
        g.edges = [Edge(net.id, "out", e.target, e.target_port) if e.source == sid else e
                   for e in g.edges]
        g.remove(sid)
    return g
