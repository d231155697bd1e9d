/**
 * The Compare page (issue #4): which run won. The selection, the deciding metric and the warning
 * threshold live in the URL (`/compare?runs=a,b,c&metric=eval/loss&threshold=25`), so a reload or
 * a shared link shows the same comparison. Every number comes from GET /api/v1/compare (the same
 * JSON as `trainboard compare --json`); this page only lays it out and draws the curves.
 *
 * It is live: the same server-sent events the Run page uses (new points of a compared run, run
 * status changes) refetch the comparison and the curves, at most once a second. A run still
 * running is compared "so far, at step N of M" (the server's words), is never flagged worse, and
 * is left out of archive and delete until it ends; the buttons say why.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import {
  type CompareOut,
  type CompareQuery,
  compareLinks,
  getCompare,
  getCompareSeries,
} from "../api/compare";
import { archiveRuns, chooseRuns, deleteRuns } from "../api/runs";
import type { XAxis } from "../api/types";
import { CompareChart, type RunCurve } from "../charts/CompareChart";
import { BackLink } from "../components/BackLink";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { RunName } from "../components/RunName";
import { Trophy } from "../components/Trophy";
import { asPointsEvent, onReconnect, subscribe } from "../lib/events";
import { configValue, num } from "../lib/format";
import { coalesce } from "../lib/schedule";
import { href, linkClick, type Location, navigate } from "../lib/router";
import { CompareTexts } from "../components/CompareTexts";
import { runColor } from "../lib/colors";
import { numParam, setParams, useParams } from "../lib/urlState";
import { errorText, useApi } from "../lib/useApi";
import "./compare.css";

const MAX_POINTS = 1000; // per run, when few runs are compared
const MIN_POINTS = 200;
const CHART_POINTS = 20_000; // per chart: 50 runs get 400 points each
const LEGEND_MAX_RUNS = 12; // beyond this the table's swatches are the legend

function readQuery(loc: Location): CompareQuery {
  const runs = (loc.params.get("runs") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const t = loc.params.get("threshold");
  const threshold = t !== null && t !== "" && Number.isFinite(Number(t)) ? Number(t) : null;
  return { runs: [...new Set(runs)], metric: loc.params.get("metric") || null, threshold };
}

function compareUrl(q: CompareQuery): string {
  const p = new URLSearchParams();
  p.set("runs", q.runs.join(","));
  if (q.metric) p.set("metric", q.metric);
  if (q.threshold !== null && q.threshold !== undefined) p.set("threshold", String(q.threshold));
  return `/compare?${p.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
}

export function ComparePage({ loc }: { loc: Location }) {
  const q = readQuery(loc);
  const key = compareUrl(q);
  const [notice, setNotice] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState<string[] | null>(null);
  const [tick, setTick] = useState(0); // bumped by live events: refetch what is shown

  useEffect(() => {
    if (q.runs.length === 0) return;
    const selected = new Set(q.runs);
    const refresh = coalesce(async () => setTick((t) => t + 1), 1000);
    const offPoints = subscribe("points", (d) => {
      const ev = asPointsEvent(d);
      if (ev && selected.has(ev.run)) refresh();
    });
    const offRuns = subscribe("runs", (d) => {
      const ids = (d as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.some((i) => selected.has(i as string)))
        refresh();
    });
    const offReconnect = onReconnect(refresh);
    return () => {
      refresh.cancel();
      offPoints();
      offRuns();
      offReconnect();
    };
  }, [key]);

  const { data, error, setError } = useApi(
    q.runs.length ? (signal) => getCompare(q, signal) : null,
    [key, reload, tick],
  );

  const update = (patch: Partial<CompareQuery>) => navigate(compareUrl({ ...q, ...patch }), true);

  const choose = async (id: string, chosen: boolean) => {
    const name = data?.runs.find((r) => r.id === id)?.name ?? id;
    try {
      await chooseRuns([id], chosen);
      setNotice(chosen ? `Marked ${name} as chosen` : `${name} is no longer chosen`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const act = async (what: "archive" | "delete", ids: string[]) => {
    if (ids.length === 0) return;
    const names = (data?.runs ?? []).filter((r) => ids.includes(r.id)).map((r) => r.name);
    try {
      if (what === "archive") {
        await archiveRuns(ids);
        setNotice(`Archived ${ids.length} run${ids.length === 1 ? "" : "s"}: ${names.join(", ")}`);
        setReload((n) => n + 1);
      } else {
        await deleteRuns(ids);
        setNotice(`Deleted ${ids.length} run${ids.length === 1 ? "" : "s"}: ${names.join(", ")}`);
        update({ runs: q.runs.filter((id) => !ids.includes(id)) });
      }
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (q.runs.length === 0)
    return (
      <div class="page compare-page">
        <p class="back">
          <BackLink />
        </p>
        <h1>Compare</h1>
        <p class="empty">Select two or more runs on the Runs page, then press Compare.</p>
      </div>
    );

  return (
    <div class="page compare-page">
      <p class="back">
        <BackLink />
      </p>
      <div class="toolbar">
        <h1>Compare {q.runs.length} runs</h1>
        {data && (
          <>
            <label class="toggle">
              deciding metric
              <select
                aria-label="deciding metric"
                value={data.metric ?? ""}
                onChange={(e) => update({ metric: (e.target as HTMLSelectElement).value || null })}
              >
                {data.keys
                  .filter((k) => data.roles[k]?.role !== "system")
                  .map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
              </select>
              <span class="muted">({data.goal === "min" ? "lower" : "higher"} is better)</span>
            </label>
            <label class="toggle">
              warn above
              <input
                type="number"
                min={0}
                step={5}
                aria-label="warning threshold"
                class="threshold"
                value={data.threshold_pct}
                onChange={(e) => {
                  const v = Number((e.target as HTMLInputElement).value);
                  if (Number.isFinite(v) && v >= 0) update({ threshold: v });
                }}
              />
              % worse
            </label>
            <span class="grow" />
            <span class="exports">
              export:
              <a href={compareLinks.csv(q)} download="comparison.csv">CSV</a>
              <a href={compareLinks.json(q)} download="comparison.json">JSON</a>
              <a href={compareLinks.md(q)} download="comparison.md">Markdown</a>
            </span>
          </>
        )}
      </div>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      {notice && <div class="notice" data-testid="compare-notice">{notice}</div>}
      {!data && !error && <p class="empty">Loading the comparison…</p>}
      {data && (
        <>
          <Recommendation
            data={data}
            onArchive={(ids) => void act("archive", ids)}
            onChoose={(id, chosen) => void choose(id, chosen)}
            onDelete={(ids) => setConfirmDelete(ids)}
          />
          <CompareTable data={data} />
          <Curves data={data} tick={tick} />
          <div class="two-col">
            <SpeedBars data={data} />
            <Trend data={data} />
          </div>
          <ConfigDiff data={data} />
          <CompareTexts runs={data.runs} />
        </>
      )}
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete ${confirmDelete.length} run${confirmDelete.length === 1 ? "" : "s"}?`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(null)}
          onConfirm={() => {
            const ids = confirmDelete;
            setConfirmDelete(null);
            void act("delete", ids);
          }}
        >
          <p>
            This deletes{" "}
            {(data?.runs ?? [])
              .filter((r) => confirmDelete.includes(r.id))
              .map((r) => r.name)
              .join(", ")}{" "}
            and all their metrics. It cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function RunLabel({ run }: { run: CompareOut["runs"][number] }) {
  const url = `/runs/${encodeURIComponent(run.id)}`;
  return (
    <span class="run-name">
      <span class="swatch" style={{ background: runColor(run.id) }} />
      <a href={href(url)} onClick={linkClick(url)}>
        <RunName name={run.name} />
      </a>
      {run.trophy && (
        <span class="trophy-mark" title="recommended run" data-testid="trophy">
          <Trophy size={14} />
        </span>
      )}
      {run.warning && (
        <span class="warn-badge" title="more than the threshold worse" data-testid="warning">
          ⚠
        </span>
      )}
      {run.chosen && (
        <span class="chip chosen" title="you chose this run">
          chosen
        </span>
      )}
      {run.archived && <span class="chip">archived</span>}
      {run.so_far && (
        <span class="chip live" title="still running: compared on what it logged so far" data-testid="so-far">
          {run.so_far}
        </span>
      )}
    </span>
  );
}

function Recommendation(p: {
  data: CompareOut;
  onArchive: (ids: string[]) => void;
  onDelete: (ids: string[]) => void;
  onChoose: (id: string, chosen: boolean) => void;
}) {
  const { data } = p;
  const rec = data.recommendation;
  const winner = data.runs.find((r) => r.id === rec.run);
  // a running run is never offered for archive or delete: it is judged once it ends;
  // a run someone chose is never one of the losers to archive
  const ended = data.runs.filter((r) => r.can_archive);
  const live = data.runs.filter((r) => !r.can_archive && r.id !== rec.run);
  const others = ended.filter((r) => r.id !== rec.run && !r.archived && !r.chosen).map((r) => r.id);
  const worse = ended.filter((r) => r.warning && !r.archived && !r.chosen).map((r) => r.id);
  const deletable = ended.filter((r) => r.id !== rec.run).map((r) => r.id);
  const why =
    live.length > 0
      ? `${live.map((r) => r.name).join(", ")}: ${live[0]?.archive_note ?? "still running"}`
      : undefined;
  return (
    <section class="card recommendation" data-testid="recommendation">
      <h2>
        {winner ? (
          <>
            Keep <RunLabel run={winner} />
          </>
        ) : (
          "No recommendation"
        )}
      </h2>
      <ul>
        {rec.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      {winner && (
        <div class="actions">
          {winner.chosen ? (
            <button
              type="button"
              class="chosen-mark"
              aria-pressed="true"
              title="you chose this run; click to take the choice back"
              onClick={() => p.onChoose(winner.id, false)}
            >
              ✓ Chosen
            </button>
          ) : (
            <button type="button" class="primary" onClick={() => p.onChoose(winner.id, true)}>
              Mark as chosen
            </button>
          )}
          <button
            type="button"
            disabled={others.length === 0}
            title={why}
            onClick={() => p.onArchive(others)}
          >
            Archive the others ({others.length})
          </button>
          <button
            type="button"
            disabled={worse.length === 0}
            title={why}
            onClick={() => p.onArchive(worse)}
          >
            Archive runs &gt;{data.threshold_pct}% worse ({worse.length})
          </button>
          <button
            type="button"
            class="danger"
            disabled={deletable.length === 0}
            title={why}
            onClick={() => p.onDelete(deletable)}
          >
            Delete the others…
          </button>
          {why && (
            <span class="muted archive-note" data-testid="archive-note">
              Not offered: {why}
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function CompareTable({ data }: { data: CompareOut }) {
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

function Curves({ data, tick }: { data: CompareOut; tick: number }) {
  const train = data.train_loss_key;
  const initial = [data.metric, train].filter((k, i, a): k is string => !!k && a.indexOf(k) === i);
  // charts shown, x axis and smoothing live in the URL with the selection
  const params = useParams();
  const listed = params.get("charts");
  const charts = listed === null ? initial : listed.split(",").filter(Boolean);
  const setCharts = (ks: string[]) => setParams({ charts: ks.join(",") || "-" });
  const xp = params.get("x");
  const x: XAxis = xp === "time" || xp === "tokens" ? xp : "step";
  const setX = (v: XAxis) => setParams({ x: v === "step" ? null : v });
  const smoothing = Math.min(0.99, Math.max(0, numParam(params, "smooth", 0)));
  const setSmoothing = (v: number) => setParams({ smooth: v > 0 ? v : null });

  const addable = data.keys.filter((k) => !charts.includes(k));
  return (
    <section class="section">
      <div class="toolbar">
        <h2>Curves</h2>
        <span class="seg" role="group" aria-label="x axis">
          {(["step", "time", "tokens"] as XAxis[]).map((v) => (
            <button key={v} type="button" class={x === v ? "on" : ""} onClick={() => setX(v)}>
              {v === "time" ? "hours" : v}
            </button>
          ))}
        </span>
        <label class="toggle">
          smoothing
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            aria-label="smoothing"
            onInput={(e) => setSmoothing(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <select
          aria-label="add a chart"
          value=""
          onChange={(e) => {
            const k = (e.target as HTMLSelectElement).value;
            if (k) setCharts([...charts, k]);
          }}
        >
          <option value="">add a chart…</option>
          {addable.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <span class="muted">● marks each run's best checkpoint</span>
      </div>
      <div class="charts compare-charts">
        {charts.map((k) => (
          <CurveCard
            key={k}
            data={data}
            metric={k}
            tick={tick}
            x={x}
            smoothing={smoothing}
            onRemove={() => setCharts(charts.filter((c) => c !== k))}
          />
        ))}
      </div>
    </section>
  );
}

/** Points per run: the whole chart stays near CHART_POINTS however many runs are compared. */
function pointsPerRun(runs: number): number {
  return Math.max(MIN_POINTS, Math.min(MAX_POINTS, Math.floor(CHART_POINTS / Math.max(1, runs))));
}

