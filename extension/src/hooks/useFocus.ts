// Keyboard focus stays in the editor, so that JupyterLab does not take the next key.
// An editor command can remove the focused element (the node that was grouped, deleted or
// undone): focus then falls to the page. The notebook's own mousedown handler focuses the
// cell after ours has run. Both are undone here.
import { useCallback, useRef, type RefObject } from "react";

export function isTextInput(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export function useFocus(rootRef: RefObject<HTMLDivElement | null>) {
  const edited = useRef(false);
  /** An edit was made: after it is drawn, focus comes back if it fell to the page. */
  const noteEdit = useCallback(() => { edited.current = true; }, []);
  const focusRoot = useCallback(() => rootRef.current?.focus({ preventScroll: true }), [rootRef]);
  /** Focus the editor unless focus is inside it already. */
  const keepFocus = useCallback(() => {
    const root = rootRef.current;
    if (root && !root.contains(document.activeElement)) root.focus({ preventScroll: true });
  }, [rootRef]);

  /** Run after the canvas has drawn an edit. React Flow removes a node's element a render
   * or two after the document changes: watch a few frames, and take focus back only if it
   * fell to the page (not if a person moved it). */
  const recoverAfterEdit = useCallback(() => {
    if (!edited.current) return;
    edited.current = false;
    let n = 0;
    const tick = () => {
      const a = document.activeElement;
      if (!a || a === document.body) rootRef.current?.focus({ preventScroll: true });
      if (++n < 6) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, [rootRef]);

  const onPointerDownCapture = useCallback((e: React.PointerEvent) => {
    if (!isTextInput(e.target) && !rootRef.current?.contains(document.activeElement)) rootRef.current?.focus({ preventScroll: true });
    // the notebook's own mousedown handler, which runs after ours, focuses the cell:
    // take focus back once the click's handlers are done
    if (!isTextInput(e.target)) window.setTimeout(keepFocus, 0);
  }, [rootRef, keepFocus]);

  return { noteEdit, focusRoot, keepFocus, recoverAfterEdit, onPointerDownCapture };
}
