/**
 * Display formatting only. The numbers themselves (progress, ETA, deltas, best run, health) are
 * computed by the server's analysis layer; this file only turns them into text.
 */
import type { Num } from "../api/types";

/** How the API spells the floats JSON cannot hold (api/types.ts `Num`), decoded: the one
 * place the UI reads them. */
const API_NON_FINITE = new Map<string, number>([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
]);

/** The API's float (NaN/±inf arrive as strings) as a JS number; null stays null. */
export function num(v: Num | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  const special = API_NON_FINITE.get(v);
  if (special !== undefined) return special;
  const n = Number(v);
  return Number.isNaN(n) ? null : n;
}

/** Whether `v` is a float as the API sends it: a number, or one of its non-finite spellings. */
export function isNum(v: unknown): v is Num {
  return typeof v === "number" || (typeof v === "string" && API_NON_FINITE.has(v));
}

const DASH = "—";

/** How the UI shows a non-finite number, everywhere (cells, axes, the Run page's notes of
 * NaN points): "NaN", "inf", "-inf"; null for a finite one. */
export function nonFinite(n: number): string | null {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  return null;
}

/** Fixed decimals (loss to 4); "—" when missing, NaN/inf spelled out. */
export function fixed(v: Num | string | null | undefined, digits = 4): string {
  const n = num(v);
  if (n === null) return DASH;
  return nonFinite(n) ?? n.toFixed(digits);
}

/** A general number: compact but exact enough for a table cell (lr 3e-5, loss 2.3101, 15,400). */
export function general(v: Num | string | null | undefined): string {
  const n = num(v);
  if (n === null) return DASH;
  const s = nonFinite(n);
  if (s) return s;
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (Number.isInteger(n) && a < 1e15) return n.toLocaleString("en-US");
  if (a >= 1e5 || a < 1e-3) return n.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(n.toPrecision(6)));
}

export function int(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return Math.round(v).toLocaleString("en-US");
}

export function percent(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return `${v.toFixed(digits)}%`;
}

/** Epoch seconds as local "2026-11-21 23:41". */
export function datetime(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return DASH;
  const d = new Date(t * 1000);
  const p = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Any config value as text (objects as compact JSON); never HTML. */
export function configValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
