/**
 * The Sweep page: a study (`/sweep?project=gd-sweep`, or `?tag=`) or any runs (`?ids=a,b,c`)
 * as a hyperparameter search. Counts by status, the best trial, the HParams table with a column
 * picker, the objective against each parameter, and parallel coordinates. The chosen columns
 * and the sort live in the URL, so a reload or a shared link shows the same view.
 */
import { getSweep } from "../../api/sweep";
import type { SweepOut } from "../../api/types";
import { BackLink } from "../../components/BackLink";
import { StatusBadge } from "../../components/StatusBadge";
import { general } from "../../lib/format";
import type { Location } from "../../lib/router";
import { setParams } from "../../lib/urlState";
import { ParallelCoords } from "./ParallelCoords";
import { ParamScatter } from "./ParamScatter";
import { type Sort, SweepTable } from "./SweepTable";
import "./sweep.css";
import { useApi } from "../../lib/useApi";

function list(p: URLSearchParams, key: string): string[] | null {
  const v = p.get(key);
  return v === null ? null : v.split(",").map((s) => s.trim()).filter(Boolean);
}

export function SweepPage({ loc }: { loc: Location }) {
  const p = loc.params;
  const project = p.get("project");
  const tag = p.get("tag");
  const ids = list(p, "ids") ?? [];
  const metric = p.get("metric");
  const value = p.get("value") === "best" ? "best" : "last";
  const key = [project, tag, ids.join(","), metric, value].join("|");
  const { data, error } = useApi<SweepOut>(
    project || tag || ids.length
      ? (signal) => getSweep({ project, tag, ids, metric, value }, signal)
      : null,
    [key],
  );

  if (!project && !tag && !ids.length)
    return (
      <div class="page">
        <BackLink />
        <div class="error" role="alert">
          Name the sweep: /sweep?project=STUDY, ?tag=TAG or ?ids=RUN,RUN
        </div>
      </div>
    );
  if (error)
    return (
      <div class="page">
        <BackLink />
        <div class="error" role="alert">{error}</div>
      </div>
    );
  if (!data) return <div class="page muted">Loading sweep…</div>;

  const params = list(p, "params") ?? data.params.map((x) => x.name);
  const metrics = list(p, "metrics") ?? [];
  const sort: Sort = {
    col: p.get("sort") ?? "objective",
    desc: p.has("desc") ? p.get("desc") === "1" : data.goal === "max",
  };
  const best = data.runs.find((r) => r.id === data.best) ?? null;
  const toggle = (what: "params" | "metrics", name: string, on: boolean) => {
    const cur = what === "params" ? params : metrics;
    const next = on ? [...cur, name] : cur.filter((x) => x !== name);
    setParams({ [what]: next.join(",") });
  };
  const title = project ?? (tag ? `#${tag}` : `${ids.length} runs`);
  return (
    <div class="page sweep-page">
      <BackLink />
      <h1>Sweep: {title}</h1>
      <div class="sweep-summary" data-testid="sweep-summary">
        <span>{data.runs.length} runs</span>
        {Object.entries(data.counts).map(([s, n]) => (
          <span data-count={s}>
            <StatusBadge status={s} /> {n}
          </span>
        ))}
        <span class="muted">
          objective {data.metric ?? "—"} ({data.goal}, {data.value} value)
        </span>
      </div>
      {best ? (
        <div class="card sweep-best" data-testid="sweep-best">
          Best trial <b>{best.name}</b>: {data.metric} {general(best.objective)}
          {data.params.map((x) => (
            <span class="muted">
              {" "}· {x.name}={typeof best.params[x.name] === "number"
                ? general(best.params[x.name] as number)
                : String(best.params[x.name] ?? "—")}
            </span>
          ))}
        </div>
      ) : (
        <div class="card muted">No finished run has a value of the objective yet.</div>
      )}
      <details class="sweep-columns">
        <summary>Columns</summary>
        {data.params.map((x) => (
          <label>
            <input type="checkbox" checked={params.includes(x.name)}
              onChange={(e) => toggle("params", x.name, (e.target as HTMLInputElement).checked)} />
            {x.name}
          </label>
        ))}
        {data.metrics.map((m) => (
          <label>
            <input type="checkbox" data-metric={m} checked={metrics.includes(m)}
              onChange={(e) => toggle("metrics", m, (e.target as HTMLInputElement).checked)} />
            {m}
          </label>
        ))}
      </details>
      <SweepTable sweep={data} params={params} metrics={metrics} sort={sort}
        onSort={(s) => setParams({ sort: s.col, desc: s.desc ? "1" : "0" })} />
      <h2>{data.metric ?? "objective"} against each parameter</h2>
      <div class="sweep-scatters" data-testid="sweep-scatters">
        {data.params.map((x) => (
          <ParamScatter sweep={data} param={x} />
        ))}
      </div>
      <h2>Parallel coordinates</h2>
      <ParallelCoords sweep={data} />
    </div>
  );
}
