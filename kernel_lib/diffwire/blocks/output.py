from ..ports import Param, Port
from .base import Block


class Output(Block):
    """A named output of the graph (or of a body)."""

    type = "Output"
    category = "io"
    role = "output"
    inputs = (Port("x", "any", doc="the value to return"),)
    params = (Param("name", "string", "y", doc="the output's name"),)
    example_params = {"name": "y"}

