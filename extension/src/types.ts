// The JSON the kernel and the editor exchange. Mirrors kernel_lib/diffwire/document.py
// (Graph.to_dict), blocks/registry.py (catalog()), errors.py (GraphError.to_dict())
// and widget/editor.py (status, commands, events).
import type { PredictionsEvent } from "./predictions";

export type Kind = "tensor" | "scalar" | "bool" | "state" | "time" | string;

export interface PortSpec {
  name: string;
  kind: Kind;
  shape: (string | number | null)[] | null;
  optional: boolean;
  doc: string;
}

export type ParamKind = "int" | "float" | "choice" | "list" | "bool" | "string" | "dict" | "shape";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  doc: string;
  required: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  item?: "int" | "float" | "string";
  min_len?: number;
  choices?: unknown[];
  multiline?: boolean;
  nullable?: boolean;
  /** "auto" is a value (a list: its first item): the size follows the wire into the node */
  auto?: boolean;
  /** how the canvas draws the value in the node's body ("truth_table") */
  view?: string;
}

export interface BlockSpec {
  type: string;
  category: string;
  doc: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: ParamSpec[];
  bodies: string[];
  dynamic_ports: boolean;
  /** what the editor treats specially (blocks/base.py `role`): "input" and "output" nodes
   * are named by their `name` param, a "group" node can be ungrouped, "optimizer" nodes are
   * what the Training panel's optimizer phases name */
  role?: BlockRole | null;
}

export type BlockRole = "input" | "output" | "group" | "optimizer";

/** How a palette category is drawn (blocks/appearance.py). */
export interface CategoryStyle { title: string; colour: string; icon: string; order: number }

export interface Catalog {
  blocks: BlockSpec[];
  /** target kind -> source kinds it accepts */
  kinds: Record<string, string[]>;
  /** category name -> title, header colour, icon (older kernels send none) */
  categories?: Record<string, CategoryStyle>;
  /** port kind -> handle and wire colour */
  kind_colours?: Record<string, string>;
}

export interface NodeDoc {
  id: string;
  type: string;
  params: Record<string, unknown>;
  position: [number, number];
  label?: string | null;
  body?: Record<string, GraphDoc>;
}

export interface EdgeDoc {
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface GraphDoc {
  format?: string;
  nodes: NodeDoc[];
  edges: EdgeDoc[];
  training?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export interface GraphErrorInfo {
  code: string;
  severity: "error" | "warning";
  node: string | null;
  port: string | null;
  message: string;
  expected: string | null;
  found: string | null;
  hint: string | null;
  text: string;
}

export interface RunStatus {
  /** none | starting | running | paused | stopped | done | error */
  state: string;
  step: number;
  steps_per_s: number;
  lr: number | null;
  stale: boolean;
  message: string;
  available: boolean;
  /** the current run's id in the runs folder (null: no run, or one that is not kept) */
  run?: string | null;
  /** the Optimizer node of the phase running now (null: an inline optimizer) */
  optimizer?: string | null;
}

export type CommandName =
  | "validate" | "train" | "pause" | "resume" | "stop" | "set" | "rebuild" | "export" | "watch"
  | "write" | "history" | "asset" | "probe" | "group" | "ungroup" | import("./workbench/types").WorkbenchCommandName
  | import("./workbench/ablation").AblationCommandName;

export interface Command {
  cmd: CommandName;
  [arg: string]: unknown;
}

/** Node path ("loop/body/mlp") -> port name -> symbolic shape. */
export type Shapes = Record<string, Record<string, (string | number | null)[]>>;
export type PortsByNode = Record<string, { inputs: PortSpec[]; outputs: PortSpec[] }>;

export interface HistorySeries { x: number[]; y: number[]; lo: number[]; hi: number[]; n: number[]; first: number[]; last: number[]; x0?: number; y0?: number }

/** A dataflow matrix's links: |W| per [row][column], and 1 (kept) or 0 (pruned) */
export interface LinkMatrix { values: number[][]; mask: number[][] }

export type KernelEvent =
  | {
    event: "analysis"; seq: number; errors: GraphErrorInfo[]; shapes: Shapes; ports: PortsByNode; ms: number;
    /** node path -> lines shown on the node (a formula, a vector field's equations) */
    formulas?: Record<string, string[]>;
  }
  | { event: "metrics"; step: number[]; values: Record<string, (number | null)[]> }
  | PredictionsEvent
  | { event: "node_stats"; node: string; stats: Record<string, number> }
  /** after the first backward (widget/live.py grad_check_event) */
  | { event: "grad_check"; step: number; no_grad: Record<string, string[]>; detached: { edge: string; reason: string }[] }
  /** every node's newest statistics while a run streams */
  | { event: "graph_stats"; step: number; nodes: Record<string, Record<string, number | null>> }
  /** link magnitudes and pruning mask of the nodes that draw a link matrix (live.py) */
  | { event: "link_matrix"; step: number; nodes: Record<string, LinkMatrix> }
  /** new samples of a probed edge (widget/probes.py) */
  | { event: "probe"; edge: string; step: number[]; mean: number[][]; std: (number[] | null)[]; labels: string[]; error?: string }
  | { event: "export"; source: string; path: string | null }
  | { event: "error"; message: string; error?: GraphErrorInfo }
  | { event: "reset_metrics" }
  /** a live run was rebuilt: the nodes that kept their weights and those that start afresh */
  | { event: "rebuild"; step: number; kept: string[]; reset: string[]; removed: string[]; optimizer_reset: boolean }
  /** an answer to `history`: each metric over [start, stop] (the whole run without a
   * range), every step when it fits in `points`, else buckets with mean (`y`), `lo`, `hi` */
  | { event: "history"; req: number; start: number | null; stop: number | null; count: number;
      series: Record<string, HistorySeries>; markers?: { step: number; kind: string; label: string }[] }
  /** where the run changed (lr, rebuild, phase, pause, fork): lines on the loss plot */
  | { event: "markers"; markers: { step: number; kind: string; label: string }[] }
  /** an answer to `asset`: a module of the editor's (elkjs) as text in buffers[0] */
  | { event: "asset"; name: string; error?: string }
  /** a patched write did not apply to the kernel's document: the view named `client`
   * sends the whole document */
  | { event: "resync"; client?: string | null }
  /** an answer to `group` or `ungroup` (widget/grouping.py): the graph the canvas sent,
   * edited (null: nothing to do), and the nodes to select; the canvas commits it */
  | { event: "edit"; request: string; graph: GraphDoc | null; select: string[] };
