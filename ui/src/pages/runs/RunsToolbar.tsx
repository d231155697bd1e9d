/**
 * The Runs page's toolbar: search by name, status, project and tag filters, group by model,
 * show archived, add a column, and the pager. Typed filters apply as you type, debounced, so
 * typing sends one request per pause rather than one per key.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { RUN_STATUSES, type RunOut } from "../../api/types";
import { int } from "../../lib/format";
import type { Filters } from "../runsFilters";

/** The columns a person can add: hyperparameters and metrics the matching runs have. */
export interface Offered {
  config: string[];
  metrics: string[];
}

function AddColumn({
  f,
  offered,
  onOpen,
  onAdd,
}: {
  f: Filters;
  offered: Offered | null;
  onOpen: () => void;
  onAdd: (column: string) => void;
}) {
  return (
    <select
      aria-label="add a column"
      value=""
      onFocus={onOpen}
      onMouseDown={onOpen}
      onChange={(e) => onAdd((e.target as HTMLSelectElement).value)}
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
  );
}

export function RunsToolbar({
  f,
  update,
  runs,
  total,
  totalExact,
  view,
  loaded,
  offered,
  onOpenColumns,
  onAddColumn,
}: {
  f: Filters;
  update: (patch: Partial<Filters>) => void;
  /** The runs held around the view: the project and tag suggestions come from them. */
  runs: RunOut[];
  total: number;
  /** False: `total` is a lower bound, shown as "10,000+". */
  totalExact: boolean;
  /** The rows in view (first, last; from 0). */
  view: [number, number];
  loaded: boolean;
  offered: Offered | null;
  onOpenColumns: () => void;
  onAddColumn: (column: string) => void;
}) {
  const [search, setSearch] = useState(f.search);
  const [project, setProject] = useState(f.project);
  const [tag, setTag] = useState(f.tag);

  useEffect(() => {
    if (search === f.search && project.trim() === f.project && tag.trim() === f.tag) return;
    const t = setTimeout(() => update({ search, project: project.trim(), tag: tag.trim() }), 250);
    return () => clearTimeout(t);
  }, [search, project, tag]);

  const projects = useMemo(
    () => [...new Set(runs.map((r) => r.project).filter((p): p is string => !!p))].sort(),
    [runs],
  );
  const tags = useMemo(() => [...new Set(runs.flatMap((r) => r.tags))].sort(), [runs]);
  // the rows in view, counted from 1
  const from = total ? Math.min(total, view[0] + 1) : 0;
  const to = total ? Math.min(total, view[1] + 1) : 0;

  return (
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
      <AddColumn f={f} offered={offered} onOpen={onOpenColumns} onAdd={onAddColumn} />
      <span class="grow" />
      <span
        class="muted num"
        data-testid="runs-count"
        title={totalExact ? undefined : `more than ${int(total)} runs match; counting stops there`}
      >
        {loaded ? `${int(from)}–${int(to)} of ${int(total)}${totalExact ? "" : "+"}` : "loading…"}
      </span>
    </div>
  );
}
