from ..ports import Param, Port
from .base import Block


class Input(Block):
    """A named input of the graph (or of a body). Its `shape` may use None or names for
    sizes known only at run time, e.g. ``[None, 2]`` (the batch is called ``B``)."""

    type = "Input"
    category = "io"
    role = "input"
    params = (
        Param("name", "string", "x", doc="the keyword the compiled module takes"),
        Param("shape", "shape", None, nullable=True, doc="sizes; null or a name for run-time sizes"),
        Param("kind", "choice", "tensor", choices=("tensor", "scalar", "bool", "state", "time")),
        Param("dtype", "choice", "float32", choices=("float32", "float64", "int64", "bool")),
    )
    example_params = {"name": "x", "shape": [None, 3]}

    @classmethod
    def output_ports(cls, params):
        shape = params.get("shape")
        return (Port("out", params.get("kind", "tensor"), None if shape is None else tuple(shape)),)
