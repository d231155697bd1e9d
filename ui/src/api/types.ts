/**
 * The JSON shapes of the v1 HTTP API (docs/api.md), generated: `schema.d.ts` comes from the
 * server's OpenAPI schema (openapi-typescript, run by `make ui`; the suite fails when it
 * drifts from the server). This file names them for the pages and keeps the one shape the
 * schema cannot describe (the SSE payload). Numbers that may be NaN or ±inf travel as
 * strings ("NaN", "Infinity", "-Infinity").
 */
import type { components, paths } from "./schema";

type S = components["schemas"];

/** A float as the API sends it: NaN and ±inf arrive as "NaN", "Infinity", "-Infinity". */
export type Num = number | "NaN" | "Infinity" | "-Infinity";

export type RunStatus = S["RunOut"]["status"];

export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "finished",
  "failed",
  "crashed",
  "killed",
  "pruned",
  "stopped",
];

export type MetricSummary = S["MetricSummaryOut"];
export type ProgressOut = S["ProgressOut"];
export type RunOut = S["RunOut"];
export type RoleOut = S["RoleOut"];
export type KeysByRoleOut = S["KeysByRoleOut"];
export type RunsOut = S["RunsOut"];
export type RunsTableOut = S["RunsTableOut"];
export type CheckpointOut = S["CheckpointOut"];
export type CardOut = S["CardOut"];
export type Finding = S["FindingOut"];
export type HealthOut = S["HealthOut"];
export type RunDetailOut = S["RunDetailOut"];
export type SeriesOut = S["SeriesColumnsOut"];
export type SeriesResponse = S["SeriesOut"];
export type TextOut = S["TextOut"];
export type HistogramOut = S["HistogramOut"];
export type ArtifactOut = S["ArtifactOut"];
export type EventOut = S["EventOut"];
export type ApiErrorBody = S["ErrorOut"];
export type SweepParamOut = S["SweepParamOut"];
export type SweepRunOut = S["SweepRunOut"];
export type SweepOut = S["SweepOut"];
export type TextsOut = S["TextsOut"];
export type HistogramsOut = S["HistogramsOut"];
export type ArtifactsOut = S["ArtifactsOut"];
export type ArchivedOut = S["ArchivedOut"];
export type UnarchivedOut = S["UnarchivedOut"];
export type DeletedOut = S["DeletedOut"];
export type ChosenOut = S["ChosenOut"];
export type ComparedRunOut = S["ComparedRunOut"];
export type CompareRowOut = S["CompareRowOut"];
export type AssociationOut = S["AssociationOut"];
export type TrendPointOut = S["TrendPointOut"];
export type TrendOut = S["TrendOut"];
export type CompareOut = S["CompareOut"];
export type CompareSeriesOut = S["CompareSeriesOut"];

export type XAxis = SeriesResponse["x"];

export interface PointsEvent {
  run: string;
  last_step: number;
  keys: string[];
}

/** GET /runs's query parameters. */
export type RunsQuery = NonNullable<paths["/api/v1/runs"]["get"]["parameters"]["query"]>;
