// The diffwire editor on a static transport, for bench/editor_canvas.py.
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "../src/styles.css";
import { markWhenRendered } from "./harness";
import { Editor } from "../src/components/Editor";
import { StaticTransport } from "../src/transport";
import type { Catalog, GraphDoc } from "../src/types";

const cfg = window.__DW_BENCH__!;
const transport = new StaticTransport(cfg.doc as GraphDoc, cfg.catalog as Catalog);
(window as unknown as { __transport: StaticTransport }).__transport = transport;
createRoot(document.getElementById("root")!).render(<Editor transport={transport} height="100vh" live={false} onInit={(rf) => { window.__rf = rf; }} />);
markWhenRendered(cfg.n);
