"""Graph -> torch.nn.Module.

The compiled module keeps one submodule per node in ``blocks``, keyed by node id, so a
rebuilt graph reloads the weights of every unchanged node by name. ``forward`` walks a
precomputed plan of slots; loops and branches inside blocks are ordinary Python.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .analysis import topo_order
from .blocks.weight_store import WeightStore
from .context import gc_paused, recorder
from .document import Graph, edge_at, params_key
from .errors import GraphError, ParamError, RuntimeGraphError, raise_errors

# The node path each thread is running, so a watchdog in another thread can name the node a
# hung step is stuck in (one dict write per node: cheap next to a module call).
RUNNING: dict[int, str | None] = {}


class BuildContext:
    """What a block's build() may ask of the compiler: compile a body graph (the
    :class:`diffwire.context.BuildContext` protocol)."""

    def __init__(self, path: str = "", meta: bool = False):
        self.path = path
        self.meta = meta
        self.weights: WeightStore | None = None  # set for a large top graph: FLAT_FROM

    def compile_body(self, node, body: str) -> CompiledGraph:
        """Compile the named body graph of `node` into a module (its weights nest under it)."""
        graph = node.body[body]
        return CompiledGraph(graph, BuildContext(f"{self.path}{node.id}/{body}/", self.meta))


# A real build of a top graph with at least this many nodes takes its small parameters
# from one flat weight store (blocks/weight_store.py): 171 bytes less per parameter, 34 MB
# of a 200,000-node chain. Below it the saving is under 0.4 MB, and small models are the
# ones traced and compiled (torch.compile, AOTInductor), stacked into ensembles and saved
# node by node, where parameters with storages of their own are what those paths have
# always been checked with.
FLAT_FROM = 2000


class _Blocks(nn.Module):
    """A ModuleDict keyed by node id. Ids like ``train`` or ``type`` would clash with
    nn.Module attributes under ModuleDict's checks, so entries go into ``_modules`` directly.

    A node of a stateless block (:attr:`~diffwire.blocks.base.Block.stateless`) is deferred:
    the plan runs a module shared by its equal nodes, and ``blocks[id]`` builds the node a
    module of its own (a copy of the shared one), registers it and puts it into the plan,
    so a hook on it sees that node's calls. Deferred nodes hold no state, so the
    state_dict is the same either way; :meth:`built` lists only the modules built."""

    def __init__(self):
        super().__init__()
        self._deferred: dict[str, int] = {}  # id -> its step, which runs the shared module
        self._plan: list = []  # the owning graph's steps, where a built node goes

    def __getitem__(self, key: str) -> nn.Module:
        module = self._modules.get(key)
        return module if module is not None else self._build(key)

    def __contains__(self, key: str) -> bool:
        return key in self._modules or key in self._deferred

    def __getattr__(self, name: str):  # get_submodule("blocks.<id>") reaches deferred nodes
        deferred = self.__dict__.get("_deferred")
        if deferred and name in deferred:
            return self._build(name)
        return super().__getattr__(name)

    def set(self, key: str, module: nn.Module) -> None:
        self._modules[key] = module

    def defer(self, key: str, step: int) -> None:
        """Node `key` runs the shared module that step `step` of the plan calls."""
        self._deferred[key] = step

    def keys(self) -> list[str]:
        """Every node with a module, deferred ones included."""
        return [*self._modules, *self._deferred]

    def built(self) -> dict[str, nn.Module]:
        """The node modules built so far, by id (read only): where a caller looks for
        something only a stateful block has (metrics, a pruning mask) without building
        every deferred node."""
        return self._modules

    def _build(self, key: str) -> nn.Module:
        i = self._deferred.pop(key)  # KeyError: no such node, as a dict says
        nid, shared, ins, outs, where = self._plan[i]
        module = copy.deepcopy(shared).train(self.training)
        self._modules[key] = module
        self._plan[i] = (nid, module, ins, outs, where)
        return module


class CompiledGraph(nn.Module):
    """A graph compiled into a module. Call it with the graph's inputs by name
    (or position, in the order of the Input nodes); it returns the one output as a
    tensor, or a dict of outputs by name when there are several."""

    def __init__(self, graph: Graph, ctx: BuildContext | None = None):
        super().__init__()
        ctx = ctx or BuildContext()
        self.path = ctx.path
        self.blocks = _Blocks()
        order = topo_order(graph)
        # Where each output's value goes in run()'s list, as a 1-tuple: a node with one
        # output is filed under its id (no (id, port) key per node: this map is alive at
        # the build's peak), and a node whose one input comes from it uses the same tuple
        # for its inputs (one tuple per wire, not two: 20 MB of a 200,000-node chain).
        slot: dict = {}
        nslots = 0
        self.input_names: list[str] = []
        self._input_ids: list[str] = []
        self.output_names: list[str] = []
        self._input_slots: list[int] = []
        self._output_slots: list[int] = []
        steps: list[tuple[str, Callable, tuple[int, ...], tuple[int, ...], str]] = []
        self.blocks._plan = steps
        static = True  # a local: nn.Module.__setattr__ per node would cost more than the node
        # Shape inference builds on meta tensors and throws the modules away, so nodes of a
        # built-in block with the same params share one: a 200,000-node document has a
        # handful of distinct blocks, and building each node's module was most of validate.
        shared: dict | None = {} if ctx.meta else None
        memos: dict = {}
        # A real build of the top graph shares the modules of stateless blocks (see
        # _Blocks). Bodies are left alone: an ODE field writes its plan into generated
        # code, where a node built later would not be called.
        stateless: dict | None = {} if not ctx.meta and not ctx.path else None
        store = None
        reuse = None
        if not ctx.meta and not ctx.path and len(graph.nodes) >= FLAT_FROM:
            ctx.weights = store = WeightStore()
            reuse = _Slots(graph, slot)
        for nid in order:
            node = graph.nodes[nid]
            cls = node.block
            if not cls.compiled:
                continue
            if node.type == "Input":  # a slot never used before: run() fills it first
                slot[nid] = (nslots,) if reuse is None else reuse.keep(nid, (nslots,))
                self.input_names.append(node.params["name"])
                self._input_ids.append(nid)
                self._input_slots.append(nslots)
                nslots += 1
                continue
            incoming = graph._incoming().get(nid)  # read only: no copy per node
            args = []
            # an Output reads at the end of a run: what it reads is never freed
            reads = reuse if node.type != "Output" else None
            for p in node.input_ports():
                e = edge_at(incoming, p.name)
                if e is None:
                    args.append(_NONE)
                    continue
                args.append(_slot_of(slot, e, graph))
                if reads is not None:  # this step reads before it writes: free for its outs
                    reads.read(e.source)
            if node.type == "Output":
                self.output_names.append(node.params["name"])
                self._output_slots.append(args[0][0])
                continue
            # meta: one module per block and params for every built-in block; real, top
            # graph: one per block and params for stateless blocks, each node deferred
            pool = shared if shared is not None else stateless if cls.stateless else None
            key = _share_key(node, cls) if pool is not None else None
            module = pool.get(key) if key is not None else None
            try:
                if module is None:
                    module = cls.build(node, ctx)
                    if key is not None and pool is shared:
                        memos[key] = _Memo(module)
            except GraphError as exc:
                if exc.node is None:
                    exc.at(ctx.path + nid)
                raise
            except Exception as exc:  # a failed allocation (a 10**12-wide layer), a user bug
                raise ParamError(f"could not build the block: {type(exc).__name__}: "
                                 f"{str(exc)[:300]}", node=ctx.path + nid,
                                 hint="check the block's parameters") from exc
            if not isinstance(module, nn.Module):
                from .blocks.base import Fn

                module = Fn(module, node.type)
            if key is not None:
                module = pool.setdefault(key, module)
            if key is not None and pool is stateless:
                self.blocks.defer(nid, len(steps))
            else:
                self.blocks.set(nid, module)
            ports = node.output_ports()
            if reuse is None:
                outs = tuple(range(nslots, nslots + len(ports)))
                nslots += len(ports)
            else:
                outs, nslots = reuse.take(nid, len(ports), nslots)
            if len(ports) == 1:
                slot[nid] = outs
            else:
                for p, i in zip(ports, outs):
                    slot[(nid, p.name)] = (i,) if reuse is None else reuse.same((i,))
            ins = args[0] if len(args) == 1 else tuple(a[0] for a in args)
            fn = memos[key] if key is not None and pool is shared else module
            steps.append((nid, fn, ins, outs, ctx.path + nid))
            static = static and cls.static and getattr(module, "static", True)
        if store is not None:
            store.close()
            ctx.weights = None  # the store's slabs belong to this build alone
        self.static = static
        self._nslots = nslots
        self._steps = steps

    # -- running ----------------------------------------------------------------------

    def forward(self, /, *args: Any, **kwargs: Any):  # an input may be called "self"
        outs = self.run(*args, **kwargs)
        if len(outs) == 1:
            return outs[0]
        return dict(zip(self.output_names, outs))

    def run(self, /, *args: Any, tap: Callable | None = None, **kwargs: Any) -> tuple:
        """Run the graph; return the outputs as a tuple in Output-node order.

        `tap(node_id, value)` is called after each node when given (metrics, NaN checks).
        """
        env: list[Any] = [None] * (self._nslots + 1)  # slot -1 stays None: unconnected optional
        names = self.input_names
        if len(args) > len(names):
            raise GraphError(f"the graph takes {len(names)} inputs, got {len(args)}",
                             expected=names, found=len(args))
        for i, value in enumerate(args):
            env[self._input_slots[i]] = value
        for name, value in kwargs.items():
            try:
                env[self._input_slots[names.index(name)]] = value
            except ValueError:
                raise GraphError(f"the graph has no input '{name}'", port=name,
                                 expected=names, found=name) from None
        for name, s in zip(names, self._input_slots):
            if env[s] is None:
                raise GraphError(f"missing graph input '{name}'", port=name, expected=names,
                                 found=sorted(kwargs))
        if tap is None and (tap := recorder()) is not None:  # a body, while shapes are inferred
            for nid, s in zip(self._input_ids, self._input_slots):
                tap(self.path + nid, env[s])
        nid = ""
        if torch.compiler.is_compiling():  # no thread ids under torch.compile: no graph break
            running, ident = {}, 0
        else:
            running, ident = RUNNING, threading.get_ident()
        outer = running.get(ident)  # the enclosing node, when this is a body
        try:
            # Two copies of one loop on purpose: the plain run (training, every step) pays
            # no per-node test for a tap; the tapped run (live plots, shape inference) adds
            # the call. Change one, change both.
            if tap is None:
                for nid, fn, ins, outs, where in self._steps:  # noqa: B007 - nid names the failing node
                    running[ident] = where
                    r = fn(*[env[i] for i in ins])
                    if len(outs) == 1:
                        env[outs[0]] = r
                    else:
                        for o, v in zip(outs, r):
                            env[o] = v
            else:
                for nid, fn, ins, outs, where in self._steps:  # noqa: B007 - nid names the failing node
                    running[ident] = where
                    r = fn(*[env[i] for i in ins])
                    if len(outs) == 1:
                        env[outs[0]] = r
                    else:
                        for o, v in zip(outs, r):
                            env[o] = v
                    tap(self.path + nid, r)
        except GraphError as exc:
            if exc.node is None:
                exc.at(self.path + nid)
            raise
        except Exception as exc:
            raise RuntimeGraphError(f"{type(exc).__name__}: {exc}", node=self.path + nid) from exc
        finally:
            running[ident] = outer
        return tuple(env[s] for s in self._output_slots)

    def node_module(self, node_id: str) -> nn.Module:
        """The submodule that computes `node_id`."""
        return self.blocks[node_id]

    def extra_repr(self) -> str:
        return f"inputs={self.input_names}, outputs={self.output_names}"


_NONE = (-1,)  # the slot of an unconnected optional input: run() keeps it None


class _Slots:
    """Slot numbers for the plan of a large top graph, reused once a value's last reader has
    run: a 200,000-node chain then needs a handful of slots, each an int below 257 (one
    object, not 32 bytes a node) in a 1-tuple shared by every step writing it (not 48
    bytes a node), and run()'s list of values is as short. A node's slots are freed when
    every edge out of it has been read by a step; an Output node reads at the end of the
    run, so what it reads is never freed, and neither is what an edge into a node that is
    not built would read (counted, never read: kept, which is always safe).

    The maps shrink as nodes are freed (the end of a build is its peak: a dict of every
    node there was 40 bytes a node)."""

    def __init__(self, graph: Graph, slot: dict):
        self.slot = slot  # the build's map of where values go: a freed node leaves it
        self.left: dict[str, int] = {}  # edges out of a node not read yet
        for e in graph.edges:
            self.left[e.source] = self.left.get(e.source, 0) + 1
        self.outs: dict[str, tuple] = {}  # a node's slots, to free
        self.free: list[int] = []
        self.tuples: dict[tuple, tuple] = {}
        self.dropped = 0  # entries deleted from `left` since it was last rebuilt

    def _release(self, nid: str) -> None:
        self.free.extend(self.outs.pop(nid, ()))
        self.slot.pop(nid, None)  # (a node of several outputs keeps its (id, port) keys)
        self.dropped += 1
        if self.dropped > 1024 and self.dropped > 2 * len(self.left):
            self.left = dict(self.left)  # a dict keeps its table when entries go: copy it
            self.dropped = 0

    def same(self, t: tuple) -> tuple:
        return self.tuples.setdefault(t, t)

    def keep(self, nid: str, outs: tuple) -> tuple:
        outs = self.outs[nid] = self.same(outs)
        return outs

    def read(self, source: str) -> None:
        """A step reads an edge from `source`: free its slots if that was the last edge."""
        n = self.left[source] - 1
        if n:
            self.left[source] = n
        else:
            del self.left[source]
            self._release(source)

    def take(self, nid: str, k: int, nslots: int) -> tuple[tuple, int]:
        """`k` slots for node `nid`'s outputs, freed ones first; and the new slot count."""
        free = self.free
        if k == 1 and free:  # a chain's every step
            outs = (free.pop(),)
        else:
            got = []
            for _ in range(k):
                if free:
                    got.append(free.pop())
                else:
                    got.append(nslots)
                    nslots += 1
            outs = tuple(got)
        outs = self.outs[nid] = self.tuples.setdefault(outs, outs)
        if nid not in self.left:  # nothing reads it: free again for the next step
            free.extend(self.outs.pop(nid))
        return outs, nslots


