"""The shortcuts that keep a 200,000-node document fast give the answers the long way gives:
params checked once per distinct set, shared meta modules answered from memory, the cycle
collector paused and put back."""

import gc

import pytest
import torch
from test_large_documents import chain

import diffwire as dw
from diffwire.compile import BuildContext, CompiledGraph
from diffwire.context import gc_paused
from diffwire.document import SharedParams, check_params
from diffwire.errors import ParamError


def test_params_checked_once_still_refuse_what_differs_only_in_type():
    g = chain(4)
    lin = next(n for n in g.nodes.values() if n.type == "Linear")
    seen = {}
    assert check_params(lin, seen) == {"in_features": 8, "out_features": 8, "bias": True}
    assert len(seen) == 1
    lin.params = {"in_features": 8, "out_features": 8, "bias": 1}  # 1 == True, hash alike
    with pytest.raises(ParamError) as err:
        check_params(lin, seen)
    assert err.value.port == "bias"
    lin.params = {"in_features": 8.0, "out_features": 8, "bias": True}  # normalised to int
    out = check_params(lin, seen)
    assert type(out["in_features"]) is int
    again = check_params(lin, seen)
    # equal nodes share one read-only dict; reading a node's params gives it its own
    assert again is out and type(out) is SharedParams
    lin.params = again
    assert lin.params == again and lin.params is not again and type(lin.params) is dict


def test_a_bad_node_among_many_equal_ones_is_named():
    g = chain(40)
    bad = list(g.nodes.values())[21]
    bad.params["fn" if bad.type == "Activation" else "out_features"] = (
        "nope" if bad.type == "Activation" else 0)
    errs = [e for e in g.validate() if e.severity == "error"]
    assert [e.node for e in errs] == [bad.id]


def test_shared_meta_modules_run_once_per_input_signature():
    g = chain(200)
    calls = []
    with torch.device("meta"):
        meta = CompiledGraph(g, BuildContext(meta=True))
    lin = next(nid for nid in g.nodes if g.nodes[nid].type == "Linear")
    meta.blocks[lin].register_forward_hook(lambda *a: calls.append(1))
    x = torch.empty(5, 8, device="meta")
    meta.run(x)
    # 100 Linear nodes, two meta calls: the input without grad, then the chain's values
    # (which carry grad from the first layer's weights) every other layer sees
    assert len(calls) == 2
    meta.run(torch.empty(7, 8, device="meta"))
    assert len(calls) == 4  # another batch size is another signature
    shapes = g.infer_shapes()
    assert all(s["out"] == ["B", 8] for nid, s in shapes.items() if nid != "y")


def test_memo_does_not_hide_a_mismatch_after_equal_layers():
    g = chain(30)
    last = list(g.nodes)[-2]
    wide = g.add("Linear", in_features=8, out_features=3)
    narrow = g.add("Linear", in_features=8, out_features=8)  # same params as the chain's
    g.connect(last, wide)
    g.connect(wide, narrow)
    g.add_output(narrow, name="z")
    errs = [e for e in g.validate() if e.severity == "error"]
    assert len(errs) == 1 and errs[0].node == narrow.id
    assert "3" in str(errs[0].found)


@pytest.mark.parametrize("start", [True, False])
def test_gc_pause_nests_and_restores(start):
    (gc.enable if start else gc.disable)()
    try:
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled() is start
        with pytest.raises(ValueError), gc_paused():
            raise ValueError("a failed build")
        assert gc.isenabled() is start
        dw.loads(chain(3).to_json()).compile(seed=0)
        assert gc.isenabled() is start
    finally:
        gc.enable()
