"""``diffwire export FILE [-o OUT.py]``: write the graph as plain PyTorch: the model module,
its training file and the document beside them."""

from __future__ import annotations

import pathlib
import sys

from ..errors import GraphError, printable
from .common import load_file, report


def add_arguments(p) -> None:
    p.add_argument("file", help="a .diffwire document")
    p.add_argument("-o", "--out", default=None,
                   help="the model file to write (default: FILE with .py; '-': the model's "
                        "source to stdout, nothing written); beside it go OUT_train.py and "
                        "OUT.diffwire.json")
    p.add_argument("--no-train", action="store_true",
                   help="the model only: no training file")


def main(args) -> int:
    from ..export import export
    from ..export.writer import FileNames

    g, errs = load_file(args.file)
    if g is None:
        report(args.file, errs)
        return 2
    out = args.out or str(pathlib.Path(args.file).with_suffix(".py"))
    try:
        if out == "-":
            sys.stdout.write(export(g, training=not args.no_train))
            return 0
        export(g, out, training=not args.no_train)
    except GraphError as e:
        errors = getattr(e, "errors", None) or [e]
        report(args.file, errors)
        return 2
    folder, made = pathlib.Path(out).parent, FileNames.of(pathlib.Path(out).name)
    names = [made.model, made.document] + ([] if args.no_train else [made.train])
    print(f"{printable(args.file)}: wrote " + ", ".join(printable(folder / n) for n in names))
    if not args.no_train and g.training:  # the model is fine; its training file would not be
        from ..train import validate_training

        problems = validate_training(g, root=pathlib.Path(args.file).parent, kernel=False)
        for e in problems:
            e.severity = "warning"
        report(args.file, problems)
    return 0
