/** GET /api/v1/compare (issue #4): the comparison the CLI prints with `compare --json`. */
import { withToken } from "../lib/token";
import { API, getJson, query } from "./client";
import type { Num, RoleOut, RunStatus, SeriesOut, XAxis } from "./types";

export interface ComparedRunOut {
  id: string;
  name: string;
  project: string;
  model: string | null;
  status: RunStatus;
  archived: boolean;
  chosen: boolean;
  created_at: number;
  index: number;
  rank: number | null;
  best_value: Num | null;
  best_step: number | null;
  best_epoch: Num | null;
  best_at: string;
  delta_pct: Num | null;
  duration_s: Num | null;
  steps_per_s: Num | null;
  tokens_per_s: Num | null;
  tokens: Num | null;
  trophy: boolean;
  warning: boolean;
  /** A running run: "so far, at step N of M"; null once it ended. */
  so_far: string | null;
  /** False while the run is running: it is archived or deleted only once it ended. */
  can_archive: boolean;
  /** Why it cannot be archived or deleted yet. */
  archive_note: string | null;
  /** Each table field as text, formatted by the server (the CLI and reports read the same). */
  text: Record<string, string>;
}

export interface CompareRowOut {
  key: string;
  label: string;
  goal: "min" | "max" | null;
  best: string[];
}

export interface AssociationOut {
  key: string;
  kind: string;
  n: number;
  text: string;
}

export interface TrendPointOut {
  id: string;
  name: string;
  created_at: number;
  value: Num | null;
  best_so_far: Num | null;
  new_best: boolean;
}

export interface TrendOut {
  model: string | null;
  metric: string | null;
  verdict: string;
  change_pct: Num | null;
  text: string;
  points: TrendPointOut[];
}

export interface CompareOut {
  metric: string | null;
  goal: "min" | "max";
  best: string | null;
  threshold_pct: number;
  runs: ComparedRunOut[];
  rows: CompareRowOut[];
  recommendation: { run: string | null; reasons: string[]; text: string };
  config_diff: {
    params: Record<string, Record<string, unknown>>;
    same: number;
    associations: AssociationOut[];
    note: string | null;
  };
  models: (string | null)[];
  keys: string[];
  /** What each key is (trainboard.roles, with the runs' define_metric() choices). */
  roles: Record<string, RoleOut>;
  /** The runs' train loss, shown beside the deciding metric. */
  train_loss_key: string | null;
  trends: TrendOut[];
}

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
export interface CompareSeriesOut {
  key: string;
  x: XAxis;
  series: Record<string, SeriesOut | null>;
}

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
