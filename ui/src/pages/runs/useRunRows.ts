/**
 * The rows of the Runs table, fetched in blocks of PAGE_SIZE as the table scrolls to them, so
 * a list of 100,000 runs is never read (or rendered) whole.
 *
 * How a block is asked for: the block right after one already held, in the plain newest-first
 * list, by keyset (`after=CREATED_AT,ID` of the held block's last run: one index seek however
 * deep the list is); any other block (a jump by the scrollbar to row 80,000, a sorted or
 * grouped view, whose order has no keyset in the API) by offset, which the store answers from
 * the order's index. Keyset makes reading on row by row cost the same at the end as at the
 * top; offset is what lets a jump land on any row without reading those before it.
 *
 * Live: when runs change (events) the blocks in view are fetched again and the others are
 * forgotten (a new run at the top shifts every offset by one), at most about once a second.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { getTable, listRuns } from "../../api/runs";
import type { RunOut, RunStatus, RunsOut, RunsTableOut } from "../../api/types";
import { useLive } from "../../lib/live";
import { errorText } from "../../lib/useApi";
import { type Filters, PAGE_SIZE } from "../runsFilters";

export type Cells = RunsTableOut["cells"];

interface Block {
  runs: RunOut[];
  cells: Cells | null;
}

export interface RunRows {
  /** Every matching run's count; null until the first block is in. */
  total: number | null;
  /** False when `total` is a lower bound: more runs match than the server counted
   * (a name search or tag matching over 10,000 runs); the count then reads "10,000+". */
  totalExact: boolean;
  /** The run at row i, when its block is held. */
  row: (i: number) => RunOut | undefined;
  /** The added columns' cells of the run at row i (a table answer's). */
  cells: (i: number) => Record<string, unknown> | undefined;
  /** The blocks held, in row order: (block number, its runs). */
  held: () => [number, RunOut[]][];
  /** Ask for the blocks that hold rows first..last (inclusive). */
  want: (first: number, last: number) => void;
  /** Bumps when a block arrives (what to memoise on). */
  version: number;
  offered: { config: string[]; metrics: string[] } | null;
  error: string | null;
  setError: (e: string | null) => void;
  refresh: () => Promise<void>;
}

/** Whether the view is the plain newest-first list, the one order the API pages by keyset. */
function keysetOrder(f: Filters): boolean {
  return !f.sort && !f.cols.length && !f.group;
}

function fetchBlock(
  f: Filters,
  k: number,
  before: RunOut | undefined,
  signal: AbortSignal,
): Promise<RunsOut | RunsTableOut> {
  const where = {
    status: (f.status || undefined) as RunStatus | undefined, // the API names a bad one
    project: f.project || undefined,
    tag: f.tag || undefined,
    search: f.search || undefined,
    archived: f.archived ? ("all" as const) : ("false" as const),
    limit: PAGE_SIZE,
  };
  if (f.sort || f.cols.length)
    return getTable(
      {
        ...where,
        offset: k * PAGE_SIZE,
        sort: f.sort || (f.group ? "model" : "created"),
        desc: f.sort ? f.desc : !f.group,
        group: f.group,
        columns: f.cols,
      },
      signal,
    );
  // a row shows neither config nor summary, so leave them out
  const page =
    before && keysetOrder(f)
      ? { after: `${before.created_at},${before.id}` }
      : { offset: k * PAGE_SIZE };
  return listRuns({ ...where, ...page, sort: f.group ? "model" : undefined, fields: "row" }, signal);
}

export function useRunRows(f: Filters, key: string): RunRows {
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const fRef = useRef(f);
  fRef.current = f;
  const s = useRef({
    key: "",
    blocks: new Map<number, Block>(),
    loading: new Set<number>(),
    total: null as number | null,
    totalExact: true,
    ctl: new AbortController(),
    view: [0, 0] as [number, number], // the blocks last wanted (what a refresh fetches)
    offered: null as RunRows["offered"],
  }).current;
  if (s.key !== key) {
    s.ctl.abort();
    s.key = key;
    s.blocks = new Map();
    s.loading = new Set();
    s.total = null;
    s.totalExact = true;
    s.ctl = new AbortController();
    s.view = [0, 0];
  }

  const load = (k: number, ctl: AbortController, replace: boolean): Promise<void> => {
    if (s.loading.has(k) || (!replace && s.blocks.has(k))) return Promise.resolve();
    s.loading.add(k);
    const before = replace ? undefined : s.blocks.get(k - 1)?.runs[PAGE_SIZE - 1];
    return fetchBlock(fRef.current, k, before, ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        s.blocks.set(k, { runs: d.runs, cells: "cells" in d ? d.cells : null });
        s.total = d.total;
        s.totalExact = d.total_exact ?? true;
        if ("config_columns" in d) s.offered = { config: d.config_columns, metrics: d.metric_columns };
        setError(null);
        setVersion((v) => v + 1);
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      })
      .finally(() => {
        if (s.ctl === ctl) s.loading.delete(k);
      });
  };

  const want = (first: number, last: number) => {
    const a = Math.max(0, Math.floor(first / PAGE_SIZE));
    const b = Math.max(a, Math.floor(Math.max(first, last) / PAGE_SIZE));
    s.view = [a, b];
    for (let k = a; k <= b; k++) void load(k, s.ctl, false);
  };

  // the first block of a new view (the table asks for the rest as it scrolls)
  useEffect(() => {
    void load(s.view[0], s.ctl, false);
  }, [key]);

  const refresh = async () => {
    const ctl = s.ctl;
    const [a, b] = s.view;
    for (const k of [...s.blocks.keys()]) if (k < a || k > b) s.blocks.delete(k);
    const ks: number[] = [];
    for (let k = a; k <= b; k++) ks.push(k);
    await Promise.all(ks.map((k) => load(k, ctl, true)));
  };
  useLive(refresh, { on: ["runs", "points", "reconnect"], everyMs: 1000 }, [key]);

  return {
    total: s.total,
    totalExact: s.totalExact,
    row: (i) => s.blocks.get(Math.floor(i / PAGE_SIZE))?.runs[i % PAGE_SIZE],
    cells: (i) => {
      const b = s.blocks.get(Math.floor(i / PAGE_SIZE));
      const r = b?.runs[i % PAGE_SIZE];
      return r && b?.cells ? b.cells[r.id] : undefined;
    },
    held: () =>
      [...s.blocks.entries()].sort((a, b) => a[0] - b[0]).map(([k, b]) => [k, b.runs]),
    want,
    version,
    offered: s.offered,
    error,
    setError,
    refresh,
  };
}
