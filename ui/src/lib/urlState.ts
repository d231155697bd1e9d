/**
 * View settings kept in the URL's query string, so a reload or a copied link opens the same
 * view (charts shown, smoothing, x axis, zoom, filters, sort, page). A setting at its default is
 * left out of the URL; changes replace the history entry (a slider drag is not 100 "Back"s).
 */
import { navigate, useLocation } from "./router";

export type Params = Record<string, string | number | boolean | null | undefined>;

/** The current URL with `patch` applied (null, "", false or undefined removes a parameter). */
export function withParams(patch: Params): string {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === "" || v === false) q.delete(k);
    else q.set(k, v === true ? "1" : String(v));
  }
  const s = q.toString().replace(/%2C/g, ",").replace(/%2F/g, "/");
  return `${window.location.pathname}${s ? `?${s}` : ""}`;
}

export function setParams(patch: Params): void {
  navigate(withParams(patch), true);
}

/** The query parameters, re-read whenever the URL changes. */
export function useParams(): URLSearchParams {
  return useLocation().params;
}

export function numParam(p: URLSearchParams, key: string, dflt: number): number {
  const v = p.get(key);
  const n = v === null || v === "" ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : dflt;
}

/** A "min,max" range (a zoom), or null. */
export function rangeParam(p: URLSearchParams, key: string): [number, number] | null {
  const v = p.get(key);
  if (!v) return null;
  const [a, b] = v.split(",").map(Number);
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && a < b
    ? [a, b]
    : null;
}

export function rangeText(r: [number, number] | null): string | null {
  if (!r) return null;
  const f = (v: number) => String(Number(v.toPrecision(8)));
  return `${f(r[0])},${f(r[1])}`;
}
