"""The opaque Module block: a node that holds an imported nn.Module it has no block for.

The module lives in memory, in :data:`MODULES`, under the node's `ref`; the document
keeps only the reference and the class name. A file saved with such a node loads (it is
plain JSON), but compiling it in a session that does not hold the module is a clear
:class:`GraphError`: diffwire never imports or runs code named by a document.
"""

from __future__ import annotations

import copy
import uuid

from torch import nn

from ..errors import GraphError
from ..ports import Param, Port
from .base import Block, ExportedNode

#: ref -> the module an opaque node stands for (this Python session only).
MODULES: dict[str, nn.Module] = {}


def hold(module: nn.Module) -> str:
    """Keep `module` for opaque nodes; returns its reference."""
    ref = uuid.uuid4().hex
    MODULES[ref] = module
    return ref


class Module(Block):
    """An imported PyTorch module or function with no block of its own (shown by its
    class name). It runs as it is, with the weights it had when imported; it cannot be
    exported as code or rebuilt from a saved file."""

    type = "Module"
    category = "imported"
    params = (
        Param("class_name", "string", "", doc="the module's class (for display)"),
        Param("ref", "string", "", doc="the in-memory module this node holds"),
        Param("n_inputs", "int", 1, min=0, max=64),
        Param("n_outputs", "int", 1, min=1, max=64),
    )
    example_params = {"class_name": "torch.nn.Identity", "ref": "example"}
    example_inputs = {"x0": (4, 3)}

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(f"x{i}") for i in range(params.get("n_inputs", 1)))

    @classmethod
    def output_ports(cls, params):
        n = params.get("n_outputs", 1)
        return (Port("out"),) if n == 1 else tuple(Port(f"y{i}") for i in range(n))

    @classmethod
    def build(cls, node, ctx):
        ref = node.read_params()["ref"]
        if ref not in MODULES:
            raise GraphError(f"this node stands for a {node.read_params()['class_name'] or 'module'} "
                             "that exists only in the Python session that imported it",
                             node=node.id, port="ref", expected="a module held in memory",
                             found="none", hint="import it again with dw.from_module, or "
                                                "replace the node with blocks")
        module = copy.deepcopy(MODULES[ref])
        return module.to("meta") if ctx.meta else module

    @classmethod
    def export(cls, node, ctx) -> ExportedNode:
        raise GraphError(f"an opaque Module node ({node.read_params().get('class_name')}) has no code to "
                         "export", node=node.id, expected="blocks with code",
                         found="a module held in memory",
                         hint="replace the node with blocks, or register a block for its layer")


MODULES["example"] = nn.Identity()
