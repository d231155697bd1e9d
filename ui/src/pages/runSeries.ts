/**
 * The Run page's in-memory series: one x/y array per key plus the last step held, so a live
 * `points` event fetches only `series?since=<last step>` and appends (never whole histories).
 */
import type { SeriesResponse } from "../api/types";
import type { XY } from "../charts/LineChart";
import { num } from "../lib/format";

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
      : { x: [], y: [], lastStep: Number.NEGATIVE_INFINITY, total: 0, downsampled: false };
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
      const v = num(s.values[i] ?? null);
      d.x.push(x);
      d.y.push(v === null || !Number.isFinite(v) ? null : v);
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
