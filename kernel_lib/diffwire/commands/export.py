"""``diffwire export FILE [-o OUT.py]``: write the graph as a standalone PyTorch module."""

from __future__ import annotations

import pathlib
import sys

from ..errors import GraphError, printable
from .common import load_file, report


def add_arguments(p) -> None:
    p.add_argument("file", help="a .diffwire document")
    p.add_argument("-o", "--out", default=None,
                   help="the Python file to write (default: FILE with .py; '-' for stdout)")
    p.add_argument("--no-train", action="store_true",
                   help="the model only: no train() and no __main__")


def main(args) -> int:
    from ..export import export

    g, errs = load_file(args.file)
    if g is None:
        report(args.file, errs)
        return 2
    out = args.out or str(pathlib.Path(args.file).with_suffix(".py"))
    try:
        text = export(g, training=not args.no_train)
    except GraphError as e:
        errors = getattr(e, "errors", None) or [e]
        report(args.file, errors)
        return 2
    if out == "-":
        sys.stdout.write(text)
        return 0
    from ..document import atomic_write_text

    atomic_write_text(pathlib.Path(out), text)
    print(f"{printable(args.file)}: wrote {printable(out)}")
    if not args.no_train and g.training:  # the model is fine; its train() would not be
        from ..train import validate_training

        problems = validate_training(g, root=pathlib.Path(args.file).parent, kernel=False)
        for e in problems:
            e.severity = "warning"
        report(args.file, problems)
    return 0
