// The editor's widget module as a notebook stores it: these few lines, not the editor.
// They import the editor (about 0.5 MB) from the static files of the diffwire JupyterLab
// extension, which JupyterLab and Notebook 7 both serve, or failing that (a front end
// without the extension, a stale one) ask the kernel for it. The file name carries a hash
// of the kernel's editor.js, so an extension of another version is never used.
const FILE = "__FILE__";
const EXTENSION = "__EXTENSION__";
const KEY = Symbol.for(`diffwire.editor.${FILE}`);
const KERNEL_TIMEOUT_MS = 20000;

function extensionUrl() {
  const el = document.getElementById("jupyter-config-data");
  if (!el) return null;
  try {
    const c = JSON.parse(el.textContent || "{}");
    const base = (c.fullLabextensionsUrl || `${c.baseUrl || "/"}lab/extensions`).replace(/\/$/, "");
    return new URL(`${base}/${EXTENSION}/static/${FILE}`, location.href).href;
  } catch {
    return null;
  }
}

function fromKernel(model) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      model.off("msg:custom", on);
      reject(new Error("no kernel answered: run the cell again"));
    }, KERNEL_TIMEOUT_MS);
    function on(msg, buffers) {
      if (!msg || msg.event !== "module") return;
      model.off("msg:custom", on);
      clearTimeout(timer);
      if (msg.error || !buffers || !buffers.length) {
        reject(new Error(msg.error || "the kernel sent no module"));
        return;
      }
      const b = buffers[0];
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      const url = URL.createObjectURL(new Blob([bytes], { type: "text/javascript" }));
      import(/* webpackIgnore: true */ url).then(resolve, reject).finally(() => URL.revokeObjectURL(url));
    }
    model.on("msg:custom", on);
    model.send({ cmd: "module" });
  });
}

async function load(model) {
  const url = extensionUrl();
  if (url) {
    try {
      const mod = await import(/* webpackIgnore: true */ url);
      mod.default.source = "extension";
      return mod;
    } catch (e) {
      console.info("diffwire: the editor is not served by the front end; asking the kernel", e);
    }
  }
  const mod = await fromKernel(model);
  mod.default.source = "kernel";
  return mod;
}

export default {
  async render({ model, el }) {
    globalThis[KEY] ??= load(model);
    let mod;
    try {
      mod = await globalThis[KEY];
    } catch (e) {
      globalThis[KEY] = undefined;
      el.innerHTML = '<pre style="color:#c00;white-space:pre-wrap"></pre>';
      el.firstChild.textContent = `diffwire: the editor could not be loaded (${e.message}).`;
      return;
    }
    el.dataset.dwModule = mod.default.source;
    return mod.default.render({ model, el });
  },
};
