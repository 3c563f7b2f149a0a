// The Ablation panel's state, kept from the kernel's events (widget/ablation.py), and the
// commands it sends. The component only renders this.
import { useCallback, useEffect, useState } from "react";
import type { Transport } from "../transport";
import {
  asAblationEvent, type AblationCommandName, type AblationProgress, type AblationResult,
  type AblationTerm, type KeptAblation,
} from "../workbench/ablation";

export interface Ablation {
  terms: AblationTerm[];
  note: string | null;
  kept: KeptAblation[];
  running: boolean;
  progress: AblationProgress | null;
  result: AblationResult | null;
  error: string | null;
  defaults: { seeds: number; budget: number; fractions: number[] };
  send: (cmd: AblationCommandName, args?: Record<string, unknown>) => void;
}

const DEFAULTS = { seeds: 3, budget: 200, fractions: [1.0] };

export function useAblation(transport: Transport, doc: unknown): Ablation {
  const [terms, setTerms] = useState<AblationTerm[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [kept, setKept] = useState<KeptAblation[]>([]);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<AblationProgress | null>(null);
  const [result, setResult] = useState<AblationResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [defaults, setDefaults] = useState(DEFAULTS);

  const send = useCallback((cmd: AblationCommandName, args: Record<string, unknown> = {}) => {
    if (cmd === "ablation_start") { setError(null); setRunning(true); setProgress(null); }
    transport.send({ cmd, ...args });
  }, [transport]);

  useEffect(() => transport.onEvent((raw) => {
    const ev = asAblationEvent(raw);
    if (!ev) return;
    switch (ev.event) {
      case "ablation_terms":
        setTerms(ev.terms); setNote(ev.note); setKept(ev.kept); setRunning(ev.running);
        if (ev.defaults) setDefaults(ev.defaults);
        break;
      case "ablation_progress": setProgress(ev); setRunning(true); break;
      case "ablation_result": setResult(ev); setError(null); break;
      case "ablation_error": setError(ev.message); setRunning(false); break;
      default: break;
    }
  }), [transport]);

  // the terms follow the document (a flag ticked here or in the Inspector); the newest kept
  // result comes with the first answer, so a reopened document shows it
  // (edits replace the document object, so its identity says when to ask again)
  useEffect(() => {
    const t = window.setTimeout(() => { if (transport.readCatalog().blocks.length) send("ablation_terms"); }, 200);
    return () => window.clearTimeout(t);
  }, [doc]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    const ask = () => send("ablation_terms", { latest: true });
    if (transport.readCatalog().blocks.length) ask();
    return transport.onCatalog(ask);
  }, [transport, send]);

  return { terms, note, kept, running, progress, result, error, defaults, send };
}
