// The anywidget host: implements the Transport over the widget model of
// kernel_lib/diffwire/widget/editor.py (traitlets `doc`, `catalog`, `status`, `height`;
// commands and events as custom messages).
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { Editor } from "./components/Editor";
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
  constructor(private model: WidgetModel) {}

  private watch<T>(trait: string, cb: (v: T) => void): Unsubscribe {
    const h = () => cb(this.model.get(trait) as T);
    this.model.on(`change:${trait}`, h);
    return () => this.model.off(`change:${trait}`, h);
  }

  readGraph() { return this.model.get("doc") as GraphDoc; }
  writeGraph(doc: GraphDoc) {
    this.model.set("doc", doc);
    this.model.save_changes();
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
  // Ask for a first analysis: the view may open long after the model was created.
  transport.send({ cmd: "validate" });
  return () => root.unmount();
}

export default { render };
