// The React editor in a Lumino widget: the same <Editor> as the anywidget, on the
// document's LabTransport. React 19 is bundled with this extension (sharedPackages: false
// in package.json), so it never meets JupyterLab's own React.
import { Widget } from "@lumino/widgets";
import { createRoot, type Root } from "react-dom/client";
import { Editor } from "../components/Editor";
import type { LabTransport } from "./transport";

export type ThemeOverride = "auto" | "light" | "dark";

export class EditorView extends Widget {
  private root: Root | null = null;

  constructor(readonly transport: LabTransport) {
    super();
    this.addClass("dw-lab-view");
  }

  set theme(t: ThemeOverride) {
    if (t === "auto") delete this.node.dataset.dwTheme;
    else this.node.dataset.dwTheme = t;
  }

  /** Press one of the editor's own toolbar buttons (auto-layout lives in the React app). */
  press(titlePrefix: string): boolean {
    const b = this.node.querySelector<HTMLButtonElement>(`.dw-toolbar button[title^="${titlePrefix}"]`);
    if (!b || b.disabled) return false;
    b.click();
    return true;
  }

  protected onAfterAttach(): void {
    if (this.root) return;
    this.root = createRoot(this.node);
    this.root.render(<Editor transport={this.transport} height="100%" />);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.root?.unmount();
    this.root = null;
    super.dispose();
  }
}
