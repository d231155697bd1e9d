/**
 * The Run page: progress card, health verdict, charts (uPlot), media, text samples, histograms, config,
 * summary and artifacts. Live: on a `points` event for this run it fetches `series?since=` for
 * only the new points and appends them, and refetches the run detail (progress, health); a
 * `runs` change or a reconnect does the same for every key held.
 */
import { useEffect, useMemo, useRef } from "preact/hooks";
import { getCard, getRun, links } from "../api/runs";
import type { RoleOut, XAxis } from "../api/types";
import { LossAccuracyCard } from "../charts/LossAccuracy";
import { groupCharts, matchesFilter } from "../charts/groups";
import { BackLink } from "../components/BackLink";
import { HealthCard } from "../components/HealthCard";
import { MediaPanels } from "../components/media/MediaPanels";
import { ProgressCard } from "../components/ProgressCard";
import { RunExtras } from "../components/RunExtras";
import { StopButton } from "../components/StopButton";
import { type EventName, type Live, asPointsEvent } from "../lib/live";
import { runColor } from "../lib/colors";
import { datetime } from "../lib/format";
import { numParam, rangeParam, rangeText, setParams, useParams } from "../lib/urlState";
import { useApi } from "../lib/useApi";
import { type HeldSeries, type SeriesMap, loadSeries, loadSuperseded } from "./runSeries";
import { Artifacts } from "./run/Artifacts";
import { XMetricSelect } from "../components/XMetricSelect";
import { BUILTIN_X, xFromParam } from "../lib/xaxis";
import { ChartCard } from "./run/ChartCard";
import { ConfigSummary } from "./run/ConfigSummary";
import { Histograms } from "./run/Histograms";
import { Texts } from "./run/Texts";
import { type Extras, loadExtras } from "./run/extras";

const LIVE_ON: Live["on"] = ["points", "runs", "reconnect"];
const NO_KEYS: string[] = [];
const NO_SERIES: SeriesMap = new Map();

