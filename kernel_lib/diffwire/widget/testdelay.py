"""A knob for browser tests: slow this kernel's first answer to chosen commands, so a
start-up race runs in the same order every time.

A fresh kernel's first ``check_training`` imports jsonschema (2-4 s on the test machines,
more under load), and the front end's panels must work however long that takes. With
``DIFFWIRE_TEST_DELAY="check_training=8"`` in the kernel's environment, the first time this
kernel handles each named command it first sleeps that many seconds, blocking the kernel
as that import does. With ``DIFFWIRE_TEST_RELEASE`` naming a file, the sleep ends as soon
as that file exists, so a test holds the answer exactly as long as it needs, however
loaded the machine is. Unset (always, outside tests) it costs one environment lookup.
"""

from __future__ import annotations

import os
import threading
import time

VARIABLE = "DIFFWIRE_TEST_DELAY"
RELEASE = "DIFFWIRE_TEST_RELEASE"

_answered: set[str] = set()
_lock = threading.Lock()


def delays(spec: str) -> dict[str, float]:
    """``"a=1,b=0.5"`` as ``{"a": 1.0, "b": 0.5}`` (malformed entries are ignored)."""
    out: dict[str, float] = {}
    for part in spec.split(","):
        name, _, seconds = part.partition("=")
        try:
            out[name.strip()] = max(0.0, float(seconds))
        except ValueError:
            continue
    return out


def wait(cmd: str) -> None:
    """Sleep before this kernel's first answer to `cmd`, when the knob names it."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    seconds = delays(spec).get(cmd)
    with _lock:
        if seconds is None or cmd in _answered:
            return
        _answered.add(cmd)
    release = os.environ.get(RELEASE)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if release and os.path.exists(release):
            return
        time.sleep(0.05)
