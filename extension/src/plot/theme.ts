// Plot colours from the editor's CSS variables (which follow JupyterLab's theme), read at
// draw time, and a signal when the theme changes so plots redraw in the new colours.

export const PALETTE = ["#4e8fd6", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7"];

export function cssColor(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

export function withAlpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

/** Calls `cb` after JupyterLab switches theme (body data attributes), after the lab tab's
 * own theme override (`data-dw-theme`) changes, and after the OS colour scheme changes.
 * The new stylesheet can land a moment after the attribute: `cb` runs again then. */
export function onThemeChange(cb: () => void): () => void {
  const timers: number[] = [];
  const fire = () => { cb(); timers.push(window.setTimeout(cb, 150), window.setTimeout(cb, 600)); };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, subtree: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light", "data-dw-theme"] });
  const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
  mq?.addEventListener?.("change", fire);
  return () => { mo.disconnect(); mq?.removeEventListener?.("change", fire); timers.forEach((t) => clearTimeout(t)); };
}
