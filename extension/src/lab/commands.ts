// The commands of the .diffwire document: what the palette, the tab's toolbar, the menus
// and the file browser's context menu call. Each acts on the current diffwire tab.
import type { JupyterFrontEnd } from "@jupyterlab/application";
import { showErrorMessage } from "@jupyterlab/apputils";
import { PathExt } from "@jupyterlab/coreutils";
import type { IFileBrowserFactory } from "@jupyterlab/filebrowser";
import type { WidgetTracker } from "@jupyterlab/apputils";
import type { Contents } from "@jupyterlab/services";
import type { ReadonlyPartialJSONObject } from "@lumino/coreutils";
import type { KernelEvent } from "../types";
import { FACTORY, type DiffwireDocument } from "./document";
import { diffwireIcon } from "./icon";
import { notebookFor, STARTER_TEXT } from "./starter";

export const CommandIDs = {
  create: "diffwire:new",
  train: "diffwire:train",
  pause: "diffwire:pause",
  stop: "diffwire:stop",
  validate: "diffwire:validate",
  layout: "diffwire:auto-layout",
  exportPython: "diffwire:export-python",
  openNotebook: "diffwire:open-in-notebook",
  trainTerminal: "diffwire:train-in-terminal",
  closeAndShutdown: "diffwire:close-and-shutdown",
} as const;

/** The commands shown on the tab's toolbar, in order. Train, Pause and Stop are not among
 * them: the editor's live panel is the one place for the training controls (they stay
 * commands, for the palette, menus and keys). */
export const TOOLBAR = [
  CommandIDs.validate, CommandIDs.layout, CommandIDs.exportPython, CommandIDs.openNotebook,
] as const;

