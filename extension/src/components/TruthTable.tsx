// A list param drawn as a truth table in the node's body (a param whose catalog entry
// says view: "truth_table"): one row per input combination, input i is bit i of the row,
// and the output bit, 1 filled. Up to 4 inputs as rows; more as a compact grid of output
// bits, eight to a line, each with its inputs as a tooltip.
import { memo } from "react";

const inputsOf = (row: number, k: number) => Array.from({ length: k }, (_, i) => (row >> i) & 1);

function TruthTableView({ name, bits }: { name: string; bits: unknown }) {
  const table = Array.isArray(bits) ? bits.map((b) => (Number(b) ? 1 : 0)) : [];
  if (!table.length) {
    return <div className="dw-truth dw-truth-empty" data-truth-table={name}>{name}: random until trained</div>;
  }
  const k = Math.max(1, Math.round(Math.log2(table.length)));
  const tip = (row: number) => `${inputsOf(row, k).map((b, i) => `x${i}=${b}`).join(" ")} -> ${table[row]}`;
  if (k > 4) {
    return (
      <div className="dw-truth dw-truth-dense" data-truth-table={name} title={`${name}: ${table.length} rows`}>
        {table.map((b, row) => <span key={row} className={`dw-truth-bit${b ? " dw-on" : ""}`} title={tip(row)}>{b}</span>)}
      </div>
    );
  }
  return (
    <table className="dw-truth" data-truth-table={name} title={`${name}: input i is bit i of the row`}>
      <thead>
        <tr>{inputsOf(0, k).map((_, i) => <th key={i}>x{i}</th>)}<th className="dw-truth-out">out</th></tr>
      </thead>
      <tbody>
        {table.map((b, row) => (
          <tr key={row} title={tip(row)} data-row={row}>
            {inputsOf(row, k).map((x, i) => <td key={i}>{x}</td>)}
            <td className={`dw-truth-bit${b ? " dw-on" : ""}`}>{b}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const TruthTable = memo(TruthTableView);
