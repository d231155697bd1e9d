/**
 * GET /api/v1/compare (issue #4): the comparison the CLI prints with `compare --json`. Its
 * shapes (CompareOut, ComparedRunOut, ...) are the server's, from the generated schema.
 */
import { withToken } from "../lib/token";
import { API, getJson, query } from "./client";
import type { CompareOut, CompareSeriesOut, XAxis } from "./types";

export interface CompareQuery {
  runs: string[];
  metric?: string | null;
  threshold?: number | null;
}

function params(q: CompareQuery) {
  return query({ runs: q.runs.join(","), metric: q.metric, threshold: q.threshold });
}

export function getCompare(q: CompareQuery, signal?: AbortSignal): Promise<CompareOut> {
  return getJson<CompareOut>(`/compare${params(q)}`, signal);
}

/** GET /api/v1/compare/series: every run's curve of one key (null: the run never logged it). */
export interface CompareSeriesQuery {
  runs: string[];
  key: string;
  maxPoints?: number;
  x?: XAxis;
}

export function getCompareSeries(
  q: CompareSeriesQuery,
  signal?: AbortSignal,
): Promise<CompareSeriesOut> {
  const p = query({ runs: q.runs.join(","), key: q.key, max_points: q.maxPoints, x: q.x });
  return getJson<CompareSeriesOut>(`/compare/series${p}`, signal);
}

/** Download links (the browser follows them itself, so the token rides in the query). */
export const compareLinks = {
  json: (q: CompareQuery) => withToken(`${API}/compare${params(q)}`),
  csv: (q: CompareQuery) => withToken(`${API}/compare.csv${params(q)}`),
  md: (q: CompareQuery) => withToken(`${API}/compare.md${params(q)}`),
};
