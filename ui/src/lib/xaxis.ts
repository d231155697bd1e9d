/**
 * The x axis of the Run and Compare pages: step, wall time, tokens, or a metric that never
 * decreases (an epoch counter, nanoGPT's `iter`). The server places each point at that
 * metric's value at its step and refuses a metric that decreases; the choices offered are the
 * keys whose role (from the API) is an epoch or a counter.
 */
import type { XAxis } from "../api/types";

export const BUILTIN_X: readonly XAxis[] = ["step", "time", "tokens"];

/** The x axis a URL's `x` names (any metric key is taken; the server checks it). */
export function xFromParam(v: string | null): XAxis {
  return v ? v : "step";
}

/** The metrics offered as an x axis, from the roles the API sent. */
export function xMetrics(roles: Record<string, { role: string } | undefined>): string[] {
  return Object.entries(roles)
    .filter(([k, r]) => (r?.role === "epoch" || r?.role === "counter") && !BUILTIN_X.includes(k))
    .map(([k]) => k)
    .sort();
}
