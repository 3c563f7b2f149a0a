// Training controls and live plots. Loss points are appended with Plotly.extendTraces,
// coalesced per animation frame (metrics.ts); predictions and stats are replaced whole.
import { useEffect, useRef, useState } from "react";
import Plotly from "plotly.js-dist-min";
import type { Command, KernelEvent, RunStatus } from "../types";
import { MetricQueue } from "../metrics";
import { predictionPlot } from "../predictions";
import type { Transport } from "../transport";

const MAX_POINTS = 20000;

function themeLayout(): { xaxis: object; yaxis: object; [k: string]: unknown } {
  const css = getComputedStyle(document.body);
  const fg = css.getPropertyValue("--jp-ui-font-color1").trim() || "#333";
  const grid = css.getPropertyValue("--jp-border-color2").trim() || "#e0e0e0";
  return {
    margin: { l: 44, r: 8, t: 8, b: 30 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: fg, size: 10 },
    xaxis: { gridcolor: grid },
    yaxis: { gridcolor: grid },
    showlegend: true,
    legend: { orientation: "h", y: 1.12, x: 0 },
  };
}

function withAxes(layout: { xaxis: object; yaxis: object; [k: string]: unknown }, log: boolean): object {
  return { ...layout, xaxis: { ...layout.xaxis, title: { text: "step" } }, yaxis: { ...layout.yaxis, type: log ? "log" : "linear" } };
}

export function LivePanel({ transport, status, selected }: { transport: Transport; status: RunStatus; selected: string | null }) {
  const lossRef = useRef<HTMLDivElement>(null);
  const predRef = useRef<HTMLDivElement>(null);
  const traces = useRef(new Map<string, number>());
  const [log, setLog] = useState(true);
  const logRef = useRef(log);
  logRef.current = log;
  const [points, setPoints] = useState(0);
  const [stats, setStats] = useState<{ node: string; stats: Record<string, number> } | null>(null);
  const [lr, setLr] = useState<string>(status.lr === null ? "" : String(status.lr));
  const [exported, setExported] = useState<string | null>(null);
  const send = (c: Command) => transport.send(c);

  useEffect(() => { if (status.lr !== null) setLr(String(status.lr)); }, [status.lr]);

  useEffect(() => {
    const el = lossRef.current!;
    void Plotly.newPlot(el, [], withAxes(themeLayout(), logRef.current),
      { displayModeBar: false, responsive: true });
    const queue = new MetricQueue((names, xs, ys) => {
      const fresh = names.filter((n) => !traces.current.has(n));
      for (const n of fresh) traces.current.set(n, traces.current.size);
      const ready = fresh.length
        ? Plotly.addTraces(el, fresh.map((n) => ({ type: "scattergl", mode: "lines", name: n, x: [], y: [] })))
        : Promise.resolve();
      void ready.then(() => Plotly.extendTraces(el, { x: xs, y: ys }, names.map((n) => traces.current.get(n)!), MAX_POINTS))
        .then(() => setPoints(queue.total));
    });
    const off = transport.onEvent((ev: KernelEvent) => {
      if (ev.event === "metrics") queue.add(ev);
      else if (ev.event === "reset_metrics") {
        traces.current.clear();
        void Plotly.react(el, [], withAxes(themeLayout(), logRef.current));
        queue.total = 0;
        setPoints(0);
      } else if (ev.event === "predictions" && predRef.current) {
        const { data, layout } = predictionPlot(ev);
        const base = themeLayout();
        const merged: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(layout)) {
          const axis = k === "xaxis2" ? base.xaxis : k === "yaxis2" ? base.yaxis : base[k];
          merged[k] = { ...(axis as object | undefined), ...(v as object) };
        }
        void Plotly.react(predRef.current, data, merged, { displayModeBar: false });
      } else if (ev.event === "node_stats") setStats({ node: ev.node, stats: ev.stats });
      else if (ev.event === "export") setExported(ev.path ?? "(source)");
    });
    return () => { off(); Plotly.purge(el); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [transport]);

  useEffect(() => {
    if (lossRef.current) void Plotly.relayout(lossRef.current, { "yaxis.type": log ? "log" : "linear" });
  }, [log]);

  useEffect(() => {
    if (selected) send({ cmd: "watch", node: selected });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const s = status.state;
  const running = s === "running" || s === "starting" || s === "idle";
  const lrNum = Number(lr);
  const lrOk = lr.trim() !== "" && Number.isFinite(lrNum) && lrNum > 0;
  return (
    <div className="dw-live" data-run-state={s}>
      <div className="dw-controls">
        <button className="dw-train" disabled={!status.available || running} onClick={() => send({ cmd: s === "paused" ? "resume" : "train" })}>
          {s === "paused" ? "Resume" : "Train"}
        </button>
        <button className="dw-pause" disabled={!running} onClick={() => send({ cmd: "pause" })}>Pause</button>
        <button className="dw-stop" disabled={!(running || s === "paused")} onClick={() => send({ cmd: "stop" })}>Stop</button>
        <button className={`dw-rebuild${status.stale ? " dw-stale" : ""}`} disabled={!status.stale} title="apply the edits made during the run (unchanged nodes keep their weights)"
          onClick={() => send({ cmd: "rebuild" })}>Rebuild</button>
        <label className="dw-lr">lr <input className={lrOk || lr.trim() === "" ? "" : "dw-invalid"} placeholder="default" value={lr} onChange={(e) => setLr(e.target.value)}
          onKeyDown={(e) => { if (e.key === "Enter" && lrOk) send({ cmd: "set", name: "lr", value: lrNum }); }}
          onBlur={() => { if (lrOk && lrNum !== status.lr) send({ cmd: "set", name: "lr", value: lrNum }); }} /></label>
        <button onClick={() => send({ cmd: "export" })} title="export to plain PyTorch source">Export</button>
      </div>
      <div className="dw-run-line">
        <span className="dw-state">{status.available ? s : "training unavailable"}</span>
        <span className="dw-step" data-step={status.step}>step {status.step}</span>
        <span className="dw-rate">{status.steps_per_s ? `${status.steps_per_s.toFixed(1)} steps/s` : ""}</span>
        {status.stale ? <span className="dw-stale-text">edited: Rebuild to apply</span> : null}
        <label className="dw-log"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log</label>
      </div>
      {status.message && !/by request/.test(status.message) ? <div className="dw-msg dw-msg-error">{status.message}</div> : null}
      {exported ? <div className="dw-msg">exported: {exported}</div> : null}
      <div className="dw-plot dw-loss-plot" ref={lossRef} data-points={points} />
      <div className="dw-plot dw-pred-plot" ref={predRef} />
      {stats && stats.node === selected ? (
        <table className="dw-stats" data-node={stats.node}>
          <tbody>{Object.entries(stats.stats).map(([k, v]) => <tr key={k}><td>{k}</td><td>{Number.isInteger(v) ? v : v.toPrecision(4)}</td></tr>)}</tbody>
        </table>
      ) : null}
    </div>
  );
}
