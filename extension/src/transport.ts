// The only thing the editor knows about its host. The anywidget host (anywidget.tsx)
// implements it over the widget model; the JupyterLab document host (lab/) implements it
// over a kernel comm plus the document's file model.
import type { Catalog, Command, GraphDoc, KernelEvent, RunStatus } from "./types";

export type Unsubscribe = () => void;

export interface Transport {
  /** The document as the host holds it now. */
  readGraph(): GraphDoc;
  /** Commit an edited document (called on committed edits, never on drag frames). */
  writeGraph(doc: GraphDoc): void;
  /** Called when the document changes from the other side (kernel or file). */
  onGraph(cb: (doc: GraphDoc) => void): Unsubscribe;

  readCatalog(): Catalog;
  onCatalog(cb: (cat: Catalog) => void): Unsubscribe;

  readStatus(): RunStatus;
  onStatus(cb: (s: RunStatus) => void): Unsubscribe;

  /** Fire-and-forget command; answers come back as events. */
  send(cmd: Command): void;
  onEvent(cb: (ev: KernelEvent, buffers: DataView[]) => void): Unsubscribe;
}

export const EMPTY_STATUS: RunStatus = {
  state: "none", step: 0, steps_per_s: 0, lr: null, stale: false, message: "", available: false,
};

/** A transport over a fixed document, for benchmarks and tests: edits stay in memory. */
export class StaticTransport implements Transport {
  private graphCbs = new Set<(d: GraphDoc) => void>();
  private eventCbs = new Set<(e: KernelEvent, b: DataView[]) => void>();
  sent: Command[] = [];
  constructor(private doc: GraphDoc, private catalog: Catalog, private status: RunStatus = EMPTY_STATUS) {}
  readGraph() { return this.doc; }
  writeGraph(doc: GraphDoc) { this.doc = doc; }
  onGraph(cb: (d: GraphDoc) => void) { this.graphCbs.add(cb); return () => { this.graphCbs.delete(cb); }; }
  readCatalog() { return this.catalog; }
  onCatalog() { return () => {}; }
  readStatus() { return this.status; }
  onStatus() { return () => {}; }
  send(cmd: Command) { this.sent.push(cmd); }
  onEvent(cb: (e: KernelEvent, b: DataView[]) => void) { this.eventCbs.add(cb); return () => { this.eventCbs.delete(cb); }; }
  /** Deliver an event as if the kernel had sent it. */
  emit(ev: KernelEvent) { for (const cb of this.eventCbs) cb(ev, []); }
}
