// Large modules the editor needs only on demand (elkjs for auto-layout: 1.5 MB, more than
// the rest of the editor), kept out of the editor's bundle. The kernel sends the module's
// text (the `asset` command; both hosts have a kernel, no front end needs a static route
// for it), and it is imported from a blob URL once per page.
import type { Transport } from "./transport";

const loaded = new Map<string, Promise<unknown>>();
const TIMEOUT_MS = 30_000;

export function loadAsset<T>(transport: Transport, name: string): Promise<T> {
  let p = loaded.get(name) as Promise<T> | undefined;
  if (!p) {
    p = fetchAsset<T>(transport, name);
    loaded.set(name, p);
    p.catch(() => loaded.delete(name)); // a later call asks again
  }
  return p;
}

function fetchAsset<T>(transport: Transport, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`the kernel did not send ${name} (is it running?)`)); }, TIMEOUT_MS);
    const off = transport.onEvent((ev, buffers) => {
      if (ev.event !== "asset" || ev.name !== name) return;
      off();
      clearTimeout(timer);
      if (ev.error || !buffers.length) { reject(new Error(ev.error ?? `the kernel sent no ${name}`)); return; }
      const b = buffers[0];
      const url = URL.createObjectURL(new Blob([new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength)], { type: "text/javascript" }));
      import(/* webpackIgnore: true */ /* @vite-ignore */ url)
        .then((m: { default: T }) => resolve(m.default), reject)
        .finally(() => URL.revokeObjectURL(url));
    });
    transport.send({ cmd: "asset", name });
  });
}
