// The JupyterLab plugin: wires the .diffwire file type, its document factory, commands,
// launcher card, menus, settings and context menu. State lives in the document
// (document.ts) and its transport (transport.ts); this file only connects things.
import {
  ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin,
} from "@jupyterlab/application";
import {
  ICommandPalette, ISessionContextDialogs, SessionContextDialogs, Toolbar, WidgetTracker,
} from "@jupyterlab/apputils";
import { PathExt } from "@jupyterlab/coreutils";
import { IFileBrowserFactory } from "@jupyterlab/filebrowser";
import { ILauncher } from "@jupyterlab/launcher";
import { IMainMenu } from "@jupyterlab/mainmenu";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { CommandToolbarButton } from "@jupyterlab/ui-components";
import { addCommands, CommandIDs, TOOLBAR } from "./commands";
import { DiffwireDocument, DiffwireFactory, FACTORY, FILE_TYPE, type KernelOnClose } from "./document";
import { diffwireIcon } from "./icon";
import type { KernelSettings } from "./transport";
import type { ThemeOverride } from "./view";

export const PLUGIN_ID = "diffwire-editor:plugin";

interface Settings {
  plotRefreshHz: number;
  autosaveCheckpoints: boolean;
  checkpointEvery: number;
  defaultDevice: string;
  trainingThreads: number;
  theme: ThemeOverride;
  diskCheckSeconds: number;
  kernelOnClose: KernelOnClose;
}

const DEFAULTS: Settings = {
  plotRefreshHz: 5, autosaveCheckpoints: false, checkpointEvery: 500, defaultDevice: "auto",
  trainingThreads: 0, theme: "auto", diskCheckSeconds: 2, kernelOnClose: "shutdown",
};

