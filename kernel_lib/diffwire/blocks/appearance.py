"""How the editor draws blocks: each palette category's title, header colour and icon,
and each port kind's wire colour.

The front end names no category and no kind: it reads these tables from
`catalog()["categories"]` and `catalog()["kind_colours"]`. A
category a user block invents gets a colour derived from its name, so it is stable
between sessions and distinct from its neighbours.
"""

from __future__ import annotations

import colorsys
import hashlib

# order: the palette's order; colours: mid-saturation headers that carry white text in
# both themes; icons: one character, drawn in the header and the palette.
CATEGORIES: dict[str, dict] = {
    "io": {"title": "Inputs and outputs", "colour": "#3b6ea8", "icon": "\u21c4"},
    "sources": {"title": "Constants and parameters", "colour": "#5c6bc0", "icon": "\u25c6"},
    "layers": {"title": "Layers", "colour": "#2e7d5b", "icon": "\u25a6"},
    "math": {"title": "Math", "colour": "#8a5a00", "icon": "\u2211"},
    "shape": {"title": "Shapes", "colour": "#6d6d6d", "icon": "\u2b1a"},
    "control": {"title": "Control flow", "colour": "#8e3b8e", "icon": "\u27f3"},
    "logic": {"title": "Boolean logic", "colour": "#9a6b00", "icon": "\u2227"},
    "ode": {"title": "Differential equations", "colour": "#b23c3c", "icon": "\u2202"},
    "loss": {"title": "Losses", "colour": "#a0522d", "icon": "\u2198"},
    "optim": {"title": "Training", "colour": "#00796b", "icon": "\u2699"},
    "imported": {"title": "Imported modules", "colour": "#455a64", "icon": "\u29c9"},
}

_DEFAULT_ICON = "\u25a2"

# port kind -> handle and wire colour (the canvas legend lists them)
KIND_COLOURS: dict[str, str] = {
    "tensor": "#1976d2",
    "scalar": "#7b1fa2",
    "bool": "#e0a000",
    "state": "#2e7d32",
    "time": "#00838f",
    "any": "#757575",
}


def derived_colour(name: str) -> str:
    """A stable header colour for a category with no entry: hue from the name's hash."""
    hue = int(hashlib.sha1(name.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.38, 0.45)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def category_table(names) -> dict[str, dict]:
    """Metadata for every category in `names` (known first, in palette order, then the rest)."""
    order = list(CATEGORIES)
    known = [n for n in order if n in names]
    other = sorted(set(names) - set(order))
    out = {}
    for i, name in enumerate(known + other):
        meta = CATEGORIES.get(name) or {"title": name.replace("_", " ").capitalize(),
                                        "colour": derived_colour(name), "icon": _DEFAULT_ICON}
        out[name] = {**meta, "order": i}
    return out
