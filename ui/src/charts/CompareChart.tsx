/**
 * One metric overlaid across the compared runs: a line per run in the run's colour (the same on
 * every chart), optional EMA smoothing, and the best checkpoint of each run marked with a dot.
 * Legend labels are set through uPlot, which writes them as text (run names stay text).
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { ema } from "./smooth";

export interface RunCurve {
  id: string;
  name: string;
  color: string;
  x: number[];
  y: (number | null)[];
  /** The best checkpoint (x, y) to mark, when this chart shows the deciding metric. */
  best?: { x: number; y: number } | null;
}

export interface CompareChartProps {
  metric: string;
  curves: RunCurve[];
  xLabel: string;
  smoothing: number;
  height?: number;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(+v.toPrecision(5));
}

function build(curves: RunCurve[], smoothing: number): uPlot.AlignedData {
  if (curves.length === 0) return [[]] as unknown as uPlot.AlignedData;
  const tables = curves.map(
    (c) => [c.x, smoothing > 0 ? ema(c.y, smoothing) : c.y] as unknown as uPlot.AlignedData,
  );
  return tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables);
}

function markBest(curves: RunCurve[]) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    for (const c of curves) {
      if (!c.best) continue;
      const px = u.valToPos(c.best.x, "x", true);
      const py = u.valToPos(c.best.y, "y", true);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      ctx.beginPath();
      ctx.arc(px, py, 5 * devicePixelRatio, 0, 2 * Math.PI);
      ctx.fillStyle = c.color;
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  };
}

export function CompareChart(p: CompareChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: p.height ?? 220,
      series: [
        { label: p.xLabel, value: (_u, v) => fmt(v) },
        ...p.curves.map((c) => ({
          label: c.name,
          stroke: c.color,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
      ],
      scales: { x: { time: false } },
      axes: [
        { stroke: "#5b6470", grid: { stroke: "#eceef1" }, values: (_u, vs) => vs.map(fmt) },
        { stroke: "#5b6470", grid: { stroke: "#eceef1" }, size: 60, values: (_u, vs) => vs.map(fmt) },
      ],
      cursor: { drag: { x: true, y: false }, sync: { key: "compare" } },
      legend: { live: true },
      hooks: { draw: [markBest(p.curves)] },
    };
    el.textContent = "";
    const u = new uPlot(opts, build(p.curves, p.smoothing), el);
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
    };
  }, [p.curves, p.smoothing, p.xLabel, p.height]);
  return <div class="uplot-host compare-chart" data-metric={p.metric} ref={host} />;
}
