/**
 * The JSON shapes of the v1 HTTP API (docs/api.md), mirrored by hand so the pages are typed
 * against the contract the server promises. Numbers that may be NaN or ±inf travel as strings.
 * tests/browser/test_ui_types.py checks every interface here against the server's OpenAPI
 * schema (same field names), so a changed route fails a test instead of a page.
 */

/** A float as the API sends it: NaN and ±inf arrive as "NaN", "Infinity", "-Infinity". */
export type Num = number | "NaN" | "Infinity" | "-Infinity";

export type RunStatus = "running" | "finished" | "failed" | "crashed" | "killed" | "pruned";

export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "finished",
  "failed",
  "crashed",
  "killed",
  "pruned",
];

export interface MetricSummary {
  count: number;
  last: Num | null;
  last_step: number | null;
  min: Num | null;
  min_step: number | null;
  max: Num | null;
  max_step: number | null;
  first_time?: number | null;
  last_time?: number | null;
}

export interface ProgressOut {
  step: number | null;
  total_steps: number | null;
  percent: number | null;
  elapsed_s: number | null;
  eta_s: number | null;
  steps_per_s: number | null;
  tokens_per_s: number | null;
  tokens: number | null;
  batches: number | null;
  loss: Num | null;
  loss_key: string | null;
  grad_norm: Num | null;
  epoch: number | null;
  status: RunStatus | string;
  elapsed_text: string;
  eta_text: string;
  tokens_text: string;
}

export interface RunOut {
  id: string;
  name: string;
  project: string | null;
  model: string | null;
  status: RunStatus | string;
  archived: boolean;
  /** A person marked it as the run they chose (never archived as a loser). */
  chosen: boolean;
  tags: string[];
  /** Left out by GET /runs?fields=row (the Runs page does not show it). */
  config?: Record<string, unknown>;
  total_steps: number | null;
  last_step: number | null;
  created_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  host: string | null;
  pid: number | null;
  goals: Record<string, string>;
  notes: string | null;
  duration_s: number | null;
  /** Left out by GET /runs?fields=row (the Runs page does not show it). */
  summary?: Record<string, MetricSummary>;
  progress: ProgressOut | null;
  current_loss: Num | null;
  best_eval_loss: Num | null;
  eval_key: string | null;
  /** "eval loss" when the deciding metric is one, else that metric's name. */
  best_label: string | null;
  best_text: string;
  group_best: boolean;
  delta_to_best_pct: Num | null;
  /** Every key's role (trainboard.roles). Left out by GET /runs?fields=row. */
  roles?: Record<string, RoleOut>;
}

/** What a metric key is, decided by the server (trainboard.roles): the UI keeps no list. */
export interface RoleOut {
  role: string;
  goal: "min" | "max" | null;
  split: "train" | "eval" | null;
  explicit: boolean;
  text: string;
  group: string;
  section: string;
}

export interface RunsOut {
  total: number;
  runs: RunOut[];
}

/** GET /table: a page of runs sorted by any column, with the added columns' values. */
export interface RunsTableOut {
  total: number;
  runs: RunOut[];
  cells: Record<string, Record<string, Num | string | boolean | null>>;
  config_columns: string[];
  metric_columns: string[];
}

/** GET /runs/{id}/card: the fuller progress card (trainboard.analysis.card). */
export interface CheckpointOut {
  step: number;
  percent: number | null;
  name: string;
}

export interface CardOut {
  gpu_util_pct: number | null;
  gpu_mem_gb: number | null;
  gpu_mem_pct: number | null;
  gpus: number;
  trend: "improving" | "flat" | "worsening" | null;
  trend_key: string | null;
  trend_text: string;
  checkpoints: CheckpointOut[];
  price_per_hour: number | null;
  cost_so_far: number | null;
  cost_at_eta: number | null;
  cost_text: string;
}

export interface Finding {
  check: string;
  severity: "info" | "warning" | "critical" | string;
  saw: string;
  try: string;
}

export interface HealthOut {
  verdict: "healthy" | "warning" | "critical" | string;
  findings: Finding[];
  summary: string;
}

export interface RunDetailOut {
  run: RunOut;
  health: HealthOut | null;
  keys: string[];
}

export type XAxis = "step" | "time" | "tokens";

export interface SeriesOut {
  steps: number[];
  times: number[];
  values: (Num | null)[];
  x: (number | null)[] | null;
  total: number;
  downsampled: boolean;
}

export interface SeriesResponse {
  run: string;
  x: XAxis;
  series: Record<string, SeriesOut>;
}

export interface TextOut {
  key: string;
  step: number;
  wall_time: number;
  text: string;
}

export interface HistogramOut {
  key: string;
  step: number;
  wall_time: number;
  edges: number[];
  counts: number[];
  min: Num | null;
  max: Num | null;
  count: number;
  sum: Num | null;
}

export interface ArtifactOut {
  id: string | number;
  name: string;
  kind: string | null;
  step: number | null;
  path: string;
  size: number | null;
  wall_time: number | null;
}

export interface ApiErrorBody {
  error: { status: number; code: string; message: string };
}

export interface PointsEvent {
  run: string;
  last_step: number;
  keys: string[];
}

export interface RunsQuery {
  project?: string;
  model?: string;
  status?: string;
  tag?: string;
  search?: string;
  archived?: "false" | "true" | "all";
  limit?: number;
  offset?: number;
  /** "created" (default): newest first; "model": by model, newest first within one. */
  sort?: "created" | "model";
  /** "row": leave out each run's config and summary (half the bytes of a page). */
  fields?: "all" | "row";
}

/** GET /sweep: a study (or any runs) as a hyperparameter search (analysis/sweep.py). */
export interface SweepParamOut {
  name: string;
  kind: "number" | "category";
  log: boolean;
  values: string[];
}

export interface SweepRunOut {
  id: string;
  name: string;
  status: string;
  created_at: number;
  params: Record<string, string | number | boolean | null>;
  objective: Num | null;
  metrics: Record<string, Num | null>;
}

export interface SweepOut {
  metric: string | null;
  goal: "min" | "max";
  value: "last" | "best";
  params: SweepParamOut[];
  metrics: string[];
  runs: SweepRunOut[];
  best: string | null;
  counts: Record<string, number>;
}