function kernelSettings(s: Settings): KernelSettings {
  return {
    plotRefreshHz: s.plotRefreshHz,
    checkpointEvery: s.autosaveCheckpoints ? s.checkpointEvery : null,
    device: s.defaultDevice === "auto" ? null : s.defaultDevice,
    threads: s.trainingThreads > 0 ? s.trainingThreads : null,
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Differentiable Program documents (.diffwire): the diffwire graph editor in a main-area tab.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ILauncher, IMainMenu, ISettingRegistry, IFileBrowserFactory, ISessionContextDialogs],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    registry: ISettingRegistry | null,
    browsers: IFileBrowserFactory | null,
    dialogs: ISessionContextDialogs | null,
  ) => {
    const { commands, docRegistry } = app;
    const sessionDialogs = dialogs ?? new SessionContextDialogs();
    let settings: Settings = { ...DEFAULTS };

    docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: "Differentiable Program",
      extensions: [".diffwire"],
      mimeTypes: ["application/x-diffwire+json"],
      fileFormat: "text",
      contentType: "file",
      icon: diffwireIcon,
    });

    const factory = new DiffwireFactory({
      name: FACTORY,
      label: "Differentiable Program",
      fileTypes: [FILE_TYPE],
      defaultFor: [FILE_TYPE],
      modelName: "text",
      preferKernel: true,
      canStartKernel: true,
      // a .diffwire file names no kernel: start the default one (the toolbar picker changes it)
      autoStartDefault: true,
      shutdownOnClose: false,
    });
    factory.contents = app.serviceManager.contents;
    factory.sessions = app.serviceManager.sessions;
    docRegistry.addWidgetFactory(factory);

    const tracker = new WidgetTracker<DiffwireDocument>({ namespace: "diffwire" });
    if (restorer) {
      void restorer.restore(tracker, {
        command: "docmanager:open",
        args: (w) => ({ path: w.context.path, factory: FACTORY }),
        name: (w) => w.context.path,
      });
    }

    addCommands(app, tracker, browsers);

    const apply = (doc: DiffwireDocument) => {
      doc.content.theme = settings.theme;
      doc.watchDisk(settings.diskCheckSeconds);
      doc.kernelOnClose = settings.kernelOnClose;
      doc.transport.updateSettings(kernelSettings(settings));
    };

    factory.widgetCreated.connect((_f, doc) => {
      doc.title.icon = diffwireIcon;
      doc.isLastView = () => tracker.filter((w) => w !== doc && w.context.path === doc.context.path).length === 0;
      doc.transport.settings = kernelSettings(settings);
      void tracker.add(doc);
      doc.context.pathChanged.connect(() => void tracker.save(doc));
      const tb = doc.toolbar;
      for (const id of TOOLBAR) {
        const name = id.replace("diffwire:", "");
        const button = new CommandToolbarButton({ commands, id, label: () => commands.label(id) });
        button.addClass(`dw-lab-${name}`);
        tb.addItem(name, button);
      }
      tb.addItem("spacer", Toolbar.createSpacerItem());
      tb.addItem("kernelName", Toolbar.createKernelNameItem(doc.context.sessionContext, sessionDialogs));
      tb.addItem("kernelStatus", Toolbar.createKernelStatusItem(doc.context.sessionContext));
      // The editor keeps JupyterLab's shortcuts away from the canvas (data-lm-suppress-shortcuts);
      // saving is the one a document needs, so the tab handles Ctrl/Cmd+S itself.
      doc.node.addEventListener("keydown", (ev) => {
        if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === "s") {
          ev.preventDefault();
          ev.stopPropagation();
          void commands.execute(ev.shiftKey ? "docmanager:save-as" : "docmanager:save");
        }
      }, true);
      // Pause reads "Resume" while the run is paused.
      doc.transport.onStatus(() => commands.notifyCommandChanged(CommandIDs.pause));
      // Exports from the command or the live panel's button: write NAME.py beside the file, open it.
      doc.transport.onEvent((ev) => {
        if (ev.event !== "export") return;
        const py = PathExt.join(PathExt.dirname(doc.context.path), `${PathExt.basename(doc.context.path, ".diffwire")}.py`);
        void app.serviceManager.contents
          .save(py, { type: "file", format: "text", content: ev.source })
          .then(() => commands.execute("docmanager:open", { path: py }))
          .catch((e) => console.error("diffwire: export", e));
      });
      apply(doc);
    });

    if (registry) {
      void registry.load(PLUGIN_ID).then((s) => {
        const read = () => {
          settings = { ...DEFAULTS, ...(s.composite as unknown as Partial<Settings>) };
          tracker.forEach(apply);
        };
        read();
        s.changed.connect(read);
      }).catch((e) => console.warn("diffwire: settings", e));
    }

    if (launcher) launcher.add({ command: CommandIDs.create, category: "Other", rank: 1 });
    if (mainMenu) {
      mainMenu.fileMenu.newMenu.addGroup([{ command: CommandIDs.create }], 30);
      // File > Close and Shut Down, for a .diffwire tab: its kernel goes with it
      mainMenu.fileMenu.closeAndCleaners.add({
        id: CommandIDs.closeAndShutdown,
        isEnabled: (w) => w instanceof DiffwireDocument && tracker.has(w),
      });
    }
    if (palette) {
      const category = "Differentiable Program";
      palette.addItem({ command: CommandIDs.create, category, args: { isPalette: true } });
      for (const command of TOOLBAR) palette.addItem({ command, category });
      palette.addItem({ command: CommandIDs.closeAndShutdown, category });
    }

    app.contextMenu.addItem({
      command: CommandIDs.trainTerminal, selector: '.jp-DirListing-item[data-file-type="diffwire"]', rank: 3,
      args: { origin: "browser" },
    });
    app.contextMenu.addItem({
      command: CommandIDs.openNotebook, selector: '.jp-DirListing-item[data-file-type="diffwire"]', rank: 3,
      args: { origin: "browser" },
    });

    tracker.currentChanged.connect(() => {
      for (const id of Object.values(CommandIDs)) commands.notifyCommandChanged(id);
    });
  },
};

export default plugin;
