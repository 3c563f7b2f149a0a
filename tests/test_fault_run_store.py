"""A kept run under faults: the kernel killed with SIGKILL mid-run (at most the last interval
of metrics is lost, every file on disk is whole, the last checkpoint resumes), and a full
disk (the run pauses with a clear reason and loses nothing once space is back)."""

import json
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

import diffwire as dw
from diffwire.train.store import MetricsLog

from train_util import mlp_graph

ROOT = pathlib.Path(__file__).resolve().parents[1]

TRAIN = """
import sys
sys.path.insert(0, {lib!r})
import diffwire as dw
dw.train({doc!r}, steps=1_000_000, checkpoint_every=40, flush_every=0.1, progress=False,
         background=False)
"""


@pytest.mark.timeout(300)
def test_sigkill_mid_run_loses_at_most_the_last_interval(tmp_path):
    g = mlp_graph((1, 16, 1))
    dw.training_config(g, data={"x": {"source": "generator", "name": "sine"},
                                "y": {"source": "generator", "name": "sine"}},
                       optimizer=("adam", {"lr": 1e-2}), steps=1_000_000)
    doc = g.save(tmp_path / "model.diffwire")
    code = TRAIN.format(lib=str(ROOT / "kernel_lib"), doc=str(doc))
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    root = tmp_path / "model.runs"
    seen = 0
    try:
        deadline = time.monotonic() + 200
        while not list(root.glob("*/checkpoints/step_*.pt")) or seen < 100:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the run wrote nothing"
            dirs = list(root.glob("*/metrics"))
            seen = len(MetricsLog(dirs[0].parent)) if dirs else 0
            time.sleep(0.05)
        time.sleep(random.Random(2).uniform(0, 0.3))  # die somewhere mid-interval
        seen = len(MetricsLog(dirs[0].parent))  # on disk just before the kill
    finally:
        proc.kill()  # SIGKILL: no finally blocks, no atexit
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    (listed,) = dw.runs(doc)
    assert listed["state"] == "interrupted"  # the record said running; its process is gone
    run_dir = pathlib.Path(listed["path"])
    back = dw.load_run(run_dir)
    n = len(back.history)
    assert n >= seen >= 100  # nothing that reached the disk is lost
    assert [r["step"] for r in back.history] == list(range(n))  # whole chunks, no gaps
    assert listed["records"] <= n and listed["step"] <= n
    leftovers = [p.name for p in run_dir.rglob("*") if p.is_file() and p.name.startswith(".")]
    assert all(p.endswith(".tmp") for p in leftovers)  # at most a temp file of the last write
    x = back.history[-1]
    assert x["loss"] == x["loss"]
    model = back.model  # the last kept checkpoint's weights (weights.pt came never)
    assert back.weights_from == back.checkpoints[-1]
    assert model is not None
    resumed = dw.resume(back.checkpoints[-1], steps=int(back.checkpoints[-1].stem[5:]) + 3,
                        progress=False, background=False)
    assert resumed.state == "finished" and resumed.path.parent == root
    step = resumed.rec.parent["step"]
    assert resumed.history[:step] == back.history[:step]  # the parent's curve, linked


FULL = """
import json, resource, signal, sys, time
sys.path.insert(0, {lib!r}); sys.path.insert(0, {tests!r})
import diffwire as dw
from train_util import sine_data, two_mlp_graph, wait_for

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
kw = dict(data=sine_data(), out={root!r}, progress=False)
earlier = dw.train(two_mlp_graph(), steps=5, background=False, **kw)
run = dw.train(two_mlp_graph(), steps=10**6, flush_every=0.05, **kw)
assert wait_for(lambda: run.step >= 20, 60)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))  # no file may pass 64 bytes: "full"
paused = wait_for(lambda: run.state == "paused", 60)
reason, held = run.reason, run.step
time.sleep(0.3)
still = run.step
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space is back
run.resume()
wait_for(lambda: run.step >= held + 20, 60)
run.stop()
print(json.dumps(dict(paused=paused, reason=reason, held=held, still=still, state=run.state,
                      step=run.step, path=str(run.path), earlier=str(earlier.path))))
"""


@pytest.mark.timeout(300)
def test_a_full_disk_pauses_the_run_and_loses_nothing(tmp_path):
    code = FULL.format(lib=str(ROOT / "kernel_lib"), tests=str(ROOT / "tests"),
                       root=str(tmp_path / "runs"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=280)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["paused"] and out["held"] == out["still"], out
    assert "disk is full" in out["reason"] and "resume" in out["reason"], out["reason"]
    assert out["state"] == "stopped" and out["step"] >= out["held"] + 20
    back = dw.load_run(out["path"])
    assert [r["step"] for r in back.history] == list(range(out["step"]))  # nothing lost
    assert any(e["type"] == "store_error" for e in back.events)
    earlier = dw.load_run(out["earlier"])  # the earlier run is intact
    assert earlier.state == "finished" and len(earlier.history) == 5
