"""`import diffwire`, and loading, checking and compiling a plain graph, leave the heavy
libraries that only some features use unimported (issue 13: a 200,000-node document under
600 MB, of which the imports were 357 MB): scipy (through torchdiffeq), networkx, and the
widget stack. Each is imported where it is first used."""

import json
import os
import subprocess
import sys

HEAVY = ("scipy", "networkx", "torchdiffeq", "anywidget", "ipywidgets", "IPython", "sympy")


def loaded_after(code: str) -> list[str]:
    """The heavy libraries imported once `code` has run in a fresh interpreter."""
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=os.environ, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_and_a_plain_graph_leave_heavy_libraries_unloaded():
    code = """
import diffwire as dw
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 4])
h = g.add("MLP", widths=[4, 8, 2], activation="tanh")
g.connect(x, h)
g.add_output(h)
g = dw.loads(g.to_json())
assert not [e for e in g.validate() if e.severity == "error"]
import torch
g.compile(seed=0)(torch.zeros(3, 4))
"""
    assert loaded_after(code) == []


def test_the_lazy_imports_still_arrive_where_used():
    code = """
import diffwire as dw
dw.Editor
import torch
from diffwire.runtime.data import tight_solve
tight_solve(lambda t, y: -y, torch.ones(1), torch.linspace(0, 1, 3))
"""
    assert {"scipy", "torchdiffeq", "anywidget"} <= set(loaded_after(code))


def test_the_torchdiffeq_methods_named_are_torchdiffeqs():
    from torchdiffeq._impl.odeint import SOLVERS

    from diffwire.ode.solve import TORCHDIFFEQ_METHODS

    assert set(TORCHDIFFEQ_METHODS) <= set(SOLVERS)
