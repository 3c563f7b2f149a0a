"""The catalog says how blocks are drawn: category colours and icons, port-kind colours.
The editor names no category, so every category in the catalog must have an entry."""

from __future__ import annotations

import re

import diffwire as dw
from diffwire.blocks.appearance import CATEGORIES, derived_colour
from diffwire.ports import PORT_KINDS

HEX = re.compile(r"#[0-9a-f]{6}")


def test_every_category_in_the_catalog_has_a_title_colour_and_icon():
    cat = dw.catalog()
    used = {b["category"] for b in cat["blocks"]}
    assert set(cat["categories"]) == used
    for name, meta in cat["categories"].items():
        assert HEX.fullmatch(meta["colour"]), name
        assert len(meta["icon"]) == 1 and meta["title"]
    orders = sorted(m["order"] for m in cat["categories"].values())
    assert orders == list(range(len(used)))
    # the built-in categories keep their palette order
    known = [n for n in CATEGORIES if n in used]
    assert sorted(known, key=lambda n: cat["categories"][n]["order"]) == known


def test_every_port_kind_has_a_colour():
    assert set(dw.catalog()["kind_colours"]) == set(PORT_KINDS)


def test_a_user_category_gets_a_stable_derived_colour():
    class Tripler(dw.Block):
        """Three times its input."""
        type = "TriplerAppearance"
        category = "my tools"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            return lambda x: 3 * x

    dw.register(Tripler)
    try:
        meta = dw.catalog()["categories"]["my tools"]
        assert meta["colour"] == derived_colour("my tools") and HEX.fullmatch(meta["colour"])
        assert meta["title"] == "My tools"
        assert meta["order"] == len(dw.catalog()["categories"]) - 1
    finally:
        dw.unregister("TriplerAppearance")
