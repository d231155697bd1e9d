/**
 * The Runs page's table: one row per run, grouped by model (a header row per group) or flat,
 * headers that sort server-side over every matching run, and the columns a person added
 * (hyperparameters, a metric's best value) with a × to take each away.
 */
import { memo } from "preact/compat";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { RunOut } from "../../api/types";
import { ProgressBar } from "../../components/ProgressBar";
import { RunName } from "../../components/RunName";
import { RunColours, assignColors } from "../../lib/colors";
import { StatusBadge } from "../../components/StatusBadge";
import { Trophy } from "../../components/Trophy";
import { configValue, datetime, fixed, general, isNum } from "../../lib/format";
import { href, linkClick } from "../../lib/router";
import { type Filters, PAGE_SIZE, columnLabel, filtersKey } from "../runsFilters";
import type { RunRows } from "./useRunRows";

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (isNum(v)) return general(v);
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

function RunRowView({
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
  cells: Record<string, unknown> | undefined;
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
          {cellText(cells?.[c])}
        </td>
      ))}
    </tr>
  );
}

/** A row renders again only when what it shows changed: while the table scrolls, the rows that
 * stay in view are left alone (the rows list is rebuilt every frame). */
const RunRow = memo(
  RunRowView,
  (a, b) =>
    a.r === b.r &&
    a.selected === b.selected &&
    a.toggle === b.toggle &&
    a.showModel === b.showModel &&
    a.cells === b.cells &&
    a.cols.join("\n") === b.cols.join("\n"),
);

/** The group a run is shown in: its model, or its project's "no model" group, as the server
 * ranks them. */
function groupOf(r: RunOut): string {
  return r.model ?? `${r.project} (no model)`;
}

/** Fallback row height (px) until a row has been measured; rows are kept one line high. */
const ROW_H = 37;
/** Rows rendered above and below the ones in view, so a fast scroll shows rows, not gaps. */
const OVERSCAN = 12;
/** Lists this short are rendered whole (no spacers): a person can Ctrl-F them. */
const WHOLE = 300;

type Item = { head: string } | { i: number };

/**
 * Where each item (a run, or in grouped view a group's header row) sits: rows are all one
 * height, so the item at y is y / height. A group header sits before the first run of each
 * group, known where both that run and the one before it are held; the runs not yet fetched
 * are placeholders of the same height, so the scrollbar is exact for every row.
 */
function headsOf(rows: RunRows, grouped: boolean): number[] {
  if (!grouped) return [];
  const heads: number[] = [];
  let prev: RunOut | undefined;
  let prevI = -2;
  for (const [k, runs] of rows.held()) {
    runs.forEach((r, j) => {
      const i = k * PAGE_SIZE + j;
      if (i === 0 || (prev && prevI === i - 1 && groupOf(prev) !== groupOf(r))) heads.push(i);
      prev = r;
      prevI = i;
    });
  }
  return heads;
}

function itemAt(item: number, heads: number[]): Item {
  let k = 0;
  for (const h of heads) {
    const at = h + k; // the header's item index
    if (at === item) return { head: "" + h };
    if (at < item) k++;
    else break;
  }
  return { i: item - k };
}

