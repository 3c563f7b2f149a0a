"""Boolean circuits: gate semantics, reverse derivative ascent through a document's
Optimizer node, export of a learned circuit, and the kind error of a float wire."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

import diffwire as dw
from diffwire.blocks.boolean import reverse_mode

from export_util import load_training

ROWS = torch.tensor(list(itertools.product([False, True], repeat=2)))


def _gate(type_name: str, **params) -> dw.CompiledGraph:
    g = dw.Graph()
    node = g.add(type_name, id="gate", **params)
    for port in node.input_ports():
        g.add("Input", name=port.name, shape=[None], kind="bool", dtype="bool")
        g.connect(port.name, (node, port.name))
    g.add_output(node, name="out")
    return g.compile(seed=0)


@pytest.mark.parametrize("type_name,fn", [("And", lambda a, b: a and b),
                                          ("Or", lambda a, b: a or b),
                                          ("Xor", lambda a, b: a != b)])
def test_two_input_gates_on_every_row(type_name, fn):
    out = _gate(type_name)(a=ROWS[:, 0], b=ROWS[:, 1])
    assert out.dtype == torch.bool
    assert out.tolist() == [fn(bool(a), bool(b)) for a, b in ROWS.tolist()]


def test_not_and_lut_rows():
    assert _gate("Not")(x=torch.tensor([False, True])).tolist() == [True, False]
    table = [1, 0, 0, 1, 0, 1, 1, 1]
    rows = torch.tensor(list(itertools.product([False, True], repeat=3)))
    out = _gate("LUT", k=3, table=table)(x0=rows[:, 0], x1=rows[:, 1], x2=rows[:, 2])
    # input i is bit i of the row
    assert out.tolist() == [bool(table[int(x0) + 2 * int(x1) + 4 * int(x2)])
                            for x0, x1, x2 in rows.tolist()]


def test_lut_table_length_is_checked():
    g = dw.Graph()
    with pytest.raises(dw.ParamError, match="one bit per row") as err:
        g.add("LUT", id="gate", k=3, table=[0, 1, 1, 0])
    assert err.value.node == "gate" and err.value.port == "table"
    assert "8 bits" in str(err.value.expected) and "4 bits" in str(err.value.found)


def test_reverse_mode_backward_counts_the_batch_votes():
    """A table entry's gradient counts the samples whose output is wrong and read it."""
    lut = _gate("LUT", k=2, table=[0, 0, 0, 0]).blocks["gate"]
    x0, x1 = ROWS[:, 0].float(), ROWS[:, 1].float()
    target = torch.tensor([0.0, 1.0, 1.0, 1.0])
    with reverse_mode() as tape:
        out = lut(x0, x1)
        dw.train.losses.FNS["hamming"](out, target).backward()
    assert lut.table.grad.tolist() == [0.0, 1.0, 1.0, 1.0]
    assert tape.reach[id(lut.table)].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert tape.accuracy() == {"accuracy": 0.25, "bit_accuracy": 0.25}


