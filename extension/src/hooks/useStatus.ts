// The run's status as React state, read where it is shown. A running run's status changes
// a few times a second (step, steps/s): held by the whole editor, every change re-rendered
// the palette, canvas and side panel (measured in bench/kernel_training.py). The live
// panel holds all of it; others select the fields they show and re-render only when
// those change. A status is applied at the next animation frame, with the metrics that
// came with it (frame.ts): one frame drawn per update.
import { useEffect, useState } from "react";
import type { Transport } from "../transport";
import type { RunStatus } from "../types";
import { atFrame, dropFrame } from "../frame";

/** `cb` with the newest status, at most once per animation frame. */
function onStatusFrame(transport: Transport, cb: (s: RunStatus) => void): () => void {
  const key = {};
  const off = transport.onStatus((s) => atFrame(key, () => cb(s)));
  return () => { off(); dropFrame(key); };
}

/** The whole status (the live panel). */
export function useStatus(transport: Transport): RunStatus {
  const [status, setStatus] = useState<RunStatus>(() => transport.readStatus());
  useEffect(() => {
    setStatus(transport.readStatus()); // a change between the first render and this effect
    return onStatusFrame(transport, setStatus);
  }, [transport]);
  return status;
}

/** `pick(status)`, kept as the same value while `same` says the picked fields did not
 * change: a component using it re-renders only when what it shows changes. */
export function useStatusPick<T>(transport: Transport, pick: (s: RunStatus) => T, same: (a: T, b: T) => boolean): T {
  const [value, setValue] = useState<T>(() => pick(transport.readStatus()));
  useEffect(() => {
    const take = (s: RunStatus) => setValue((v) => { const next = pick(s); return same(v, next) ? v : next; });
    take(transport.readStatus());
    return onStatusFrame(transport, take);
    // pick and same are fixed per call site (module-level functions)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [transport]);
  return value;
}
