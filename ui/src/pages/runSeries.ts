/**
 * The Run page's in-memory series: one x/y array per key plus the last step held, so a live
 * `points` event fetches only `series?since=<last step>` and appends (never whole histories).
 */
import { getSeries } from "../api/runs";
import type { SeriesResponse, XAxis } from "../api/types";
import type { XY } from "../charts/LineChart";
import { nonFinite, num } from "../lib/format";

/** Points per key a chart is drawn from (the API downsamples, keeping spikes). */
export const MAX_POINTS = 2000;

export interface KeyData extends XY {
  lastStep: number;
  total: number;
  downsampled: boolean;
}

export type SeriesMap = Map<string, KeyData>;

/** Replace (full fetch) or append (since= fetch) the keys in `resp`; returns the keys touched. */
export function mergeSeries(map: SeriesMap, resp: SeriesResponse, append: boolean): string[] {
  const touched: string[] = [];
  for (const [key, s] of Object.entries(resp.series)) {
    const prev = map.get(key);
    const keep = append && prev;
    const d: KeyData = keep
      ? prev
      : { x: [], y: [], bad: [], lastStep: Number.NEGATIVE_INFINITY, total: 0, downsampled: false };
    const xs = s.x; // null when this axis is unknown for the key (x=tokens without `tokens`)
    const n = s.steps.length;
    let added = 0;
    for (let i = 0; i < n; i++) {
      const step = s.steps[i] as number;
      if (keep && step <= d.lastStep) continue; // already held (a since= that overlapped)
      const x = xs ? xs[i] : null;
      if (x === null || x === undefined) {
        d.lastStep = Math.max(d.lastStep, step);
        continue;
      }
      const v = num(s.values[i]);
      const bad = v === null ? null : nonFinite(v); // NaN, ±inf: a gap, marked and named
      d.x.push(x);
      d.y.push(v === null || bad !== null ? null : v);
      if (bad !== null) (d.bad ??= []).push({ x, step, text: bad });
      d.lastStep = Math.max(d.lastStep, step);
      added++;
    }
    d.total = keep ? d.total + added : s.total;
    d.downsampled = keep ? d.downsampled : s.downsampled;
    map.set(key, d);
    if (added || !keep) touched.push(key);
  }
  return touched;
}

/** The `since=` for a set of keys already held: the smallest last step among them. */
export function sinceFor(map: SeriesMap, keys: string[]): number | null {
  let since = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    const d = map.get(k);
    if (!d) continue;
    since = Math.min(since, d.lastStep);
  }
  return Number.isFinite(since) ? since : null;
}

/** What the Run page holds for one run and x axis. */
export interface HeldSeries {
  map: SeriesMap;
  /** Every key held, sorted: a new array whenever a load changed anything. */
  keys: string[];
}

/**
 * The first load on an x axis (`prev` null) fetches every key; a live one only what is new:
 * `since=` for the `changed` keys already held (none named: every key held), whole series for
 * those first seen. Each touched key's version goes up in `versions`; versions only grow, so a
 * chart sees a reload on another axis as a change too.
 */
export async function loadSeries(
  id: string,
  x: XAxis,
  prev: HeldSeries | null,
  changed: string[],
  versions: Map<string, number>,
  signal: AbortSignal,
): Promise<HeldSeries> {
  const map: SeriesMap = prev ? prev.map : new Map();
  const asks: Promise<SeriesResponse>[] = [];
  if (!prev) asks.push(getSeries(id, { x, maxPoints: MAX_POINTS }, signal));
  else {
    const known = changed.length ? changed.filter((k) => map.has(k)) : [...map.keys()];
    const fresh = changed.filter((k) => !map.has(k));
    if (known.length) {
      const since = sinceFor(map, known) ?? undefined;
      asks.push(getSeries(id, { keys: known, x, maxPoints: MAX_POINTS, since }, signal));
    }
    if (fresh.length || (!changed.length && !map.size)) {
      const keys = fresh.length ? fresh : undefined;
      asks.push(getSeries(id, { keys, x, maxPoints: MAX_POINTS }, signal));
    }
  }
  if (prev && !asks.length) return prev;
  const answers = await Promise.all(asks);
  for (const r of answers) {
    for (const k of mergeSeries(map, r, prev !== null)) versions.set(k, (versions.get(k) ?? 0) + 1);
  }
  return { map, keys: [...map.keys()].sort() };
}

/** The suffix of a superseded series' key on the Run page's charts. */
export const SUPERSEDED = " · superseded";

/**
 * The points of the run's attempts that died after the checkpoint a later attempt resumed
 * from (hidden by default; the Run page's "superseded points" toggle), keyed `key · superseded`.
 */
export async function loadSuperseded(id: string, x: XAxis, signal: AbortSignal): Promise<SeriesMap> {
  const r = await getSeries(id, { x, maxPoints: MAX_POINTS, superseded: true }, signal);
  const got: SeriesMap = new Map();
  mergeSeries(got, r, false);
  const map: SeriesMap = new Map();
  for (const [k, d] of got) if (d.x.length) map.set(k + SUPERSEDED, d);
  return map;
}
