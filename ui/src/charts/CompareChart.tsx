/**
 * One metric overlaid across the compared runs: a line per run in the run's colour (the same on
 * every chart), optional EMA smoothing, and the best checkpoint of each run marked with a dot.
 * Legend labels are set through uPlot, which writes them as text (run names stay text).
 *
 * With many runs (legend off) a 50-row legend would bury the chart: instead the curve nearest
 * the cursor is brought forward (the others fade) and named in a one-line readout above it.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { axisSize, durationText, durationTicks, si, siTicks } from "./axes";
import { ChartDownloads } from "./ChartDownloads";
import { ema } from "./smooth";

export interface RunCurve {
  id: string;
  name: string;
  color: string;
  x: number[];
  y: (number | null)[];
  /** The best checkpoint (x, y) to mark, when this chart shows the deciding metric. */
  best?: { x: number; y: number } | null;
  /** x of each NaN / ±inf point: drawn as a gap in the line and a mark on the top edge. */
  bad?: number[];
}

/** A curve's values with NaN and ±inf as gaps (null): one infinite value must not stretch the
 * y axis to infinity and blank the whole chart, as it once did. */
export function finiteOrGap(ys: (number | null)[]): (number | null)[] {
  return ys.map((v) => (v === null || v === undefined || !Number.isFinite(v) ? null : v));
}

export interface CompareChartProps {
  metric: string;
  curves: RunCurve[];
  xLabel: string;
  smoothing: number;
  height?: number;
  /** uPlot's live legend, one row per run (default); off, the nearest-curve readout instead. */
  legend?: boolean;
}

function fmt(v: number | null | undefined): string {
  return si(v, 5);
}

function build(curves: RunCurve[], smoothed: (number | null)[][]): uPlot.AlignedData {
  if (curves.length === 0) return [[]] as unknown as uPlot.AlignedData;
  const tables = curves.map((c, i) => [c.x, smoothed[i] ?? c.y] as unknown as uPlot.AlignedData);
  return tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables);
}

/** Where a run logged NaN or ±inf: a small downward triangle in the run's colour on the top edge. */
function markBad(curves: RunCurve[]) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    const top = u.bbox.top;
    const s = 4 * devicePixelRatio;
    ctx.save();
    for (const c of curves) {
      if (!c.bad?.length) continue;
      ctx.fillStyle = c.color;
      for (const x of c.bad) {
        const px = u.valToPos(x, "x", true);
        if (!Number.isFinite(px)) continue;
        ctx.beginPath();
        ctx.moveTo(px - s, top);
        ctx.lineTo(px + s, top);
        ctx.lineTo(px, top + 1.6 * s);
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.restore();
  };
}

/** Each run's best checkpoint, marked on the line as drawn (the smoothed one when smoothing). */
function markBest(curves: RunCurve[], smoothed: (number | null)[][]) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    curves.forEach((c, i) => {
      if (!c.best) return;
      const drawn = smoothed[i] && smoothed[i] !== c.y ? yAt(c.x, smoothed[i], c.best.x) : null;
      const px = u.valToPos(c.best.x, "x", true);
      const py = u.valToPos(drawn ?? c.best.y, "y", true);
      if (!Number.isFinite(px) || !Number.isFinite(py)) return;
      ctx.beginPath();
      ctx.arc(px, py, 5 * devicePixelRatio, 0, 2 * Math.PI);
      ctx.fillStyle = c.color;
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.fill();
      ctx.stroke();
    });
    ctx.restore();
  };
}

/** y of a curve at x (linear between its points; null outside it or over a gap). */
function yAt(xs: number[], ys: (number | null)[], x: number): number | null {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0 || !(x >= (xs[0] as number)) || !(x <= (xs[hi] as number))) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo] as number;
  const x1 = xs[hi] as number;
  const y0 = ys[lo];
  const y1 = ys[hi];
  if (y0 === null || y0 === undefined || !Number.isFinite(y0)) return null;
  if (y1 === null || y1 === undefined || !Number.isFinite(y1) || x1 === x0) return y0;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Focus the curve nearest the cursor and name it in `readout` (legend-less charts). */
function nearestCurve(curves: RunCurve[], readout: HTMLElement, smoothed: (number | null)[][]) {
  let focused: number | null = null;
  return (u: uPlot) => {
    const { left, top } = u.cursor;
    let best: number | null = null;
    let text = "";
    if (left !== undefined && top !== undefined && left >= 0 && top >= 0) {
      const x = u.posToVal(left, "x");
      let dist = 24; // CSS pixels: farther than this from every curve focuses none
      curves.forEach((c, i) => {
        const y = yAt(c.x, smoothed[i] ?? c.y, x);
        if (y === null) return;
        const d = Math.abs(u.valToPos(y, "y") - top);
        if (d < dist) {
          dist = d;
          best = i;
          text = `${c.name}: ${fmt(y)} at ${fmt(x)}`;
        }
      });
    }
    readout.textContent = text;
    if (best !== focused) {
      focused = best;
      u.setSeries(best === null ? null : best + 1, { focus: true }, false);
    }
  };
}

export function CompareChart(p: CompareChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const legend = p.legend ?? true;
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const smoothed = p.curves.map((c) =>
      finiteOrGap(p.smoothing > 0 ? ema(c.y, p.smoothing) : c.y),
    );
    const draw = [markBest(p.curves, smoothed), markBad(p.curves)];
    // the "hours" axis reads as durations (1h 30m), never "2.50e-4"
    const hours = p.xLabel === "hours";
    const xText = (v: number | null) => (hours ? durationText(v === null ? null : v * 3600) : fmt(v));
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: p.height ?? 220,
      series: [
        { label: p.xLabel === "hours" ? "time" : p.xLabel, value: (_u, v) => xText(v) },
        ...p.curves.map((c) => ({
          label: c.name,
          stroke: c.color,
          width: 1.5,
          spanGaps: false, // a NaN/inf point is a gap; points other runs add are skipped
          points: { show: false },
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
      ],
      scales: { x: { time: false } },
      axes: [
        {
          stroke: "#5b6470",
          grid: { stroke: "#eceef1" },
          values: (_u, vs) => (hours ? durationTicks(vs.map((v) => v * 3600)) : siTicks(vs)),
        },
        { stroke: "#5b6470", grid: { stroke: "#eceef1" }, size: axisSize, values: (_u, vs) => siTicks(vs) },
      ],
      cursor: { drag: { x: true, y: false }, sync: { key: "compare" } },
      legend: { show: legend, live: true },
      focus: { alpha: legend ? 1 : 0.25 },
      hooks: {
        draw,
        setCursor: !legend && readout.current ? [nearestCurve(p.curves, readout.current, smoothed)] : [],
      },
    };
    el.textContent = "";
    const u = new uPlot(opts, build(p.curves, smoothed), el);
    plot.current = u;
    let ro: ResizeObserver | null = null;
    if (typeof ResizeObserver !== "undefined") {
      ro = new ResizeObserver(() => {
        if (el.clientWidth > 0 && Math.abs(u.width - el.clientWidth) > 2)
          u.setSize({ width: el.clientWidth, height: p.height ?? 220 });
      });
      ro.observe(el);
    }
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [p.curves, p.smoothing, p.xLabel, p.height, legend]);
  return (
    <>
      <ChartDownloads plot={() => plot.current} title={p.metric} />
      {!legend && (
        <div class="compare-readout muted" data-testid="compare-readout" ref={readout} />
      )}
      <div class="uplot-host compare-chart" data-metric={p.metric} ref={host} />
    </>
  );
}
