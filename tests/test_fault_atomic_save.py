"""kill -9 in the middle of saving: the file on disk is always the old or the new version."""

import json
import os
import random
import signal
import time

import pytest

import diffwire as dw


def big_graph(width: int) -> dw.Graph:
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, width])
    for _ in range(400):
        node = g.add("Linear", in_features=width, out_features=width, label="ü" * 3000)
        g.connect(prev, node)
        prev = node
    g.add_output(prev)
    return g


def kill_while_saving(path, kills: int, budget_s: float) -> int:
    graphs = [big_graph(8), big_graph(16)]
    versions = [g.to_json() for g in graphs]
    path.write_text(versions[0])
    rng = random.Random(0)
    start, done = time.monotonic(), 0
    while done < kills and time.monotonic() - start < budget_s:
        pid = os.fork()
        if pid == 0:  # child: save the two versions in turn until killed
            try:
                i = 0
                while True:
                    graphs[i % 2].save(path)
                    i += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        text = path.read_text()
        assert text in versions, f"partial file after kill {done}: {len(text)} bytes"
        json.loads(text)
        done += 1
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink()  # a killed writer may leave its temporary file; never the target
    return done


def test_kill_during_save_never_leaves_a_partial_file(tmp_path):
    assert kill_while_saving(tmp_path / "big.diffwire", kills=60, budget_s=60) >= 20


@pytest.mark.slow
def test_kill_during_save_1000_times(tmp_path):
    assert kill_while_saving(tmp_path / "big.diffwire", kills=1000, budget_s=600) == 1000