export function RunPage({ id }: { id: string }) {
  // View settings live in the URL (a reload or a shared link shows the same view).
  const params = useParams();
  const xParam = params.get("x");
  const xAxis: XAxis = xFromParam(xParam);
  const smoothing = Math.min(0.99, Math.max(0, numParam(params, "smooth", 0)));
  const ma = Math.max(0, Math.round(numParam(params, "ma", 0)));
  const filter = params.get("filter") ?? "";
  const logY = params.get("log") === "1";
  const zoom = rangeParam(params, "zoom");
  const showSuperseded = params.get("superseded") === "1";
  const setXAxis = (x: XAxis) => setParams({ x: x === "step" ? null : x, zoom: null });
  const setSmoothing = (v: number) => setParams({ smooth: v > 0 ? v : null });
  const setFilter = (v: string) => setParams({ filter: v });
  const onZoom = (r: [number, number] | null) => setParams({ zoom: rangeText(r) });

  // Keys a `points` event named since the last series load; each key's data version.
  const changed = useRef<Set<string>>(new Set());
  const keyVersion = useRef<Map<string, number>>(new Map());
  const thisRun = (name: EventName, data: unknown) =>
    name !== "points" || asPointsEvent(data)?.run === id;

  const got = useApi(
    (signal) => Promise.all([getRun(id, signal), getCard(id, signal).catch(() => null)]),
    [id],
    { on: LIVE_ON, everyMs: 20, match: thisRun },
  );
  // Whole series on open and on another x axis (x values differ per axis); then only new points.
  const series = useApi<HeldSeries>(
    (signal, prev) => {
      const keys = [...changed.current];
      changed.current.clear();
      return loadSeries(id, xAxis, prev, keys, keyVersion.current, signal);
    },
    [id, xAxis],
    {
      on: LIVE_ON,
      everyMs: 20,
      match: (name, data) => {
        if (name !== "points") return true;
        const ev = asPointsEvent(data);
        if (!ev || ev.run !== id) return false;
        for (const k of ev.keys) changed.current.add(k);
        return true;
      },
    },
  );
  // the points of attempts that died, after the checkpoint a later one resumed from: fetched
  // only when the person asks to see them
  const superseded = useApi<SeriesMap>(
    (signal) => (showSuperseded ? loadSuperseded(id, xAxis, signal) : Promise.resolve(NO_SERIES)),
    [id, xAxis, showSuperseded],
    { on: LIVE_ON, everyMs: 2000, match: thisRun },
  );
  const extras = useApi<Extras>((signal, prev) => loadExtras(id, prev, signal), [id], {
    on: LIVE_ON,
    everyMs: 2000,
    match: thisRun,
  });

  const detail = got.data?.[0] ?? null;
  const card = got.data?.[1] ?? null;
  const error = got.error ?? series.error;
  const keyList = series.data?.keys ?? NO_KEYS;

  useEffect(() => {
    if (detail) document.title = `${detail.run.name} · trainboard`;
    return () => {
      document.title = "trainboard";
    };
  }, [detail?.run.name]);

  // the roles come with every detail refetch: regroup only when they really changed
  const rolesText = JSON.stringify(detail?.run.roles ?? {});
  const specs = useMemo(
    () => groupCharts(keyList, JSON.parse(rolesText) as Record<string, RoleOut>),
    [keyList, rolesText],
  );
  const visible = specs.filter((s) => matchesFilter(s, filter));

  if (error && !detail) {
    return (
      <div class="page">
        <p>
          <BackLink />
        </p>
        <div class="error" role="alert">
          {error}
        </div>
      </div>
    );
  }
  if (!detail) return <div class="page muted">loading…</div>;

  const run = detail.run;
  const resumed = (detail.events ?? []).some((e) => e.kind === "attempt");

  return (
    <div class="page run-page">
      <header class="run-head">
        <BackLink />
        <h1>
          <span class="swatch" style={{ background: runColor(run.id) }} aria-hidden="true" />
          <bdi data-testid="run-name">{run.name}</bdi>
        </h1>
        <div class="run-meta muted">
          <span class="num">{run.id}</span>
          {run.project ? <span>project {run.project}</span> : null}
          {run.model ? <span>model {run.model}</span> : null}
          <span class="num">created {datetime(run.created_at)}</span>
          {run.chosen ? <span class="chip chosen">chosen</span> : null}
          {run.archived ? <span class="chip">archived</span> : null}
          {run.tags.map((t) => (
            <span class="chip" key={t}>
              {t}
            </span>
          ))}
          <span class="grow" />
          {run.status === "running" ? <StopButton runId={run.id} runName={run.name} /> : null}
          <a href={links.exportCsv(run.id)} download>
            export CSV
          </a>
          <a href={links.exportJson(run.id)} download>
            export JSON
          </a>
        </div>
      </header>

      <ProgressCard run={run} card={card} />
      <HealthCard health={detail.health} />

      <section class="section">
        <div class="toolbar charts-toolbar">
          <h2>Charts</h2>
          <input
            type="search"
            placeholder="Filter charts by name"
            aria-label="filter charts"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
          <label class="toggle">
            smoothing
            <input
              type="range"
              aria-label="smoothing"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onInput={(e) => setSmoothing(Number((e.target as HTMLInputElement).value))}
            />
            <span class="num smoothing-value">{smoothing.toFixed(2)}</span>
          </label>
          <label class="toggle">
            moving avg
            <select
              aria-label="moving average"
              value={String(ma)}
              onChange={(e) => {
                const v = Number((e.target as HTMLSelectElement).value);
                setParams({ ma: v > 1 ? v : null });
              }}
            >
              {[0, 5, 10, 25, 50, 100, 500].map((n) => (
                <option key={n} value={String(n)}>
                  {n ? `${n} points` : "off"}
                </option>
              ))}
            </select>
          </label>
          <label class="toggle">
            <input
              type="checkbox"
              aria-label="log scale"
              checked={logY}
              onChange={(e) => setParams({ log: (e.target as HTMLInputElement).checked })}
            />
            log y
          </label>
          <span class="seg" role="group" aria-label="x axis">
            {BUILTIN_X.map((x) => (
              <button
                type="button"
                key={x}
                class={x === xAxis ? "on" : ""}
                aria-pressed={x === xAxis}
                onClick={() => setXAxis(x)}
              >
                {x === "time" ? "wall time" : x}
              </button>
            ))}
          </span>
          <XMetricSelect choices={detail.x_keys} value={xAxis} onChange={setXAxis} />
          {resumed || showSuperseded ? (
            <label class="toggle" title="points of attempts that died after the checkpoint a later attempt resumed from">
              <input
                type="checkbox"
                aria-label="superseded points"
                checked={showSuperseded}
                onChange={(e) =>
                  setParams({ superseded: (e.target as HTMLInputElement).checked ? "1" : null })
                }
              />
              superseded points
            </label>
          ) : null}
          <span class="grow" />
          {zoom ? (
            <button type="button" class="link" onClick={() => onZoom(null)}>
              reset zoom
            </button>
          ) : (
            <span class="muted">drag to zoom · double-click to reset</span>
          )}
        </div>
        {keyList.length === 0 ? <p class="empty">No metrics logged yet.</p> : null}
        {keyList.length > 0 && visible.length === 0 ? (
          <p class="empty">No chart matches “{filter}”.</p>
        ) : null}
        <div class="charts">
          {visible.map((s) => (
            <ChartCard
              key={s.id}
              runId={run.id}
              spec={s}
              colors={run.colors ?? {}}
              data={series.data?.map ?? NO_SERIES}
              superseded={showSuperseded ? (superseded.data ?? NO_SERIES) : NO_SERIES}
              version={s.keys.reduce((a, k) => a + (keyVersion.current.get(k) ?? 0), 0)}
              xAxis={xAxis}
              smoothing={smoothing}
              ma={ma}
              logY={logY}
              zoom={zoom}
              onZoom={onZoom}
            />
          ))}
          <LossAccuracyCard
            runId={run.id}
            keysByRole={detail?.run.keys_by_role}
            version={Array.from(keyVersion.current.values()).reduce((a, b) => a + b, 0)}
            color={runColor(run.id)}
          />
        </div>
      </section>

      <MediaPanels runId={run.id} />
      <Texts texts={extras.data?.texts ?? []} />
      <Histograms hists={extras.data?.hists ?? []} />

      <ConfigSummary run={run} />

      <RunExtras summary={detail.run_summary ?? {}} events={detail.events ?? []} />

      <Artifacts runId={run.id} artifacts={extras.data?.artifacts ?? []} />
    </div>
  );
}