export function RunsTable({
  f,
  rows,
  selected,
  toggle,
  toggleAll,
  onSort,
  onRemoveColumn,
  onView,
}: {
  f: Filters;
  rows: RunRows;
  selected: Set<string>;
  toggle: (id: string) => void;
  toggleAll: (ids: string[], on: boolean) => void;
  onSort: (column: string) => void;
  onRemoveColumn: (column: string) => void;
  /** The rows in view (first, last), for the count in the toolbar. */
  onView: (first: number, last: number) => void;
}) {
  const total = rows.total ?? 0;
  const cols = (f.group ? 9 : 10) + f.cols.length;
  const scroller = useRef<HTMLDivElement>(null);
  const [rowH, setRowH] = useState(ROW_H);
  const [headH, setHeadH] = useState(ROW_H);
  const [scroll, setScroll] = useState({ top: 0, height: 800 });
  const frame = useRef(0);
  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = scroller.current;
      if (el) setScroll({ top: el.scrollTop, height: el.clientHeight });
    });
  };
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const key = filtersKey(f);
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0; // a new view starts at its top
  }, [key]);

  const heads = useMemo(() => headsOf(rows, f.group), [rows.version, f.group, key]);
  const items = total + heads.length;
  const whole = items <= WHOLE;
  const first = whole ? 0 : Math.max(0, Math.floor(scroll.top / rowH) - OVERSCAN);
  const last = whole
    ? items - 1
    : Math.min(items - 1, Math.ceil((scroll.top + scroll.height) / rowH) + OVERSCAN);
  const shown: Item[] = [];
  for (let it = first; it <= last; it++) shown.push(itemAt(it, heads));
  const runIdx = shown.flatMap((x) => ("i" in x ? [x.i] : []));
  // the rows a person sees whole: below the sticky header, above the box's bottom edge
  const inView = runIdx.filter((i) => {
    const y = (i + heads.filter((h) => h <= i).length) * rowH;
    return y >= scroll.top - 1 && y + rowH <= scroll.top + scroll.height - headH + 1;
  });
  const lo = runIdx[0] ?? 0;
  const hi = runIdx[runIdx.length - 1] ?? 0;
  useEffect(() => {
    if (rows.total !== null && runIdx.length) rows.want(lo, hi);
  }, [lo, hi, key, rows.total === null]);
  const viewA = inView[0] ?? lo;
  const viewB = inView[inView.length - 1] ?? hi;
  useEffect(() => onView(viewA, viewB), [viewA, viewB, total]);

  // rows are one height: measure a real one once (fonts differ) and lay out by it
  useLayoutEffect(() => {
    const tr = scroller.current?.querySelector<HTMLElement>("tr[data-run-id]");
    const h = tr?.getBoundingClientRect().height;
    if (h && Math.abs(h - rowH) > 0.5) setRowH(h);
    const th = scroller.current?.querySelector("thead")?.getBoundingClientRect().height;
    if (th && Math.abs(th - headH) > 0.5) setHeadH(th);
  });

  const loadedRuns = runIdx.map((i) => rows.row(i)).filter((r): r is RunOut => !!r);
  const allShown = loadedRuns.length > 0 && loadedRuns.every((r) => selected.has(r.id));
  // the runs shown are one view: distinct colours
  const colours = useMemo(() => assignColors(loadedRuns.map((r) => r.id)), [loadedRuns.map((r) => r.id).join()]);

  // consecutive items of one group go in one tbody (grouped view), as a person reads them
  const bodies: { model: string; items: Item[] }[] = [];
  for (const x of shown) {
    const r = "i" in x ? rows.row(x.i) : rows.row(Number(x.head));
    const model = f.group && r ? groupOf(r) : "";
    const cur = bodies[bodies.length - 1];
    if (cur && cur.model === model && !("head" in x)) cur.items.push(x);
    else bodies.push({ model, items: [x] });
  }
  const padTop = first * rowH;
  const padBottom = Math.max(0, (items - 1 - last) * rowH);
  return (
    <RunColours.Provider value={colours}>
      <div class="table-scroll runs-scroll" ref={scroller} onScroll={onScroll} data-testid="runs-scroll">
        <table class="runs" data-rows={total}>
          <thead>
            <tr>
              <th class="c-check">
                <input
                  type="checkbox"
                  aria-label="select all shown"
                  checked={allShown}
                  onChange={() => toggleAll(loadedRuns.map((r) => r.id), !allShown)}
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
          {padTop > 0 ? (
            <tbody aria-hidden="true">
              <tr class="spacer" style={{ height: `${padTop}px` }} />
            </tbody>
          ) : null}
          {bodies.map((b, n) => (
            <tbody key={`${b.model}/${n}`} class="group" data-model={b.model}>
              {b.items.map((x) =>
                "head" in x ? (
                  <tr class="group-head" key={`h${x.head}`}>
                    <td colSpan={cols}>
                      <span class="group-model">{b.model || "(no model)"}</span>
                    </td>
                  </tr>
                ) : rows.row(x.i) ? (
                  <RunRow
                    key={rows.row(x.i)!.id}
                    r={rows.row(x.i)!}
                    selected={selected.has(rows.row(x.i)!.id)}
                    toggle={toggle}
                    showModel={!f.group}
                    cols={f.cols}
                    cells={rows.cells(x.i)}
                  />
                ) : (
                  <tr class="placeholder" key={`p${x.i}`} data-row={x.i}>
                    <td colSpan={cols} class="muted">
                      …
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          ))}
          {padBottom > 0 ? (
            <tbody aria-hidden="true">
              <tr class="spacer" style={{ height: `${padBottom}px` }} />
            </tbody>
          ) : null}
        </table>
      </div>
    </RunColours.Provider>
  );
}
