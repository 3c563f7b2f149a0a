from .gate import Gate


class Or(Gate):
    """a OR b on bool wires."""

    type = "Or"
    table = (0, 1, 1, 1)
    torch_op = "logical_or"
