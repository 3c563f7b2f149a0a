"""`dw.catalog()` states what every body must contain and where its weights live, and the
compiled modules agree with it."""

import pytest

import diffwire as dw
from diffwire.blocks import BLOCKS
from diffwire.compile import CompiledGraph

BODY_BLOCKS = sorted(n for n, cls in BLOCKS.items() if cls.bodies)


def entry(type_name):
    return next(b for b in dw.catalog()["blocks"] if b["type"] == type_name)


def names(ports):
    return [(p["name"], p["kind"], p["optional"]) for p in ports]


def test_the_catalog_lists_body_interfaces():
    loop = entry("Loop")["body_interfaces"]["body"]
    assert names(loop["inputs"]) == [("h", "tensor", False), ("i", "scalar", True)]
    assert names(loop["outputs"]) == [("h", "tensor", False), ("continue", "bool", True)]
    cond = entry("Conditional")["body_interfaces"]
    assert [p["name"] for p in cond["then"]["inputs"]] == ["x"]
    assert [p["name"] for p in cond["else"]["outputs"]] == ["y"]
    ode = entry("ODESolve")["body_interfaces"]["field"]
    assert names(ode["inputs"]) == [("y", "state", False), ("t", "time", True)]
    assert names(ode["outputs"]) == [("dy", "state", False)]
    assert cond["else"]["weights"] == "blocks.<id>.other.body.blocks.<inner id>"
    assert "other" in entry("Conditional")["doc"]
    assert {b for b in BODY_BLOCKS} == {b["type"] for b in dw.catalog()["blocks"]
                                         if b["body_interfaces"]}


@pytest.mark.parametrize("type_name", BODY_BLOCKS)
def test_documented_weight_names_match_the_compiled_module(type_name):
    cls = BLOCKS[type_name]
    g = dw.Graph()
    g.add(type_name, id="node", **cls.example_params)
    model = g.compile(check=False)
    for body in cls.bodies:
        pattern = entry(type_name)["body_interfaces"][body]["weights"]
        prefix = pattern.replace("blocks.<id>.", "", 1).split(".blocks.<inner id>")[0]
        sub = model.blocks["node"].get_submodule(prefix)
        assert isinstance(sub, CompiledGraph), (type_name, body, prefix)
        iface = entry(type_name)["body_interfaces"][body]
        assert set(sub.input_names) <= {p["name"] for p in iface["inputs"]}
        required = {p["name"] for p in iface["outputs"] if not p["optional"]}
        assert required <= set(sub.output_names) <= {p["name"] for p in iface["outputs"]}
