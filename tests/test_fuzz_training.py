"""Training sections drawn from the training schema (then often mutated) over a folder of
good, broken, huge-header and linked data files: `validate_training`, and a one-step
run when it finds nothing, may only raise or report the GraphError family; no case may
hang, read a file outside the document's folder, or put a control character or a line
of an outside file into an error.

A few hundred cases run by default; `pytest -m slow` runs 10,000 (set FUZZ_REPORT=path to
write the counts as JSON: they go into docs/reliability.md).
"""

from __future__ import annotations

import collections
import copy
import io
import json
import os
import pathlib
import random
import re
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffwire as dw
from diffwire.train.generators import PARAMS as GENERATOR_PARAMS
from diffwire.train.section_schema import training_schema

from helpers import CaseTimeout, time_limit

SCHEMA = training_schema()
SECRET = "OUTSIDE_SECRET_9c1e"
# A case may run up to three ODE simulations of up to 20,000 evaluations each (about 1 ms
# each on the loaded machine); an endless loop is unbounded, so 60 s still tells them apart.
CASE_LIMIT_S = 60.0
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# -- the folders: a document's folder full of traps, and one it must never reach ----------


def _npy(shape, descr="<f4", body=b"") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": tuple(shape)})
    return buf.getvalue() + body


def build_folders(root: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, list[str]]:
    doc, outside = root / "doc", root / "outside"
    doc.mkdir(parents=True)
    outside.mkdir()
    x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    np.savez(outside / "secret.npz", x=x, y=x)
    (outside / "secret.csv").write_text(f"x,y\n{SECRET},1\n")
    np.savez(doc / "good.npz", x=x, y=np.sin(x), t=np.linspace(0, 1, 5), n=np.array(3))
    (doc / "good.csv").write_text("x,y\n" + "".join(f"{a},{a * a}\n" for a in x[:, 0]))
    (doc / "text.csv").write_text("x,y\n1,two\n")
    (doc / "latin.csv").write_bytes(b"x,y\n\xff,1\n")
    (doc / "empty.csv").write_text("")
    (doc / "ragged.csv").write_text("x,y\n1\n1,2,3\n")
    (doc / "junk.npz").write_bytes(os.urandom(200))
    good = (doc / "good.npz").read_bytes()
    (doc / "truncated.npz").write_bytes(good[: len(good) // 2])
    with zipfile.ZipFile(doc / "huge.npz", "w") as z:
        z.writestr("x.npy", _npy((10**12, 10**3), "<f8", b"\0" * 32))
        z.writestr("y.npy", _npy((2**62,), "<f4"))
    with zipfile.ZipFile(doc / "odd.npz", "w") as z:
        z.writestr("x.npy", _npy((4, 1), "|O", b"\0" * 32))  # objects: needs pickle
        z.writestr("y.npy", b"\x93NUMPY\x03\x00" + b"\xff" * 20)  # a broken header
        z.writestr("z.npy", _npy((16, 1), "<f4", b"\0" * 8))  # shorter than declared
    np.save(doc / "plain.npz", x)  # an .npy under an .npz name
    os.symlink(outside / "secret.npz", doc / "link.npz")
    os.symlink(outside / "secret.csv", doc / "link.csv")
    os.symlink(outside, doc / "linked", target_is_directory=True)
    os.symlink(doc / "good.npz", doc / "alias.npz")  # a link that stays inside
    os.mkfifo(doc / "pipe.csv")
    (doc / "sub").mkdir()
    np.savez(doc / "sub" / "deep.npz", x=x, y=x)
    paths = ["good.npz", "good.csv", "text.csv", "latin.csv", "empty.csv", "ragged.csv",
             "junk.npz", "truncated.npz", "huge.npz", "odd.npz", "plain.npz", "link.npz",
             "link.csv", "linked/secret.npz", "linked/secret.csv", "alias.npz", "pipe.csv",
             "sub/deep.npz", "missing.npz", "sub", "../outside/secret.npz",
             str(outside / "secret.npz"), "sub/../../outside/secret.csv"]
    return doc, outside, paths


# -- watching what is opened ------------------------------------------------------------

WATCH: dict = {"outside": None, "opened": []}


def _audit(event, args):
    if event != "open" or WATCH["outside"] is None or not args:
        return
    path = args[0]
    if isinstance(path, (str, bytes, os.PathLike)):
        real = os.path.realpath(os.fsdecode(path))
        if real.startswith(WATCH["outside"]):
            WATCH["opened"].append(real)


sys.addaudithook(_audit)  # cannot be removed; inert while WATCH["outside"] is None


# -- strategies drawn from the schema -----------------------------------------------------

GRAPH_NAMES = ["x", "y", "t", "n", "z"]
NODE_IDS = ["opt_adam", "opt_lbfgs", "mlp", "x", "y", "ghost", "adam", "lbfgs", "sgd"]


def name_strategy() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(GRAPH_NAMES), st.text(min_size=1, max_size=12))


def from_schema(schema, overrides: dict) -> st.SearchStrategy:
    """Values valid under `schema` (the subset of JSON Schema the training schema uses);
    `$defs` named in `overrides` draw from the given strategy instead."""
    if schema is True or schema == {}:
        return st.none() | st.integers() | st.text(max_size=5)
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in overrides:
            return overrides[name]
        return from_schema(SCHEMA["$defs"][name], overrides)
    if "anyOf" in schema or ("oneOf" in schema and "properties" not in schema):
        return st.one_of([from_schema(s, overrides) for s in schema.get("anyOf", schema.get("oneOf"))])
    if "allOf" in schema and "then" in schema["allOf"][0]:  # the binding: one per source
        return st.one_of([from_schema(c["then"], overrides) for c in schema["allOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": t}, overrides) for t in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types == "integer":
        return st.integers(int(schema.get("minimum", -(2**40))), int(schema.get("maximum", 2**40)))
    if types == "number":
        hi = schema.get("maximum", schema.get("exclusiveMaximum", 1e12))
        return st.floats(schema.get("minimum", -1e12), hi, allow_nan=False,
                         exclude_max="exclusiveMaximum" in schema)
    if types == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= schema.get("maxLength", 200))
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 20), 20))
    if types == "array":
        return st.lists(from_schema(schema.get("items", {}), overrides),
                        min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    if types == "object":
        return _object(schema, overrides)
    raise AssertionError(f"schema construct not covered: {sorted(schema)}")


def _object(schema, overrides) -> st.SearchStrategy:
    props = schema.get("properties", {})
    if not props:  # a map: data bindings, generator kwargs
        key = from_schema(schema.get("propertyNames", {"type": "string"}), overrides)
        return st.dictionaries(key, from_schema(schema.get("additionalProperties", {}), overrides),
                               max_size=4)
    choices = [set(b["required"]) for b in schema.get("oneOf", [])] or [set()]

    @st.composite
    def build(draw):
        req = set(schema.get("required", []))
        pick = draw(st.sampled_from(choices))
        others = set().union(*choices) - pick
        out = {}
        for k, sub in props.items():
            if k in others or (isinstance(sub, dict) and "not" in sub):
                continue
            if k in req or k in pick or draw(st.booleans()):
                out[k] = draw(from_schema(sub, overrides))
        return out

    least = schema.get("minProperties", 0)  # the ensemble: at least one thing that differs
    return build().filter(lambda d: len(d) >= least) if least else build()


FILE_PATHS: list[str] = []


@st.composite
def file_binding(draw, schema_valid=False):
    paths = [p for p in FILE_PATHS if p.endswith((".npz", ".csv"))] if schema_valid else FILE_PATHS
    path = draw(st.sampled_from(paths))
    b = {"source": "file", "path": path}
    if path.endswith(".csv") and draw(st.booleans()):
        b["columns"] = draw(st.lists(st.sampled_from(["x", "y", "q"]), min_size=1, max_size=2))
    if path.endswith(".npz") and draw(st.booleans()):
        b["key"] = draw(st.sampled_from(["x", "y", "z", "t", "n", "missing"]))
    if draw(st.booleans()):
        b["batch"] = draw(st.booleans())
    return b


def _kwarg(p) -> st.SearchStrategy:
    lo = p.min if p.min is not None else -1e6
    hi = p.max if p.max is not None else 1e6
    if p.kind == "int":  # in range, or far out of it
        return st.one_of(st.integers(int(lo), int(min(hi, lo + 64))), st.integers(-(2**70), 2**70))
    if p.kind == "float":
        return st.one_of(st.floats(lo, min(hi, lo + 10)), st.floats(allow_nan=True))
    if p.kind == "list":
        return st.lists(st.floats(lo, min(hi, lo + 10)), min_size=1, max_size=3)
    return st.booleans()


@st.composite
def generator_binding(draw):
    name = draw(st.sampled_from(sorted(GENERATOR_PARAMS) + ["nosuch"]))
    declared = GENERATOR_PARAMS.get(name, {})
    kwargs = {}
    for key, p in declared.items():
        if draw(st.integers(0, 3)) == 0:
            kwargs[key] = draw(_kwarg(p))
    if draw(st.integers(0, 6)) == 0:
        kwargs[draw(st.sampled_from(["__class__", "dtype", "rhs", "bogus"]))] = 1
    b = {"source": "generator", "name": name, "kwargs": kwargs}
    if draw(st.booleans()):
        b["key"] = draw(st.sampled_from(["x", "y", "t", "y0", "clean", "nope"]))
    return b


OVERRIDES = {
    "file_binding": file_binding(),
    "generator_binding": generator_binding(),
    "node_id": st.sampled_from(NODE_IDS),
    "name": name_strategy(),
}

# -- hostile edits on top of schema-valid sections ----------------------------------------

JUNK = [None, True, -1, 0, 2**70, -(2**70), 1e308, float("nan"), float("inf"), "", "yes",
        "x" * 500, "\x1b[2J\x1b]0;t\x07", "\u202e", [], {}, [[[]]], {"__class__": 1},
        "../outside/secret.npz", "linked/secret.csv", "/etc/passwd", "opt_lbfgs"]


def mutate(obj, rng: random.Random) -> None:
    if isinstance(obj, dict) and obj:
        key = rng.choice(sorted(obj, key=str))
        r = rng.random()
        if r < 0.15:
            del obj[key]
        elif r < 0.3:
            obj[rng.choice(["bogus", "batch", "columns", "key", "kwargs", "\x1b[31m"])] = \
                copy.deepcopy(rng.choice(JUNK))
        elif r < 0.55:
            obj[key] = copy.deepcopy(rng.choice(JUNK))
        else:
            mutate(obj[key], rng)
    elif isinstance(obj, list) and obj:
        i = rng.randrange(len(obj))
        if rng.random() < 0.4:
            obj[i] = copy.deepcopy(rng.choice(JUNK))
        else:
            mutate(obj[i], rng)


# -- one case ------------------------------------------------------------------------------

GOOD = {"data": {"x": {"source": "file", "path": "good.npz"},
                 "y": {"source": "file", "path": "good.npz"}},
        "loss": {"output": "y", "target": "y", "fn": "mse"}}
STATS: collections.Counter = collections.Counter()


def _subclasses(cls):
    return {cls.__name__}.union(*(_subclasses(c) for c in cls.__subclasses__()))


TYPED = _subclasses(dw.GraphError)  # the names a failed run's reason may start with
FAILURES: list[str] = []


def graph(section: dict) -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=[1, 4, 1])
    g.connect(x, h)
    g.add_output(h, name="y")
    g.add("Optimizer", id="opt_adam", kind="adam", lr=1e-2)
    g.add("Optimizer", id="opt_lbfgs", kind="lbfgs", max_iter=5, history_size=5)
    g.training = section
    return g


