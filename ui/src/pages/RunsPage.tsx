/**
 * The Runs page: every run, grouped by model (toggle), filtered by status / project / tag, searched
 * by name, archived ones hidden unless asked. The list is paged through the API (limit/offset), so
 * 10,000 runs never become 10,000 DOM rows. Best-in-group and deltas come from the API as they are
 * (ranked over every matching run, not the page); grouped, it asks for sort=model so a page holds
 * whole model groups in order.
 * Filters live in the URL so a reload or a shared link shows the same view.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { archiveRuns, deleteRuns, getTable, listRuns, unarchiveRuns } from "../api/runs";
import { RUN_STATUSES, type RunOut, type RunsOut, type RunsTableOut } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ProgressBar } from "../components/ProgressBar";
import { RunName } from "../components/RunName";
import { StatusBadge } from "../components/StatusBadge";
import { Trophy } from "../components/Trophy";
import { subscribe } from "../lib/events";
import { configValue, datetime, fixed, general, int } from "../lib/format";
import { href, linkClick, navigate, type Location } from "../lib/router";
import { coalesce } from "../lib/schedule";
import {
  type Filters,
  PAGE_SIZE,
  columnLabel,
  filtered,
  filtersUrl,
  nextSort,
  readFilters,
} from "./runsFilters";
import { errorText } from "../lib/useApi";

export { PAGE_SIZE };

type Cells = RunsTableOut["cells"];

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
  const metric = (r.eval_key ?? "loss").replace(/[/_]/g, " ");
  return `${r.delta_text} ${metric}`;
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
      <td class="num c-bestval">
        {r.best_text}
        {r.best_label ? <span class="muted best-label"> {r.best_label}</span> : null}
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

export function RunsPage({ loc }: { loc: Location }) {
  const f = readFilters(loc.params);
  const [data, setData] = useState<RunsOut | null>(null);
  const [cells, setCells] = useState<Cells | null>(null);
  const [offered, setOffered] = useState<{ config: string[]; metrics: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // typed filters apply as you type, debounced (one request per pause, not per key)
  const [search, setSearch] = useState(f.search);
  const [project, setProject] = useState(f.project);
  const [tag, setTag] = useState(f.tag);
  const fRef = useRef(f);
  fRef.current = f;

  const update = (patch: Partial<Filters>) => {
    const next = { ...fRef.current, offset: 0, ...patch };
    navigate(filtersUrl(next), true);
  };

  const load = async () => {
    const cur = fRef.current;
    try {
      if (cur.sort || cur.cols.length) {
        const t = await getTable({
          status: cur.status || undefined,
          project: cur.project || undefined,
          tag: cur.tag || undefined,
          search: cur.search || undefined,
          archived: cur.archived ? "all" : "false",
          limit: PAGE_SIZE,
          offset: cur.offset,
          sort: cur.sort || (cur.group ? "model" : "created"),
          desc: cur.sort ? cur.desc : !cur.group,
          group: cur.group,
          columns: cur.cols,
        });
        setData(t);
        setCells(t.cells);
        setOffered({ config: t.config_columns, metrics: t.metric_columns });
        setError(null);
        return;
      }
      const out = await listRuns({
        status: cur.status || undefined,
        project: cur.project || undefined,
        tag: cur.tag || undefined,
        search: cur.search || undefined,
        archived: cur.archived ? "all" : "false",
        limit: PAGE_SIZE,
        offset: cur.offset,
        // grouped: pages hold whole model groups, in order (the API ranks across pages anyway)
        sort: cur.group ? "model" : undefined,
        fields: "row", // a row shows neither config nor summary
      });
      setData(out);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const key = filtersUrl(f);
  useEffect(() => {
    void load();
  }, [key]);

  // Live: runs created / status changed / new points; coalesced so a busy run costs ~1 fetch/s.
  useEffect(() => {
    const refresh = coalesce(load, 700);
    const offs = [subscribe("runs", refresh), subscribe("points", refresh)];
    return () => {
      refresh.cancel();
      for (const off of offs) off();
    };
  }, []);

  // Typed filters are debounced so typing does not send a request per key.
  useEffect(() => {
    if (search === f.search && project.trim() === f.project && tag.trim() === f.tag) return;
    const t = setTimeout(() => update({ search, project: project.trim(), tag: tag.trim() }), 250);
    return () => clearTimeout(t);
  }, [search, project, tag]);

  const sortBy = (column: string) => update(nextSort(fRef.current, column));
  const addColumn = (c: string) => {
    if (c && !fRef.current.cols.includes(c)) update({ cols: [...fRef.current.cols, c] });
  };
  const removeColumn = (c: string) =>
    update({
      cols: fRef.current.cols.filter((x) => x !== c),
      sort: fRef.current.sort === c ? "" : fRef.current.sort,
    });
  const loadOffered = () => {
    if (offered) return;
    const cur = fRef.current;
    getTable({
      archived: cur.archived ? "all" : "false",
      project: cur.project || undefined,
      limit: 1,
      sort: "created",
      desc: true,
      group: false,
      columns: [],
    })
      .then((t) => setOffered({ config: t.config_columns, metrics: t.metric_columns }))
      .catch((e) => setError(errorText(e)));
  };

  const runs = data?.runs ?? [];
  const groups = useMemo(() => {
    const m = new Map<string, RunOut[]>();
    for (const r of runs) {
      const k = f.group ? (r.model ?? "") : "";
      const list = m.get(k) ?? [];
      list.push(r);
      m.set(k, list);
    }
    return [...m.entries()];
  }, [runs, f.group]);

  const projects = useMemo(
    () => [...new Set(runs.map((r) => r.project).filter((p): p is string => !!p))].sort(),
    [runs],
  );
  const tags = useMemo(() => [...new Set(runs.flatMap((r) => r.tags))].sort(), [runs]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allOnPage = runs.length > 0 && runs.every((r) => selected.has(r.id));
  const toggleAll = () =>
    setSelected((s) => {
      const n = new Set(s);
      if (allOnPage) for (const r of runs) n.delete(r.id);
      else for (const r of runs) n.add(r.id);
      return n;
    });

  const ids = [...selected];
  const act = async (what: string, fn: () => Promise<unknown>, clear: boolean) => {
    setBusy(true);
    try {
      await fn();
      setNotice(what);
      if (clear) setSelected(new Set());
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const total = data?.total ?? 0;
  const from = total ? f.offset + 1 : 0;
  const to = Math.min(total, f.offset + runs.length);
  const cols = (f.group ? 9 : 10) + f.cols.length;

  return (
    <div class="page runs-page">
      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder="Search runs by name"
          aria-label="search by name"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <select
          aria-label="status"
          value={f.status}
          onChange={(e) => update({ status: (e.target as HTMLSelectElement).value })}
        >
          <option value="">all statuses</option>
          {RUN_STATUSES.map((s) => (
            <option value={s} key={s}>
              {s}
            </option>
          ))}
        </select>
        <input
          list="tb-projects"
          placeholder="project"
          aria-label="project"
          value={project}
          onInput={(e) => setProject((e.target as HTMLInputElement).value)}
        />
        <datalist id="tb-projects">
          {projects.map((p) => (
            <option value={p} key={p} />
          ))}
        </datalist>
        <input
          list="tb-tags"
          placeholder="tag"
          aria-label="tag"
          value={tag}
          onInput={(e) => setTag((e.target as HTMLInputElement).value)}
        />
        <datalist id="tb-tags">
          {tags.map((t) => (
            <option value={t} key={t} />
          ))}
        </datalist>
        <label class="toggle">
          <input
            type="checkbox"
            checked={f.group}
            onChange={(e) => update({ group: (e.target as HTMLInputElement).checked })}
          />
          group by model
        </label>
        <label class="toggle">
          <input
            type="checkbox"
            checked={f.archived}
            onChange={(e) => update({ archived: (e.target as HTMLInputElement).checked })}
          />
          show archived
        </label>
        <select
          aria-label="add a column"
          value=""
          onFocus={loadOffered}
          onMouseDown={loadOffered}
          onChange={(e) => addColumn((e.target as HTMLSelectElement).value)}
        >
          <option value="">add a column…</option>
          {offered ? (
            <>
              <optgroup label="config (hyperparameters)">
                {offered.config.map((c) => (
                  <option key={c} value={`config.${c}`} disabled={f.cols.includes(`config.${c}`)}>
                    {c}
                  </option>
                ))}
              </optgroup>
              <optgroup label="metrics (best value)">
                {offered.metrics.map((c) => (
                  <option key={c} value={`metric.${c}`} disabled={f.cols.includes(`metric.${c}`)}>
                    {c}
                  </option>
                ))}
              </optgroup>
            </>
          ) : (
            <option value="" disabled>
              loading…
            </option>
          )}
        </select>
        <span class="grow" />
        <span class="muted num" data-testid="runs-count">
          {data ? `${int(from)}–${int(to)} of ${int(total)}` : "loading…"}
        </span>
        <button
          type="button"
          disabled={f.offset <= 0}
          onClick={() => update({ offset: Math.max(0, f.offset - PAGE_SIZE) })}
          aria-label="previous page"
        >
          ‹
        </button>
        <button
          type="button"
          disabled={f.offset + PAGE_SIZE >= total}
          onClick={() => update({ offset: f.offset + PAGE_SIZE })}
          aria-label="next page"
        >
          ›
        </button>
      </div>

      <div class={`bulk${ids.length ? " on" : ""}`} aria-label="bulk actions">
        <span class="num">{ids.length} selected</span>
        <button
          type="button"
          class="primary"
          disabled={ids.length < 2 || busy}
          title="select two or more runs to compare"
          onClick={() => navigate(`/compare?runs=${ids.map(encodeURIComponent).join(",")}`)}
        >
          Compare
        </button>
        <button
          type="button"
          disabled={!ids.length || busy}
          onClick={() => act(`archived ${ids.length} run(s)`, () => archiveRuns(ids), true)}
        >
          Archive
        </button>
        <button
          type="button"
          disabled={!ids.length || busy}
          onClick={() => act(`unarchived ${ids.length} run(s)`, () => unarchiveRuns(ids), true)}
        >
          Unarchive
        </button>
        <button
          type="button"
          class="danger"
          disabled={!ids.length || busy}
          onClick={() => setConfirmDelete(true)}
        >
          Delete…
        </button>
        <button type="button" class="link" disabled={!ids.length} onClick={() => setSelected(new Set())}>
          clear
        </button>
        {notice ? <span class="notice">{notice}</span> : null}
      </div>

      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}

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
              <SortHeader f={f} column="name" label="name" onSort={sortBy} />
              {f.group ? null : <SortHeader f={f} column="model" label="model" onSort={sortBy} />}
              <SortHeader f={f} column="status" label="status" onSort={sortBy} />
              <th>progress</th>
              <th class="num">loss</th>
              <th class="num">best value</th>
              <th>vs best</th>
              <SortHeader f={f} column="duration" label="duration" num onSort={sortBy} />
              <SortHeader f={f} column="created" label="created" num onSort={sortBy} />
              {f.cols.map((c) => (
                <SortHeader
                  key={c}
                  f={f}
                  column={c}
                  label={columnLabel(c)}
                  num
                  onSort={sortBy}
                  onRemove={() => removeColumn(c)}
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
      {data && runs.length === 0 ? (
        <p class="empty">
          No runs{filtered(f) ? " match these filters" : " yet"}.
          Start one with <code>trainboard.init(...)</code>.
        </p>
      ) : null}

      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete ${ids.length} run${ids.length === 1 ? "" : "s"}?`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => {
            setConfirmDelete(false);
            void act(`deleted ${ids.length} run(s)`, () => deleteRuns(ids), true);
          }}
        >
          <p>
            This removes their metrics, texts, histograms and artifacts records for good. Archive
            instead to only hide them.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