/** One overlaid chart: every run's curve of `metric` from one GET /compare/series. */
function CurveCard(p: {
  data: CompareOut;
  metric: string;
  tick: number;
  x: XAxis;
  smoothing: number;
  onRemove: () => void;
}) {
  const { data, metric } = p;
  const ids = data.runs.map((r) => r.id);

  const { data: resp, error } = useApi(
    (signal) =>
      getCompareSeries(
        { runs: ids, key: metric, maxPoints: pointsPerRun(ids.length), x: p.x },
        signal,
      ),
    [ids.join(","), metric, p.x, p.tick],
  );

  const curves = useMemo(() => {
    if (!resp) return [];
    return data.runs.map((r): RunCurve => {
      const s = resp.series[r.id];
      const xs = (s?.x ?? s?.steps ?? []).map((v) => (v === null ? Number.NaN : v));
      const xv = resp.x === "time" ? xs.map((t) => (t - r.created_at) / 3600) : xs;
      const ys = (s?.values ?? []).map((v) => num(v));
      let best: RunCurve["best"] = null;
      if (s && metric === data.metric && r.best_step !== null) {
        const i = s.steps.indexOf(r.best_step);
        const y = i >= 0 ? ys[i] : null;
        if (i >= 0 && y !== null && y !== undefined && Number.isFinite(y))
          best = { x: xv[i] as number, y };
      }
      const bad = xv.filter((_x, i) => {
        const y = ys[i];
        return y !== null && y !== undefined && !Number.isFinite(y);
      });
      return { id: r.id, name: r.name, color: runColor(r.id), x: xv, y: ys, best, bad };
    });
  }, [resp, data]);

  const shownX = resp?.x ?? p.x;
  return (
    <div class="card chart" data-testid="compare-chart-card" data-metric={metric}>
      <div class="chart-head">
        <span class="chart-title">{metric}</span>
        <button type="button" class="link" aria-label={`remove chart ${metric}`} onClick={p.onRemove}>
          ×
        </button>
      </div>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      {!resp && !error && <p class="empty">Loading…</p>}
      {resp && (
        <CompareChart
          metric={metric}
          curves={curves}
          xLabel={shownX === "time" ? "hours" : shownX}
          smoothing={p.smoothing}
          legend={curves.length <= LEGEND_MAX_RUNS}
        />
      )}
    </div>
  );
}

