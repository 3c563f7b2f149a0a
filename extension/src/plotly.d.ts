declare module "plotly.js-dist-min" {
  const Plotly: {
    newPlot(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown>;
    react(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown>;
    extendTraces(el: HTMLElement, update: object, indices: number[], maxPoints?: number): Promise<unknown>;
    addTraces(el: HTMLElement, traces: object | object[]): Promise<unknown>;
    relayout(el: HTMLElement, update: object): Promise<unknown>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
declare module "elkjs/lib/elk.bundled.js" {
  import ELK from "elkjs";
  export default ELK;
}
