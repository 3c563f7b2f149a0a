"""The fixed part of an exported file's training code.

It reads the ``TRAINING`` constant (plain data written from the document's training
section), so no user text is ever code. Formatted as ruff formats it.
"""

TRAIN_CODE = '''
# -- training: the document's training section, as plain data above ----------------------

LOSSES = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "huber": F.huber_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
}


def load_data(data=None, root=None):
    """The training tensors by name: the section's bindings, overridden by `data`.

    File bindings (.npz, .csv) are read relative to `root` (default: this file's folder).
    """
    root = pathlib.Path(root) if root is not None else pathlib.Path(__file__).resolve().parent
    data = dict(data or {})
    out = {}
    for name, binding in TRAINING["data"].items():
        if name in data:
            value = data.pop(name)
        elif binding["source"] == "file":
            value = _read_file(root, name, binding)
        elif binding["source"] == "generator" and binding.get("name") in GENERATORS:
            made = GENERATORS[binding["name"]](**binding.get("kwargs", {}))
            value = made[binding.get("key", name)]
        else:
            raise ValueError(
                f"training data {name!r} comes from {binding['source']} "
                f"{binding.get('name', name)!r} in the notebook that exported this file: "
                f"pass it in, train(data={{{name!r}: tensor}})"
            )
        out[name] = value
    out.update(data)
    tensors = {}
    for name, value in out.items():
        t = torch.as_tensor(value)
        tensors[name] = t.float() if t.dtype == torch.float64 else t
    return tensors


def _read_file(root, name, binding):
    rel = pathlib.PurePosixPath(binding["path"])
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"data path {binding['path']!r} must stay inside {root}")
    path = root / rel
    if path.suffix.lower() == ".npz":
        import numpy as np

        with np.load(path, allow_pickle=False) as arrays:
            return torch.as_tensor(arrays[binding.get("key", name)])
    with path.open(encoding="utf-8") as f:
        header = [h.strip() for h in f.readline().split(",")]
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    table = torch.tensor(rows, dtype=torch.float32).reshape(len(rows), len(header))
    columns = binding.get("columns")
    if columns is None:
        return table
    return table[:, [header.index(c) for c in columns]]


def loss_terms(tensors):
    """The section's loss as a list of terms ({"output", "target", "fn", "weight"} or
    {"node"}); a bare function name pairs each output with the data of its name."""
    loss = TRAINING["loss"]
    if isinstance(loss, str):
        targets = [k for k in tensors if k not in INPUTS]
        pairs = [(o, o) for o in OUTPUTS if o in tensors and o not in INPUTS]
        if not pairs and len(OUTPUTS) == 1 and len(targets) == 1:
            pairs = [(OUTPUTS[0], targets[0])]
        if not pairs:
            raise ValueError(f"no target data for the outputs {OUTPUTS}")
        loss = [{"output": o, "target": t, "fn": loss} for o, t in pairs]
    return [loss] if isinstance(loss, dict) else list(loss)


def compute_loss(model, net, batch, terms):
    outputs = net(*[batch[name] for name in INPUTS])
    if not isinstance(outputs, dict):
        outputs = {OUTPUTS[0]: outputs}
    total = 0.0
    for term in terms:
        if "node" in term:
            value = model.taps[term["node"]]
        elif term.get("target") is None:
            value = outputs[term["output"]]
        else:
            if term.get("fn", "mse") not in LOSSES:  # hamming: for rda, in diffwire only
                raise ValueError(f"the {term['fn']!r} loss trains in diffwire only (dw.train)")
            fn = LOSSES[term.get("fn", "mse")]
            value = fn(outputs[term["output"]], batch[term["target"]])
        total = total + value.sum() * term.get("weight", 1.0)
    return total


def make_closure(model, net, batch, terms, optimizer, clip):
    """What the optimizer calls (LBFGS several times a step): loss, backward, clipping."""
    params = [p for group in optimizer.param_groups for p in group["params"]]

    def closure():
        optimizer.zero_grad(set_to_none=True)
        loss = compute_loss(model, net, batch, terms)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        value = loss.detach().clone()
        if dist.is_available() and dist.is_initialized():  # the mean loss: LBFGS steps agree
            dist.all_reduce(value)
            value /= dist.get_world_size()
        return value

    return closure


def train(model=None, data=None, steps=None, root=None, log=print, device=None, checkpoints=None):
    """Train `model` (a new Model when None) as the document's training section says.

    With `checkpoints` (a folder) and the section's checkpoint_every, rank 0 saves the
    weights, the optimizer state, the step and the phase there every that many steps
    (step_0000100.pt; torch.load(path, weights_only=True) reads them).

    Under torchrun (RANK and WORLD_SIZE set, process group initialised) the model is
    wrapped in DistributedDataParallel and each rank trains on its own shard of the rows;
    only rank 0 logs. Returns the trained model.
    """
    torch.manual_seed(TRAINING["seed"])
    distributed = dist.is_available() and dist.is_initialized()
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    if device is None and torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    device = torch.device(device or "cpu")
    model = (Model() if model is None else model).to(device)
    tensors = load_data(data, root)
    terms = loss_terms(tensors)
    whole = {k: v.to(device) for k, v in tensors.items() if k in FIXED}
    rows = {k: v for k, v in tensors.items() if k not in FIXED}
    val = None
    if TRAINING["val_split"] and rows:  # held out before sharding: every rank agrees
        n_all = min(v.shape[0] for v in rows.values())
        n_val = round(n_all * TRAINING["val_split"])
        perm = torch.randperm(n_all, generator=torch.Generator().manual_seed(TRAINING["seed"]))
        val = {k: v[perm[:n_val]].to(device) for k, v in rows.items()}
        val.update(whole)
        rows = {k: v[perm[n_val:]] for k, v in rows.items()}
    n = min((v.shape[0] for v in rows.values()), default=0) // world
    rows = {k: v[rank :: world][:n].to(device) for k, v in rows.items()}
    net = model
    if distributed:
        ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=ids, find_unused_parameters=FIND_UNUSED
        )
    total = TRAINING["steps"] if steps is None else steps
    every = max(1, total // 20)
    batch_size = TRAINING["batch_size"]
    order = torch.Generator().manual_seed(TRAINING["seed"])
    step = 0
    phases = TRAINING["phases"]
    for i, phase in enumerate(phases):
        last = i == len(phases) - 1
        length = total - step if last else min(phase["steps"] or 0, total - step)
        spec = {**DEFAULTS, **phase["optimizer"]}
        optimizer = make_optimizer(spec, model)
        schedule = make_scheduler(spec, optimizer, length)
        for _ in range(length):
            batch = dict(rows)
            if batch_size and n > batch_size:
                pick = torch.randperm(n, generator=order)[:batch_size].to(device)
                batch = {k: v[pick] for k, v in rows.items()}
            batch.update(whole)

            closure = make_closure(model, net, batch, terms, optimizer, spec["grad_clip"])
            loss = optimizer.step(closure)
            if schedule is not None:
                schedule.step()
            step += 1
            if rank == 0 and (step % every == 0 or step == total):
                line = f"step {step}/{total}  loss {loss.item():.6g}  phase {i}"
                if val is not None:
                    with torch.no_grad():
                        line += f"  val_loss {compute_loss(model, model, val, terms).item():.6g}"
                log(line)
            every_ck = TRAINING["checkpoint_every"]
            if checkpoints is not None and every_ck and step % every_ck == 0 and rank == 0:
                save_checkpoint(checkpoints, model, optimizer, step, i)
    return model


def save_checkpoint(folder, model, optimizer, step, phase):
    """Weights, optimizer state, step and phase as folder/step_NNNNNNN.pt."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "phase": phase,
    }
    torch.save(state, folder / f"step_{step:07d}.pt")


def weights_hash(model):
    """A short hash of the weights (ranks of a data-parallel run should agree)."""
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the exported model.")
    parser.add_argument("--steps", type=int, default=None, help="override the step budget")
    parser.add_argument("--out", default="weights.pt", help="where rank 0 saves the weights")
    parser.add_argument("--data-dir", default=None, help="folder of the .npz/.csv data files")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ...")
    parser.add_argument(
        "--checkpoints", default="checkpoints", help="folder of the checkpoints, if any"
    )
    parser.add_argument(
        "--print-hash", action="store_true", help="every rank prints a hash of its weights"
    )
    args = parser.parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        model = train(
            steps=args.steps, root=args.data_dir, device=args.device, checkpoints=args.checkpoints
        )
        rank = dist.get_rank() if distributed else 0
        if args.print_hash:
            print(f"rank {rank} weights {weights_hash(model)}", flush=True)
        if rank == 0:
            torch.save(model.state_dict(), args.out)
            print(f"saved weights to {args.out}")
        if distributed:
            dist.barrier()  # ranks leave together: gloo aborts a rank whose peer left first
    finally:
        if distributed:
            dist.destroy_process_group()
'''
