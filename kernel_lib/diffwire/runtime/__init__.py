"""Code that runs both in the library and in exported files, written once.

Everything here imports only torch and torchdiffeq (never diffwire), so that
:mod:`diffwire.export` can embed a function's source verbatim into a file that runs without
diffwire, and the library and the file cannot drift apart: same arguments and seed, same
tensors (tests/test_runtime.py checks it on an exported file).
"""
