"""The fixed parts of an exported training file, each written only where the document uses
it: the training loop (:func:`train_function`), the command line (:func:`main_function`),
checkpoints and the CSV reader. User text never reaches them: names and
values arrive as literals already (:func:`diffwire.export.names.literal`).
"""

from __future__ import annotations

import dataclasses

SAVE_CHECKPOINT = '''
def save_checkpoint(folder, model, optimizer, step, phase):
    """Weights, optimizer state, step and phase as folder/step_NNNNNNN.pt
    (torch.load(path, weights_only=True) reads it)."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save({**state, "step": step, "phase": phase}, folder / f"step_{step:07d}.pt")
'''

READ_CSV = '''
def read_csv(path, columns=None):
    """A CSV file of numbers under a header row as a float32 table, or the named columns."""
    with open(path, encoding="utf-8") as f:
        header = [h.strip() for h in f.readline().split(",")]
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    table = torch.tensor(rows, dtype=torch.float32).reshape(len(rows), len(header))
    return table if columns is None else table[:, [header.index(c) for c in columns]]
'''

@dataclasses.dataclass(frozen=True)
class Loop:
    """What the training loop of one document needs (each flag adds its lines)."""

    loss_args: str  # how compute_loss is called: "net, batch" or "model, net, batch"
    phases: list[str]  # what each item phases() yields holds: optimizer, schedule, clip, steps
    many_phases: bool  # the log line names the phase
    batches: bool  # BATCH_SIZE draws a batch of rows a step
    fixed: bool  # FIXED data goes whole into every batch
    val: bool  # VAL_SPLIT holds rows out for a validation loss
    checkpoints: bool  # CHECKPOINT_EVERY saves checkpoints
    files: bool  # data files read relative to `root`
    closure: bool  # LBFGS evaluates the loss several times a step, through a closure
    find_unused: bool  # branches may leave weights without gradient (DDP must know)


def train_function(loop: Loop) -> str:
    """``train()``: seed, model, data (sharded under torchrun), the phases' steps, logs."""
    root = ", root=HERE" if loop.files else ""
    out = [
        f"def train(model=None, data=None, steps=STEPS{root}, log=print, device=None"
        + (", checkpoints=None" if loop.checkpoints else "") + "):",
        '    """Train `model` (a new Model when None) and return it. Under torchrun each rank',
        "    trains a DistributedDataParallel copy on its own shard of the rows; rank 0 logs.",
    ]
    if loop.checkpoints:
        out += ["    With `checkpoints` (a folder), rank 0 saves one every CHECKPOINT_EVERY steps."]
    out += [
        '    """',
        "    torch.manual_seed(SEED)",
        "    distributed = dist.is_available() and dist.is_initialized()",
        "    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)",
        "    if device is None and torch.cuda.is_available():",
        '        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))',
        '    device = torch.device(device or "cpu")',
        "    model = (Model() if model is None else model).to(device)",
        f"    rows = load_data(data{', root' if loop.files else ''})",
    ]
    whole = ""
    if loop.fixed:
        out += ["    whole = {k: rows.pop(k).to(device) for k in FIXED if k in rows}"]
        whole = ", **whole"
    if loop.val:
        out += [
            "    # held out before sharding: every rank holds out the same rows",
            "    kept, held = split_rows(min(v.shape[0] for v in rows.values()), VAL_SPLIT, SEED)",
            f"    val = {{**{{k: v[held].to(device) for k, v in rows.items()}}{whole}}}",
            "    rows = {k: v[kept] for k, v in rows.items()}",
        ]
    out += [
        "    n = min((v.shape[0] for v in rows.values()), default=0) // world",
        "    rows = {k: v[rank::world][:n].to(device) for k, v in rows.items()}",
        "    net = model",
        "    if distributed:",
        '        ids = [device.index] if device.type == "cuda" else None',
        "        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids"
        + (", find_unused_parameters=True" if loop.find_unused else "") + ")",
    ]
    out += ["    step = 0"]
    items = ", ".join(loop.phases)
    if loop.many_phases or loop.checkpoints:
        out += [f"    for phase, ({items}) in enumerate(phases(model, steps)):"]
    else:
        out += [f"    for {items} in phases(model, steps):"]
    if "clip" in loop.phases:
        out += ["        params = [p for group in optimizer.param_groups for p in group[\"params\"]]"]
    out += ["        for _ in range(length):"]
    batch = f"{{**rows{whole}}}" if whole else "rows"
    out += [f"            batch = {batch}"]
    if loop.batches:
        out += [
            "            if n > BATCH_SIZE:  # the rows in a new order each epoch, a slice a step",
            "                epoch, i = divmod(step, -(-n // BATCH_SIZE))",
            "                if i == 0:",
            "                    order = epoch_order(n, SEED, epoch)",
            "                pick = order[i * BATCH_SIZE : (i + 1) * BATCH_SIZE].to(device)",
            f"                batch = {{**{{k: v[pick] for k, v in rows.items()}}{whole}}}"
            if whole else "                batch = {k: v[pick] for k, v in rows.items()}",
        ]
    clip = ["if clip > 0:", "    torch.nn.utils.clip_grad_norm_(params, clip)"] if (
        "clip" in loop.phases) else []
    if loop.closure:
        out += ["", "            def closure():  # LBFGS calls it several times a step"]
        out += ["                " + line for line in [
            "optimizer.zero_grad(set_to_none=True)",
            f"loss = compute_loss({loop.loss_args})",
            "loss.backward()",
            *clip,
            "loss = loss.detach().clone()",
            "if distributed:  # the ranks' mean loss: their line searches agree",
            "    dist.all_reduce(loss)",
            "    loss /= world",
            "return loss",
        ]]
        out += ["", "            loss = optimizer.step(closure)"]
    else:
        out += ["            " + line for line in [
            "optimizer.zero_grad(set_to_none=True)",
            f"loss = compute_loss({loop.loss_args})",
            "loss.backward()",
            *clip,
            "optimizer.step()",
        ]]
    if "schedule" in loop.phases:
        out += ["            if schedule is not None:", "                schedule.step()"]
    line = 'f"step {step}/{steps}  loss {loss.item():.6g}' + (
        '  phase {phase}"' if loop.many_phases else '"')
    out += ["            step += 1", "            if rank == 0 and (step % max(1, steps // 20) == 0 or step == steps):"]
    if loop.val:
        val_args = loop.loss_args.replace("net, batch", "model, val")
        out += [
            f"                line = {line}",
            "                with torch.no_grad():",
            f'                    line += f"  val_loss {{compute_loss({val_args}).item():.6g}}"',
            "                log(line)",
        ]
    else:
        out += [f"                log({line})"]
    if loop.checkpoints:
        out += [
            "            if checkpoints is not None and step % CHECKPOINT_EVERY == 0 and rank == 0:",
            "                save_checkpoint(checkpoints, model, optimizer, step, phase)",
        ]
    out += ["    return model"]
    return "\n".join(out) + "\n"


