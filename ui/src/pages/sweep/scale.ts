/**
 * Axes for the sweep charts: a parameter (linear, log, or categories) or the objective mapped
 * onto pixels. Drawing only; every number shown comes from GET /sweep.
 */
import type { SweepParamOut } from "../../api/types";

export interface Axis {
  /** value -> 0..1 along the axis, or null when the value cannot be placed */
  pos(v: unknown): number | null;
  ticks: { at: number; label: string }[];
}

function short(n: number): string {
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (a >= 1e4 || a < 1e-2) return n.toExponential(1).replace("e+", "e");
  return String(Number(n.toPrecision(3)));
}

export function numberAxis(values: number[], log: boolean): Axis {
  const ok = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!ok.length) return { pos: () => null, ticks: [] };
  const f = log ? Math.log10 : (x: number) => x;
  let lo = f(Math.min(...ok));
  let hi = f(Math.max(...ok));
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pos = (v: unknown) =>
    typeof v === "number" && Number.isFinite(v) && (!log || v > 0) ? (f(v) - lo) / (hi - lo) : null;
  const inv = (t: number) => (log ? 10 ** (lo + t * (hi - lo)) : lo + t * (hi - lo));
  return { pos, ticks: [0, 0.5, 1].map((t) => ({ at: t, label: short(inv(t)) })) };
}

export function categoryAxis(values: string[]): Axis {
  const n = values.length;
  const pos = (v: unknown) => {
    const i = values.indexOf(String(v));
    return i < 0 ? null : n === 1 ? 0.5 : i / (n - 1);
  };
  return { pos, ticks: values.map((v, i) => ({ at: n === 1 ? 0.5 : i / (n - 1), label: v })) };
}

export function paramAxis(p: SweepParamOut, values: unknown[]): Axis {
  if (p.kind === "category") return categoryAxis(p.values);
  return numberAxis(values.filter((v): v is number => typeof v === "number"), p.log);
}

/** The objective's axis: log when every value is positive and they span two decades or more
 * (a diverging trial next to converged ones), linear otherwise. */
export function objectiveAxis(values: number[]): Axis {
  const ok = values.filter((v) => Number.isFinite(v));
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return numberAxis(ok, ok.length > 1 && lo > 0 && hi / lo >= 100);
}
