/**
 * The Runs page's table: one row per run, grouped by model (a header row per group) or flat,
 * headers that sort server-side over every matching run, and the columns a person added
 * (hyperparameters, a metric's best value) with a × to take each away.
 */
import { useMemo } from "preact/hooks";
import type { RunOut, RunsTableOut } from "../../api/types";
import { ProgressBar } from "../../components/ProgressBar";
import { RunName } from "../../components/RunName";
import { RunColours, assignColors } from "../../lib/colors";
import { StatusBadge } from "../../components/StatusBadge";
import { Trophy } from "../../components/Trophy";
import { configValue, datetime, fixed, general } from "../../lib/format";
import { href, linkClick } from "../../lib/router";
import { type Filters, columnLabel } from "../runsFilters";

export type Cells = RunsTableOut["cells"];

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity")
    return general(v as number);
  return configValue(v);
}

/** A header that sorts the table server-side (over every matching run) when clicked. */
function SortHeader({
  f,
  column,
  label,
  num = false,
  onSort,
  onRemove,
}: {
  f: Filters;
  column: string;
  label: string;
  num?: boolean;
  onSort: (column: string) => void;
  onRemove?: () => void;
}) {
  const on = f.sort === column;
  const sortState = on ? (f.desc ? "descending" : "ascending") : "none";
  return (
    <th class={num ? "num" : ""} aria-sort={sortState} data-column={column}>
      <button type="button" class="sort" onClick={() => onSort(column)} title={`sort by ${label}`}>
        <bdi>{label}</bdi>
        <span class="sort-mark" aria-hidden="true">
          {on ? (f.desc ? " ▼" : " ▲") : ""}
        </span>
      </button>
      {onRemove ? (
        <button type="button" class="link remove-col" aria-label={`remove column ${label}`} onClick={onRemove}>
          ×
        </button>
      ) : null}
    </th>
  );
}

function deltaText(r: RunOut): string {
  return `${r.delta_text} ${r.best_label ?? "loss"}`;
}

