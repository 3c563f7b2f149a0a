"""The solve's C program (:mod:`diffwire.ode.cgen`) built into a shared library with the
system's C compiler, kept on disk by key, and called through ``ctypes``.

The library is compiled in a folder of its own beside its place in the cache and renamed
into place, so a kernel that dies mid-compile leaves no half-written library behind. Its
SHA-256 is kept beside it and checked before loading: ``dlopen`` of a library cut short (a
full disk, an interrupted copy) does not fail, it kills the process with SIGBUS. One that
does not match or does not load is built again over it. ``ctypes`` releases the GIL for
the call, so the training thread does not hold up the kernel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import math
import os
import pathlib
import platform
import shutil
import subprocess
import tempfile

import torch

log = logging.getLogger("diffwire.compile")

#: flags of the build: IEEE arithmetic kept (no -ffast-math: NaN checks and inf must behave
#: as in torch); -march=native is safe because the key holds the machine's instruction sets
CFLAGS = ["-O2", "-ftree-vectorize", "-march=native", "-fPIC", "-shared", "-fno-math-errno", "-std=c11"]


def _mvec() -> tuple[list[str], list[str]]:
    """Flags for glibc's vector math library where this machine has it (x86-64 glibc)."""
    # tanh, erf, expm1 and log1p came to libmvec in glibc 2.35: an older one links but
    # fails to load
    lib, version = platform.libc_ver()
    try:
        recent = lib == "glibc" and tuple(int(x) for x in version.split(".")[:2]) >= (2, 35)
    except ValueError:
        recent = False
    if recent and platform.machine() in ("x86_64", "AMD64") and ctypes.util.find_library("mvec"):
        return ["-DDW_MVEC"], ["-lmvec"]
    return [], []


def compiler() -> str | None:
    """The C compiler: ``$CC`` when set, else cc, gcc or clang on the PATH."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Library:
    """The two entry points of one built solve, as tensor functions."""

    def __init__(self, path: pathlib.Path, state_shape: tuple[int, ...], n_theta: int,
                 dtype: torch.dtype):
        self.lib = ctypes.CDLL(str(path))
        self.state_shape, self.n_theta, self.dtype = state_shape, n_theta, dtype
        p, i64 = ctypes.c_void_p, ctypes.c_int64
        self._fwd = self.lib.dw_forward
        self._fwd.argtypes, self._fwd.restype = [p, p, p, i64, p], ctypes.c_int
        self._adj = self.lib.dw_adjoint
        self._adj.argtypes, self._adj.restype = [p, p, p, p, i64, p, p], ctypes.c_int

    def _ptr(self, t: torch.Tensor, numel: int, what: str) -> torch.Tensor:
        # the C code reads exactly the shapes it was written for: a wrong size here would
        # read past a buffer and take the kernel down, so it is an error instead
        if t.numel() != numel or t.device.type != "cpu":
            raise ValueError(f"the compiled solve was built for {what} of {numel} elements "
                             f"on cpu, got {t.numel()} on {t.device}")
        return t.detach().to(self.dtype).contiguous()

    def forward(self, y0, theta, dts):
        n = dts.shape[0]
        state = math.prod(self.state_shape)
        y0, theta = self._ptr(y0, state, "a state"), self._ptr(theta, self.n_theta, "theta")
        dts = self._ptr(dts, n, "the step sizes")
        ys = torch.empty((n, *self.state_shape), dtype=self.dtype)
        if self._fwd(y0.data_ptr(), theta.data_ptr(), dts.data_ptr(), n, ys.data_ptr()):
            raise MemoryError("the compiled solve could not allocate its workspace")
        return ys

    def adjoint(self, ys_prev, g_after, theta, dts):
        n = dts.shape[0]
        states = n * math.prod(self.state_shape)
        ys_prev = self._ptr(ys_prev, states, "the states")
        g_after = self._ptr(g_after, states, "the states' gradients")
        theta, dts = self._ptr(theta, self.n_theta, "theta"), self._ptr(dts, n, "the step sizes")
        g_y0 = torch.empty(self.state_shape, dtype=self.dtype)
        g_theta = torch.empty(self.n_theta, dtype=self.dtype)
        if self._adj(ys_prev.data_ptr(), g_after.data_ptr(), theta.data_ptr(),
                     dts.data_ptr(), dts.shape[0], g_y0.data_ptr(), g_theta.data_ptr()):
            raise MemoryError("the compiled solve could not allocate its workspace")
        return g_y0, g_theta


def build(path: pathlib.Path, code: str) -> None:
    """Compile `code` into the shared library `path`, atomically. Raises RuntimeError with
    the compiler's message when it fails."""
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler (cc, gcc or clang) on the PATH")
    path.parent.mkdir(parents=True, exist_ok=True)
    # built in a folder of its own under fixed names (the same code gives the same bytes,
    # so two kernels building one key at once write the same library and checksum), then
    # renamed into place: a library is never rewritten in place (a process that has it
    # loaded would crash on its next page); os.replace gives the new one a new inode
    work = tempfile.mkdtemp(dir=path.parent, prefix=f".{path.stem}-")
    try:
        pathlib.Path(work, "solve.c").write_text(code)
        define, link = _mvec()
        done = subprocess.run([cc, *CFLAGS, *define, "-o", "solve.so", "solve.c", *link, "-lm"],
                              capture_output=True, text=True, timeout=300, cwd=work)
        if done.returncode:
            raise RuntimeError(f"{cc} failed on the solve's C source: "
                               f"{done.stderr.strip()[-2000:]}")
        built = pathlib.Path(work, "solve.so")
        digest = _digest(built)
        os.replace(pathlib.Path(work, "solve.c"), path.with_suffix(".c"))  # what runs, readable
        os.replace(built, path)
        _write_atomically(_sum_path(path), digest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sum_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_suffix(".sha256")


def _digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_atomically(path: pathlib.Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load(path: pathlib.Path, code: str, state_shape, n_theta: int,
         dtype: torch.dtype) -> tuple[Library, str]:
    """(the library at `path`, "cache" or "compiled"): loaded, or built from `code` first
    when it is missing or does not load."""
    if path.exists():
        # checked before dlopen: a truncated library is not an error there but a SIGBUS
        # that kills the kernel
        sums = _sum_path(path)
        why = None
        if not sums.exists():
            why = "its checksum is missing"
        elif sums.read_text().strip() != _digest(path):
            why = "its checksum differs (damaged or cut short)"
        else:
            try:
                return Library(path, state_shape, n_theta, dtype), "cache"
            except (OSError, AttributeError) as e:
                why = str(e)
        # not removed first: the new build replaces it atomically, and another process
        # may be between writing a library and its checksum
        log.warning("cached solve %s does not load (%s): compiling it again", path.name, why)
    build(path, code)
    try:
        return Library(path, state_shape, n_theta, dtype), "compiled"
    except (OSError, AttributeError) as e:
        raise RuntimeError(f"the solve's library was built but does not load: {e}") from e
