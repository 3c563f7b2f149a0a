// Performance marks read by the round-trip benchmark (bench/editor_canvas.py): the
// moment an edit commits, is written to the host, and the kernel's analysis comes back.

/** Mark `name` now; only the latest mark of each name is kept. */
export function mark(name: string) {
  performance.clearMarks(name);
  performance.mark(name);
}
