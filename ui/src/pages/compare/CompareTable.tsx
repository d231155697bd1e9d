/** The side-by-side table: a column per run, the best value of each row highlighted. */
import type { CompareOut } from "../../api/types";
import { RunLabel } from "./RunLabel";

export function CompareTable({ data }: { data: CompareOut }) {
  return (
    <section class="card table-wrap">
      <table class="compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th />
            {data.runs.map((r) => (
              <th key={r.id} data-run-id={r.id}>
                <RunLabel run={r} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.rows.map((row) => (
            <tr key={row.key} data-row={row.key}>
              <th scope="row">{row.label}</th>
              {data.runs.map((r) => {
                const best = row.best.includes(r.id);
                const warn = row.key === "delta_pct" && r.warning;
                return (
                  <td
                    key={r.id}
                    data-run-id={r.id}
                    data-best={best ? "true" : undefined}
                    class={`num${best ? " best-cell" : ""}${warn ? " warn-cell" : ""}`}
                  >
                    {r.text[row.key] ?? "—"}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
