/**
 * One uPlot line chart for one or more metric keys that share an axis (train + eval loss).
 * Drag selects an x range to zoom; double-click resets. Live appends keep a zoom the person set.
 * uPlot writes legend labels as text (no innerHTML), so user-written key names stay text.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { XAxis } from "../api/types";
import { PALETTE, STATUS_COLOURS } from "../lib/colors";
import { axisSize, movingAverage, si, siTicks } from "./axes";
import { ChartDownloads } from "./ChartDownloads";
import { ema } from "./smooth";

export interface XY {
  x: number[];
  y: (number | null)[];
  /** Points whose value was NaN or ±inf (`text`: "NaN", "inf", "-inf", as lib/format.ts's
   * nonFinite spells them everywhere): a gap in the line, marked by a red triangle on the top
   * edge and named under the chart. */
  bad?: { x: number; step: number; text: string }[];
}

const BAD_COLOUR = STATUS_COLOURS.failed ?? "#d62728";
const BAD_LISTED = 3; // non-finite points named under a chart; the rest are counted

/** The keys' non-finite points, in x order. */
function badPoints(p: LineChartProps): { key: string; x: number; step: number; text: string }[] {
  return p.keys
    .flatMap((key) => (p.data.get(key)?.bad ?? []).map((b) => ({ key, ...b })))
    .sort((a, b) => a.x - b.x);
}

/** A red downward triangle on the top edge at the x of each non-finite point. */
function markBad(latest: { current: LineChartProps }) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    const top = u.bbox.top;
    const s = 5 * devicePixelRatio;
    ctx.save();
    ctx.fillStyle = BAD_COLOUR;
    for (const b of badPoints(latest.current)) {
      const px = u.valToPos(b.x, "x", true);
      if (!Number.isFinite(px) || px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(px - s, top);
      ctx.lineTo(px + s, top);
      ctx.lineTo(px, top + 1.6 * s);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
}

export interface LineChartProps {
  keys: string[];
  /** Each key's colour, as the server decided it (the run's `colors`). */
  colors: Readonly<Record<string, string>>;
  data: ReadonlyMap<string, XY>;
  version: number;
  xAxis: XAxis;
  smoothing: number;
  /** Moving-average window in points (0 or 1: none), applied before the EMA. */
  ma?: number;
  /** Log-scale y axis (values <= 0 are left out). */
  logY?: boolean;
  /** The x range shown (a person's zoom, from the URL); null: everything. */
  zoom?: [number, number] | null;
  /** Called when the person drags a zoom (a range) or double-clicks it away (null). */
  onZoom?: (range: [number, number] | null) => void;
  sync?: string;
  height?: number;
  /** The title of a downloaded picture (default: the keys). */
  title?: string;
}

function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function smoothed(p: LineChartProps): boolean {
  return p.smoothing > 0 || (p.ma ?? 0) > 1;
}

function buildData(p: LineChartProps): uPlot.AlignedData {
  const { keys, data } = p;
  // Copies: the page appends to its arrays in place, and uPlot must see the old extent
  // (to tell a person's zoom from a live append) until setData hands it the new one.
  const tables: uPlot.AlignedData[] = keys.map((k) => {
    const d = data.get(k) ?? { x: [], y: [] };
    return [d.x.slice(), d.y.slice()] as unknown as uPlot.AlignedData;
  });
  const joined =
    tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables as uPlot.AlignedData[]);
  const positive = (ys: (number | null)[]) =>
    p.logY ? ys.map((v) => (v !== null && v !== undefined && v > 0 ? v : null)) : ys;
  if (!smoothed(p)) {
    return [joined[0], ...joined.slice(1).map((ys) => positive(ys as (number | null)[]))] as uPlot.AlignedData;
  }
  const out: (number | null | undefined)[][] = [joined[0] as unknown as number[]];
  for (let i = 1; i < joined.length; i++) {
    const ys = positive(joined[i] as (number | null)[]);
    out.push(ys, ema(movingAverage(ys, p.ma ?? 0), p.smoothing));
  }
  return out as unknown as uPlot.AlignedData;
}

