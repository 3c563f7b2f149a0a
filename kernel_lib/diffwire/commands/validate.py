"""``diffwire validate FILE``: print every problem with its node and port; exit 2 on errors."""

from __future__ import annotations

from ..errors import printable
from .common import check, report


def add_arguments(p) -> None:
    p.add_argument("file", help="a .diffwire document")


def main(args) -> int:
    g, errs = check(args.file)
    if report(args.file, errs):
        return 2
    warnings = sum(e.severity == "warning" for e in errs)
    print(f"{printable(args.file)}: ok ({len(g.nodes)} nodes, {len(g.edges)} edges"
          + (f", {warnings} warning(s))" if warnings else ")"))
    return 0
