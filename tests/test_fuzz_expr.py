"""Expression fuzzer: arbitrary text and token soups never reach eval, imports, attribute
access or calls outside the whitelist; every failure is an ExpressionError, and fast.

Each case runs with `builtins.eval/exec/compile/__import__/getattr` replaced by tripwires
and a `sys.addaudithook` hook armed for exec/compile/import/open/subprocess events.
"""

import builtins
import contextlib
import math
import signal
import sys
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffwire as dw
from diffwire import expr as ex

CASE_LIMIT_S = 2.0  # one parse + evaluate; a hang is a failure, not a stuck test run
KINDS = {"num", "name", "index", "neg", "call", "stack", "bin"}
OPS = {"+", "-", "*", "/", "**"}
ENV_NAMES = ["x", "y", "a", "b", "__import__", "os", "eval", "self", "__class__"]

_armed: list[str] = []  # events seen while armed


def _audit(event, args):
    if _armed and (event in ("exec", "compile", "import", "open", "os.system", "subprocess.Popen",
                             "builtins.input", "ctypes.dlopen", "pickle.find_class")):
        _armed.append(event)


sys.addaudithook(_audit)  # hooks cannot be removed; this one does nothing unless armed


class _Tripped(Exception):
    pass


@contextlib.contextmanager
def guarded():
    """Tripwires on the dangerous builtins, an armed audit hook, and an alarm."""
    saved = {n: getattr(builtins, n) for n in ("eval", "exec", "compile", "__import__", "getattr")}

    def trip(name):
        def f(*a, **k):
            raise _Tripped(f"{name} called")
        return f

    def trip_from_diffwire(name, real):
        # torch's own Python layer calls getattr (torch._VF forwards `broadcast_tensors` with
        # it); only a call made by diffwire's code, where user text could be the name, trips
        def f(*a, **k):
            if sys._getframe(1).f_globals.get("__name__", "").startswith("diffwire"):
                raise _Tripped(f"{name} called by diffwire")
            return real(*a, **k)
        return f

    def on_alarm(signum, frame):
        raise TimeoutError(f"expression case ran past {CASE_LIMIT_S} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
    for n in saved:
        setattr(builtins, n, trip_from_diffwire(n, saved[n]) if n == "getattr" else trip(n))
    _armed[:] = ["armed"]
    try:
        yield
    finally:
        events = _armed[1:]
        _armed.clear()
        for n, f in saved.items():
            setattr(builtins, n, f)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert not events, f"audit events during parse/evaluate: {events}"


def check_tree(tree) -> None:
    """Only whitelisted node kinds, operators and functions; leaves are plain values."""
    kind = tree[0]
    assert kind in KINDS, tree
    if kind == "num":
        assert type(tree[1]) is float and math.isfinite(tree[1])
    elif kind == "name":
        assert type(tree[1]) is str and tree[1].isidentifier()
    elif kind == "index":
        assert tree[1].isidentifier() and type(tree[2]) is int and 0 <= tree[2] < 10**9
    elif kind == "neg":
        check_tree(tree[1])
    elif kind == "call":
        assert tree[1] in ex.FUNCTIONS
        check_tree(tree[2])
    elif kind == "stack":
        assert len(tree[1]) >= 2
        for t in tree[1]:
            check_tree(t)
    else:
        assert tree[1] in OPS
        check_tree(tree[2])
        check_tree(tree[3])


def exercise(text: str) -> None:
    env = {n: torch.linspace(-2, 2, 6).reshape(3, 2) for n in ENV_NAMES}
    with guarded():
        try:
            tree = ex.parse(text)
        except dw.ExpressionError as e:
            assert str(e)  # a message, never empty
            return
        check_tree(tree)
        try:
            out = ex.evaluate(tree, env)
        except (KeyError, IndexError, RuntimeError):
            return  # unknown names / out-of-range entries: the block reports these, see below
        assert isinstance(out, float | int | torch.Tensor)
        assert not isinstance(out, torch.Tensor) or not out.is_complex()


TOKENS = ["x", "y", "a", "__import__", "os", "system", "eval", "exec", "open", "lambda", "import",
          "(", ")", "[", "]", ",", "+", "-", "*", "/", "**", ".", ":", ";", "'", '"', "=", "@",
          "sin", "exp", "log", "sqrt", "1", "0", "2.5", "1e308", "1e999", ".5", "9" * 30, "\n",
          " ", "\\", "#", "{", "}", "`", "$", "ü", "\u202e", "\x00", "__class__", "__globals__",
          "getattr", "x.y", "0x10", "1_000", "not", "and", "if", "else", "True", "None"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soups_stay_inside_the_whitelist(tokens):
    exercise("".join(tokens))
    exercise(" ".join(tokens))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text_stays_inside_the_whitelist(text):
    exercise(text)


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo pwned')", "().__class__.__bases__[0]", "x.__class__",
    "getattr(x, 'y')", "eval('1')", "exec('1')", "open('/etc/passwd')", "[c for c in x]",
    "lambda: 0", "x if x else y", "x[0][0]", "x[-1]", "x[1:2]", "x[" + "1" * 5000 + "]",
    "9" * 400, "1e999", "x" * 9_000, "(" * 101 + "x" + ")" * 101,
    "x , x",  # a stack of tensors: torch's broadcast_tensors calls getattr inside torch
])
def test_hostile_expressions_are_refused_or_harmless(text):
    exercise(text)