function SpeedBars({ data }: { data: CompareOut }) {
  const useTokens = data.runs.some((r) => num(r.tokens_per_s) !== null);
  const field = useTokens ? "tokens_per_s" : "steps_per_s";
  const vals = data.runs.map((r) => num(r[field]) ?? 0);
  const max = Math.max(...vals.filter(Number.isFinite), 0);
  if (max <= 0)
    return (
      <section class="card speed" data-testid="speed-bars">
        <h2>Training speed</h2>
        <p class="muted">No run has a measured speed yet (steps/s needs logged steps over time).</p>
      </section>
    );
  return (
    <section class="card speed" data-testid="speed-bars">
      <h2>Training speed ({useTokens ? "tokens/s" : "steps/s"})</h2>
      {data.runs.map((r, i) => (
        <div class="bar-row" key={r.id}>
          <span class="bar-name">
            <RunName name={r.name} />
          </span>
          <span class="bar-track">
            <span
              class="bar-fill"
              style={{
                width: `${max > 0 ? (100 * (vals[i] ?? 0)) / max : 0}%`,
                background: runColor(r.id),
              }}
            />
          </span>
          <span class="bar-value num">{r.text[field]}</span>
          <span class="bar-time muted num">{r.text.duration_s}</span>
        </div>
      ))}
    </section>
  );
}

