// The anywidget host: implements the Transport over the widget model of
// kernel_lib/diffwire/widget/editor.py (traitlets `doc`, `catalog`, `status`, `height`;
// commands and events as custom messages).
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { Editor } from "./components/Editor";
import { docPatch } from "./patch";
import { EMPTY_STATUS, type Transport, type Unsubscribe } from "./transport";
import type { Catalog, Command, GraphDoc, KernelEvent, RunStatus } from "./types";

/** The part of anywidget's model interface the editor uses. */
export interface WidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: (...args: never[]) => void): void;
  off(event: string, cb: (...args: never[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export class WidgetTransport implements Transport {
  private stopResync: () => void;
  /** this view's name in `write` commands: a `resync` is answered by the view it is for */
  readonly client = Math.random().toString(36).slice(2);
  constructor(private model: WidgetModel) {
    // the kernel could not apply a patch to its document: send the document whole
    this.stopResync = this.onEvent((ev) => {
      if (ev.event === "resync" && (!ev.client || ev.client === this.client)) {
        this.model.send({ cmd: "write", doc: this.readGraph(), base: this.base(), client: this.client });
      }
    });
  }
  private base() { return Number(this.model.get("doc_rev") ?? 0); }
  dispose() { this.stopResync(); }

  private watch<T>(trait: string, cb: (v: T) => void): Unsubscribe {
    const h = () => cb(this.model.get(trait) as T);
    this.model.on(`change:${trait}`, h);
    return () => this.model.off(`change:${trait}`, h);
  }

  readGraph() { return this.model.get("doc") as GraphDoc; }
  /** Edits go as a custom message, sent at once: a patch of the nodes that changed (see
   * patch.ts), or the whole document when most of it changed, naming the kernel revision
   * it was made on. A traitlet write would go out only after React has drawn the edit
   * (ipywidgets sends from a promise chain), and whole. The model's own `doc` is updated
   * too (new views start from it) but never saved: the kernel updates its copy from the
   * message, and nothing here calls save_changes. */
  writeGraph(doc: GraphDoc) {
    const patch = docPatch(this.readGraph(), doc);
    const at = { base: this.base(), client: this.client };
    this.model.send(patch ? { cmd: "write", patch, ...at } : { cmd: "write", doc, ...at });
    this.model.set("doc", doc);
  }
  onGraph(cb: (d: GraphDoc) => void) { return this.watch("doc", cb); }
  readCatalog() { return this.model.get("catalog") as Catalog; }
  onCatalog(cb: (c: Catalog) => void) { return this.watch("catalog", cb); }
  readStatus() { return { ...EMPTY_STATUS, ...(this.model.get("status") as RunStatus) }; }
  onStatus(cb: (s: RunStatus) => void) { return this.watch<RunStatus>("status", (s) => cb({ ...EMPTY_STATUS, ...s })); }
  send(cmd: Command) { this.model.send(cmd); }
  onEvent(cb: (ev: KernelEvent, buffers: DataView[]) => void) {
    const h = (msg: KernelEvent, buffers: DataView[]) => { if (msg && typeof msg === "object" && "event" in msg) cb(msg, buffers ?? []); };
    this.model.on("msg:custom", h as never);
    return () => this.model.off("msg:custom", h as never);
  }
}

function render({ model, el }: { model: WidgetModel; el: HTMLElement }) {
  const root = createRoot(el);
  const transport = new WidgetTransport(model);
  root.render(<Editor transport={transport} height={String(model.get("height") ?? "600px")} />);
  return () => { root.unmount(); transport.dispose(); };
}

export default { render };
