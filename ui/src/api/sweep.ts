/** GET /api/v1/sweep (docs/api.md): the Sweep page's one request. */
import { getJson, query } from "./client";
import type { SweepOut } from "./types";

export interface SweepQuery {
  project?: string | null;
  tag?: string | null;
  ids?: string[];
  metric?: string | null;
  value?: "last" | "best";
}

export function getSweep(q: SweepQuery, signal?: AbortSignal): Promise<SweepOut> {
  return getJson<SweepOut>(
    `/sweep${query({
      project: q.project,
      tag: q.tag,
      ids: q.ids && q.ids.length ? q.ids.join(",") : null,
      metric: q.metric,
      value: q.value && q.value !== "last" ? q.value : null,
    })}`,
    signal,
  );
}