function Trend({ data }: { data: CompareOut }) {
  return (
    <section class="card trend" data-testid="trend">
      <h2>Improvement trend</h2>
      {data.trends.length === 0 && <p class="muted">No trend: no deciding metric.</p>}
      {data.trends.map((t) => (
        <div key={t.model ?? ""}>
          <p>
            <strong>{t.model ?? "no model"}</strong>: <span class={`verdict v-${t.verdict.replace(/ /g, "-")}`}>{t.text}</span>
          </p>
          <TrendLine points={t.points} />
        </div>
      ))}
    </section>
  );
}

function TrendLine({ points }: { points: CompareOut["trends"][number]["points"] }) {
  const ys = points.map((p) => num(p.value));
  const bs = points.map((p) => num(p.best_so_far));
  const finite = [...ys, ...bs].filter((v): v is number => v !== null && Number.isFinite(v));
  if (points.length < 2 || finite.length === 0) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const W = 300;
  const H = 60;
  const px = (i: number) => 6 + (i * (W - 12)) / (points.length - 1);
  const py = (v: number) => (hi === lo ? H / 2 : 6 + ((hi - v) * (H - 12)) / (hi - lo));
  const path = (vs: (number | null)[]) =>
    vs
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i)},${py(v)}`))
      .filter(Boolean)
      .join(" ");
  return (
    <svg class="trend-line" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="trend">
      <polyline points={path(bs)} fill="none" stroke="#1a7f46" stroke-width="2" />
      <polyline points={path(ys)} fill="none" stroke="#9aa3ad" stroke-dasharray="3 3" />
      {ys.map((v, i) =>
        v === null || !Number.isFinite(v) ? null : (
          <circle key={i} cx={px(i)} cy={py(v)} r={points[i]?.new_best ? 3.5 : 2.5} fill={points[i]?.new_best ? "#1a7f46" : "#9aa3ad"}>
            <title>{`${points[i]?.name}: ${v}`}</title>
          </circle>
        ),
      )}
    </svg>
  );
}

/** A config value as set: 1e-5 * 15 reads 0.00015, not 0.00015000000000000001 (float noise
 * past 12 significant digits is dropped; real differences are far above it). */
function paramText(v: unknown): string {
  if (typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v))
    return String(Number(v.toPrecision(12)));
  return configValue(v);
}

function ConfigDiff({ data }: { data: CompareOut }) {
  const diff = data.config_diff;
  const keys = Object.keys(diff.params);
  return (
    <section class="card config-diff" data-testid="config-diff">
      <h2>Config differences</h2>
      <p class="muted">
        {keys.length === 1 ? "1 parameter differs" : `${keys.length} parameters differ`};{" "}
        {diff.same} {diff.same === 1 ? "is" : "are"} the same in every run.
      </p>
      {keys.length > 0 && (
        <div class="table-wrap">
          <table class="compare-table">
            <thead>
              <tr>
                <th />
                {data.runs.map((r) => (
                  <th key={r.id}>
                    <RunName name={r.name} id={r.id} swatch class="col-name" />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  {data.runs.map((r) => {
                    const v = diff.params[k]?.[r.id];
                    return (
                      <td key={r.id} class="num">
                        {v === undefined || v === null ? "—" : paramText(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ul>
        {diff.associations.map((a) => (
          <li key={a.key}>{a.text}</li>
        ))}
        {diff.note && data.runs.length > 1 && <li class="muted">{diff.note}</li>}
      </ul>
    </section>
  );
}
