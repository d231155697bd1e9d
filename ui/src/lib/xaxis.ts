/**
 * The x axis of the Run and Compare pages: step, wall time, tokens, or a metric that never
 * decreases (an epoch counter, nanoGPT's `iter_num`). The server places each point at that
 * metric's value at its step, refuses a metric that decreases, and sends the metrics it
 * offers (`x_keys`): which keys qualify is decided there, once.
 */
import type { XAxis } from "../api/types";

export const BUILTIN_X: readonly XAxis[] = ["step", "time", "tokens"];

/** The x axis a URL's `x` names (any metric key is taken; the server checks it). */
export function xFromParam(v: string | null): XAxis {
  return v ? v : "step";
}
