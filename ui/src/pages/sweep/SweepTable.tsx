/**
 * The HParams table: one row per run with its status, objective and the chosen parameter and
 * metric columns; any header sorts (objective best-first by default); the best trial carries the
 * trophy. Sorting is display order only: the values and the best trial come from GET /sweep.
 */
import type { SweepOut, SweepRunOut } from "../../api/types";
import { RunName } from "../../components/RunName";
import { StatusBadge } from "../../components/StatusBadge";
import { Trophy } from "../../components/Trophy";
import { general, num } from "../../lib/format";
import { href, linkClick } from "../../lib/router";

export interface Sort {
  col: string; // "name", "status", "objective", "param:<name>", "metric:<key>"
  desc: boolean;
}

function cell(r: SweepRunOut, col: string): unknown {
  if (col === "name") return r.name;
  if (col === "status") return r.status;
  if (col === "objective") return num(r.objective);
  if (col.startsWith("param:")) return r.params[col.slice(6)];
  if (col.startsWith("metric:")) return num(r.metrics[col.slice(7)]);
  return null;
}

function missing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
}

/** The rows in `sort` order; runs without a value in the sorted column always come last. */
export function sortRuns(sweep: SweepOut, sort: Sort): SweepRunOut[] {
  return [...sweep.runs].sort((x, y) => {
    const a = cell(x, sort.col);
    const b = cell(y, sort.col);
    if (missing(a) || missing(b)) return Number(missing(a)) - Number(missing(b));
    const c =
      typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
    return sort.desc ? -c : c;
  });
}

export function SweepTable({
  sweep,
  params,
  metrics,
  sort,
  onSort,
}: {
  sweep: SweepOut;
  params: string[];
  metrics: string[];
  sort: Sort;
  onSort: (s: Sort) => void;
}) {
  const cols: { col: string; label: string; num: boolean }[] = [
    { col: "name", label: "run", num: false },
    { col: "status", label: "status", num: false },
    { col: "objective", label: `${sweep.metric ?? "objective"} (${sweep.goal})`, num: true },
    ...params.map((p) => ({ col: `param:${p}`, label: p, num: true })),
    ...metrics.map((m) => ({ col: `metric:${m}`, label: m, num: true })),
  ];
  const rows = sortRuns(sweep, sort);
  const head = (c: (typeof cols)[number]) => {
    const on = sort.col === c.col;
    return (
      <th class={c.num ? "num" : ""} data-col={c.col} aria-sort={on ? (sort.desc ? "descending" : "ascending") : "none"}>
        <button type="button" class="sort" onClick={() => onSort({ col: c.col, desc: on ? !sort.desc : false })}>
          {c.label}
          {on ? (sort.desc ? " ▼" : " ▲") : ""}
        </button>
      </th>
    );
  };
  return (
    <div class="table-scroll">
      <table class="runs sweep-table" data-testid="sweep-table">
        <thead>
          <tr>{cols.map(head)}</tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr data-run-id={r.id} data-status={r.status} class={r.id === sweep.best ? "best" : ""}>
              <td>
                {r.id === sweep.best ? (
                  <span data-testid="best-trial" title="best trial">
                    <Trophy />{" "}
                  </span>
                ) : null}
                <a href={href(`/runs/${r.id}`)} onClick={linkClick(`/runs/${r.id}`)}>
                  <RunName name={r.name} id={r.id} />
                </a>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              {cols.slice(2).map((c) => {
                const v = cell(r, c.col);
                return (
                  <td class="num" data-col={c.col}>
                    {typeof v === "number" || v === null ? general(v as number | null) : String(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
