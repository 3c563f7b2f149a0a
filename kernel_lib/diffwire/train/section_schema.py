"""The training section's JSON Schema (``schema/training-1.schema.json``) as located errors.

Every violation is reported, each as a :class:`~diffwire.ParamError` whose `port` is its
place in the document (``training.data.x.batch``), so ``diffwire validate`` lists them
all at once instead of stopping at the first.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from ..errors import ParamError

_SCHEMA: dict | None = None
_VALIDATOR = None


def training_schema() -> dict:
    """The JSON Schema of the training section, shipped inside the package."""
    global _SCHEMA
    if _SCHEMA is None:
        path = pathlib.Path(__file__).parent.parent / "schema" / "training-1.schema.json"
        _SCHEMA = json.loads(path.read_text(encoding="utf-8"))
    return _SCHEMA


def _validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        # imported on first use, not with diffwire: jsonschema's format checkers cost about
        # 1.7 s of CPU to import (rfc3987_syntax's grammar), 40% of `import diffwire`
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(training_schema())
    return _VALIDATOR


def warm_up() -> None:
    """Build the validator now (the jsonschema import): a kernel does it in a thread at
    start-up, so a document's first check does not wait for it."""
    _validator()


def _where(path) -> str:
    return ".".join(["training", *(str(p) for p in path)])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def section_errors(section: Any) -> list[ParamError]:
    """Every schema violation of `section`, in document order."""
    try:
        found = sorted(_validator().iter_errors(section), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:
        return [ParamError("the training section nests too deeply", port="training")]
    out: list[ParamError] = []
    for e in found:
        out.extend(_describe(e))
    return out


def _closest_branch(context) -> list:
    """The errors of the alternative the value was most likely meant for: one whose type
    (or constant) the value has, with the fewest problems."""
    branches: dict = {}
    for c in context:
        branches.setdefault(c.relative_schema_path[0] if c.relative_schema_path else 0, []).append(c)

    def score(errs):
        here = [c for c in errs if not c.relative_path]
        return (any(c.validator == "type" for c in here),
                any(c.validator in ("const", "enum") for c in here), len(errs))

    best = min(branches.values(), key=score)
    return [] if score(best)[0] else best


def _describe(e) -> list[ParamError]:
    """One located error per problem (an object with two unknown keys gives two)."""
    if e.validator in ("anyOf", "oneOf") and e.context:
        branch = _closest_branch(e.context)
        if branch:  # the alternative meant (same type) says more than "valid under none"
            return [d for c in branch for d in _describe(c)]
    where = _where(e.absolute_path)
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        allowed = sorted(e.schema.get("properties", {}))
        extra = [k for k in e.instance if k not in e.schema.get("properties", {})]
        return [ParamError(f"unknown key '{k}'", port=f"{where}.{k}", expected=allowed,
                           found=_short(k)) for k in extra]
    if isinstance(e.schema, dict) and "x-message" in e.schema:  # the schema's own words
        if e.validator == "enum":
            return [ParamError(e.schema["x-message"], port=where, expected=e.validator_value,
                               found=_short(e.instance))]
        return [ParamError(e.schema["x-message"], port=where)]
    if e.validator == "type":
        return [ParamError("wrong type", port=where, expected=e.validator_value,
                           found=_short(e.instance))]
    if e.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<"}[e.validator]
        return [ParamError("value out of range", port=where, expected=f"{op} {e.validator_value}",
                           found=_short(e.instance))]
    if e.validator in ("enum", "const"):
        choices = e.validator_value if e.validator == "enum" else [e.validator_value]
        return [ParamError("not one of the allowed values", port=where, expected=list(choices),
                           found=_short(e.instance))]
    if e.validator == "required":
        missing = [k for k in e.validator_value if k not in e.instance]
        return [ParamError(f"missing key '{k}'", port=f"{where}.{k}", expected=k,
                           found="nothing") for k in missing]
    message = e.message if len(e.message) <= 200 else e.message[:197] + "..."
    return [ParamError(message, port=where, expected=e.validator)]
