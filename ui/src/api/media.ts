/** Media routes (docs/api.md "Media"): keys with steps, items at a step, Compare, the bytes. */
import { API, getJson, query } from "./client";
import type { components } from "./schema";

type S = components["schemas"];
export type MediaKeyOut = S["MediaKeyOut"];
export type MediaItemOut = S["MediaItemOut"];
export type CompareMediaOut = S["CompareMediaOut"];

/** A cell of a logged table: text, a number (NaN/±inf spelled), a bool, null, or media. */
export type TableCell =
  | string
  | number
  | boolean
  | null
  | { media: { kind: string; digest: string; mime: string; caption?: string | null; width?: number; height?: number } };

export interface TableDoc {
  columns: string[];
  rows: TableCell[][];
}

export const mediaUrl = (digest: string): string => `${API}/media/${digest}`;

export const getMediaKeys = (runId: string, signal?: AbortSignal) =>
  getJson<{ keys: MediaKeyOut[] }>(`/runs/${encodeURIComponent(runId)}/media`, signal).then((b) => b.keys);

export const getMediaItems = (runId: string, key: string, step: number, signal?: AbortSignal) =>
  getJson<{ items: MediaItemOut[] }>(
    `/runs/${encodeURIComponent(runId)}/media/items${query({ key, step })}`,
    signal,
  ).then((b) => b.items);

export const getCompareMedia = (runs: string[], key: string, step: number | null, signal?: AbortSignal) =>
  getJson<CompareMediaOut>(`/compare/media${query({ runs: runs.join(","), key, step })}`, signal);

/** The JSON of a logged table (its bytes, cached for good by the browser). */
export const getTableDoc = (digest: string, signal?: AbortSignal) =>
  getJson<TableDoc>(`/media/${digest}`, signal);

/** The last step in `steps` (sorted) at or before `at`, else the first. */
export function stepAtOrBefore(steps: number[], at: number): number | null {
  let found: number | null = null;
  for (const s of steps) {
    if (s <= at) found = s;
    else break;
  }
  return found ?? steps[0] ?? null;
}
