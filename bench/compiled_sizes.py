"""Where the compiled solve's C program pays: eager vs compiled (``compile_solve``) Adam
steps of a neural ODE (2-H-H-2 tanh, built-in RK4, dt 0.1, 20 intervals, float64) over
batch sizes B and widths H, in one run.

The C writer (``diffwire/ode/cgen.py``) declines fields whose ops average more than
``MAX_WORK_PER_OP`` elements; this prints the average for each size beside the times, so
the threshold can be checked on another machine. A declined size runs eager here (the
AOTInductor fallback is switched off: it is the 35 s path, not what is measured).

Run under ``flock /tmp/dw-bench.lock``. ``--sizes 1x64,16x64`` picks sizes.
"""

from __future__ import annotations

import logging
import os
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

SIZES = [(1, 64), (8, 64), (16, 64), (64, 64), (1, 128), (1, 256), (256, 32)]


def main() -> None:
    os.environ.setdefault("DIFFWIRE_CACHE_DIR", tempfile.mkdtemp(prefix="dw-sizes-"))
    import torch

    import diffwire as dw
    from diffwire.ode import compiled

    torch.set_num_threads(1)
    logging.getLogger("diffwire.compile").setLevel(logging.ERROR)

    def no_aoti(*a):
        raise RuntimeError("declined by the C writer")

    compiled.aoti.programs = no_aoti
    sizes = SIZES
    if "--sizes" in sys.argv:
        arg = sys.argv[sys.argv.index("--sizes") + 1]
        sizes = [tuple(int(x) for x in s.split("x")) for s in arg.split(",")]
    print(f"load average {os.getloadavg()}", flush=True)
    print(f"{'B x H':>9} {'work/op':>8} {'eager ms':>9} {'C ms':>7} {'C speed-up':>10}")
    for b, h in sizes:
        g = dw.ode.neural_ode(2, hidden=(h, h), method="builtin_rk4", step_size=0.1)
        gen = torch.Generator().manual_seed(0)
        y0 = torch.randn(b, 2, generator=gen, dtype=torch.float64)
        t = torch.linspace(0, 2, 21, dtype=torch.float64)
        target = torch.randn(21, b, 2, generator=gen, dtype=torch.float64)
        steps = {}
        for side in ("eager", "C"):
            m = g.compile(seed=0).double()
            if side == "C":
                m.blocks["solve"].compile_solve()
            opt = torch.optim.Adam(m.parameters(), lr=1e-3, fused=side == "C")

            def step(m=m, opt=opt, y0=y0, t=t, target=target):
                opt.zero_grad()
                ((m(y0=y0, t=t) - target) ** 2).mean().backward()
                opt.step()

            step()  # the compile
            steps[side] = (step, m)
        cstep = steps["C"][1].blocks["solve"].__dict__.get("compiled_step")
        per_op = "declined" if cstep is None else ""
        if cstep is not None:
            (progs,) = cstep.programs.values()
            per_op = _per_op(progs)
        times = {k: [] for k in steps}
        for r in range(5):  # interleaved rounds of 3 steps
            for k in (list(steps) if r % 2 == 0 else list(steps)[::-1]):
                t0 = time.perf_counter()
                for _ in range(3):
                    steps[k][0]()
                times[k].append((time.perf_counter() - t0) / 3)
        ratio = statistics.median(e / c for e, c in zip(times["eager"], times["C"]))
        print(f"{b:>4} x {h:<3} {per_op:>8} {statistics.median(times['eager']) * 1e3:>9.1f} "
              f"{statistics.median(times['C']) * 1e3:>7.1f} {ratio:>9.2f}x", flush=True)
    print(f"load average {os.getloadavg()}", flush=True)


def _per_op(progs) -> str:
    """The mean work per op the writer computed for this field (its C source's first line)."""
    from diffwire.ode import cgen, compiled

    src = compiled.cache_dir() / "solves" / f"{progs.key}-native{cgen.VERSION}.c"
    first = src.read_text().splitlines()[0] if src.exists() else ""
    words = first.split()
    return words[words.index("multiply-adds") - 3] if "multiply-adds" in words else "?"


if __name__ == "__main__":
    main()
