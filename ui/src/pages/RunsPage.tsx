/**
 * The Runs page: every run, grouped by model (toggle), filtered by status / project / tag, searched
 * by name, archived ones hidden unless asked. The list is paged through the API (limit/offset), so
 * 10,000 runs never become 10,000 DOM rows. Best-in-group and deltas come from the API as they are
 * (ranked over every matching run, not the page); grouped, it asks for sort=model so a page holds
 * whole model groups in order. With a sort column or added columns it reads GET /table instead,
 * which sorts over every matching run and sends the added columns' cells.
 * Filters live in the URL so a reload or a shared link shows the same view. Live: runs created,
 * status changed or new points refetch the page, at most about once a second.
 */
import { useRef, useState } from "preact/hooks";
import { getTable, listRuns } from "../api/runs";
import type { RunStatus, RunsOut, RunsTableOut } from "../api/types";
import { type Location, navigate } from "../lib/router";
import { useApi } from "../lib/useApi";
import { BulkActions } from "./runs/BulkActions";
import { RunsTable } from "./runs/RunsTable";
import { type Offered, RunsToolbar } from "./runs/RunsToolbar";
import { type Filters, PAGE_SIZE, filtered, filtersUrl, nextSort, readFilters } from "./runsFilters";

export { PAGE_SIZE };

/** One page of runs for the filters `f`: GET /table when sorted or with added columns (the
 * cells come with it), else the lighter GET /runs. */
function loadRuns(f: Filters, signal: AbortSignal): Promise<RunsOut | RunsTableOut> {
  const where = {
    status: (f.status || undefined) as RunStatus | undefined, // the API names a bad one
    project: f.project || undefined,
    tag: f.tag || undefined,
    search: f.search || undefined,
    archived: f.archived ? ("all" as const) : ("false" as const),
    limit: PAGE_SIZE,
    offset: f.offset,
  };
  if (f.sort || f.cols.length)
    return getTable(
      {
        ...where,
        sort: f.sort || (f.group ? "model" : "created"),
        desc: f.sort ? f.desc : !f.group,
        group: f.group,
        columns: f.cols,
      },
      signal,
    );
  // grouped: pages hold whole model groups, in order (the API ranks across pages anyway);
  // a row shows neither config nor summary, so leave them out
  return listRuns({ ...where, sort: f.group ? "model" : undefined, fields: "row" }, signal);
}

export function RunsPage({ loc }: { loc: Location }) {
  const f = readFilters(loc.params);
  const fRef = useRef(f);
  fRef.current = f;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [askColumns, setAskColumns] = useState(false);

  // coalesced: a busy run sends points many times a second, the list refetches about once
  const list = useApi((signal) => loadRuns(f, signal), [filtersUrl(f)], {
    on: ["runs", "points"],
    everyMs: 700,
  });
  const data = list.data;
  const table = data && "cells" in data ? data : null;
  // The add-a-column menu lists what the matching runs have: a table answer says; otherwise it
  // is asked for once, when the menu is first opened.
  const columns = useApi(
    askColumns
      ? (signal) =>
          getTable(
            {
              archived: f.archived ? "all" : "false",
              project: f.project || undefined,
              limit: 1,
              sort: "created",
              desc: true,
              group: false,
              columns: [],
            },
            signal,
          )
      : null,
    [askColumns],
  );
  const from = table ?? columns.data;
  const offered: Offered | null = from
    ? { config: from.config_columns, metrics: from.metric_columns }
    : null;
  const error = list.error ?? columns.error;

  const update = (patch: Partial<Filters>) => {
    const next = { ...fRef.current, offset: 0, ...patch };
    navigate(filtersUrl(next), true);
  };
  const addColumn = (c: string) => {
    if (c && !fRef.current.cols.includes(c)) update({ cols: [...fRef.current.cols, c] });
  };
  const removeColumn = (c: string) =>
    update({
      cols: fRef.current.cols.filter((x) => x !== c),
      sort: fRef.current.sort === c ? "" : fRef.current.sort,
    });

  const runs = data?.runs ?? [];
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

  return (
    <div class="page runs-page">
      <RunsToolbar
        f={f}
        update={update}
        runs={runs}
        total={data?.total ?? 0}
        loaded={data !== null}
        offered={offered}
        onOpenColumns={() => {
          if (offered) return;
          if (columns.error) void columns.refresh();
          else setAskColumns(true);
        }}
        onAddColumn={addColumn}
      />
      <BulkActions
        ids={[...selected]}
        clear={() => setSelected(new Set())}
        refresh={list.refresh}
        onError={list.setError}
      />
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
      <RunsTable
        f={f}
        runs={runs}
        cells={table?.cells ?? null}
        selected={selected}
        allOnPage={allOnPage}
        toggle={toggle}
        toggleAll={toggleAll}
        onSort={(column) => update(nextSort(fRef.current, column))}
        onRemoveColumn={removeColumn}
      />
      {data && runs.length === 0 ? (
        <p class="empty">
          No runs{filtered(f) ? " match these filters" : " yet"}.
          Start one with <code>trainboard.init(...)</code>.
        </p>
      ) : null}
    </div>
  );
}
