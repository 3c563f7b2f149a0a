// Puts the widget module into the lab extension's static files as editor.<hash>.js, the
// name the kernel's bootstrap asks for (kernel_lib/diffwire/widget/bundle.py: the same
// sha256 prefix of editor.js). JupyterLab and Notebook 7 serve it from there, so notebooks
// need not carry it. Run by the widget build (when the lab extension is built) and after
// the lab extension build.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const SRC = here("../kernel_lib/diffwire/widget/static/editor.js");
const DEST = here("../kernel_lib/diffwire/labextension/static");

export function copyModule() {
  if (!existsSync(DEST) || !existsSync(SRC)) return null;
  const text = readFileSync(SRC);
  const name = `editor.${createHash("sha256").update(text).digest("hex").slice(0, 16)}.js`;
  for (const f of readdirSync(DEST)) if (/^editor\.[0-9a-f]{16}\.js$/.test(f) && f !== name) unlinkSync(`${DEST}/${f}`);
  writeFileSync(`${DEST}/${name}`, text);
  return name;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) copyModule();