def check_text(errs) -> None:
    for e in errs:
        text = str(e)
        if CONTROL.search(text) or SECRET in text:
            FAILURES.append(f"unsafe error text: {text[:200]!r}")


def run_case(section, doc: pathlib.Path, outside: pathlib.Path) -> None:
    STATS["cases"] += 1
    WATCH["outside"], WATCH["opened"] = str(outside), []
    try:
        with time_limit(CASE_LIMIT_S):
            try:
                g = dw.loads(graph(section).to_json())  # through the file format, as a user
                errs = [e for e in dw.validate_training(g, root=doc, kernel=False)
                        if e.severity == "error"]
                check_text(errs)
                if errs:
                    STATS["typed"] += 1
                else:
                    run = dw.train(g, steps=1, data_root=doc, progress=False, background=False)
                    STATS["trained" if run.state == "finished" else f"run_{run.state}"] += 1
                    kind = (run.reason or "").split(":")[0]
                    if run.state == "failed" and kind == "CaseTimeout":  # caught by the run
                        raise CaseTimeout(run.reason)
                    if run.state == "failed" and kind not in TYPED:
                        raise AssertionError(f"run failed untyped: {run.reason}")
            except dw.GraphError as e:
                STATS["typed"] += 1
                check_text([e])
            except (RecursionError, ValueError) as e:  # from our own json.dumps of junk
                if "Out of range float" in str(e) or isinstance(e, RecursionError):
                    STATS["unserialisable"] += 1
                else:
                    raise
    except CaseTimeout:
        STATS["hangs"] += 1
        FAILURES.append(f"hang: {json.dumps(section, default=str)[:300]}")
    except Exception as e:  # noqa: BLE001 - counting what escaped is the point
        STATS["untyped"] += 1
        FAILURES.append(f"{type(e).__name__}: {e!s:.200} <- {json.dumps(section, default=str)[:300]}")
    finally:
        if WATCH["opened"]:
            STATS["outside_reads"] += 1
            FAILURES.append(f"read outside: {WATCH['opened'][:2]}")
        WATCH["outside"] = None


