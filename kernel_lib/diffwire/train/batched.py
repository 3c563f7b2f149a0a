"""N structurally identical compiled members evaluated as one batched model.

Each member keeps its own parameters (so each has its own optimizer state, hyperparameters
and checkpoint entry); every step stacks them along a new first dimension and one
``torch.func.vmap`` over ``functional_call`` computes all N losses in one pass of the
graph: the same number of torch ops as one member, each on N times the data, which is
what a small model's step costs anyway (dispatch, not arithmetic). The stack is part of
the autograd graph, so ``losses.sum().backward()`` gives each member exactly the gradient
of its own loss.

A graph vmap cannot run (a value read back to Python inside the graph, data-dependent
control flow, random ops, buffers updated in place, opaque modules that do any of these)
is evaluated member after member instead, with the same results; `reason` says why.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, vmap

from ..context import batch_mode


class _Loss(nn.Module):
    """A member's loss as a module call, so ``functional_call`` can swap its tensors."""

    def __init__(self, model: nn.Module, loss_fn):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, batch: dict) -> torch.Tensor:
        return self.loss_fn(self.model, batch)


class BatchedMembers(nn.Module):
    """The members as one module: ``members.<i>.blocks...`` hold member i's tensors.

    **Arguments:**

    - `members`: compiled graphs of one structure (same state_dict keys and shapes).
    - `batched`: False evaluates member after member from the start.
    """

    def __init__(self, members: list[nn.Module], batched: bool = True):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.input_names = members[0].input_names
        self.output_names = members[0].output_names
        self.reason: str | None = None if batched else "batching turned off"
        self._tensors: tuple | None = None  # each name's tensor in every member (_stacks)

    @property
    def vmapped(self) -> bool:
        return self.reason is None

    @property
    def members_per_op(self) -> int:
        """How many members each op computes (the thread policy sizes ops by it)."""
        return len(self.members) if self.vmapped else 1

    def __len__(self) -> int:
        return len(self.members)

    def run(self, *args, **kwargs):
        """Member 0's outputs (what the live plots show of an ensemble)."""
        return self.members[0].run(*args, **kwargs)

    def losses(self, loss_fn, batch: dict) -> torch.Tensor:
        """Every member's loss on `batch`, as a tensor [N] (one graph through all)."""
        if self.reason is not None:
            return self.each(loss_fn, batch)
        try:
            return self._vmapped(loss_fn, batch)
        except Exception as exc:  # noqa: BLE001 - any refusal of vmap means: one by one
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        losses = self.each(loss_fn, batch)  # a problem of the graph or data raises here,
        self.reason = reason                # located, and batching stays on for later
        return losses

    def each(self, loss_fn, batch: dict) -> torch.Tensor:
        """Every member's loss, member after member."""
        return torch.stack([loss_fn(m, batch) for m in self.members])

    def _apply(self, fn, *args, **kwargs):
        self._tensors = None  # .to() and friends may replace buffers: look them up again
        return super()._apply(fn, *args, **kwargs)

    def _stacks(self) -> tuple[dict, dict]:
        """Every parameter and buffer stacked over the members (``model.<name>``: [N, ...]).
        The members' tensors are looked up once (walking 32 module trees every step cost
        as much as a tenth of the step)."""
        if self._tensors is None:
            self._tensors = (
                _gather(self.members, lambda m: m.named_parameters()),
                _gather(self.members, lambda m: m.named_buffers()))
        params, buffers = self._tensors
        return ({k: torch.stack(ts) for k, ts in params.items()},
                {k: torch.stack(ts) for k, ts in buffers.items()})

    def _vmapped(self, loss_fn, batch: dict) -> torch.Tensor:
        return self.vmap(loss_fn, batch)

    def vmap(self, fn, batch: dict) -> torch.Tensor:
        """``fn(member, batch)`` of every member in one vmapped pass, stacked [N, ...]
        (any tensor `fn` returns, not only a loss). Raises whatever vmap raises: no
        member-by-member fallback here (`losses` has that)."""
        params, buffers = self._stacks()
        wrapper = _Loss(self.members[0], fn)

        def one(p, b, data):
            return functional_call(wrapper, (p, b), (data,), strict=True)

        with batch_mode():
            return vmap(one, in_dims=(0, 0, None))(params, buffers, batch)


def _gather(members, named) -> dict[str, list[torch.Tensor]]:
    """name -> that tensor of every member, for `named(member)` (named_parameters...)."""
    out: dict[str, list[torch.Tensor]] = {}
    for m in members:
        for k, t in named(m):
            out.setdefault(f"model.{k}", []).append(t)
    return out
