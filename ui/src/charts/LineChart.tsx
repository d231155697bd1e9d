/**
 * One uPlot line chart for one or more metric keys that share an axis (train + eval loss).
 * Drag selects an x range to zoom; double-click resets. Live appends keep a zoom the person set.
 * uPlot writes legend labels as text (no innerHTML), so user-written key names stay text.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { XAxis } from "../api/types";
import { metricColor } from "../lib/colors";
import { ema } from "./smooth";

export interface XY {
  x: number[];
  y: (number | null)[];
}

export interface LineChartProps {
  keys: string[];
  data: ReadonlyMap<string, XY>;
  version: number;
  xAxis: XAxis;
  smoothing: number;
  sync?: string;
  height?: number;
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toPrecision(6));
}

function yFmt(v: number | null): string {
  if (v === null || v === undefined) return "—";
  const a = Math.abs(v);
  if (a >= 1e4) return compact(v);
  if (a !== 0 && a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e");
  return String(+v.toPrecision(5));
}

/** Tick labels with just enough digits to tell neighbours apart (a zoomed lr axis). */
function tickLabels(vs: number[]): string[] {
  for (let digits = 3; digits <= 10; digits++) {
    const out = vs.map((v) => {
      if (v === null || v === undefined) return "";
      const a = Math.abs(v);
      if (a >= 1e4 && digits <= 4) return compact(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1).replace(/\.?0+e/, "e");
      return String(+v.toPrecision(digits));
    });
    if (new Set(out).size === out.length) return out;
  }
  return vs.map((v) => String(v));
}

/** Axis width that fits the longest tick label (uPlot's fixed default clips "3.5e-5"). */
function axisSize(_u: uPlot, values: string[] | null): number {
  const longest = (values ?? []).reduce((m, v) => Math.max(m, String(v).length), 0);
  return Math.max(36, longest * 7 + 16);
}

function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function buildData(keys: string[], data: ReadonlyMap<string, XY>, smoothing: number): uPlot.AlignedData {
  // Copies: the page appends to its arrays in place, and uPlot must see the old extent
  // (to tell a person's zoom from a live append) until setData hands it the new one.
  const tables: uPlot.AlignedData[] = keys.map((k) => {
    const d = data.get(k) ?? { x: [], y: [] };
    return [d.x.slice(), d.y.slice()] as unknown as uPlot.AlignedData;
  });
  const joined =
    tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables as uPlot.AlignedData[]);
  if (smoothing <= 0) return joined;
  const out: (number | null | undefined)[][] = [joined[0] as unknown as number[]];
  for (let i = 1; i < joined.length; i++) {
    const ys = joined[i] as (number | null)[];
    out.push(ys, ema(ys, smoothing));
  }
  return out as unknown as uPlot.AlignedData;
}

function buildOpts(p: LineChartProps, width: number): uPlot.Options {
  const series: uPlot.Series[] = [
    { label: p.xAxis === "time" ? "time" : p.xAxis, value: (_u, v) => (v == null ? "—" : p.xAxis === "time" ? new Date(v * 1000).toLocaleTimeString() : compact(v)) },
  ];
  for (const k of p.keys) {
    const c = metricColor(k);
    if (p.smoothing > 0) {
      series.push({ label: `${k} (raw)`, stroke: alpha(c, 0.25), width: 1, spanGaps: true, value: (_u, v) => yFmt(v) });
      series.push({ label: k, stroke: c, width: 1.75, spanGaps: true, value: (_u, v) => yFmt(v) });
    } else {
      series.push({ label: k, stroke: c, width: 1.5, spanGaps: true, value: (_u, v) => yFmt(v) });
    }
  }
  return {
    width,
    height: p.height ?? 200,
    series,
    scales: { x: { time: p.xAxis === "time" } },
    axes: [
      {
        stroke: "#5b6470",
        grid: { stroke: "#eceef1", width: 1 },
        ticks: { stroke: "#d6dae0", width: 1 },
        ...(p.xAxis === "time" ? {} : { values: (_u: uPlot, vs: number[]) => vs.map(compact) }),
      },
      {
        stroke: "#5b6470",
        grid: { stroke: "#eceef1", width: 1 },
        ticks: { stroke: "#d6dae0", width: 1 },
        size: axisSize,
        values: (_u: uPlot, vs: number[]) => tickLabels(vs),
      },
    ],
    cursor: { drag: { x: true, y: false }, sync: p.sync ? { key: p.sync } : undefined },
    legend: { live: true },
  };
}

export function LineChart(p: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = useRef("");

  // (Re)create the chart when its series set, x axis or smoothing on/off changes.
  const shapeKey = `${p.keys.join("\u0000")}|${p.xAxis}|${p.smoothing > 0}|${p.height ?? 200}`;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = buildData(p.keys, p.data, p.smoothing);
    if (plot.current && shape.current === shapeKey) {
      const u = plot.current;
      const xs = u.data[0];
      const sx = u.scales.x;
      const zoomed =
        xs.length > 1 &&
        sx !== undefined &&
        sx.min != null &&
        sx.max != null &&
        (sx.min > (xs[0] as number) || sx.max < (xs[xs.length - 1] as number));
      u.setData(data, !zoomed);
      return;
    }
    plot.current?.destroy();
    el.textContent = "";
    plot.current = new uPlot(buildOpts(p, Math.max(200, el.clientWidth)), data, el);
    shape.current = shapeKey;
  }, [shapeKey, p.version, p.smoothing]);

  useEffect(() => {
    const el = host.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      const u = plot.current;
      if (u && el.clientWidth > 0 && Math.abs(u.width - el.clientWidth) > 2)
        u.setSize({ width: el.clientWidth, height: p.height ?? 200 });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [p.height]);

  useEffect(
    () => () => {
      plot.current?.destroy();
      plot.current = null;
    },
    [],
  );

  return <div class="uplot-host" ref={host} />;
}