function buildOpts(p: LineChartProps, width: number): uPlot.Options {
  const series: uPlot.Series[] = [
    {
      label: p.xAxis === "time" ? "time" : p.xAxis,
      value: (_u, v) =>
        v == null ? "—" : p.xAxis === "time" ? new Date(v * 1000).toLocaleTimeString() : si(v, 6),
    },
  ];
  for (const k of p.keys) {
    const c = p.colors[k] ?? PALETTE[0];
    const value = (_u: uPlot, v: number | null) => si(v, 5);
    if (smoothed(p)) {
      series.push({ label: `${k} (raw)`, stroke: alpha(c, 0.25), width: 1, spanGaps: true, value });
      series.push({ label: k, stroke: c, width: 1.75, spanGaps: true, value });
    } else {
      series.push({ label: k, stroke: c, width: 1.5, spanGaps: true, value });
    }
  }
  return {
    width,
    height: p.height ?? 200,
    series,
    scales: { x: { time: p.xAxis === "time" }, y: p.logY ? { distr: 3 } : {} },
    axes: [
      {
        stroke: "#5b6470",
        grid: { stroke: "#eceef1", width: 1 },
        ticks: { stroke: "#d6dae0", width: 1 },
        ...(p.xAxis === "time" ? {} : { values: (_u: uPlot, vs: number[]) => siTicks(vs) }),
      },
      {
        stroke: "#5b6470",
        grid: { stroke: "#eceef1", width: 1 },
        ticks: { stroke: "#d6dae0", width: 1 },
        size: axisSize,
        values: (_u: uPlot, vs: number[]) => siTicks(vs),
      },
    ],
    cursor: { drag: { x: true, y: false }, sync: p.sync ? { key: p.sync } : undefined },
    legend: { live: true },
  };
}

/** Whether the x scale shows less than all of the data (a zoom). */
function zoomedIn(u: uPlot): [number, number] | null {
  const xs = u.data[0];
  const sx = u.scales.x;
  if (xs.length < 2 || !sx || sx.min == null || sx.max == null) return null;
  const first = xs[0] as number;
  const last = xs[xs.length - 1] as number;
  return sx.min > first || sx.max < last ? [sx.min, sx.max] : null;
}

function rangeKey(r: [number, number]): string {
  return `${+r[0].toPrecision(6)},${+r[1].toPrecision(6)}`;
}

export function LineChart(p: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = useRef("");
  // true while this component moves the scale itself (setData, a zoom from the URL), so the
  // setScale hook reports only a person's drag or double-click
  const quiet = useRef(true);
  const onZoom = useRef(p.onZoom);
  onZoom.current = p.onZoom;
  const latest = useRef(p); // what the draw hook marks: the props of the last render
  latest.current = p;

  // (Re)create the chart when its series set, x axis, smoothing on/off or y scale changes.
  const shapeKey = `${p.keys.join("\u0000")}|${p.xAxis}|${smoothed(p)}|${p.logY}|${p.height ?? 200}`;
  const zoomKey = p.zoom ? p.zoom.join(",") : "";
  const lastZoom = useRef(zoomKey);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = buildData(p);
    quiet.current = true;
    try {
      if (plot.current && shape.current === shapeKey) {
        const u = plot.current;
        // a zoom the URL dropped is reset; otherwise a live append keeps the person's zoom
        const keep = p.zoom ?? (lastZoom.current !== zoomKey ? null : zoomedIn(u));
        u.setData(data, !keep);
        if (keep) u.setScale("x", { min: keep[0], max: keep[1] });
        return;
      }
      plot.current?.destroy();
      el.textContent = "";
      const opts = buildOpts(p, Math.max(200, el.clientWidth));
      opts.hooks = {
        draw: [markBad(latest)],
        setScale: [
          (u: uPlot, key: string) => {
            if (key !== "x") return;
            const z = zoomedIn(u);
            el.dataset.zoom = z ? rangeKey(z) : ""; // what the chart shows, for tests
            if (!quiet.current) onZoom.current?.(z);
          },
        ],
      };
      const u = new uPlot(opts, data, el);
      plot.current = u;
      shape.current = shapeKey;
      if (p.zoom) u.setScale("x", { min: p.zoom[0], max: p.zoom[1] });
    } finally {
      quiet.current = false;
      lastZoom.current = zoomKey;
    }
  }, [shapeKey, p.version, p.smoothing, p.ma, zoomKey]);

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

  return (
    <>
      <ChartDownloads plot={() => plot.current} title={p.title ?? p.keys.join(" · ")} />
      <div class="uplot-host" ref={host} />
      <BadNote points={badPoints(p)} />
    </>
  );
}

/** Under a chart: where its keys logged NaN or ±inf ("NaN at step 40"), the first few named,
 * every one in the tooltip; the triangles on the chart's top edge mark the same x. */
function BadNote({ points }: { points: { key: string; step: number; text: string }[] }) {
  if (!points.length) return null;
  const say = (b: { key: string; step: number; text: string }) => `${b.text} at step ${b.step} (${b.key})`;
  const more = points.length - BAD_LISTED;
  return (
    <p class="nonfinite" title={points.map(say).join("\n")}>
      <span aria-hidden="true">▼ </span>
      {points.slice(0, BAD_LISTED).map(say).join(", ")}
      {more > 0 ? ` and ${more} more` : ""}
    </p>
  );
}
