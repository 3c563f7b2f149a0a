// The .diffwire document: a DocumentWidget whose content is the editor view, its factory,
// and the check for changes made to the file on disk while the tab is open.
import { Dialog, showDialog } from "@jupyterlab/apputils";
import { ABCWidgetFactory, DocumentWidget, type DocumentRegistry } from "@jupyterlab/docregistry";
import type { Contents } from "@jupyterlab/services";
import { EditorView } from "./view";
import { LabTransport } from "./transport";

export const FACTORY = "Differentiable Program";
export const FILE_TYPE = "diffwire";

export class DiffwireDocument extends DocumentWidget<EditorView, DocumentRegistry.IModel> {
  readonly transport: LabTransport;
  private poll = 0;
  private savingSince = 0;
  private prompting = false;
  private ignoredMtime: string | null = null;

  constructor(
    options: DocumentWidget.IOptions<EditorView, DocumentRegistry.IModel>,
    private contents: Contents.IManager,
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

  private get saving(): boolean {
    return this.savingSince > 0 && Date.now() - this.savingSince < 10_000;
  }

  dispose(): void {
    if (this.isDisposed) return;
    window.clearInterval(this.poll);
    this.transport.dispose();
    super.dispose();
  }
}

export class DiffwireFactory extends ABCWidgetFactory<DiffwireDocument, DocumentRegistry.IModel> {
  /** The server's contents, for the on-disk check (set by the plugin). */
  contents: Contents.IManager | null = null;

  protected createNewWidget(context: DocumentRegistry.Context): DiffwireDocument {
    if (!this.contents) throw new Error("DiffwireFactory.contents is not set");
    const transport = new LabTransport(context);
    const content = new EditorView(transport);
    return new DiffwireDocument({ context, content }, this.contents);
  }
}