@pytest.mark.parametrize("text, expected", [
    ("1/0", math.inf), ("-1/0", -math.inf), ("0/0", math.nan), ("(-1)**0.5", math.nan),
    ("10**400", math.inf), ("0**-1", math.inf), ("2**2**2**2**2", math.inf),
])
def test_constant_arithmetic_follows_torch_not_python(text, expected):
    # Before: ZeroDivisionError / OverflowError, or a silently complex model for (-1)**0.5.
    got = ex.evaluate(ex.parse(text), {})
    assert isinstance(got, float)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_a_constant_overflow_in_a_block_is_a_value_not_a_crash():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    e = g.add("Expression", expr="(-1)**0.5 + 10**400 + x", inputs=["x"])
    g.connect(x, e)
    g.add_output(e)
    assert not [err for err in g.validate() if err.severity == "error"]
    out = g.compile()(x=torch.ones(3, 2))
    assert not out.is_complex() and torch.isnan(out).all()


def test_huge_index_is_an_expression_error():
    # Before: int() of a 5,000-digit index raised ValueError (Python's int digit limit).
    with pytest.raises(dw.ExpressionError):
        ex.parse("y[" + "7" * 5000 + "]")


def test_pathological_inputs_fail_fast_with_a_clear_error():
    cases = ["(" * 10_000 + "x" + ")" * 10_000, "x" * 1_000_000, "-" * 9_999 + "x",
             "x**" * 3000 + "x", "sin(" * 2000 + "x" + ")" * 2000, "1," * 4999 + "1",
             "x+" * 4999 + "x"]
    for text in cases:
        start = time.process_time()
        try:
            ex.parse(text)
        except dw.ExpressionError as e:
            assert "too" in str(e) or "nest" in str(e)
        assert time.process_time() - start < 1.0, text[:20]


def test_the_tripwires_work():
    with pytest.raises(_Tripped):
        with guarded():
            eval("1")  # noqa: S307 - the point: the guard must catch it
    with pytest.raises(AssertionError, match="audit"):
        with guarded():
            sys.audit("exec", None)
    diffwire_code = {"__name__": "diffwire.expr", "__builtins__": builtins}
    exec("def read(o):\n    return getattr(o, 'real')\n", diffwire_code)  # noqa: S102
    with pytest.raises(_Tripped, match="getattr called by diffwire"):
        with guarded():
            diffwire_code["read"](1.0)


@pytest.mark.parametrize("name", ["__class__", "forward", "to", "training", "state_dict"])
def test_learnable_names_that_clash_with_torch_attributes_are_param_errors(name):
    # Before: a bare KeyError from nn.ParameterDict when the block was built.
    with pytest.raises(dw.ParamError) as info:
        dw.Graph().add("Expression", expr=f"{name} * x", inputs=["x"], learnable={name: 1.0})
    assert info.value.port == "learnable" and info.value.found == name


@pytest.mark.parametrize("text", ["1/0 + x", "x * (-1)**0.5", "10**400 - x", "(-2)**x",
                                  "x / (c - c)", "sin(1/0) + x", "-(3 - 5) * x"])
def test_exported_source_agrees_with_evaluate(text):
    # Before: to_source wrote "(1.0 / 0.0)", which raises ZeroDivisionError in exported code.
    consts = {"c": 2.0}
    tree = ex.parse(text)
    x = torch.linspace(0.5, 2, 4, dtype=torch.float64)
    src = ex.to_source(tree, lambda n: n, consts)
    got = eval(src, {"torch": torch, "x": x})  # noqa: S307 - source generated from the whitelist
    want = ex.evaluate(tree, {"x": x, **consts})
    torch.testing.assert_close(torch.as_tensor(got, dtype=torch.float64),
                               torch.as_tensor(want, dtype=torch.float64), equal_nan=True)
