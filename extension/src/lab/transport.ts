// The document host's Transport: the graph lives in the document's file model (the source
// of truth for the file's text: dirty flag, save, revert, autosave are JupyterLab's); the
// kernel side is an ordinary diffwire Editor model reached through the comm target
// `diffwire.document` (kernel_lib/diffwire/widget/comm.py), in the ipywidgets message shape.
// Edits go to the kernel exactly as the notebook widget sends them (anywidget.tsx): a
// `write` command with a patch or the whole document, on the kernel's revision.
import type { DocumentRegistry } from "@jupyterlab/docregistry";
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { Signal, type ISignal } from "@lumino/signaling";
import { EMPTY_STATUS, type Transport, type Unsubscribe } from "../transport";
import { docPatch } from "../patch";
import type { Catalog, Command, GraphDoc, KernelEvent, RunStatus } from "../types";
import { docToText, parseDoc } from "./text";

export const COMM_TARGET = "diffwire.document";
const REGISTER = "import diffwire.widget.comm as _dw_comm\n_dw_comm.register()\ndel _dw_comm";
const EMPTY_CATALOG: Catalog = { blocks: [], kinds: {} };

/** What the kernel side is told when the comm opens (see comm.py). */
export interface KernelSettings {
  plotRefreshHz: number;
  checkpointEvery: number | null;
  device: string | null;
  threads: number | null;  // torch threads of the next run; null: chosen per run
}

type Listener<T> = Set<(v: T) => void>;

class NotImportable extends Error {}

function emit<T>(set: Listener<T>, v: T): void {
  for (const cb of [...set]) {
    try { cb(v); } catch (e) { console.error("diffwire:", e); }
  }
}

export type Connection = "no-kernel" | "connecting" | "connected" | "failed";

export class LabTransport implements Transport {
  private doc: GraphDoc = { nodes: [], edges: [] };
  /** the document the kernel holds (patches are made against it) and its revision */
  private kernelDoc: GraphDoc | null = null;
  private rev = 0;
  /** this view's name in `write` commands: a `resync` is answered by the view it is for */
  readonly client = Math.random().toString(36).slice(2);
  private text = "";
  private catalog: Catalog = EMPTY_CATALOG;
  private status: RunStatus = { ...EMPTY_STATUS, message: "starting a kernel" };
  private comm: Kernel.IComm | null = null;
  /** whether the comm's kernel side has said hello (state sent before it is not applied) */
  private greeted = false;
  private kernel: Kernel.IKernelConnection | null = null;
  private connecting: Promise<void> | null = null;
  private needReconnect = false;
  /** Bumped on every (re)connection attempt and restart: stale attempts give up. */
  private generation = 0;
  private graphCbs: Listener<GraphDoc> = new Set();
  private catalogCbs: Listener<Catalog> = new Set();
  private statusCbs: Listener<RunStatus> = new Set();
  private eventCbs = new Set<(ev: KernelEvent, b: DataView[]) => void>();
  private _connection: Connection = "no-kernel";
  private _connectionChanged = new Signal<this, Connection>(this);
  private _disposed = false;
  settings: KernelSettings = { plotRefreshHz: 5, checkpointEvery: null, device: null, threads: null };

  constructor(private context: DocumentRegistry.Context) {
    context.model.contentChanged.connect(this.onModelChanged, this);
    void context.ready.then(() => {
      if (this._disposed) return;
      this.adoptText(context.model.toString(), false);
      const sc = context.sessionContext;
      sc.kernelChanged.connect(this.onKernelChanged, this);
      this.onKernelChanged();
    });
  }

  get connection(): Connection { return this._connection; }
  get connectionChanged(): ISignal<this, Connection> { return this._connectionChanged; }

  // -- Transport -----------------------------------------------------------------------

  readGraph() { return this.doc; }

  writeGraph(doc: GraphDoc) {
    this.doc = doc;
    this.setModelText(docToText(doc));
    if (!this.comm) return; // the comm opens with the file model's text
    const patch = docPatch(this.kernelDoc, doc);
    const at = { base: this.rev, client: this.client };
    this.sendRaw({ method: "custom", content: patch ? { cmd: "write", patch, ...at } : { cmd: "write", doc, ...at } });
    this.kernelDoc = doc;
  }

  onGraph(cb: (d: GraphDoc) => void): Unsubscribe { this.graphCbs.add(cb); return () => { this.graphCbs.delete(cb); }; }
  readCatalog() { return this.catalog; }
  onCatalog(cb: (c: Catalog) => void): Unsubscribe { this.catalogCbs.add(cb); return () => { this.catalogCbs.delete(cb); }; }
  readStatus() { return this.status; }
  onStatus(cb: (s: RunStatus) => void): Unsubscribe { this.statusCbs.add(cb); return () => { this.statusCbs.delete(cb); }; }

