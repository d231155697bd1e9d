/** Overlaid curves: charts shown, x axis and smoothing in the URL; one GET /compare/series per chart. */
import { useMemo } from "preact/hooks";
import { getCompareSeries } from "../../api/compare";
import type { CompareOut, XAxis } from "../../api/types";
import { CompareChart, type RunCurve } from "../../charts/CompareChart";
import { num } from "../../lib/format";
import { useRunColours } from "../../lib/colors";
import { XMetricSelect } from "../../components/XMetricSelect";
import { BUILTIN_X, xFromParam } from "../../lib/xaxis";
import { numParam, setParams, useParams } from "../../lib/urlState";
import { useApi } from "../../lib/useApi";

const MAX_POINTS = 1000; // per run, when few runs are compared
const MIN_POINTS = 200;
const CHART_POINTS = 20_000; // per chart: 50 runs get 400 points each
const LEGEND_MAX_RUNS = 12; // beyond this the table's swatches are the legend

export function Curves({ data, tick }: { data: CompareOut; tick: number }) {
  const train = data.train_loss_key;
  const initial = [data.metric, train].filter((k, i, a): k is string => !!k && a.indexOf(k) === i);
  // charts shown, x axis and smoothing live in the URL with the selection
  const params = useParams();
  const listed = params.get("charts");
  const charts = listed === null ? initial : listed.split(",").filter(Boolean);
  const setCharts = (ks: string[]) => setParams({ charts: ks.join(",") || "-" });
  const xp = params.get("x");
  const x: XAxis = xFromParam(xp);
  const setX = (v: XAxis) => setParams({ x: v === "step" ? null : v });
  const smoothing = Math.min(0.99, Math.max(0, numParam(params, "smooth", 0)));
  const setSmoothing = (v: number) => setParams({ smooth: v > 0 ? v : null });

  const addable = data.keys.filter((k) => !charts.includes(k));
  return (
    <section class="section">
      <div class="toolbar">
        <h2>Curves</h2>
        <span class="seg" role="group" aria-label="x axis">
          {BUILTIN_X.map((v) => (
            <button key={v} type="button" class={x === v ? "on" : ""} onClick={() => setX(v)}>
              {v === "time" ? "hours" : v}
            </button>
          ))}
        </span>
        <XMetricSelect choices={data.x_keys} value={x} onChange={setX} />
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
  const colorOf = useRunColours();
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
      return { id: r.id, name: r.name, color: colorOf(r.id), x: xv, y: ys, best, bad };
    });
  }, [resp, data, colorOf]);

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