def _memo(fn):
    """A generator whose result (or failure) for given kwargs is computed once: the fuzz is
    about checking kwargs and bindings, not about simulating the spiral 10,000 times."""
    seen: dict = {}

    def call(**kwargs):
        key = json.dumps(kwargs, sort_keys=True, default=repr)
        if key not in seen:
            try:
                seen[key] = (True, fn(**kwargs))
            except Exception as exc:  # noqa: BLE001 - replayed as it was raised
                seen[key] = (False, exc)
        ok, value = seen[key]
        if not ok:
            raise value
        return value

    return call


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from diffwire.train.generators import GENERATORS

    saved = dict(GENERATORS)
    GENERATORS.update({k: _memo(fn) for k, fn in saved.items()})
    doc, outside, paths = build_folders(tmp_path_factory.mktemp("fuzz_training"))
    FILE_PATHS[:] = paths
    # warm-up outside the time bound: the first run in a process pays for lazy imports and
    # torch's start-up (5 s on the loaded machine), which is not a hang
    dw.train(graph(copy.deepcopy(GOOD)), steps=1, data_root=doc, progress=False, background=False)
    STATS.clear()
    FAILURES.clear()
    yield doc, outside
    GENERATORS.update(saved)
    report = os.environ.get("FUZZ_REPORT")
    if report:
        pathlib.Path(report).write_text(json.dumps({**STATS, "failures": FAILURES[:50]}, indent=1))