/** A file name beside `path` that does not exist yet: stem.ext, stem-1.ext, ... */
async function freeName(contents: Contents.IManager, dir: string, stem: string, ext: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const p = PathExt.join(dir, i ? `${stem}-${i}${ext}` : `${stem}${ext}`);
    try { await contents.get(p, { content: false }); } catch { return p; }
  }
  throw new Error(`no free name for ${stem}${ext} in ${dir || "/"}`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function addCommands(
  app: JupyterFrontEnd,
  tracker: WidgetTracker<DiffwireDocument>,
  browsers: IFileBrowserFactory | null,
): void {
  const { commands, serviceManager } = app;
  const contents = serviceManager.contents;
  const current = () => tracker.currentWidget;
  const hasDoc = () => current() !== null;
  const open = (path: string, factory?: string) => commands.execute("docmanager:open", factory ? { path, factory } : { path });

  /** The target file, saved first when it is open in the current tab with unsaved edits. */
  const savedTarget = async (args: ReadonlyPartialJSONObject): Promise<string | null> => {
    const file = targetFile(args);
    const doc = current();
    if (file && doc && doc.context.path === file && doc.context.model.dirty) await doc.context.save();
    return file;
  };
  /** A command's enabling and running for one that acts on its target file (saved first),
   * given the file and its folder. */
  const onTargetFile = (run: (file: string, dir: string) => Promise<unknown>) => ({
    isEnabled: (args: ReadonlyPartialJSONObject) => targetFile(args) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const file = await savedTarget(args);
      if (!file) return;
      return run(file, PathExt.dirname(file));
    },
  });
  /** The .diffwire file a command is about: the selected file in the browser, else the current tab. */
  const targetFile = (args: ReadonlyPartialJSONObject): string | null => {
    if (typeof args.path === "string") return args.path;
    if (args.origin === "browser") {
      const item = browsers?.tracker.currentWidget?.selectedItems().next();
      const model = item && !item.done ? item.value : undefined;
      return model && model.path.endsWith(".diffwire") ? model.path : null;
    }
    return current()?.context.path ?? null;
  };

  commands.addCommand(CommandIDs.create, {
    label: (args) => (args.isPalette ? "New Differentiable Program" : "Differentiable Program"),
    caption: "Create a .diffwire program (Input -> MLP -> Output) and open it",
    icon: (args) => (args.isPalette ? undefined : diffwireIcon),
    execute: async (args) => {
      const dir = typeof args.cwd === "string" ? args.cwd : (browsers?.tracker.currentWidget?.model.path ?? "");
      const model = await contents.newUntitled({ path: dir, type: "file", ext: ".diffwire" });
      await contents.save(model.path, { type: "file", format: "text", content: STARTER_TEXT });
      return open(model.path, FACTORY);
    },
  });

  const send = (cmd: "train" | "pause" | "resume" | "stop" | "validate") => () => current()?.transport.send({ cmd });
  commands.addCommand(CommandIDs.train, {
    label: "Train", caption: "Train the program in the kernel (uses its training section)",
    isEnabled: hasDoc, execute: send("train"),
  });
  commands.addCommand(CommandIDs.pause, {
    label: () => (current()?.transport.readStatus().state === "paused" ? "Resume" : "Pause"),
    caption: "Pause or resume the training run",
    isEnabled: hasDoc,
    execute: () => {
      const t = current()?.transport;
      if (t) t.send({ cmd: t.readStatus().state === "paused" ? "resume" : "pause" });
    },
  });
  commands.addCommand(CommandIDs.stop, { label: "Stop", caption: "Stop the training run", isEnabled: hasDoc, execute: send("stop") });
  commands.addCommand(CommandIDs.validate, { label: "Validate", caption: "Check the graph in the kernel", isEnabled: hasDoc, execute: send("validate") });
  commands.addCommand(CommandIDs.layout, {
    label: "Auto-layout", caption: "Lay the graph out left to right (one undo step)", isEnabled: hasDoc,
    execute: () => { current()?.content.press("Auto-layout"); },
  });

  commands.addCommand(CommandIDs.exportPython, {
    label: "Export to Python", caption: "Write NAME.py (plain PyTorch) beside the file and open it",
    isEnabled: hasDoc,
    execute: async () => {
      const doc = current();
      if (!doc) return;
      const answer = doc.transport.nextEvent(
        (ev): ev is Extract<KernelEvent, { event: "export" | "error" }> => ev.event === "export" || ev.event === "error", 120_000);
      doc.transport.send({ cmd: "export" });
      try {
        const ev = await answer;
        if (ev.event === "error") throw new Error(ev.message);
        // The tab's export handler (index.ts) writes and opens the file.
      } catch (e) {
        await showErrorMessage("Export to Python", (e as Error).message);
      }
    },
  });

  commands.addCommand(CommandIDs.closeAndShutdown, {
    label: "Close and Shut Down Kernel",
    caption: "Close this document and shut its kernel down (asks while a run is going)",
    isEnabled: hasDoc,
    execute: () => current()?.closeAndShutdown(),
  });

  commands.addCommand(CommandIDs.openNotebook, {
    label: "Open in a Notebook", caption: "Create a notebook that loads this file in dw.Editor",
    ...onTargetFile(async (file, dir) => {
      const nbPath = await freeName(contents, dir, PathExt.basename(file, ".diffwire"), ".ipynb");
      await contents.save(nbPath, { type: "notebook", format: "json", content: notebookFor(PathExt.basename(file)) });
      return open(nbPath);
    }),
  });

  commands.addCommand(CommandIDs.trainTerminal, {
    label: "Train in Terminal", caption: "Open a terminal running `diffwire train FILE`",
    ...onTargetFile(async (file, dir) => {
      const name = shellQuote(PathExt.basename(file));
      const line = `cd ${shellQuote(dir || ".")} && if command -v diffwire >/dev/null; then diffwire train ${name}; else python -m diffwire.cli train ${name}; fi\r`;
      const term = (await commands.execute("terminal:create-new")) as { content?: { session?: TermSession } } | undefined;
      const session = term?.content?.session;
      if (!session) throw new Error("could not open a terminal (are terminals enabled on this server?)");
      await whenConnected(session);
      session.send({ type: "stdin", content: [line] });
    }),
  });

}

interface TermSession {
  connectionStatus: string;
  connectionStatusChanged: { connect(fn: (s: unknown, st: string) => void): boolean; disconnect(fn: (s: unknown, st: string) => void): boolean };
  send(msg: { type: "stdin"; content: string[] }): void;
}

function whenConnected(s: TermSession, ms = 20_000): Promise<void> {
  if (s.connectionStatus === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => { s.connectionStatusChanged.disconnect(on); reject(new Error("the terminal did not connect")); }, ms);
    const on = (_: unknown, st: string) => {
      if (st === "connected") { window.clearTimeout(timer); s.connectionStatusChanged.disconnect(on); resolve(); }
    };
    s.connectionStatusChanged.connect(on);
  });
}
