/**
 * The Runs page: every run, grouped by model (toggle), filtered by status / project / tag, searched
 * by name, archived ones hidden unless asked. The table is one scrolling list of every matching
 * run with only the rows in view rendered (RunsTable) and fetched in blocks as it scrolls
 * (useRunRows: keyset pages reading on, offset pages for a jump), so 100,000 runs never become
 * 100,000 DOM rows or one 100,000-run answer. Best-in-group and deltas come from the API as they
 * are (ranked over every matching run, not a block); grouped, it asks for sort=model so groups
 * come whole and in order. With a sort column or added columns it reads GET /table instead,
 * which sorts over every matching run and sends the added columns' cells.
 * Filters live in the URL so a reload or a shared link shows the same view. Live: runs created,
 * status changed or new points refetch the blocks in view, at most about once a second.
 */
import { useCallback, useMemo, useRef, useState } from "preact/hooks";
import { getTable } from "../api/runs";
import { type Location, navigate } from "../lib/router";
import { useApi } from "../lib/useApi";
import { BulkActions } from "./runs/BulkActions";
import { RunsTable } from "./runs/RunsTable";
import { type Offered, RunsToolbar } from "./runs/RunsToolbar";
import { useRunRows } from "./runs/useRunRows";
import { type Filters, PAGE_SIZE, filtered, filtersKey, filtersUrl, nextSort, readFilters } from "./runsFilters";

export { PAGE_SIZE };

export function RunsPage({ loc }: { loc: Location }) {
  const f = readFilters(loc.params);
  const fRef = useRef(f);
  fRef.current = f;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [askColumns, setAskColumns] = useState(false);
  const [view, setView] = useState<[number, number]>([0, 0]);

  const rows = useRunRows(f, filtersKey(f));
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
  const offered: Offered | null =
    rows.offered ??
    (columns.data
      ? { config: columns.data.config_columns, metrics: columns.data.metric_columns }
      : null);
  const error = rows.error ?? columns.error;

  const update = (patch: Partial<Filters>) => {
    const next = { ...fRef.current, ...patch };
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

  const toggle = useCallback(
    (id: string) =>
      setSelected((s) => {
        const n = new Set(s);
        if (n.has(id)) n.delete(id);
        else n.add(id);
        return n;
      }),
    [],
  );
  const toggleAll = (ids: string[], on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      for (const id of ids) {
        if (on) n.add(id);
        else n.delete(id);
      }
      return n;
    });
  // the runs the toolbar's project and tag suggestions come from: those held around the view
  const near = useMemo(() => rows.held().flatMap(([, rs]) => rs), [rows.version, rows.total]);

  return (
    <div class="page runs-page">
      <RunsToolbar
        f={f}
        update={update}
        runs={near}
        total={rows.total ?? 0}
        totalExact={rows.totalExact}
        view={view}
        loaded={rows.total !== null}
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
        refresh={rows.refresh}
        onError={rows.setError}
      />
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
      <RunsTable
        f={f}
        rows={rows}
        selected={selected}
        toggle={toggle}
        toggleAll={toggleAll}
        onSort={(column) => update(nextSort(fRef.current, column))}
        onRemoveColumn={removeColumn}
        onView={(a, b) => setView([a, b])}
      />
      {rows.total === 0 ? (
        <p class="empty">
          No runs{filtered(f) ? " match these filters" : " yet"}.
          Start one with <code>trainboard.init(...)</code>.
        </p>
      ) : null}
    </div>
  );
}
