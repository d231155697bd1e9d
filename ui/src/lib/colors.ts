/**
 * Consistent colours: a metric or a run gets the same colour on every chart and page (a stable
 * hash into one palette). Train/validation/test splits of one metric get fixed distinct colours
 * so "train/loss" and "eval/loss" never collide on the loss chart.
 */

export const PALETTE = [
  "#1f6fd1", // blue
  "#e8710a", // orange
  "#1a9c5b", // green
  "#d93025", // red
  "#8e44ad", // purple
  "#0b9db3", // teal
  "#b5651d", // brown
  "#d6336c", // pink
  "#5f6b7a", // slate
  "#a08c00", // olive
] as const;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const SPLIT_COLOURS: Record<string, string> = {
  train: PALETTE[0],
  training: PALETTE[0],
  eval: PALETTE[1],
  val: PALETTE[1],
  valid: PALETTE[1],
  validation: PALETTE[1],
  test: PALETTE[2],
};

export function metricColor(key: string): string {
  const prefix = key.includes("/") ? key.slice(0, key.indexOf("/")).toLowerCase() : "";
  const split = SPLIT_COLOURS[prefix];
  if (split) return split;
  return PALETTE[hash(key) % PALETTE.length] ?? PALETTE[0];
}

export function runColor(id: string): string {
  return PALETTE[hash(id) % PALETTE.length] ?? PALETTE[0];
}

export const STATUS_COLOURS: Record<string, string> = {
  running: "#1f6fd1",
  finished: "#1a7f46",
  failed: "#c5221f",
  crashed: "#c25e00",
  killed: "#5f6b7a",
  pruned: "#7a5c99",
};

export const VERDICT_COLOURS: Record<string, string> = {
  healthy: "#1a7f46",
  warning: "#b06000",
  critical: "#c5221f",
};
