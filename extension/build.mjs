// Bundles the editor into the ESM + CSS that the anywidget loads (kernel_lib/diffwire/widget/static).
import * as esbuild from "esbuild";
import { copyModule } from "./copy-module.mjs";

const dev = process.argv.includes("--dev");
const common = {
  bundle: true,
  format: "esm",
  minify: !dev && !process.argv.includes("--names"),
  sourcemap: dev ? "inline" : false,
  target: "es2022",
  define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
  logLevel: "warning",
};

await esbuild.build({
  ...common,
  entryPoints: { editor: "src/anywidget.tsx" },
  outdir: "../kernel_lib/diffwire/widget/static",
});

copyModule();

// elkjs on its own (3x the rest of the editor): the kernel sends it when auto-layout is
// first used (src/assets.ts), so neither the widget module nor the lab extension carries it.
await esbuild.build({
  ...common,
  entryPoints: { elk: "elkjs/lib/elk.bundled.js" },
  outdir: "../kernel_lib/diffwire/widget/static",
});

// Benchmark pages: the editor on a static transport, and bare React Flow as the reference.
await esbuild.build({
  ...common,
  entryPoints: { "bench-editor": "bench/editor_page.tsx", "bench-bare": "bench/bare_page.tsx" },
  splitting: true,
  outdir: "../kernel_lib/diffwire/widget/static/bench",
});
