/**
 * The Run page: progress card, health verdict, charts (uPlot), text samples, histograms, config,
 * summary and artifacts. Live: on a `points` event for this run it fetches `series?since=` for
 * only the new points and appends them, and refetches the run detail (progress, health).
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import {
  getArtifacts,
  getCard,
  getHistograms,
  getRun,
  getSeries,
  getTexts,
  links,
} from "../api/runs";
import type {
  ArtifactOut,
  CardOut,
  HistogramOut,
  RoleOut,
  RunDetailOut,
  TextOut,
  XAxis,
} from "../api/types";
import { HistogramStrip } from "../charts/HistogramStrip";
import { LineChart } from "../charts/LineChart";
import { LossAccuracyCard } from "../charts/LossAccuracy";
import { groupCharts, matchesFilter, type ChartSpec } from "../charts/groups";
import { BackLink } from "../components/BackLink";
import { HealthCard } from "../components/HealthCard";
import { ProgressCard } from "../components/ProgressCard";
import { RunExtras } from "../components/RunExtras";
import { asPointsEvent, onReconnect, subscribe } from "../lib/events";
import { runColor } from "../lib/colors";
import { bytes, configValue, datetime, general, int } from "../lib/format";
import { coalesce } from "../lib/schedule";
import { numParam, rangeParam, rangeText, setParams, useParams } from "../lib/urlState";
import { mergeSeries, sinceFor, type SeriesMap } from "./runSeries";

const MAX_POINTS = 2000;

function flatten(obj: Record<string, unknown>, prefix = "", out: [string, unknown][] = []) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, key, out);
    } else out.push([key, v]);
  }
  return out;
}

function ChartCard({
  runId,
  spec,
  data,
  version,
  xAxis,
  smoothing,
  ma,
  logY,
  zoom,
  onZoom,
}: {
  runId: string;
  spec: ChartSpec;
  data: SeriesMap;
  version: number;
  xAxis: XAxis;
  smoothing: number;
  ma: number;
  logY: boolean;
  zoom: [number, number] | null;
  onZoom: (r: [number, number] | null) => void;
}) {
  return (
    <div class="card chart" data-chart={spec.title}>
      <div class="chart-head">
        <span class="chart-title">
          {spec.title}
          <span class="chart-section">{spec.section}</span>
        </span>
        <span class="chart-links">
          {spec.keys.map((k) => (
            <a
              key={k}
              class="csv"
              href={links.seriesCsv(runId, k)}
              download
              title={`download ${k} at full resolution (CSV)`}
            >
              {spec.keys.length > 1 ? `CSV ${k}` : "CSV"}
            </a>
          ))}
        </span>
      </div>
      <LineChart
        keys={spec.keys}
        data={data}
        version={version}
        xAxis={xAxis}
        smoothing={smoothing}
        ma={ma}
        logY={logY}
        zoom={zoom}
        onZoom={onZoom}
        sync="run"
      />
    </div>
  );
}

function Texts({ texts }: { texts: TextOut[] }) {
  const byKey = useMemo(() => {
    const m = new Map<string, TextOut[]>();
    for (const t of texts) {
      const l = m.get(t.key) ?? [];
      l.push(t);
      m.set(t.key, l);
    }
    for (const l of m.values()) l.sort((a, b) => b.step - a.step);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [texts]);
  const [all, setAll] = useState(false);
  if (!byKey.length) return null;
  return (
    <section class="section">
      <h2>Text samples</h2>
      <div class="texts">
        {byKey.map(([key, list]) => (
          <div class="card text-key" key={key} data-text-key={key}>
            <div class="chart-head">
              <span class="chart-title">{key}</span>
              <span class="muted num">{list.length} samples</span>
            </div>
            <ol class="text-list">
              {(all ? list : list.slice(0, 12)).map((t) => (
                <li key={`${t.step}-${t.wall_time}`}>
                  <span class="text-step num">step {int(t.step)}</span>
                  <pre class="text-body">{t.text}</pre>
                </li>
              ))}
            </ol>
            {list.length > 12 ? (
              <button type="button" class="link" onClick={() => setAll(!all)}>
                {all ? "show fewer" : `show all ${list.length}`}
              </button>
            ) : null}
          </div>
        ))}
      </div>
    </section>
  );
}

function Histograms({ hists }: { hists: HistogramOut[] }) {
  const byKey = useMemo(() => {
    const m = new Map<string, HistogramOut[]>();
    for (const h of hists) {
      const l = m.get(h.key) ?? [];
      l.push(h);
      m.set(h.key, l);
    }
    for (const l of m.values()) l.sort((a, b) => a.step - b.step);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [hists]);
  if (!byKey.length) return null;
  return (
    <section class="section">
      <h2>Histograms</h2>
      <div class="hists">
        {byKey.map(([key, list]) => (
          <HistogramStrip key={key} name={key} hists={list} />
        ))}
      </div>
    </section>
  );
}

export function RunPage({ id }: { id: string }) {
  const [detail, setDetail] = useState<RunDetailOut | null>(null);
  const [card, setCard] = useState<CardOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  // View settings live in the URL (a reload or a shared link shows the same view).
  const params = useParams();
  const xParam = params.get("x");
  const xAxis: XAxis = xParam === "time" || xParam === "tokens" ? xParam : "step";
  const smoothing = Math.min(0.99, Math.max(0, numParam(params, "smooth", 0)));
  const ma = Math.max(0, Math.round(numParam(params, "ma", 0)));
  const filter = params.get("filter") ?? "";
  const logY = params.get("log") === "1";
  const zoom = rangeParam(params, "zoom");
  const setXAxis = (x: XAxis) => setParams({ x: x === "step" ? null : x, zoom: null });
  const setSmoothing = (v: number) => setParams({ smooth: v > 0 ? v : null });
  const setFilter = (v: string) => setParams({ filter: v });
  const onZoom = (r: [number, number] | null) => setParams({ zoom: rangeText(r) });
  const [texts, setTexts] = useState<TextOut[]>([]);
  const [hists, setHists] = useState<HistogramOut[]>([]);
  const [artifacts, setArtifacts] = useState<ArtifactOut[]>([]);
  const [keyList, setKeyList] = useState<string[]>([]);
  const [, setTick] = useState(0);

  const series = useRef<SeriesMap>(new Map());
  const keyVersion = useRef<Map<string, number>>(new Map());
  const gen = useRef(0);
  const pending = useRef<Set<string>>(new Set());
  const xRef = useRef(xAxis);
  xRef.current = xAxis;

  const touch = (keys: string[]) => {
    for (const k of keys) keyVersion.current.set(k, (keyVersion.current.get(k) ?? 0) + 1);
    setKeyList([...series.current.keys()].sort());
    setTick((t) => t + 1);
  };

  const loadDetail = async () => {
    try {
      const [d, c] = await Promise.all([getRun(id), getCard(id).catch(() => null)]);
      setDetail(d);
      setCard(c);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const texts_ = useRef<TextOut[]>([]);
  const histsAt = useRef(0);

  /** Texts are fetched incrementally (since the last step held, one step back so a key logged
   * at that step in a later flush is not missed); histograms, which have no `since`, at most
   * every 10 s while live; artifacts (a short list) each time. */
  const loadExtras = async (live = false) => {
    const held = texts_.current;
    const since = live && held.length ? Math.max(...held.map((t) => t.step)) - 1 : undefined;
    const wantHists = !live || Date.now() - histsAt.current > 10_000;
    const [t, h, a] = await Promise.all([
      getTexts(id, since),
      wantHists ? getHistograms(id) : Promise.resolve(null),
      getArtifacts(id),
    ]);
    if (since === undefined) texts_.current = t;
    else {
      const seen = new Set(held.map((x) => `${x.key}\u0000${x.step}\u0000${x.wall_time}`));
      const fresh = t.filter((x) => !seen.has(`${x.key}\u0000${x.step}\u0000${x.wall_time}`));
      if (fresh.length) texts_.current = [...held, ...fresh];
    }
    setTexts(texts_.current);
    if (h) {
      histsAt.current = Date.now();
      setHists(h);
    }
    setArtifacts(a);
  };

  // Full load: on open and whenever the x axis changes (x values differ per axis).
  useEffect(() => {
    const g = ++gen.current;
    series.current = new Map();
    // keyVersion is never reset: versions only grow, so every chart sees the reloaded data.
    void loadDetail();
    getSeries(id, { x: xAxis, maxPoints: MAX_POINTS })
      .then((r) => {
        if (g !== gen.current) return;
        touch(mergeSeries(series.current, r, false));
      })
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [id, xAxis]);

  useEffect(() => {
    texts_.current = [];
    loadExtras().catch((e) => console.warn("trainboard: texts/histograms/artifacts", e));
  }, [id]);

  // Live updates.
  useEffect(() => {
    const incremental = coalesce(async () => {
      const g = gen.current;
      const map = series.current;
      const evKeys = [...pending.current];
      pending.current.clear();
      const known = evKeys.length ? evKeys.filter((k) => map.has(k)) : [...map.keys()];
      const fresh = evKeys.filter((k) => !map.has(k));
      const x = xRef.current;
      const jobs: Promise<unknown>[] = [loadDetail()];
      if (known.length) {
        const since = sinceFor(map, known);
        jobs.push(
          getSeries(id, { keys: known, x, maxPoints: MAX_POINTS, since: since ?? undefined }).then(
            (r) => {
              if (g === gen.current) touch(mergeSeries(map, r, true));
            },
          ),
        );
      }
      if (fresh.length || (!evKeys.length && !map.size)) {
        jobs.push(
          getSeries(id, { keys: fresh.length ? fresh : undefined, x, maxPoints: MAX_POINTS }).then(
            (r) => {
              if (g === gen.current) touch(mergeSeries(map, r, true));
            },
          ),
        );
      }
      await Promise.all(jobs);
    }, 20);
    const extras = coalesce(() => loadExtras(true), 2000);
    const offPoints = subscribe("points", (data) => {
      const ev = asPointsEvent(data);
      if (!ev || ev.run !== id) return;
      for (const k of ev.keys) pending.current.add(k);
      incremental();
      extras();
    });
    const offRuns = subscribe("runs", () => {
      incremental();
      extras();
    });
    const offReconnect = onReconnect(() => {
      incremental();
      extras();
    });
    return () => {
      incremental.cancel();
      extras.cancel();
      offPoints();
      offRuns();
      offReconnect();
    };
  }, [id]);

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
  const config = flatten(run.config ?? {});
  const summary = Object.entries(run.summary ?? {}).sort((a, b) => a[0].localeCompare(b[0]));

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
            {(["step", "time", "tokens"] as XAxis[]).map((x) => (
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
              data={series.current}
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
            roles={detail?.run.roles ?? {}}
            version={Array.from(keyVersion.current.values()).reduce((a, b) => a + b, 0)}
            color={runColor(run.id)}
          />
        </div>
      </section>

      <Texts texts={texts} />
      <Histograms hists={hists} />

      <section class="section two-col">
        <div class="card">
          <h2>Config</h2>
          {config.length ? (
            <table class="kv">
              <tbody>
                {config.map(([k, v]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td class="tnum">{configValue(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="muted">No config.</p>
          )}
        </div>
        <div class="card">
          <h2>Summary</h2>
          {summary.length ? (
            <div class="kv-scroll">
              <table class="kv summary">
                <thead>
                  <tr>
                    <th>metric</th>
                    <th class="num">last</th>
                    <th class="num">min (step)</th>
                    <th class="num">max (step)</th>
                    <th class="num">points</th>
                  </tr>
                </thead>
                <tbody>
                  {summary.map(([k, s]) => (
                    <tr key={k}>
                      <th>{k}</th>
                      <td class="num">{general(s.last)}</td>
                      <td class="num">
                        {general(s.min)} <span class="muted">({int(s.min_step)})</span>
                      </td>
                      <td class="num">
                        {general(s.max)} <span class="muted">({int(s.max_step)})</span>
                      </td>
                      <td class="num">{int(s.count)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="muted">No metrics yet.</p>
          )}
        </div>
      </section>

      <RunExtras summary={detail.run_summary ?? {}} events={detail.events ?? []} />

      <section class="section card">
        <h2>Artifacts</h2>
        {artifacts.length ? (
          <div class="kv-scroll">
            <table class="kv artifacts">
              <thead>
                <tr>
                  <th>name</th>
                  <th>kind</th>
                  <th class="num">step</th>
                  <th class="num">size</th>
                  <th class="num">saved</th>
                </tr>
              </thead>
              <tbody>
                {artifacts.map((a) => (
                  <tr key={String(a.id)}>
                    <td>
                      <a href={links.artifact(run.id, a.id)} download>
                        {a.name}
                      </a>
                    </td>
                    <td>{a.kind ?? "—"}</td>
                    <td class="num">{int(a.step)}</td>
                    <td class="num">{bytes(a.size)}</td>
                    <td class="num muted">{datetime(a.wall_time)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">No artifacts.</p>
        )}
      </section>
    </div>
  );
}