  send(cmd: Command) {
    if (!this.comm) {
      // the editor asks for a first analysis as it opens; the kernel's hello brings one
      if (cmd.cmd === "validate") return;
      this.emitEvent({ event: "error", message: `no kernel connection (${this._connection}): ${cmd.cmd} was not sent` }, []);
      return;
    }
    this.sendRaw({ method: "custom", content: cmd });
  }

  onEvent(cb: (ev: KernelEvent, buffers: DataView[]) => void): Unsubscribe {
    this.eventCbs.add(cb);
    return () => { this.eventCbs.delete(cb); };
  }

  /** Resolve with the next event that `pick` accepts, or reject after `ms`. */
  nextEvent<T extends KernelEvent>(pick: (ev: KernelEvent) => ev is T, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => { off(); reject(new Error(`no answer from the kernel in ${ms / 1000} s`)); }, ms);
      const off = this.onEvent((ev) => { if (pick(ev)) { window.clearTimeout(timer); off(); resolve(ev); } });
    });
  }

  /** Push new settings to the kernel side (applied to the next run). */
  updateSettings(s: KernelSettings) {
    this.settings = s;
    if (this.comm) this.sendRaw({ method: "custom", content: { cmd: "settings", settings: s } });
  }

  dispose() {
    this._disposed = true;
    Signal.clearData(this);
    this.dropComm(true);
  }

  // -- the file model ------------------------------------------------------------------

  /** An edit of the document: new text in the file model, which is then dirty (unsaved). */
  private setModelText(text: string) {
    this.text = text;
    const model = this.context.model;
    if (model.toString() === text) return;
    model.fromString(text);
    model.dirty = true;
  }

  private onModelChanged() {
    const text = this.context.model.toString();
    if (text === this.text) return; // our own write
    this.adoptText(text, true);
  }

  /** The model's text changed from outside the canvas (load, revert, another editor). */
  private adoptText(text: string, tellKernel: boolean) {
    this.text = text;
    const parsed = parseDoc(text);
    if (!parsed.ok) {
      this.emitEvent({ event: "error", message: parsed.error }, []);
      return;
    }
    this.doc = parsed.doc;
    emit(this.graphCbs, this.doc);
    if (tellKernel && this.comm) {
      this.sendRaw({ method: "custom", content: { cmd: "reload", text } });
      this.kernelDoc = this.doc;
    }
  }

  // -- the kernel ----------------------------------------------------------------------

  private setConnection(c: Connection, message?: string) {
    this._connection = c;
    if (message !== undefined) {
      this.status = { ...this.status, message };
      emit(this.statusCbs, this.status);
    }
    this._connectionChanged.emit(c);
  }

  private onKernelChanged() {
    const kernel = this.context.sessionContext.session?.kernel ?? null;
    if (kernel === this.kernel) return;
    if (this.kernel) {
      this.kernel.statusChanged.disconnect(this.onKernelStatus, this);
      this.kernel.connectionStatusChanged.disconnect(this.onKernelConnection, this);
    }
    this.dropComm(false);
    this.kernel = kernel;
    if (!kernel) {
      this.setConnection("no-kernel", "no kernel: pick one in the toolbar");
      return;
    }
    kernel.statusChanged.connect(this.onKernelStatus, this);
    kernel.connectionStatusChanged.connect(this.onKernelConnection, this);
    void this.connect();
  }

  private onKernelStatus(_k: Kernel.IKernelConnection, s: Kernel.Status) {
    if (s === "restarting" || s === "autorestarting" || s === "dead") {
      this.dropComm(false);
      this.generation++;
      this.connecting = null;
      this.needReconnect = s !== "dead";
      this.setConnection("connecting", "kernel restarting");
    } else if ((s === "starting" || s === "idle" || s === "busy") && this.needReconnect && !this.connecting) {
      // After a restart the kernel reports "starting" and may stay silent until asked:
      // the registration below is queued until its socket is back.
      this.needReconnect = false;
      void this.connect();
    }
  }

  private onKernelConnection(_k: Kernel.IKernelConnection, s: Kernel.ConnectionStatus) {
    if (s === "connected" && this.needReconnect && !this.connecting) {
      this.needReconnect = false;
      void this.connect();
    }
  }

  /** Register the comm target in the kernel and open the document's comm. */
  connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    const kernel = this.kernel;
    if (!kernel) return Promise.resolve();
    this.setConnection("connecting", "connecting to the kernel");
    const gen = ++this.generation;
    this.connecting = (async () => {
      try {
        let timer = 0;
        const timeout = new Promise<never>((_, reject) => {
          timer = window.setTimeout(() => reject(new Error("the kernel did not answer in 120 s")), 120_000);
        });
        const reply = await Promise.race([
          kernel.requestExecute({ code: REGISTER, silent: true, store_history: false }).done, timeout,
        ]).finally(() => window.clearTimeout(timer));
        if (kernel !== this.kernel || gen !== this.generation) return;
        if (reply.content.status !== "ok") {
          const c = reply.content as KernelMessage.IReplyErrorContent;
          throw new NotImportable(`diffwire is not importable in this kernel (${c.ename}: ${c.evalue}); pick a kernel whose environment has diffwire`);
        }
        const comm = kernel.createComm(COMM_TARGET);
        comm.onMsg = (msg) => this.onCommMsg(comm, msg);
        comm.onClose = () => { if (this.comm === comm) { this.comm = null; this.setConnection("no-kernel", "the kernel closed the editor's connection"); } };
        this.comm = comm;
        this.greeted = false;
        // a new kernel-side document, made from the text sent below at revision 0: edits
        // made before its hello are patches on that (not on a previous kernel's document,
        // whose revision the new one would drop the write for)
        this.kernelDoc = this.doc;
        this.rev = 0;
        // Connected once the kernel side says hello (onCommMsg); after a restart the open's
        // own future may never settle, so it is not awaited.
        comm.open({ text: this.context.model.toString(), path: this.context.path, settings: this.settings as unknown as never });
      } catch (e) {
        if (gen !== this.generation) return;
        this.comm = null;
        // a slow or lost kernel: try again on its next sign of life (not when diffwire is missing)
        this.needReconnect = !(e instanceof NotImportable);
        this.setConnection("failed", String((e as Error).message ?? e));
      } finally {
        if (gen === this.generation) this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private dropComm(close: boolean) {
    const comm = this.comm;
    this.comm = null;
    if (comm && close && !comm.isDisposed) {
      try { comm.close(); } catch { /* the kernel is gone */ }
    }
  }

  private sendRaw(data: Record<string, unknown>) {
    if (!this.comm || this.comm.isDisposed) return;
    this.comm.send(data as never);
  }

  private onCommMsg(comm: Kernel.IComm, msg: KernelMessage.ICommMsgMsg) {
    if (comm !== this.comm) return;
    const data = msg.content.data as Record<string, unknown>;
    const method = data.method;
    if (method === "hello") {
      this.greeted = true;
      this.kernelDoc = this.doc; // the kernel read the text the comm was opened with
      this.applyState({ ...(data.state ?? {}) as Record<string, unknown>, doc: undefined });
      this.setConnection("connected", "");
    } else if (method === "update") {
      // The kernel's Editor announces each of its traits as it is built on this comm, before
      // hello (which carries them again). Not applied: its `doc` is the text the comm was
      // opened with, so taking it would undo an edit made since, and its catalog made the
      // panels ask the kernel everything twice (a second answer reset a field being typed).
      if (!this.greeted) return;
      this.applyState((data.state ?? {}) as Record<string, unknown>);
    } else if (method === "custom") {
      const ev = data.content as KernelEvent & { client?: string };
      if (ev.event === "resync" && (!ev.client || ev.client === this.client)) {
        // the kernel could not apply a patch to its document: send the document whole
        this.sendRaw({ method: "custom", content: { cmd: "write", doc: this.doc, base: this.rev, client: this.client } });
        this.kernelDoc = this.doc;
      }
      const buffers = (msg.buffers ?? []).map((b) => (b instanceof DataView ? b : new DataView(b instanceof ArrayBuffer ? b : (b as ArrayBufferView).buffer)));
      this.emitEvent(data.content as KernelEvent, buffers);
    }
    // "echo_update" repeats what we sent: nothing to do
  }

  private applyState(state: Record<string, unknown>) {
    if (typeof state.doc_rev === "number") this.rev = state.doc_rev;
    if (state.catalog) {
      this.catalog = state.catalog as Catalog;
      emit(this.catalogCbs, this.catalog);
    }
    if (state.status) {
      this.status = { ...EMPTY_STATUS, ...(state.status as RunStatus) };
      emit(this.statusCbs, this.status);
    }
    if (state.doc) {
      // The kernel changed the document (starter bodies filled in, Python-side edits):
      // it becomes an edit of the file model like any canvas edit.
      const doc = state.doc as GraphDoc;
      this.kernelDoc = doc;
      const text = docToText(doc);
      if (text !== docToText(this.doc)) {
        this.doc = doc;
        this.setModelText(text);
        emit(this.graphCbs, doc);
      }
    }
  }

  private emitEvent(ev: KernelEvent, buffers: DataView[]) {
    for (const cb of [...this.eventCbs]) {
      try { cb(ev, buffers); } catch (e) { console.error("diffwire:", e); }
    }
  }
}
