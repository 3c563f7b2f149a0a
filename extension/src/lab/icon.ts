import { LabIcon } from "@jupyterlab/ui-components";

// Three blocks wired left to right.
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<g class="jp-icon3" fill="#616161"><rect x="1" y="9" width="6" height="6" rx="1"/><rect x="9" y="3" width="6" height="6" rx="1"/>
<rect x="9" y="15" width="6" height="6" rx="1"/><rect x="17" y="9" width="6" height="6" rx="1"/></g>
<g class="jp-icon-brand1" stroke="#1976d2" stroke-width="1.5" fill="none"><path d="M7 12 C8 12 8 6 9 6"/><path d="M7 12 C8 12 8 18 9 18"/>
<path d="M15 6 C16 6 16 12 17 12"/><path d="M15 18 C16 18 16 12 17 12"/></g></svg>`;

export const diffwireIcon = new LabIcon({ name: "diffwire-editor:diffwire", svgstr });