function RunRow({
  r,
  selected,
  toggle,
  showModel,
  cols,
  cells,
}: {
  r: RunOut;
  selected: boolean;
  toggle: (id: string) => void;
  showModel: boolean;
  cols: string[];
  cells: Cells | null;
}) {
  const running = (r.progress?.status ?? r.status) === "running";
  const url = `/runs/${encodeURIComponent(r.id)}`;
  return (
    <tr class={`${selected ? "selected" : ""}${r.archived ? " archived" : ""}`} data-run-id={r.id}>
      <td class="c-check">
        <input
          type="checkbox"
          aria-label={`select ${r.name}`}
          checked={selected}
          onChange={() => toggle(r.id)}
        />
      </td>
      <td class="c-name">
        <a href={href(url)} onClick={linkClick(url)} class="run-link">
          <RunName name={r.name} id={r.id} swatch />
        </a>
        {r.chosen ? (
          <span class="chip chosen" title="you chose this run" data-testid="chosen">
            chosen
          </span>
        ) : null}
        {r.archived ? <span class="chip">archived</span> : null}
        {r.tags.map((t) => (
          <span class="chip" key={t}>
            {t}
          </span>
        ))}
      </td>
      {showModel ? <td class="c-model">{r.model ?? "—"}</td> : null}
      <td class="c-status">
        <StatusBadge status={r.progress?.status ?? r.status} />
      </td>
      <td class="c-progress">
        <ProgressBar pct={r.progress?.percent} status={r.progress?.status ?? r.status} />
      </td>
      <td class="num">{fixed(r.current_loss, 4)}</td>
      <td class="num c-bestval" title={r.best_note ?? (r.eval_key ? `from ${r.eval_key}` : undefined)}>
        {r.best_text}
        {r.best_label && !r.best_note ? <span class="muted best-label"> {r.best_label}</span> : null}
        {r.best_note ? <span class="muted best-note"> ({r.best_note})</span> : null}
      </td>
      <td class="c-best">
        {r.group_best ? (
          <span
            class={running ? "best so-far" : "best"}
            title={running ? "best of this model so far: the run is still going" : "best run of this model"}
            data-testid="group-best"
          >
            <Trophy /> {running ? "best so far" : "best"}
          </span>
        ) : r.delta_to_best_pct != null ? (
          <span class="delta num">{deltaText(r)}</span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td class="num">{r.progress?.elapsed_text ?? "—"}</td>
      <td class="num muted">{datetime(r.created_at)}</td>
      {cols.map((c) => (
        <td class="num" key={c} data-column={c}>
          {cellText(cells?.[r.id]?.[c])}
        </td>
      ))}
    </tr>
  );
}

/** Runs split by model when grouped (one group, "", when not), in the order the API sent;
 * runs without a model are grouped by project, as the server ranks them. */
function groupRuns(runs: RunOut[], byModel: boolean): [string, RunOut[]][] {
  const m = new Map<string, RunOut[]>();
  for (const r of runs) {
    const k = byModel ? (r.model ?? `${r.project} (no model)`) : "";
    const list = m.get(k) ?? [];
    list.push(r);
    m.set(k, list);
  }
  return [...m.entries()];
}

export function RunsTable({
  f,
  runs,
  cells,
  selected,
  allOnPage,
  toggle,
  toggleAll,
  onSort,
  onRemoveColumn,
}: {
  f: Filters;
  runs: RunOut[];
  cells: Cells | null;
  selected: Set<string>;
  allOnPage: boolean;
  toggle: (id: string) => void;
  toggleAll: () => void;
  onSort: (column: string) => void;
  onRemoveColumn: (column: string) => void;
}) {
  const groups = useMemo(() => groupRuns(runs, f.group), [runs, f.group]);
  const cols = (f.group ? 9 : 10) + f.cols.length;
  // the runs on this page of the list are one view: distinct colours
  const colours = useMemo(() => assignColors(runs.map((r) => r.id)), [runs]);
  return (
    <RunColours.Provider value={colours}>
      <div class="table-scroll">
        <table class="runs">
          <thead>
            <tr>
              <th class="c-check">
                <input
                  type="checkbox"
                  aria-label="select all on this page"
                  checked={allOnPage}
                  onChange={toggleAll}
                />
              </th>
              <SortHeader f={f} column="name" label="name" onSort={onSort} />
              {f.group ? null : <SortHeader f={f} column="model" label="model" onSort={onSort} />}
              <SortHeader f={f} column="status" label="status" onSort={onSort} />
              <th>progress</th>
              <th class="num">loss</th>
              <th class="num">best value</th>
              <th>vs best</th>
              <SortHeader f={f} column="duration" label="duration" num onSort={onSort} />
              <SortHeader f={f} column="created" label="created" num onSort={onSort} />
              {f.cols.map((c) => (
                <SortHeader
                  key={c}
                  f={f}
                  column={c}
                  label={columnLabel(c)}
                  num
                  onSort={onSort}
                  onRemove={() => onRemoveColumn(c)}
                />
              ))}
            </tr>
          </thead>
          {groups.map(([model, rs]) => (
            <tbody key={model} class="group" data-model={model}>
              {f.group ? (
                <tr class="group-head">
                  <td colSpan={cols}>
                    <span class="group-model">{model || "(no model)"}</span>
                    <span class="muted num"> · {rs.length} run{rs.length === 1 ? "" : "s"}</span>
                  </td>
                </tr>
              ) : null}
              {rs.map((r) => (
                <RunRow
                  key={r.id}
                  r={r}
                  selected={selected.has(r.id)}
                  toggle={toggle}
                  showModel={!f.group}
                  cols={f.cols}
                  cells={cells}
                />
              ))}
            </tbody>
          ))}
        </table>
      </div>
    </RunColours.Provider>
  );
}
