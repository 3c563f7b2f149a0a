"""The Ray connection that ``backend="ray"`` uses: an existing cluster, or a local instance.

``connect(address)`` joins a cluster (``"ray://head:10001"``, ``"10.0.0.5:6379"``, or
``RAY_ADDRESS``); with no address it starts a private single-machine instance on
127.0.0.1 and keeps it until :func:`shutdown` (or the process exits). A connection made
by the caller's own ``ray.init`` is used as it is.

Why the local instance is started with ``ray start --head --block`` rather than
``ray.init()``: ``ray.init`` starts five Python helper processes at once (monitor,
dashboard head, log monitor, dashboard agent, runtime-env agent), each importing Ray
(about 2.6 s of CPU here, 1.8 s of it jsonschema's IRI grammar), and the raylet aborts
the whole start when its dashboard agent has not reported within a fixed 15 s (Ray
issue 65983). On the shared 2-core machine at load 7-9 that failed every time; the
command line can leave out the monitor and the log monitor, and started in 14 s at load 9.
Its other settings keep it private and small: loopback only (Ray maps 127.0.0.1 to the
machine's address unless clusters are off, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``), a
token of its own, no dashboard, no usage reporting, 100 MB of object store.
"""

from __future__ import annotations

import atexit
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import threads
from .errors import GraphError

#: Object store of the local instance: results and trial data are small (Ray's minimum
#: is 75 MB); the default (30% of memory) would reserve gigabytes of /dev/shm.
OBJECT_STORE_MB = 100

_local: LocalRay | None = None


def import_ray():
    """The ray module, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise GraphError("backend='ray' needs Ray, which is not installed",
                         port="backend", expected="the ray package",
                         found="no module named ray",
                         hint="pip install 'diffwire[ray]' (or pip install ray), or use "
                              "backend='local'") from None
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None,
            object_store_mb: int = OBJECT_STORE_MB, timeout: float = 180.0) -> dict:
    """Connect this process to Ray; returns ``{"address", "local", "cpus"}``.

    **Arguments:**

    - `address`: a running cluster (``"ray://head:10001"`` through Ray Client, or
      ``"host:6379"``; default ``RAY_ADDRESS``). Its nodes need diffwire and torch
      installed. None and no ``RAY_ADDRESS``: a local instance on 127.0.0.1 (see the
      module docstring), stopped by :func:`shutdown` or at exit.
    - `num_cpus`: CPUs the local instance offers, one trial or job each (default: the
      cores, less one in a Jupyter kernel; ``threads.workers``).
    - `object_store_mb`: its object store. `timeout`: seconds to wait for it to start.
    """
    global _local
    if "ray" not in sys.modules:  # read once, when Ray is imported: loopback addresses
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = import_ray()
    if ray.is_initialized():
        return {"address": _local.address if _local else address, "local": _local is not None,
                "cpus": int(ray.cluster_resources().get("CPU", 0))}
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        try:
            ray.init(address=address)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise GraphError("cannot connect to the Ray cluster", port="address",
                             expected="a running Ray head (ray start --head) or a ray:// "
                                      "address", found=address,
                             hint=f"{type(exc).__name__}: {exc}"[:300]) from None
        return {"address": address, "local": False,
                "cpus": int(ray.cluster_resources().get("CPU", 0))}
    # Ray already imported without it (a cell ran `import ray`): the driver would turn
    # 127.0.0.1 into the machine's address, where the private head does not listen.
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if getattr(constants, "ENABLE_RAY_CLUSTER", False):
        constants.ENABLE_RAY_CLUSTER = False
    if _local is None or not _local.alive:
        cpus = num_cpus or threads.workers(None, threads.cores())
        _local = LocalRay(cpus, object_store_mb, timeout)
    os.environ.update(_local.client_env)
    _reload_token()
    ray.init(address=_local.address, log_to_driver=False)
    return {"address": _local.address, "local": True,
            "cpus": int(ray.cluster_resources().get("CPU", 0))}


def _reload_token() -> None:
    """Ray caches the token it read at import; the local instance's is newer."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")  # re-read RAY_AUTH_MODE, as Ray's own _enable_token_auth does
    AuthenticationTokenLoader.instance().reset_cache()


def shutdown() -> None:
    """Disconnect, and stop the local instance when this process started one."""
    global _local
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()
    if _local is not None:
        _local.stop()
        _local = None


atexit.register(shutdown)


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class LocalRay:
    """A private Ray head on 127.0.0.1 run by ``ray start --head --block`` in its own
    process group, which :meth:`stop` ends (and nothing else)."""

    def __init__(self, cpus: int, object_store_mb: int, timeout: float):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="dwray-"))
        ports = _free_ports(7)
        self.address = f"127.0.0.1:{ports[0]}"
        token = secrets.token_hex(32)
        self.client_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
        env = {**os.environ, **self.client_env, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
               "RAY_USAGE_STATS_ENABLED": "0"}
        ray_cli = pathlib.Path(sys.executable).with_name("ray")
        cmd = [str(ray_cli) if ray_cli.exists() else shutil.which("ray") or "ray",
               "start", "--head", "--block", "--node-ip-address=127.0.0.1",
               f"--port={ports[0]}", f"--num-cpus={cpus}", "--num-gpus=0",
               "--include-dashboard=false", "--no-monitor", "--include-log-monitor=false",
               "--disable-usage-stats", f"--object-store-memory={object_store_mb << 20}",
               f"--metrics-export-port={ports[1]}", f"--dashboard-agent-grpc-port={ports[2]}",
               f"--dashboard-agent-listen-port={ports[3]}",
               f"--runtime-env-agent-port={ports[4]}", f"--node-manager-port={ports[5]}",
               f"--object-manager-port={ports[6]}", f"--temp-dir={self.dir}"]
        self.log = self.dir / "ray-start.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait(timeout)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if "--block" in text and "block forever" in text:
                return
            if not self.alive:
                break
            time.sleep(0.25)
        tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
        self.stop()
        raise GraphError("the local Ray instance did not start",
                         port="backend", expected=f"a Ray head on 127.0.0.1 within {timeout:.0f} s",
                         found=" / ".join(tail)[-400:] or "no output",
                         hint="see raylet.err under the session's logs folder; or start Ray "
                              "yourself (ray start --head) and pass address=")

    def stop(self, grace: float = 3.0) -> None:
        """End the instance's process group: SIGTERM, then SIGKILL after `grace` seconds
        (Ray drains for up to 30 s on SIGTERM; nothing of ours is left to drain)."""
        if self.alive:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        try:  # helpers left in the group (the GCS outlives the CLI on a kill)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