@pytest.mark.parametrize("seed", range(3))
def test_one_example_step_is_the_papers_update(seed):
    """Batch of one: p := p + R[f](p, x, y - f(p, x)) over Z2, written out by hand for
    out = L2(L1(x0, x1), x2): L2's entry flips when the output is wrong; L1's entry flips
    when it is wrong and L2's output depends on L1's (T2[r2] != T2[r2 ^ 1])."""
    g = dw.Graph()
    for n in ("x0", "x1", "x2"):
        g.add("Input", name=n, shape=[None], kind="bool", dtype="bool")
    inner = g.add("LUT", id="inner", k=2)
    outer = g.add("LUT", id="outer", k=2)
    g.connect("x0", (inner, "x0"))
    g.connect("x1", (inner, "x1"))
    g.connect(inner, (outer, "x0"))
    g.connect("x2", (outer, "x1"))
    g.add_output(outer, name="y")
    gen = torch.Generator().manual_seed(seed)
    for x0, x1, x2, y in itertools.product([0, 1], repeat=4):
        model = g.compile(seed=int(torch.randint(0, 10**6, (1,), generator=gen)))
        t1, t2 = model.blocks["inner"].bits(), model.blocks["outer"].bits()
        r1 = x0 | x1 << 1
        r2 = t1[r1] | x2 << 1
        wrong = t2[r2] != y
        want1, want2 = list(t1), list(t2)
        want2[r2] ^= wrong
        want1[r1] ^= wrong and t2[r2] != t2[r2 ^ 1]
        opt = dw.train.rda.RDA(list(model.parameters()))
        batch = {n: torch.tensor([bool(v)]) for n, v in zip(("x0", "x1", "x2"), (x0, x1, x2))}

        def closure(model=model, opt=opt, batch=batch, y=y):
            opt.zero_grad()
            out = model.run(*[batch[n] for n in model.input_names])[0]
            loss = dw.train.losses.FNS["hamming"](out, torch.tensor([bool(y)]))
            loss.backward()
            return loss

        opt.step(closure)
        assert model.blocks["inner"].bits() == want1 and model.blocks["outer"].bits() == want2


def _adder_document(tmp_path, seed=0, steps=60):
    g = dw.logic.adder2_circuit()
    data = {k: {"source": "generator", "name": "adder2", "key": k} for k in dw.logic.adder2()}
    dw.training_config(g, data=data, loss="hamming", optimizer="rda", steps=steps,
                       batch_size=4, seed=seed)
    return g.save(tmp_path / "adder.diffwire")


def _adds(model) -> bool:
    """Whether `model` adds every pair of 2-bit numbers."""
    ok = True
    for a, b in itertools.product(range(4), repeat=2):
        bit = lambda v, i: torch.tensor([bool((v >> i) & 1)])  # noqa: E731
        out = model(a0=bit(a, 0), a1=bit(a, 1), b0=bit(b, 0), b1=bit(b, 1))
        ok &= sum(int(out[f"s{i}"]) << i for i in range(3)) == a + b
    return ok


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rda_learns_the_adder_from_a_document(tmp_path, seed):
    path = _adder_document(tmp_path, seed=seed)
    g = dw.load(path)
    assert g.node("optim").params["kind"] == "rda"
    assert not _adds(g.compile(seed=seed))  # random tables do not add
    run = dw.train(path, background=False, progress=False)
    assert run.state == "finished"
    h = run.history
    assert h[0]["accuracy"] < 1.0 and h[-1]["accuracy"] == 1.0 and h[-1]["loss"] == 0.0
    assert {"bit_accuracy", "flipped"} <= set(h[-1])
    assert _adds(run.model)
    tables = dw.logic.write_tables(g, run.model)
    assert tables["sum0"] == [0, 1, 1, 0]  # a0 XOR b0: the only table that can be right
    assert _adds(g.compile(seed=123))  # the document alone now holds the learned circuit


@pytest.mark.parametrize("seed", range(4))
def test_rda_learns_parity(seed):
    g = dw.logic.parity4_circuit()
    run = dw.train(g, data=dw.logic.parity4(), loss="hamming", optimizer="rda", steps=200,
                   batch_size=8, seed=seed, out=False, background=False, progress=False)
    assert run.history[-1]["accuracy"] == 1.0
    data = {k: torch.as_tensor(v) for k, v in dw.logic.parity4().items()}
    with torch.no_grad():
        out = run.model(**{f"x{i}": data[f"x{i}"] for i in range(4)})
    assert torch.equal(out, data["y"])


