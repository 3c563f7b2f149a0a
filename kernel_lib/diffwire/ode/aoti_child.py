"""Compile one exported solve program into an AOTInductor package, in a process of its own:
:func:`diffwire.ode.aoti.programs` compiles the forward while this compiles the
adjoint. ``python -m diffwire.ode.aoti_child PROGRAM PACKAGE``: PROGRAM is a
``torch.export.save`` file (graph and weights, no pickle), PACKAGE the package to write."""

from __future__ import annotations

import pathlib
import sys


def main(argv: list[str]) -> int:
    import torch

    from diffwire.ode import aoti

    program, package = argv
    aoti.compile_to(pathlib.Path(package), torch.export.load(program))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
