/**
 * Histograms over steps for one key, drawn on canvas: a heat strip (x = step, y = value, darker =
 * more mass, each step normalised to its own peak) with a step slider, and beneath it the
 * selected step's histogram as bars. Bins of different steps are re-binned onto one value range.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { HistogramOut } from "../api/types";
import { general, int, num } from "../lib/format";

const ROWS = 48;

interface Prepared {
  lo: number;
  hi: number;
  /** One column per step: ROWS densities in [0, 1]. */
  cols: Float32Array[];
}

function prepare(hists: HistogramOut[]): Prepared {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const h of hists) {
    const e = h.edges;
    if (e.length < 2) continue;
    const a = e[0] as number;
    const b = e[e.length - 1] as number;
    if (Number.isFinite(a) && a < lo) lo = a;
    if (Number.isFinite(b) && b > hi) hi = b;
  }
  if (!(hi > lo)) {
    lo = Number.isFinite(lo) ? lo - 0.5 : 0;
    hi = lo + 1;
  }
  const span = hi - lo;
  const cols = hists.map((h) => {
    const col = new Float32Array(ROWS);
    for (let i = 0; i < h.counts.length; i++) {
      const a = num(h.edges[i]) ?? undefined;
      const b = num(h.edges[i + 1]) ?? undefined;
      const c = h.counts[i] ?? 0;
      if (a === undefined || b === undefined || !c) continue;
      // Spread the bin's count over every row it overlaps, so coarse bins leave no gaps.
      const ra = ((a - lo) / span) * ROWS;
      const rb = ((b - lo) / span) * ROWS;
      const width = Math.max(rb - ra, 1e-9);
      const r0 = Math.max(0, Math.floor(ra));
      const r1 = Math.min(ROWS - 1, Math.max(r0, Math.ceil(rb) - 1));
      for (let r = r0; r <= r1; r++) {
        const overlap = Math.min(rb, r + 1) - Math.max(ra, r);
        const share = rb - ra <= 1e-9 ? 1 : Math.max(0, overlap) / width;
        col[r] = (col[r] ?? 0) + c * share;
      }
    }
    let peak = 0;
    for (const v of col) peak = Math.max(peak, v);
    if (peak > 0) for (let r = 0; r < ROWS; r++) col[r] = (col[r] ?? 0) / peak;
    return col;
  });
  return { lo, hi, cols };
}

function drawStrip(cv: HTMLCanvasElement, p: Prepared, sel: number, color: string): void {
  const ctx = cv.getContext("2d");
  if (!ctx) return;
  const w = cv.width;
  const h = cv.height;
  ctx.clearRect(0, 0, w, h);
  const n = p.cols.length;
  if (!n) return;
  const cw = w / n;
  const rh = h / ROWS;
  ctx.fillStyle = color;
  p.cols.forEach((col, i) => {
    for (let r = 0; r < ROWS; r++) {
      const v = col[r] ?? 0;
      if (v <= 0) continue;
      ctx.globalAlpha = 0.08 + 0.92 * v;
      // Integer edges: overlapping translucent rows would draw darker seams.
      const x0 = Math.round(i * cw);
      const y0 = Math.round(h - (r + 1) * rh);
      ctx.fillRect(x0, y0, Math.round((i + 1) * cw) - x0, Math.round(h - r * rh) - y0);
    }
  });
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 1;
  ctx.strokeRect(Math.floor(sel * cw) + 0.5, 0.5, Math.max(1, Math.ceil(cw) - 1), h - 1);
}

function drawBars(cv: HTMLCanvasElement, h: HistogramOut | undefined, p: Prepared, color: string): void {
  const ctx = cv.getContext("2d");
  if (!ctx) return;
  const w = cv.width;
  const ht = cv.height;
  ctx.clearRect(0, 0, w, ht);
  if (!h || h.counts.length === 0) return;
  const peak = Math.max(...h.counts, 1);
  const span = p.hi - p.lo;
  ctx.fillStyle = color;
  for (let i = 0; i < h.counts.length; i++) {
    const a = num(h.edges[i]) ?? undefined;
    const b = num(h.edges[i + 1]) ?? undefined;
    const c = h.counts[i] ?? 0;
    if (a === undefined || b === undefined) continue;
    const x0 = ((a - p.lo) / span) * w;
    const x1 = ((b - p.lo) / span) * w;
    const bh = (c / peak) * (ht - 2);
    ctx.fillRect(x0, ht - bh, Math.max(1, x1 - x0 - 0.5), bh);
  }
}

export function HistogramStrip({ name, hists }: { name: string; hists: HistogramOut[] }) {
  const strip = useRef<HTMLCanvasElement>(null);
  const bars = useRef<HTMLCanvasElement>(null);
  const [sel, setSel] = useState(hists.length - 1);
  const [follow, setFollow] = useState(true);
  const prepared = useMemo(() => prepare(hists), [hists]);
  const color = hists[0]?.color ?? "#5b6470"; // the server's colour for the key
  const index = follow ? hists.length - 1 : Math.min(sel, hists.length - 1);
  const cur = hists[index];

  useEffect(() => {
    if (strip.current) drawStrip(strip.current, prepared, index, color);
    if (bars.current) drawBars(bars.current, cur, prepared, color);
  }, [prepared, index, color, cur]);

  return (
    <div class="hist card">
      <div class="hist-head">
        <span class="chart-title" title={name}>
          {name}
        </span>
        <span class="muted num">
          step {int(cur?.step)} · n={int(cur?.count)} · [{general(prepared.lo)}, {general(prepared.hi)}]
        </span>
      </div>
      <canvas ref={strip} class="hist-strip" width={600} height={96} data-hist-key={name} />
      <input
        type="range"
        class="hist-slider"
        aria-label={`step of ${name}`}
        min={0}
        max={Math.max(0, hists.length - 1)}
        value={index}
        onInput={(e) => {
          const v = Number((e.target as HTMLInputElement).value);
          setSel(v);
          setFollow(v >= hists.length - 1);
        }}
      />
      <canvas ref={bars} class="hist-bars" width={600} height={64} />
    </div>
  );
}