def _slot_of(slot: dict, e, graph: Graph) -> tuple:
    """The 1-tuple slot of the value on edge `e`'s source port (see CompiledGraph)."""
    one = slot.get(e.source)
    if one is not None and graph.nodes[e.source].output_ports()[0].name == e.source_port:
        return one
    return slot[(e.source, e.source_port)]  # several outputs (a KeyError: no such port)


def _share_key(node, cls) -> tuple | None:
    """What makes two meta modules interchangeable: a built-in block without bodies and
    its params (a user block may read more of the node, so it is always built)."""
    if node.bodies() or not cls.__module__.startswith("diffwire."):
        return None
    key = params_key(cls, node.read_params())  # plain scalars: no JSON text per node
    if key is not None:
        return key
    try:
        return node.type, json.dumps(node.read_params(), sort_keys=True)
    except (TypeError, ValueError):
        return None


class _Memo:
    """A shared meta module's answers by input signature. A built-in block without bodies
    computes output shapes from its params and its inputs' shapes, dtypes and layouts only,
    so a chain of 100,000 equal layers fed equal shapes runs each meta kernel once and hands
    the same meta tensor on (meta tensors hold no data). Inputs other than tensors and
    None are passed through uncached."""

    def __init__(self, module):
        self.module = module
        self.seen: dict = {}

    def __call__(self, *args):
        sig = []
        for a in args:
            if type(a) is torch.Tensor and a.device.type == "meta":
                sig.append((tuple(a.shape), a.stride(), a.dtype, a.requires_grad))
            elif a is None:
                sig.append(None)
            else:
                return self.module(*args)
        sig = tuple(sig)
        out = self.seen.get(sig)
        if out is None:
            out = self.seen[sig] = self.module(*args)
        return out


