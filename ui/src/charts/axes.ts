/**
 * Axis and legend text that reads like a person wrote it: SI suffixes for big numbers (500k,
 * 1M, 2.5B), plain decimals for ordinary ones, exponents only for tiny ones (3e-5), durations
 * as h/m/s, each tick with just enough digits to tell it from its neighbours. Every chart
 * (Run page, Compare) formats through here; a non-finite value is spelled by lib/format.ts.
 */
import { nonFinite } from "../lib/format";

const SI: [number, string][] = [
  [1e12, "T"],
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "k"],
];

/** One number with `digits` significant digits: "500k", "1.25M", "0.35", "3e-5". */
export function si(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return "—";
  const spelled = nonFinite(v);
  if (spelled !== null) return spelled;
  const a = Math.abs(v);
  for (const [scale, suffix] of SI) {
    if (a >= scale) return `${+(v / scale).toPrecision(digits)}${suffix}`;
  }
  if (a !== 0 && a < 1e-3) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e").replace("e-0", "e-");
  return String(+v.toPrecision(digits));
}

/** The number a label of si() stands for ("1.5M" is 1500000). */
export function siValue(label: string): number {
  const last = label.slice(-1);
  const scale = SI.find(([, suffix]) => suffix === last)?.[0];
  return scale === undefined ? Number(label) : Number(label.slice(0, -1)) * scale;
}

/**
 * Labels for a set of ticks: the fewest digits (from 2) that keep every label distinct and
 * exact, each reading as the value it marks (12.5 is "12.5", never "13"). Exact means within
 * a millionth of the gap between ticks, so float noise (0.30000000000000004) does not count.
 */
export function siTicks(vs: number[]): string[] {
  const finite = vs.filter((v) => v !== null && v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < finite.length; i++) gap = Math.min(gap, (finite[i] as number) - (finite[i - 1] as number));
  if (!Number.isFinite(gap) || gap <= 0) gap = Math.abs(finite[0] ?? 1) || 1;
  const tol = gap * 1e-6;
  for (let digits = 2; digits <= 12; digits++) {
    const out = vs.map((v) => (v === null || v === undefined ? "" : si(v, digits)));
    const exact = vs.every((v, i) => v === null || v === undefined || !Number.isFinite(v) || Math.abs(siValue(out[i] as string) - v) <= tol);
    if (exact && new Set(out).size === out.length) return out;
  }
  return vs.map((v) => String(v));
}

/** Seconds as "45s", "2m 30s", "1h 5m", "3d 2h" (two units at most; a tick needs no more). */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const neg = seconds < 0;
  let t = Math.abs(seconds);
  if (t < 10 && t !== Math.round(t)) return `${neg ? "-" : ""}${+t.toPrecision(2)}s`;
  t = Math.round(t);
  const d = Math.floor(t / 86400);
  const h = Math.floor((t % 86400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`, h ? `${h}h` : "");
  else if (h) parts.push(`${h}h`, m ? `${m}m` : "");
  else if (m) parts.push(`${m}m`, s ? `${s}s` : "");
  else parts.push(`${s}s`);
  return (neg ? "-" : "") + parts.filter(Boolean).join(" ");
}

/** Tick labels for an axis in seconds. */
export function durationTicks(vs: number[]): string[] {
  return vs.map((v) => (v === null || v === undefined ? "" : durationText(v)));
}

/** Axis width that fits the longest tick label. */
export function axisSize(_u: unknown, values: string[] | null): number {
  const longest = (values ?? []).reduce((m, v) => Math.max(m, String(v).length), 0);
  return Math.max(36, longest * 7 + 16);
}

/** Simple moving average over `window` points (gaps skipped), for display. */
export function movingAverage(values: (number | null)[], window: number): (number | null)[] {
  if (window <= 1) return values;
  const out: (number | null)[] = new Array(values.length);
  const buf: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = v ?? null;
      continue;
    }
    buf.push(v);
    sum += v;
    if (buf.length > window) sum -= buf.shift() as number;
    out[i] = sum / buf.length;
  }
  return out;
}
