// A uPlot chart that fills its element: resized with it, redrawn in the theme's colours
// when the theme changes, axis and grid colours read from the element at draw time.
import uPlot from "uplot";
import { tick, logTicks } from "./format";
import { cssColor, onThemeChange } from "./theme";

export type Data = uPlot.AlignedData;

/** Axes in the theme's colours, with titles; a log axis gets decade ticks (1e-4, 0.01). */
export function axis(label: string, opts: { log?: boolean; side?: number } = {}): uPlot.Axis {
  const fg = (u: uPlot) => cssColor(u.root, "--dw-fg", "#222");
  const grid = (u: uPlot) => cssColor(u.root, "--dw-grid", "rgba(128,128,128,0.25)");
  return {
    label,
    labelSize: 18,
    labelFont: "12px sans-serif",
    font: "11px sans-serif",
    size: opts.side === 3 || opts.side === 1 ? 56 : 40,
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1, size: 4 },
    ...(opts.side !== undefined ? { side: opts.side } : {}),
    ...(opts.log
      ? { splits: (_u: uPlot, _i: number, min: number, max: number) => logTicks(min, max), values: (_u: uPlot, s: number[]) => s.map(tick) }
      : { values: (_u: uPlot, s: number[]) => s.map(tick) }),
  };
}

export class Chart {
  u: uPlot | null = null;
  private ro: ResizeObserver | null = null;
  private offTheme: () => void;

  constructor(private el: HTMLElement, private make: (size: { width: number; height: number }) => uPlot.Options, data: Data) {
    this.ro = new ResizeObserver(() => this.fit());
    this.ro.observe(el);
    this.build(data);
    this.offTheme = onThemeChange(() => this.u?.redraw(false));
  }

  private size() {
    const legend = this.u?.root.querySelector<HTMLElement>(".u-legend")?.offsetHeight ?? 24;
    return { width: Math.max(120, this.el.clientWidth), height: Math.max(80, this.el.clientHeight - legend - 4) };
  }

  private build(data: Data) {
    this.u?.destroy();
    this.u = new uPlot(this.make(this.size()), data, this.el);
    // the legend's height is known only once drawn (and changes with its rows)
    const legend = this.u.root.querySelector(".u-legend");
    if (legend) this.ro?.observe(legend);
    this.fit();
  }

  /** new options (series, log axis): a fresh uPlot with the data it had */
  rebuild(make?: (size: { width: number; height: number }) => uPlot.Options, data?: Data) {
    if (make) this.make = make;
    this.build(data ?? (this.u?.data as Data));
  }

  fit() {
    const s = this.size();
    if (this.u && (this.u.width !== s.width || this.u.height !== s.height)) this.u.setSize(s);
  }

  destroy() {
    this.ro?.disconnect();
    this.offTheme();
    this.u?.destroy();
    this.u = null;
  }
}
