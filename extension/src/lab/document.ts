// The .diffwire document: a DocumentWidget whose content is the editor view, its factory,
// and the check for changes made to the file on disk while the tab is open.
import { Dialog, showDialog } from "@jupyterlab/apputils";
import { ABCWidgetFactory, DocumentWidget, type DocumentRegistry } from "@jupyterlab/docregistry";
import type { Contents, Session } from "@jupyterlab/services";
import { type IMessageHandler, type Message, MessageLoop } from "@lumino/messaging";
import { EditorView } from "./view";
import { LabTransport } from "./transport";

export const FACTORY = "Differentiable Program";

/** What closing the last tab of a document does to its kernel (the `kernelOnClose` setting). */
export type KernelOnClose = "shutdown" | "keep";

/** Run states in which the kernel holds a run that shutting it down would end. */
const LIVE_RUN = new Set(["starting", "running", "paused"]);
export const FILE_TYPE = "diffwire";

export class DiffwireDocument extends DocumentWidget<EditorView, DocumentRegistry.IModel> {
  readonly transport: LabTransport;
  private poll = 0;
  private savingSince = 0;
  private prompting = false;
  private ignoredMtime: string | null = null;
  /** The `kernelOnClose` setting (index.ts keeps it current). */
  kernelOnClose: KernelOnClose = "shutdown";
  /** Whether this is the only open tab of its file (index.ts answers from its tracker). */
  isLastView: () => boolean = () => true;
  // The close decision is made before the tab closes (a run may be going: ask), once.
  private closeAnswered = false;
  private shutdownAtDispose = false;
  private hooked = false;

  constructor(
    options: DocumentWidget.IOptions<EditorView, DocumentRegistry.IModel>,
    private contents: Contents.IManager,
    private sessions: Session.IManager,
  ) {
    super(options);
    this.transport = options.content.transport;
    this.addClass("dw-lab-document");
    // a save cancelled at JupyterLab's "File Changed" question reports no end: hence the clock
    this.context.saveState.connect((_c, s) => { this.savingSince = s === "started" ? Date.now() : 0; });
  }

  /** Check the file on disk every `seconds` (0: never) and offer a reload when it changed. */
  watchDisk(seconds: number): void {
    window.clearInterval(this.poll);
    this.poll = 0;
    if (seconds > 0) this.poll = window.setInterval(() => void this.checkDisk(), seconds * 1000);
  }

  /** Compare the file's last_modified with the one this tab loaded or saved. */
  async checkDisk(): Promise<boolean> {
    const ctx = this.context;
    if (!ctx.isReady || this.saving || this.prompting || this.isDisposed) return false;
    if (document.querySelector(".jp-Dialog")) return false; // one question at a time
    const known = ctx.contentsModel?.last_modified;
    let disk: Contents.IModel;
    try {
      disk = await this.contents.get(ctx.path, { content: false });
    } catch {
      return false; // renamed or deleted: JupyterLab's own handling applies
    }
    if (!known || !disk.last_modified || this.saving) return false;
    if (new Date(disk.last_modified).getTime() <= new Date(known).getTime()) return false;
    if (disk.last_modified === this.ignoredMtime) return false;
    this.prompting = true;
    try {
      const dirty = ctx.model.dirty;
      const res = await showDialog({
        title: "File changed on disk",
        body: `"${ctx.localPath}" was changed on disk since this tab loaded it.` +
          (dirty ? " Reloading discards the unsaved changes in this tab." : " Reload it?"),
        buttons: [Dialog.cancelButton({ label: "Keep this version" }), Dialog.warnButton({ label: "Reload" })],
      });
      if (res.button.accept) {
        await ctx.revert();
        ctx.model.dirty = false; // the tab now holds exactly what is on disk
      } else {
        // Asked once per change; saving over it still goes through JupyterLab's overwrite check.
        this.ignoredMtime = disk.last_modified;
      }
    } finally {
      this.prompting = false;
    }
    return true;
  }

  /** Whether the kernel is running, pausing or starting a training run. */
  get runGoing(): boolean {
    return LIVE_RUN.has(this.transport.readStatus().state);
  }

  /** File > Close and Shut Down: close the tab and shut its kernel down (asks while a run is going). */
  async closeAndShutdown(): Promise<void> {
    if (this.runGoing) {
      const res = await showDialog({
        title: "Stop the run and shut the kernel down?",
        body: "A training run is going in this document's kernel. Shutting the kernel down ends it.",
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: "Shut Down" })],
      });
      if (!res.button.accept) return;
    }
    await this.shutdownThenClose();
  }

  /**
   * Shut the kernel down, then close. The session goes first so that reopening the file at
   * once finds no dying session to attach to; with unsaved changes JupyterLab asks about them
   * first and the kernel goes when the tab is disposed (a cancelled close keeps both).
   */
  private async shutdownThenClose(): Promise<void> {
    const id = this.context.sessionContext.session?.id;
    if (this.context.model.dirty) this.shutdownAtDispose = true;
    else if (id) await this.sessions.shutdown(id).catch((e) => console.warn("diffwire: kernel shutdown", e));
    this.closeAnswered = true;
    this.close();
  }

  // JupyterLab's document manager takes every close request in a message hook of its own (to
  // ask about unsaved changes); a hook installed later runs first, so this one sits in front.
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.hooked) return;
    this.hooked = true;
    MessageLoop.installMessageHook(this, (_h: IMessageHandler, m: Message) => this.beforeClose(m));
  }

  /** Closing the last tab: shut the kernel down (the default), asking first while a run is
   * going; false holds the close until that is done. */
  private beforeClose(msg: Message): boolean {
    if (msg.type !== "close-request" || this.closeAnswered) return true;
    if (this.kernelOnClose === "keep" || !this.isLastView()) return true;
    if (!this.runGoing) {
      void this.shutdownThenClose();
      return false;
    }
    void showDialog({
      title: "A run is going",
      body: "This is the last tab of the document and its kernel is training. Shut the kernel down (ends the run) or keep it running?",
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: "Keep Running" }), Dialog.warnButton({ label: "Shut Down" })],
    }).then((res) => {
      if (!res.button.accept) return;
      if (res.button.label === "Shut Down") return this.shutdownThenClose();
      this.closeAnswered = true;
      this.close();
    });
    return false;
  }

  private get saving(): boolean {
    return this.savingSince > 0 && Date.now() - this.savingSince < 10_000;
  }

  dispose(): void {
    if (this.isDisposed) return;
    window.clearInterval(this.poll);
    // by the session id, through the server's session manager: the context's own session
    // object is being disposed with this tab
    const id = this.shutdownAtDispose ? this.context.sessionContext.session?.id : undefined;
    this.transport.dispose();
    super.dispose();
    if (id) void this.sessions.shutdown(id).catch((e) => console.warn("diffwire: kernel shutdown", e));
  }
}

export class DiffwireFactory extends ABCWidgetFactory<DiffwireDocument, DocumentRegistry.IModel> {
  /** The server's contents, for the on-disk check (set by the plugin). */
  contents: Contents.IManager | null = null;
  /** The server's sessions, to shut a closed document's kernel down (set by the plugin). */
  sessions: Session.IManager | null = null;

  protected createNewWidget(context: DocumentRegistry.Context): DiffwireDocument {
    if (!this.contents || !this.sessions) throw new Error("DiffwireFactory.contents and .sessions must be set");
    const transport = new LabTransport(context);
    const content = new EditorView(transport);
    return new DiffwireDocument({ context, content }, this.contents, this.sessions);
  }
}
