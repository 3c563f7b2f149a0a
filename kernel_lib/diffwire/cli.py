"""The ``diffwire`` command: ``validate``, ``train`` and ``export``.

Each subcommand is a module with ``add_arguments(parser)`` and ``main(args) -> int``;
adding one is one line in :data:`COMMANDS`. Modules are imported only when their
subcommand runs, so ``diffwire validate`` stays quick. Exit codes: 0 success, 1 the run
did not finish, 2 a bad file or bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("diffwire.commands.validate", "check a .diffwire file and its training section"),
    "train": ("diffwire.commands.train", "train a .diffwire file from its training section"),
    "export": ("diffwire.commands.export", "write a .diffwire file as a standalone PyTorch module"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diffwire", description="diffwire: differentiable programs "
                                "as block graphs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(sp)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``diffwire`` console script."""
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "_module", None):
        p.print_help(sys.stderr)
        return 2
    return int(importlib.import_module(args._module).main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
