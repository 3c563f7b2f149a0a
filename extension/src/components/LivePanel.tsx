// Training controls and live plots (src/plot/, uPlot): the loss over the whole run with a
// log toggle and zoom, predictions against the data, statistics of the selected node. The
// plots can be enlarged over the whole editor.
import { memo, useEffect, useRef, useState } from "react";
import type { Command, KernelEvent } from "../types";
import { useStatus } from "../hooks/useStatus";
import { atFrame, dropFrame } from "../frame";
import type { PredictionsEvent } from "../predictions";
import { LossPlot as LossPlotView } from "../plot/LossPlot";
import { rebuildText } from "../rebuild";
import { PredictionsPlot as PredictionsPlotView } from "../plot/PredictionsPlot";
import type { Transport } from "../transport";

// the plots draw from their own events: a status change (a few a second) leaves them be
const LossPlot = memo(LossPlotView);
const PredictionsPlot = memo(PredictionsPlotView);

export function LivePanel({ transport, selected }: { transport: Transport; selected: string | null }) {
  const status = useStatus(transport);
  const [log, setLog] = useState(true);
  const [smoothing, setSmoothing] = useState(0);
  const [xBy, setXBy] = useState<"step" | "time">("step");
  const [big, setBig] = useState(false);
  const [pred, setPred] = useState<PredictionsEvent | null>(null);
  const [stats, setStats] = useState<{ node: string; stats: Record<string, number> } | null>(null);
  const [lr, setLr] = useState<string>(status.lr === null ? "" : String(status.lr));
  const [exported, setExported] = useState<string | null>(null);
  const [rebuilt, setRebuilt] = useState<string | null>(null);
  const send = (c: Command) => transport.send(c);
  const [predKey] = useState(() => ({}));
  useEffect(() => () => dropFrame(predKey), [predKey]);

  // the field follows the run's lr, except while the person is typing in it: a status that
  // arrives then (a run starting, a schedule moving the lr) must not replace what they typed
  const typingLr = useRef(false);
  useEffect(() => { if (status.lr !== null && !typingLr.current) setLr(String(status.lr)); }, [status.lr]);

  useEffect(() => transport.onEvent((ev: KernelEvent) => {
    if (ev.event === "predictions") atFrame(predKey, () => setPred(ev)); // drawn with the metrics' frame
    else if (ev.event === "reset_metrics") { dropFrame(predKey); setPred(null); setRebuilt(null); }
    else if (ev.event === "rebuild") setRebuilt(rebuildText(ev));
    else if (ev.event === "node_stats") setStats({ node: ev.node, stats: ev.stats });
    else if (ev.event === "export") setExported(ev.path ?? "(source)");
  }), [transport, predKey]);

  useEffect(() => {
    if (!big) return;
    const esc = (e: KeyboardEvent) => { if (e.key === "Escape") setBig(false); };
    window.addEventListener("keydown", esc, true);
    return () => window.removeEventListener("keydown", esc, true);
  }, [big]);

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
        <label className="dw-lr">lr <input className={lrOk || lr.trim() === "" ? "" : "dw-invalid"} placeholder="default" value={lr} onChange={(e) => { typingLr.current = true; setLr(e.target.value); }}
          onKeyDown={(e) => { if (e.key === "Enter" && lrOk) { typingLr.current = false; send({ cmd: "set", name: "lr", value: lrNum }); } }}
          onBlur={() => { typingLr.current = false; if (lrOk && lrNum !== status.lr) send({ cmd: "set", name: "lr", value: lrNum }); }} /></label>
        <button onClick={() => send({ cmd: "export" })} title="export to plain PyTorch source">Export</button>
      </div>
      <div className="dw-run-line">
        <span className="dw-state">{status.available ? s : "training unavailable"}</span>
        <span className="dw-step" data-step={status.step}>step {status.step}</span>
        <span className="dw-rate">{status.steps_per_s ? `${status.steps_per_s.toFixed(1)} steps/s` : ""}</span>
        {status.stale ? <span className="dw-stale-text">edited: Rebuild to apply</span> : null}
        <label className="dw-smooth" title="smoothing: a debiased exponential moving average of every curve (0: raw); the raw curve stays faint behind it">
          smooth <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
          <span className="dw-smooth-value">{smoothing.toFixed(2)}</span></label>
        <label className="dw-log"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log</label>
        <label className="dw-xby" title="x axis: training step, or seconds since the run started">x <select value={xBy} onChange={(e) => setXBy(e.target.value as "step" | "time")}>
          <option value="step">step</option><option value="time">time</option></select></label>
      </div>
      {status.message && !/by request/.test(status.message) ? <div className="dw-msg dw-msg-error">{status.message}</div> : null}
      {exported ? <div className="dw-msg">exported: {exported}</div> : null}
      {rebuilt ? <div className="dw-msg dw-rebuilt" role="status">{rebuilt}</div> : null}
      <div className={`dw-plots${big ? " dw-plots-big" : ""}`}>
        <div className="dw-plots-head">
          <span className="dw-plots-hint">drag across the loss to zoom in, double-click to zoom out</span>
          <button className="dw-enlarge" title={big ? "back to the side panel (Esc)" : "enlarge the plots over the editor"} onClick={() => setBig((b) => !b)}>{big ? "Close" : "Enlarge"}</button>
        </div>
        <LossPlot transport={transport} log={log} smoothing={smoothing} run={status.run ?? null} xBy={xBy} />
        <PredictionsPlot ev={pred} />
      </div>
      {stats && stats.node === selected ? (
        <table className="dw-stats" data-node={stats.node}>
          <tbody>{Object.entries(stats.stats).map(([k, v]) => <tr key={k}><td>{k}</td><td>{Number.isInteger(v) ? v : v.toPrecision(4)}</td></tr>)}</tbody>
        </table>
      ) : null}
    </div>
  );
}
