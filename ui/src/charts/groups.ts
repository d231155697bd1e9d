/**
 * Which metric keys share a chart, and in what order the charts come: train and validation splits
 * of one metric go together (train/loss + eval/loss on one chart), then learning rate, grad norm,
 * throughput, accuracy, perplexity, every other metric, and system metrics (sys/...) last.
 */

export interface ChartSpec {
  id: string;
  title: string;
  keys: string[];
  section: Section;
}

export type Section =
  | "Loss"
  | "Learning rate"
  | "Gradients"
  | "Throughput"
  | "Accuracy"
  | "Perplexity"
  | "Metrics"
  | "System";

const ORDER: Section[] = [
  "Loss",
  "Learning rate",
  "Gradients",
  "Throughput",
  "Accuracy",
  "Perplexity",
  "Metrics",
  "System",
];

const SPLITS = new Set(["train", "training", "eval", "val", "valid", "validation", "test"]);

/** "eval/loss" → base "loss"; "loss" → "loss"; "sys/cpu" stays its own base. */
export function baseOf(key: string): string {
  const i = key.indexOf("/");
  if (i > 0 && SPLITS.has(key.slice(0, i).toLowerCase())) return key.slice(i + 1);
  return key;
}

export function sectionOf(key: string): Section {
  if (key.startsWith("sys/") || key.startsWith("system/")) return "System";
  const b = baseOf(key).toLowerCase();
  if (/(perplexity|ppl)/.test(b)) return "Perplexity";
  if (/loss/.test(b)) return "Loss";
  if (/(^|[/_])(lr|learning_rate)$/.test(b) || b === "lr") return "Learning rate";
  if (/grad/.test(b)) return "Gradients";
  if (/(per_s|per_sec|per_second|throughput|step_time|samples_s|it_s|tok_s)/.test(b))
    return "Throughput";
  if (/(^|[/_])acc(uracy)?($|[/_])/.test(b)) return "Accuracy";
  return "Metrics";
}

const SPLIT_ORDER = ["train", "training", "", "eval", "val", "valid", "validation", "test"];

function splitRank(key: string): number {
  const i = key.indexOf("/");
  const p = i > 0 ? key.slice(0, i).toLowerCase() : "";
  const r = SPLIT_ORDER.indexOf(SPLITS.has(p) ? p : "");
  return r < 0 ? 99 : r;
}

export function groupCharts(keys: string[]): ChartSpec[] {
  const byBase = new Map<string, string[]>();
  for (const k of keys) {
    const sec = sectionOf(k);
    // System metrics and free-form metrics get a chart each; split metrics share by base name.
    const b = sec === "System" ? k : baseOf(k);
    const list = byBase.get(b) ?? [];
    list.push(k);
    byBase.set(b, list);
  }
  const specs: ChartSpec[] = [];
  for (const [base, ks] of byBase) {
    ks.sort((a, b) => splitRank(a) - splitRank(b) || a.localeCompare(b));
    const first = ks[0] ?? base;
    specs.push({ id: base, title: base, keys: ks, section: sectionOf(first) });
  }
  specs.sort(
    (a, b) => ORDER.indexOf(a.section) - ORDER.indexOf(b.section) || a.id.localeCompare(b.id),
  );
  return specs;
}

/** The filter box: a chart stays when its title or any key contains the text (case-insensitive). */
export function matchesFilter(spec: ChartSpec, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  return spec.title.toLowerCase().includes(f) || spec.keys.some((k) => k.toLowerCase().includes(f));
}
