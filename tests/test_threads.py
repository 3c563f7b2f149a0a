"""The training thread policy (diffwire/threads.py): chosen per run, applied in the
training thread only, overridable, recorded."""

import json
import threading

import pytest
import torch

import diffwire as dw
from diffwire import threads
from diffwire.errors import ParamError

from train_util import mlp_graph, sine_data


class Seen(dw.Callback):
    """Torch's thread count as the training thread sees it, and a thread it starts."""

    def __init__(self):
        self.intra = None
        self.spawned = None

    def on_step_end(self, run, record):
        if self.intra is None:
            self.intra = torch.get_num_threads()
            box = {}
            t = threading.Thread(target=lambda: box.setdefault("n", torch.get_num_threads()))
            t.start()
            t.join()
            self.spawned = box["n"]


@pytest.fixture
def main_threads():
    """The test thread runs with 3 torch threads (a value no run chooses here), then back."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


def test_a_small_model_trains_on_one_thread_and_the_caller_keeps_its_own(main_threads):
    seen = Seen()
    run = dw.train(mlp_graph((1, 32, 32, 1)), data=sine_data(), steps=5, callbacks=[seen])
    during = torch.get_num_threads()  # read while the run trains in the background
    run.wait(30)
    assert run.state == "finished"
    assert seen.intra == 1 and during == main_threads
    assert torch.get_num_threads() == main_threads
    assert run.threads["intra"] == 1 and "too small" in run.threads["reason"]
    assert [e for e in run.events if e["type"] == "threads"][0]["intra"] == 1
    # a thread new to torch during the run takes the run's count (torch's process default)
    assert seen.spawned == 1
    # ... and the default is back once the run's thread has ended
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("n", torch.get_num_threads()))
    t.start()
    t.join()
    assert box["n"] == main_threads


def test_threads_argument_overrides_the_choice(main_threads):
    seen = Seen()
    run = dw.train(mlp_graph(), data=sine_data(), steps=3, threads=2, callbacks=[seen]).wait(30)
    assert seen.intra == 2 and run.threads["intra"] == 2
    assert "requested" in run.threads["reason"]
    assert torch.get_num_threads() == main_threads


def test_the_training_section_sets_threads_and_saves_it(tmp_path):
    g = mlp_graph()
    g.training = {"threads": 2, "steps": 3}
    seen = Seen()
    run = dw.train(g, data=sine_data(), callbacks=[seen], out=tmp_path).wait(30)
    assert seen.intra == 2
    assert run.built.training["threads"] == 2
    saved = json.loads((run.path / "run.json").read_text())  # the run's record (store.py)
    assert saved["threads"]["intra"] == 2 and saved["threads"]["reason"]
    auto = dw.train(mlp_graph(), data=sine_data(), steps=1, start=False)
    assert auto.built.training["threads"] == "auto"


@pytest.mark.parametrize("bad", [-1, 1.5, "many", True])
def test_a_bad_threads_value_is_an_error_naming_the_field(bad):
    with pytest.raises(ParamError) as e:
        dw.train(mlp_graph(), data=sine_data(), steps=1, threads=bad, start=False)
    assert e.value.port == "training.threads"


def test_a_foreground_run_puts_the_callers_threads_back(main_threads):
    seen = Seen()
    dw.train(mlp_graph(), data=sine_data(), steps=3, callbacks=[seen], background=False)
    assert seen.intra == 1 and torch.get_num_threads() == main_threads


def _linear(n_in, n_out):
    return torch.nn.Linear(n_in, n_out)


def test_choose_splits_only_large_ops_over_free_cores():
    small = _linear(32, 32)
    big = _linear(1024, 1024)
    batch = {"x": torch.zeros(512, 1024)}
    assert threads.choose(small, {"x": torch.zeros(64, 32)}, front_end=False, machine=8,
                          load=0).intra == 1
    assert threads.choose(big, batch, front_end=False, machine=8, load=0).intra == 8
    # one core for the browser and the server when this is a Jupyter kernel
    assert threads.choose(big, batch, front_end=True, machine=8, load=0).intra == 7
    # cores that other processes keep busy are not free
    assert threads.choose(big, batch, front_end=False, machine=8, load=5.2).intra == 3
    plan = threads.choose(big, batch, front_end=True, machine=2, load=0)
    assert plan.intra == 1 and "no core free" in plan.reason
    assert threads.choose(small, {}, requested=4).intra == 4


def test_fit_follows_the_policy_and_restores_the_caller(main_threads):
    from diffwire.ode.fitting import fit

    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    model = g.compile(seed=0).double()
    data = dw.ode.lotka_volterra(dtype=torch.float64)
    seen = []
    hook = model.register_forward_hook(lambda *a: seen.append(torch.get_num_threads()))
    fit(model, data.y0, data.t, data.y, adam_steps=2)
    hook.remove()
    assert set(seen) == {1} and torch.get_num_threads() == main_threads


def test_ablation_workers_use_one_thread_and_say_so(main_threads):
    from diffwire.ode.jobs import Job, run_job
    from diffwire.ode.spec import SPECS

    spec = SPECS["lotka_volterra"]()
    job = Job(spec, spec.variants()[0], 0, 1.0, {"adam": 2})
    row = run_job(job)
    assert row["threads"] == 1


def test_worker_count_leaves_a_core_for_the_front_end(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.setattr(threads, "front_end_attached", lambda: True)
    assert threads.workers(None, 10) == 3
    assert threads.workers(8, 10) == 4 and threads.workers(None, 2) == 2
    monkeypatch.setattr(threads, "front_end_attached", lambda: False)
    assert threads.workers(None, 10) == 4
