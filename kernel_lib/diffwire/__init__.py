"""diffwire: build differentiable programs by wiring blocks, in JupyterLab or from Python.

```python
import diffwire as dw
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 2])
h = g.add("MLP", widths=[2, 64, 64, 2], activation="tanh", label="encoder")
g.connect(x, h)
g.add_output(h, name="y")
model = g.compile()
```
"""

from . import (
    blocks,
    export,  # the package is callable: dw.export(g) writes the module
    expr,
    logic,
    ode,
    sweep,  # callable too: dw.sweep(g, space) runs a sweep
)
from .blocks import BLOCKS, Block, block, catalog, register, unregister
from .compile import CompiledGraph
from .document import FORMAT, MIGRATIONS, Edge, Graph, Node, load, loads, migrate, schema
from .errors import (
    CycleError,
    DanglingOutput,
    DuplicateInput,
    ExpressionError,
    FormatError,
    GraphError,
    GraphErrors,
    KindMismatch,
    MissingInput,
    ParamError,
    RuntimeGraphError,
    ShapeMismatch,
    UnknownBlockType,
    UnknownNode,
    UnknownPort,
)
from .export import from_module, from_python
from .ode import ODESolve, recover, replace_with_expression
from .ports import Param, Port
from .ray_session import connect as connect_ray
from .sweep import SweepResult, load_sweep
from .train import (  # also binds dw.train, a callable package: dw.train(g, ...) starts a run
    Callback,
    Ensemble,
    EnsembleRun,
    Optimizer,
    Run,
    generator_catalog,
    load_run,
    loss_catalog,
    register_generator,
    resume,
    runs,
    training_config,
    validate_training,
)
from .train.ablation import ablate, ablations, load_ablation
from .train.sparsify import Sparsify

for _name, _gen in ode.PROBLEMS.items():  # ODE problems as training data generators
    register_generator(_name, ranges=ode.problems.RANGES[_name],
                       keys=["t", "y", "y0", "clean"])(ode.problems.as_arrays(_gen))

__version__ = "0.1.0"


def __getattr__(name: str):
    # dw.Editor on first use: the widget stack (anywidget, ipywidgets, IPython) is memory a
    # script that loads, trains or exports a graph never needs
    if name == "Editor":
        from .widget import Editor

        return Editor
    raise AttributeError(f"module 'diffwire' has no attribute {name!r}")

__all__ = [
    "BLOCKS", "Block", "CompiledGraph", "Editor", "CycleError", "DanglingOutput", "DuplicateInput", "Edge",
    "ExpressionError", "FORMAT", "FormatError", "Graph", "GraphError", "GraphErrors",
    "KindMismatch", "MIGRATIONS", "MissingInput", "Node", "Param", "ParamError", "Port",
    "RuntimeGraphError", "ShapeMismatch", "UnknownBlockType", "UnknownNode", "UnknownPort",
    "block", "blocks", "catalog", "expr", "load", "loads", "migrate", "register", "schema",
    "unregister",
    # export and import
    "export", "from_module", "from_python",
    # training
    "Callback", "Ensemble", "EnsembleRun", "Optimizer", "Run", "generator_catalog", "load_run", "loss_catalog",
    "register_generator", "resume", "runs", "train",
    "Sparsify",
    "training_config", "validate_training",
    # ODEs, UDEs, symbolic recovery, ablation
    "ODESolve", "ablate", "ablations", "load_ablation", "ode", "recover",
    "replace_with_expression",
    # Boolean circuits learned by reverse derivative ascent
    "logic",
    # experiments: sweeps, Ray
    "SweepResult", "connect_ray", "load_sweep", "sweep",
]