def main_function(loop: Loop) -> str:
    """``main()``: the command line; under torchrun it joins the process group first."""
    out = [
        "def main(argv=None):",
        '    parser = argparse.ArgumentParser(description="Train the exported model.")',
        '    parser.add_argument("--steps", type=int, default=STEPS)',
        '    parser.add_argument("--out", default="weights.pt", help="the trained weights")',
    ]
    if loop.files:
        out += ['    parser.add_argument("--data-dir", default=HERE, help="the data files\' folder")']
    out += ['    parser.add_argument("--device", help="cpu, cuda, cuda:1 ...")']
    if loop.checkpoints:
        out += ['    parser.add_argument("--checkpoints", default="checkpoints")']
    args = "steps=args.steps, device=args.device" + (
        ", root=args.data_dir" if loop.files else "") + (
        ", checkpoints=args.checkpoints" if loop.checkpoints else "")
    out += [
        '    parser.add_argument("--print-hash", action="store_true")',
        "    args = parser.parse_args(argv)",
        '    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ  # under torchrun',
        "    if distributed:",
        '        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")',
        f"    model = train({args})",
        "    rank = dist.get_rank() if distributed else 0",
        "    if args.print_hash:  # the ranks of a data-parallel run end with the same weights",
        "        state = sorted(model.state_dict().items())",
        '        weights = b"".join(k.encode() + v.cpu().numpy().tobytes() for k, v in state)',
        "        digest = hashlib.sha256(weights).hexdigest()[:16]",
        '        print(f"rank {rank} weights {digest}", flush=True)',
        "    if rank == 0:",
        "        torch.save(model.state_dict(), args.out)",
        '        print(f"saved weights to {args.out}")',
        "    if distributed:",
        "        dist.barrier()  # ranks leave together: gloo aborts a rank whose peer left first",
        "        dist.destroy_process_group()",
    ]
    return "\n".join(out) + "\n"
