"""Native programs from exported graphs: AOTInductor packages compiled into a folder and
loaded from it (:mod:`diffwire.ode.compiled` builds the solve's two programs with these).

- :func:`programs`: each program from the folder, or compiled there (two new ones in
  parallel, the second in a process of its own: :mod:`diffwire.ode.aoti_child`);
- :func:`compile_to`: one package, written atomically, with the loop's temporaries on the
  stack where torch allows it (:func:`_compile`);
- :func:`machine`: what the native code assumes of the CPU, for the packages' key.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import platform
import tempfile
import threading
import warnings

import torch
from torch import nn

log = logging.getLogger("diffwire.compile")

_LOCK_PATCH = threading.Lock()


def programs(key: str, jobs: list[tuple[str, nn.Module, tuple]], folder: pathlib.Path):
    """``({name: callable}, "cache" or "compiled")``: the AOTInductor program of each
    (name, module, example args) job, loaded from the cache or compiled into it.

    Two to compile (a new structure): the second, the adjoint, compiles in a process of its
    own (:mod:`diffwire.ode.aoti_child`) while this one compiles the forward, so a cold
    compile takes the longer of the two instead of their sum on a machine with two cores.
    Where that process cannot run or fails, the program is compiled here (logged)."""
    folder.mkdir(parents=True, exist_ok=True)
    runs, todo = {}, []
    for name, module, args in jobs:
        path = folder / f"{key}-{name}.pt2"
        run = _cached(path)
        if run is None:
            todo.append((name, module, args, path))
        else:
            runs[name] = run
    if not todo:
        return runs, "cache"
    child = _start_child(*todo.pop()) if len(todo) > 1 else None
    for name, module, args, path in todo:
        compile_to(path, _export(module, args))
        runs[name] = _load(path)
    if child is not None:
        name, path = child["name"], child["path"]
        if not _finish_child(child):
            compile_to(path, child["exported"])
        runs[name] = _load(path)
    return runs, "compiled"


def _cached(path: pathlib.Path):
    """The package at `path` loaded, or None: absent, or damaged (then removed, logged)."""
    if not path.exists():
        return None
    try:
        return _load(path)
    except Exception as exc:  # noqa: BLE001 - a damaged package is compiled again
        log.warning("compiled solve: the cached %s does not load (%s: %s); compiling it "
                    "again", path.name, type(exc).__name__, str(exc)[:200])
        path.unlink(missing_ok=True)
        return None


def _export(module: nn.Module, args: tuple):
    with warnings.catch_warnings():  # torch's own deprecations: nothing a user can act on
        warnings.simplefilter("ignore", FutureWarning)
        return torch.export.export(module, args, strict=False)


def compile_to(path: pathlib.Path, exported) -> None:
    """Compile the exported program into the package `path`. Written beside its final name
    and moved there: a kernel killed mid-compile, or a second kernel compiling the same
    structure, never leaves a half-written package."""
    fd, tmp = tempfile.mkstemp(suffix=".pt2", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            _compile(exported, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _start_child(name: str, module: nn.Module, args: tuple, path: pathlib.Path):
    """Start compiling a job in another process: its exported program goes through a file
    (``torch.export.save``: graph and weights, no pickle). None when that cannot start."""
    import subprocess
    import sys

    program = None
    try:
        exported = _export(module, args)
        fd, program = tempfile.mkstemp(suffix=".exported.pt2", dir=path.parent)
        os.close(fd)
        torch.export.save(exported, program)
        env = dict(os.environ)
        root = str(pathlib.Path(__file__).resolve().parents[2])  # the folder holding diffwire
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        proc = subprocess.Popen([sys.executable, "-m", "diffwire.ode.aoti_child", program,
                                 str(path)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    except Exception as exc:  # noqa: BLE001 - compiled in this process instead
        log.info("compiled solve: %s compiles in this process (%s: %s)", name,
                 type(exc).__name__, str(exc)[:200])
        if program is not None and os.path.exists(program):
            os.unlink(program)
        return None
    # the exported program is kept: compiled here if the other process fails
    return {"name": name, "path": path, "exported": exported, "proc": proc,
            "program": program}


def _finish_child(child) -> bool:
    """Wait for a compile started by :func:`_start_child`; True when its package is there."""
    import subprocess

    proc = child["proc"]
    try:
        _, err = proc.communicate(timeout=3600)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    finally:
        os.unlink(child["program"])
    ok = proc.returncode == 0 and child["path"].exists()
    if not ok:
        log.info("compiled solve: the %s's compile in another process failed (exit %s: "
                 "%s); compiling it here", child["name"], proc.returncode,
                 (err or "").strip()[-300:])
    return ok


def _compile(exported, package_path: str) -> None:
    """AOTInductor with the loop's temporaries on the stack, else as torch builds it.

    Why: the step's intermediates are a few doubles each, and allocating them on the heap
    every iteration was most of the programs' time (malloc and free, under perf): the LV
    UDE's forward went from 0.35 to 0.17 ms and its adjoint from 0.75 to 0.26 ms a solve.
    torch 2.13's C++ wrapper cannot hand a stack buffer out of a loop body (its
    ``codegen_subgraph_suffix`` moves it into a heap handle, which does not compile), so
    :func:`_stack_outputs_to_heap` makes that hand-off a copy, for this compile only. Where
    that does not apply (another torch, a graph the stack path rejects) the package is
    compiled the default way and the reason logged."""
    import torch._inductor

    try:
        with _stack_outputs_to_heap():
            torch._inductor.aoti_compile_and_package(
                exported, package_path=package_path,
                inductor_configs={"aot_inductor.allow_stack_allocation": True})
        return
    except Exception as exc:  # noqa: BLE001 - the default build below is the answer
        log.info("compiled solve: temporaries on the heap (%s: %s)", type(exc).__name__,
                 str(exc)[:200])
    torch._inductor.aoti_compile_and_package(exported, package_path=package_path)


@contextlib.contextmanager
def _stack_outputs_to_heap():
    """Make the C++ wrapper copy a loop body's stack-allocated outputs to the heap (the
    body's scope ends with each iteration, so a stack buffer cannot be handed out)."""
    from torch._inductor import ir
    from torch._inductor.codegen.cpp_wrapper_cpu_array_ref import CppWrapperCpuArrayRef

    def suffix(self, subgraph, outer_inputs, outer_outputs):
        for inner, outer in zip(subgraph.graph.graph_outputs, outer_outputs):
            src = inner.codegen_reference()
            if isinstance(inner, ir.ShapeAsConstantBuffer):
                self.writeline(f"{outer} = {src};")
                continue
            self.writeline(
                "[&](auto&& _t) { if constexpr (::torch::aot_inductor::"
                "is_arrayref_tensor_type_v<std::decay_t<decltype(_t)>>) { "
                "AtenTensorHandle _h; AOTI_TORCH_ERROR_CODE_CHECK(aoti_torch_clone("
                f"borrow_arrayref_tensor_as_tensor(_t), &_h)); {outer}.reset(); "
                f"{outer} = RAIIAtenTensorHandle(_h); }} else {{ {outer}.reset(); "
                f"{outer} = std::move(_t); }} }}({src});")

    original = CppWrapperCpuArrayRef.__dict__.get("codegen_subgraph_suffix")
    with _LOCK_PATCH:
        CppWrapperCpuArrayRef.codegen_subgraph_suffix = suffix
        try:
            yield
        finally:
            if original is None:
                del CppWrapperCpuArrayRef.codegen_subgraph_suffix
            else:
                CppWrapperCpuArrayRef.codegen_subgraph_suffix = original


def _load(path: pathlib.Path):
    """``f(*tensors) -> [tensors]``: the package at `path`, called without
    ``aoti_load_package``'s wrapper. That wrapper first probes the CPU's vector instructions
    by compiling and loading a test library per instruction set (1.5 s a process here),
    only to warn when they differ from the package's (the key already holds this machine's
    instruction sets: :func:`machine`); and on every call it parses the package's input
    and output specs and flattens the arguments (0.1 ms a step of the LV UDE)."""
    try:
        runner = torch._C._aoti.AOTIModelPackageLoader(str(path), "model", False, 1, -1)

        def run(*tensors):
            return runner.boxed_run(list(tensors))
    except (AttributeError, TypeError):  # another torch: its public loader
        model = torch._inductor.aoti_load_package(str(path))

        def run(*tensors):
            out = model(*tensors)
            return list(out) if isinstance(out, (tuple, list)) else [out]
    return run


def machine() -> str:
    """What native code compiled here assumes of the CPU: a cache shared between machines
    (a home folder on a network disk) must not hand one machine's AVX-512 code to another."""
    from torch._inductor.cpu_vec_isa import x86_isa_checker

    return repr((platform.machine(), torch.backends.cpu.get_cpu_capability(),
                 x86_isa_checker()))
