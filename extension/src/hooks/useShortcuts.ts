// The editor's keys. Keys typed in the editor are its own: JupyterLab (Lumino) is told to
// leave them alone, and React Flow's Backspace-delete is replaced by ours (one undo step).
import { useCallback } from "react";
import type { EditorActions } from "./useEditorActions";
import { isTextInput } from "./useFocus";

export interface Selection {
  nodes: string[];
  edges: () => string[];
  frames: string[];
}

export function useShortcuts(actions: EditorActions, selection: Selection) {
  const { nodes, edges, frames } = selection;
  return useCallback((e: React.KeyboardEvent) => {
    // Lumino tests the focused element first: mark it, as the root's attribute is not enough
    (e.target as HTMLElement).setAttribute?.("data-lm-suppress-shortcuts", "true");
    if (isTextInput(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const plain = !mod && !e.altKey;
    const k = e.key.toLowerCase();
    let done = true;
    if (mod && k === "z") (e.shiftKey ? actions.redo : actions.undo)();
    else if (mod && k === "y") actions.redo();
    else if (mod && k === "c") actions.copy(nodes);
    else if (mod && k === "v" && actions.hasClip()) actions.paste();
    else if (mod && k === "d") actions.duplicate(nodes);
    else if (mod && k === "g") (e.shiftKey ? actions.ungroup : actions.group)(nodes);
    else if (!mod && (k === "delete" || k === "backspace")) {
      const es = edges();
      if (nodes.length || es.length) actions.remove(nodes, es);
      else if (frames.length) actions.removeFrames(frames);
    } else if (mod && k === "a") actions.selectAll();
    else if (plain && e.shiftKey && k === "f") actions.frame(nodes);
    else if (plain && k === "f") actions.fit();
    else if (plain && k === "l") void actions.layout();
    else if (!mod && k === "escape" && !actions.atTop) actions.leave();
    else done = false;
    if (done) e.preventDefault();
  }, [actions, nodes, edges, frames]);
}
