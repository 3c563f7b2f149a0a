// The side panel's workbench when no block is selected: the Training panel, the runs
// table and the Ablation panel as tabs. It stays mounted (hidden) while a block is selected, so it keeps
// listening; Train on a document without a training section brings it forward.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Transport } from "../transport";
import type { BlockSpec, GraphDoc } from "../types";
import { useAblation } from "../hooks/useAblation";
import { useWorkbench } from "../hooks/useWorkbench";
import type { Section } from "../workbench/section";
import { trainingForm } from "../workbench/form";
import { AblationPanel } from "./AblationPanel";
import { RunsTable } from "./RunsTable";
import { TrainingForm } from "./TrainingPanel";

interface Props {
  transport: Transport;
  doc: GraphDoc;
  /** the catalog's blocks by type (their roles say which nodes the form's rows are about) */
  specs: Map<string, BlockSpec>;
  hidden: boolean;
  /** Write the document's training section (one undo step); absent: read-only. */
  onTraining?: (section: Section) => void;
  /** Write a vector-field term's `ablatable` flag (one undo step); absent: read-only. */
  onMark?: (path: string, marked: boolean) => void;
}

export function WorkbenchPanel({ transport, doc, specs, hidden, onTraining, onMark }: Props) {
  const wb = useWorkbench(transport);
  const ab = useAblation(transport, doc);
  const [tab, setTab] = useState<"training" | "runs" | "ablation">("training");
  const [forced, setForced] = useState(false);
  const section = doc.training as Section | undefined;
  // the form's handlers stay the same functions (calling the latest props), so a running
  // run's updates of the workbench leave the form unrendered (TrainingForm is memoized)
  const onTrainingRef = useRef(onTraining);
  onTrainingRef.current = onTraining;
  const { dismissNeeded } = wb;
  const onSection = useCallback((s: Section) => { dismissNeeded(); onTrainingRef.current?.(s); }, [dismissNeeded]);
  const onTrain = useCallback(() => transport.send({ cmd: "train" }), [transport]);

  // the rows the form is about, the same objects until the graph's inputs, outputs or
  // Optimizer nodes change (the form is memoized on them); worked out when the document
  // changes, not on every render (a run re-renders this panel with each status)
  const formText = useMemo(() => JSON.stringify(trainingForm(doc, specs)), [doc, specs]);
  const form = useMemo(() => JSON.parse(formText) as ReturnType<typeof trainingForm>, [formText]);
  const sectionText = useMemo(() => JSON.stringify(section ?? null), [section]);
  const shapeText = useMemo(() => JSON.stringify(doc.nodes.map((n) => [n.id, n.type, n.params.name])), [doc.nodes]);
  // every change of the section (or the graph's inputs and outputs) is checked by the kernel
  useEffect(() => {
    const t = window.setTimeout(() => { if (transport.readCatalog().blocks.length) wb.send("check_training"); }, 150);
    return () => window.clearTimeout(t);
  }, [sectionText, shapeText]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => { if (wb.needed) { setTab("training"); setForced(true); } }, [wb.needed]);
  useEffect(() => { if (!hidden) setForced(false); }, [hidden]);

  if (hidden && !forced) return null;
  return (
    <div className="dw-workbench" data-testid="workbench">
      <div className="dw-wb-tabs" role="tablist">
        <button role="tab" aria-selected={tab === "training"} className={tab === "training" ? "dw-tab-on" : ""} onClick={() => setTab("training")}>Training</button>
        <button role="tab" aria-selected={tab === "runs"} className={tab === "runs" ? "dw-tab-on" : ""} onClick={() => setTab("runs")}>Runs ({wb.runs.length})</button>
        <button role="tab" aria-selected={tab === "ablation"} className={tab === "ablation" ? "dw-tab-on" : ""} onClick={() => setTab("ablation")}>Ablation{ab.running ? " …" : ""}</button>
        {forced ? <button className="dw-wb-close" title="Close" onClick={() => { setForced(false); wb.dismissNeeded(); }}>×</button> : null}
      </div>
      {wb.needed && tab === "training" ? <div className="dw-wb-needed" role="alert">{wb.needed}</div> : null}
      {tab === "training" ? (
        <TrainingForm wb={wb} form={form} section={section} onSection={onSection} onTrain={onTrain} />
      ) : tab === "runs" ? (
        <RunsTable wb={wb} onExport={(id) => transport.send({ cmd: "export", run: id })} />
      ) : (
        <AblationPanel ab={ab} doc={doc} onMark={onMark} />
      )}
    </div>
  );
}
