/**
 * The Run page: progress card, health verdict, charts (uPlot), text samples, histograms, config,
 * summary and artifacts. Live: on a `points` event for this run it fetches `series?since=` for
 * only the new points and appends them, and refetches the run detail (progress, health).
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
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
import { LossAccuracyCard } from "../charts/LossAccuracy";
import { groupCharts, matchesFilter } from "../charts/groups";
import { BackLink } from "../components/BackLink";
import { HealthCard } from "../components/HealthCard";
import { ProgressCard } from "../components/ProgressCard";
import { RunExtras } from "../components/RunExtras";
import { asPointsEvent, onReconnect, subscribe } from "../lib/events";
import { runColor } from "../lib/colors";
import { datetime } from "../lib/format";
import { coalesce } from "../lib/schedule";
import { numParam, rangeParam, rangeText, setParams, useParams } from "../lib/urlState";
import { mergeSeries, sinceFor, type SeriesMap } from "./runSeries";
import { Artifacts } from "./run/Artifacts";
import { ChartCard } from "./run/ChartCard";
import { ConfigSummary } from "./run/ConfigSummary";
import { Histograms } from "./run/Histograms";
import { Texts } from "./run/Texts";
import { errorText } from "../lib/useApi";

const MAX_POINTS = 2000;

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
      setError(errorText(e));
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
      .catch((e) => setError(errorText(e)));
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

      <ConfigSummary run={run} />

      <RunExtras summary={detail.run_summary ?? {}} events={detail.events ?? []} />

      <Artifacts runId={run.id} artifacts={artifacts} />
    </div>
  );
}
