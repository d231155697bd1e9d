/** The run routes of docs/api.md, one typed function each. */
import { withToken } from "../lib/token";
import { API, getJson, postJson, query } from "./client";
import type {
  ArchivedOut,
  ArtifactOut,
  ArtifactsOut,
  CardOut,
  ChosenOut,
  DeletedOut,
  HistogramOut,
  HistogramsOut,
  RunDetailOut,
  RunsOut,
  RunsQuery,
  RunsTableOut,
  SeriesResponse,
  TextOut,
  TextsOut,
  UnarchivedOut,
  XAxis,
} from "./types";

const enc = encodeURIComponent;

export function listRuns(q: RunsQuery, signal?: AbortSignal): Promise<RunsOut> {
  const exact = q.exact === undefined ? undefined : String(q.exact);
  return getJson<RunsOut>(`/runs${query({ ...q, exact })}`, signal);
}

export interface TableQuery extends Omit<RunsQuery, "sort" | "fields" | "exact"> {
  sort: string;
  desc: boolean;
  group: boolean;
  columns: string[];
}

/** The runs table: sorted server-side by any column over every matching run. */
export function getTable(q: TableQuery, signal?: AbortSignal): Promise<RunsTableOut> {
  return getJson<RunsTableOut>(
    `/table${query({
      ...q,
      desc: q.desc ? "true" : "false",
      group: q.group ? "true" : "false",
      columns: q.columns.join(","),
    })}`,
    signal,
  );
}

export function getCard(id: string, signal?: AbortSignal): Promise<CardOut> {
  return getJson<CardOut>(`/runs/${enc(id)}/card`, signal);
}

export function getRun(id: string, signal?: AbortSignal): Promise<RunDetailOut> {
  return getJson<RunDetailOut>(`/runs/${enc(id)}`, signal);
}

export interface SeriesQuery {
  keys?: string[];
  maxPoints?: number;
  x?: XAxis;
  since?: number;
  /** Only the points of attempts that died, superseded by a resume from a checkpoint. */
  superseded?: boolean;
}

export function getSeries(
  id: string,
  q: SeriesQuery,
  signal?: AbortSignal,
): Promise<SeriesResponse> {
  return getJson<SeriesResponse>(
    `/runs/${enc(id)}/series${query({
      keys: q.keys && q.keys.length ? q.keys.join(",") : undefined,
      max_points: q.maxPoints,
      x: q.x,
      since: q.since,
      superseded: q.superseded ? "true" : undefined,
    })}`,
    signal,
  );
}

export async function getTexts(
  id: string,
  since?: number,
  signal?: AbortSignal,
): Promise<TextOut[]> {
  const r = await getJson<TextsOut>(`/runs/${enc(id)}/texts${query({ since })}`, signal);
  return r.texts;
}

export async function getHistograms(id: string, signal?: AbortSignal): Promise<HistogramOut[]> {
  const r = await getJson<HistogramsOut>(`/runs/${enc(id)}/histograms`, signal);
  return r.histograms;
}

export async function getArtifacts(id: string, signal?: AbortSignal): Promise<ArtifactOut[]> {
  const r = await getJson<ArtifactsOut>(`/runs/${enc(id)}/artifacts`, signal);
  return r.artifacts;
}

export function archiveRuns(ids: string[]): Promise<ArchivedOut> {
  return postJson("/runs/archive", { ids });
}

/** Mark runs as chosen (or, with chosen=false, take the choice back). */
export function chooseRuns(ids: string[], chosen = true): Promise<ChosenOut> {
  return postJson("/runs/choose", { ids, chosen });
}

export function unarchiveRuns(ids: string[]): Promise<UnarchivedOut> {
  return postJson("/runs/unarchive", { ids });
}

/** Delete is irreversible: only call this after the person confirmed in a dialog. */
export function deleteRuns(ids: string[]): Promise<DeletedOut> {
  return postJson("/runs/delete", { ids, confirm: true });
}

/** Links the browser follows itself (no header), so the token rides in the query string. */
export const links = {
  seriesCsv: (id: string, key: string) =>
    withToken(`${API}/runs/${enc(id)}/series.csv${query({ key })}`),
  exportCsv: (id: string) => withToken(`${API}/runs/${enc(id)}/export.csv`),
  exportJson: (id: string) => withToken(`${API}/runs/${enc(id)}/export.json`),
  artifact: (id: string, artifactId: string | number | null) =>
    withToken(`${API}/runs/${enc(id)}/artifacts/${enc(String(artifactId))}/file`),
  live: () => withToken(`${API}/live`),
};
