"""``diffwire train FILE --steps N --device cpu --out DIR``: train from the file's training
section with a progress bar. The run is kept in ``DIR/<run id>/`` (default DIR:
``NAME.runs`` beside the file): checkpoints, weights.pt, metrics, events and the document.
A bad file is reported (node, port, message), exits 2 and writes nothing."""

from __future__ import annotations

import pathlib
import sys

from ..errors import printable
from .common import check, report


def add_arguments(p) -> None:
    p.add_argument("file", help="a .diffwire document with a training section")
    p.add_argument("--steps", type=int, help="step budget (default: the document's)")
    p.add_argument("--device", help="cpu, cuda, cuda:1... (default: cuda when available)")
    p.add_argument("--out", help="runs folder; the run goes into OUT/<run id>/ "
                                 "(default: NAME.runs beside the file)")
    p.add_argument("--seed", type=int, help="random seed (default: the document's)")
    p.add_argument("--batch-size", type=int, help="batch size (default: the document's)")
    p.add_argument("--checkpoint-every", type=int, help="steps between checkpoints")
    p.add_argument("--step-timeout", type=float,
                   help="seconds a step may take before the run fails (default: the document's)")
    p.add_argument("--threads", type=int,
                   help="torch threads for training (default: the document's, else chosen "
                        "from the model's size)")
    p.add_argument("--compile", choices=("true", "false", "auto"),
                   help="compile the built-in fixed-step ODE solves (default: the document's, "
                        "else false; see dw.train's compile)")
    p.add_argument("--max-data-mb", type=float,
                   help="largest data array a binding may read, in MB (default 2048; "
                        "also DIFFWIRE_MAX_DATA_BYTES)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    from ..errors import GraphError
    from ..train import train
    from ..train.limits import set_max_data_bytes

    if args.max_data_mb is not None:
        if not 0 <= args.max_data_mb < float("inf"):
            print("diffwire train: --max-data-mb must be a non-negative number", file=sys.stderr)
            return 2
        set_max_data_bytes(int(args.max_data_mb * 1024**2))
    g, errs = check(args.file, kernel=False)
    if report(args.file, [e for e in errs if e.severity == "error" or g is None]):
        return 2
    if not g.training:
        report(args.file, [GraphError(e.message, port=e.port, hint=e.hint)
                           for e in errs if e.port == "training"])
        return 2
    for name, b in g.training.get("data", {}).items():
        if b.get("source") == "kernel":
            print(f"{printable(args.file)}: error: '{printable(name)}' is bound to a kernel "
                  "variable; the command line has no kernel", file=sys.stderr)
            return 2
    for k in ("steps", "seed", "batch_size", "checkpoint_every", "threads"):
        v = getattr(args, k)
        if v is not None and v < (0 if k in ("seed", "checkpoint_every") else 1):
            print(f"diffwire train: --{k.replace('_', '-')} must be positive", file=sys.stderr)
            return 2
    if args.step_timeout is not None and not 0 <= args.step_timeout < float("inf"):
        print("diffwire train: --step-timeout must be a non-negative number", file=sys.stderr)
        return 2
    from ..train.store import runs_folder

    out = pathlib.Path(args.out) if args.out else runs_folder(args.file)
    try:
        run = train(g, steps=args.steps, seed=args.seed, batch_size=args.batch_size,
                    checkpoint_every=args.checkpoint_every, device=args.device, out=out,
                    step_timeout=args.step_timeout, threads=args.threads,
                    compile={"true": True, "false": False}.get(args.compile, args.compile),
                    data_root=pathlib.Path(args.file).parent, progress=False, start=False)
    except GraphError as e:  # problems only visible with the data in hand
        report(args.file, [e])
        return 2

    if not args.quiet:
        from ..train.callbacks import ProgressBar

        run.callbacks.append(ProgressBar(notebook=False, file=sys.stderr))
    run.start(background=False)
    if run.state == "paused":  # paused itself (a NaN): nobody can resume it here
        print(f"{printable(args.file)}: {printable(run.reason)}", file=sys.stderr)
        run.stop()
    print(f"{printable(repr(run))}; results in {printable(str(run.path or out))}", file=sys.stderr)
    if run.state == "failed" and run.traceback:  # it may quote labels and names: escaped
        print(printable(run.traceback, newlines=True), file=sys.stderr)
    return 0 if run.state == "finished" else 1