SECTION = from_schema(SCHEMA, OVERRIDES)


def fuzz(folders, section, seed):
    doc, outside = folders
    rng = random.Random(seed)
    if rng.random() < 0.5:  # on top of a working section, so that cases reach training too
        data = {**GOOD["data"], **(section.get("data") or {})}
        data = dict(rng.sample(sorted(data.items()), k=rng.randint(2, len(data))))
        section = {**copy.deepcopy(GOOD), **section, "data": data}
        if rng.random() < 0.5:
            section["loss"] = GOOD["loss"]
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 4)):
            mutate(section, rng)
    run_case(section, doc, outside)
    assert not FAILURES, FAILURES[:5]


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(section=SECTION, seed=st.integers(0, 2**32))
def test_training_sections_and_data_files(folders, section, seed):
    fuzz(folders, section, seed)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(section=SECTION, seed=st.integers(0, 2**32))
def test_training_sections_and_data_files_10k(folders, section, seed):
    fuzz(folders, section, seed)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), shape=st.lists(st.integers(-3, 2**40), max_size=4),
       descr=st.sampled_from(["<f4", "<f8", "|O", "<i8", "|b1", "<c16", "V8", "<U3"]),
       as_csv=st.booleans())
def test_random_data_files(folders, tmp_path_factory, data, shape, descr, as_csv):
    doc, outside = folders
    if as_csv:
        (doc / "fz.csv").write_bytes(b"x,y\n" + data)
        path = "fz.csv"
    else:
        try:
            member = _npy(shape, descr, data)
        except (ValueError, TypeError):
            member = data
        with zipfile.ZipFile(doc / "fz.npz", "w") as z:
            z.writestr("x.npy", member)
            z.writestr("y.npy", data)
        path = "fz.npz"
    section = {"data": {"x": {"source": "file", "path": path},
                        "y": {"source": "file", "path": path}},
               "loss": {"output": "y", "target": "y", "fn": "mse"}, "steps": 1}
    run_case(section, doc, outside)
    assert not FAILURES, FAILURES[:5]


def test_the_strategy_draws_schema_valid_sections(folders):
    """The generator itself is checked: unmutated draws satisfy the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCHEMA)

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(from_schema(SCHEMA, {**OVERRIDES, "file_binding": file_binding(schema_valid=True)}))
    def check(section):
        errors = list(validator.iter_errors(section))
        assert not errors, [e.message for e in errors]

    check()