def compile_graph(graph: Graph, *, seed: int | None = None, check: bool = True, dtype=None,
                  device=None) -> CompiledGraph:
    """Compile `graph` into a :class:`CompiledGraph`.

    **Arguments:**

    - `seed`: when given, weights are initialised from this seed (deterministic builds).
    - `check`: validate first and raise every problem found as one error.
    - `dtype`, `device`: moved to after building.
    """
    if check:
        raise_errors(graph.validate())
    rng = torch.random.fork_rng() if seed is not None else contextlib.nullcontext()
    with rng, gc_paused():  # 300,000 modules on a large graph: see context.gc_paused
        if seed is not None:
            torch.manual_seed(seed)
        module = CompiledGraph(graph)
    if dtype is not None:
        module = module.to(dtype)
    if device is not None:
        module = module.to(device)
    return module


def learned_params(graph: Graph, model: nn.Module) -> dict[str, dict]:
    """``{node id: params}`` that training determined, read from `model` (compiled from
    `graph`) by each block's :meth:`~diffwire.blocks.base.Block.learned_params` (a LUT's
    truth table); only params that differ from the document's."""
    blocks = getattr(model, "blocks", None)
    out = {}
    for nid, node in graph.nodes.items():
        module = blocks.built().get(nid) if blocks is not None else None
        if module is None:  # not compiled, or stateless: nothing learned
            continue
        params = node.block.learned_params(node, module)
        if params and any(node.params.get(k) != v for k, v in params.items()):
            out[nid] = params
    return out