def test_exported_circuit_matches_on_every_input(tmp_path):
    path = _adder_document(tmp_path)
    g = dw.load(path)
    run = dw.train(path, background=False, progress=False)
    dw.logic.write_tables(g, run.model)
    src, mod = load_training(g, tmp_path)
    assert "logical" in src or ".long()" in src
    exported = mod.Model()
    exported.load_state_dict(run.model.state_dict())
    fresh = mod.Model()  # the tables written into the document are the export's own
    rows = torch.tensor(list(itertools.product([False, True], repeat=4)))
    x = {"a0": rows[:, 0], "a1": rows[:, 1], "b0": rows[:, 2], "b1": rows[:, 3]}
    with torch.no_grad():
        want = run.model(**x)
        for model in (exported, fresh):
            got = model(**x)
            for k in ("s0", "s1", "s2"):
                assert got[k].dtype == torch.bool and torch.equal(got[k], want[k]), k
    assert _adds(fresh)
    # its train() is plain PyTorch: it says that RDA is diffwire's, instead of running LBFGS
    with pytest.raises(ValueError, match="trains in diffwire only"):
        mod.train(data={k: torch.as_tensor(v) for k, v in dw.logic.adder2().items()}, steps=1)


def test_float_wire_into_a_bool_port_names_node_port_and_kinds(tmp_path):
    g = dw.Graph()
    g.add("Input", name="x", shape=[None])
    g.add("Input", name="b", shape=[None], kind="bool", dtype="bool")
    gate = g.add("And", id="gate")
    g.connect("b", (gate, "b"))
    g.add_output(gate, name="y")
    with pytest.raises(dw.KindMismatch) as err:  # wiring it from Python
        g.connect("x", (gate, "a"))
    e = err.value
    assert (e.node, e.port, e.expected, e.found) == ("gate", "a", "bool", "tensor")
    # the same wire in a file (or drawn by the editor): validation says the same
    doc = g.to_dict()
    doc["edges"].append({"source": "x", "source_port": "out", "target": "gate",
                         "target_port": "a"})
    errors = [e for e in dw.loads(json.dumps(doc)).validate() if e.severity == "error"]
    (err,) = [e for e in errors if isinstance(e, dw.KindMismatch)]
    assert errors[0] is err
    assert (err.node, err.port, err.expected, err.found) == ("gate", "a", "bool", "tensor")
    assert "x.out is tensor" in str(err)


def test_rda_refuses_real_valued_weights():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    f = g.add("MLP", id="mlp", widths=[1, 4, 1])
    g.connect(x, f)
    g.add_output(f, name="y")
    g.add("Optimizer", id="opt", kind="rda")
    g.training = {"optimizer": "opt", "steps": 2}
    data = {"x": torch.zeros(4, 1), "y": torch.zeros(4, 1)}
    with pytest.raises(dw.ParamError, match="LUT truth tables") as err:
        dw.train(g, data=data, progress=False, background=False)
    assert "real-valued" in str(err.value.found)


def test_catalog_offers_the_gates_rda_and_hamming():
    cat = dw.catalog()
    lut = next(b for b in cat["blocks"] if b["type"] == "LUT")
    assert next(p for p in lut["params"] if p["name"] == "table")["view"] == "truth_table"
    assert cat["kind_colours"]["bool"] and cat["categories"]["logic"]["title"]
    assert "rda" in dw.train.optim.KINDS
    assert "hamming" in [entry["name"] for entry in dw.loss_catalog()]


def test_training_in_the_editor_writes_the_learned_tables_back_to_the_canvas(tmp_path):
    import time

    path = _adder_document(tmp_path, seed=0)
    ed = dw.Editor(path)
    pushed = []  # what the canvas is sent (a push is a state message with `doc`)
    ed.send_state = lambda key=None: pushed.append(ed.get_state(key).get("doc"))
    before = ed.graph.node("sum0").params["table"]
    run = ed.train(out=False)
    run.wait(120)
    assert run.state == "finished" and run.history[-1]["accuracy"] == 1.0
    deadline = time.monotonic() + 30
    while ed.graph.node("sum0").params["table"] != [0, 1, 1, 0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ed.graph.node("sum0").params["table"] == [0, 1, 1, 0] != before  # a0 XOR b0
    assert _adds(ed.graph.compile(seed=5))  # the document alone holds the learned circuit
    assert any(n["params"].get("table") == [0, 1, 1, 0] for d in pushed
               for n in (d or {}).get("nodes", []) if n["id"] == "sum0")  # the canvas got it
