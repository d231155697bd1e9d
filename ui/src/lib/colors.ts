/**
 * Consistent colours: a run gets the same colour on every chart and page (a stable hash into
 * one palette); runs shown together on one page get distinct colours (assignColors, provided
 * to the page's components by RunColours). A metric's colour on a run's charts (train and eval
 * splits apart) is decided by the server (trainboard.analysis.colors.metric_color) and comes
 * with the run (`colors`) and its histograms (`color`).
 */
import { createContext } from "preact";
import { useContext, useMemo } from "preact/hooks";
import palette from "../../../src/trainboard/analysis/palette.json";


// The one list of colours, shared with Python (trainboard.analysis.colors reads the same file).
export const PALETTE = palette.runs as unknown as readonly [string, ...string[]];
export const STATUS_COLOURS: Readonly<Record<string, string>> = palette.status;
export const VERDICT_COLOURS: Readonly<Record<string, string>> = palette.verdict;
export const UNKNOWN_COLOUR: string = palette.unknown;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A run's first-choice colour, from its id: what it has when shown alone. */
export function runColor(id: string): string {
  return PALETTE[hash(id) % PALETTE.length] ?? UNKNOWN_COLOUR;
}

/**
 * The colours of the runs shown together in one view (a page): no two share one, up to
 * PALETTE.length runs. The same rule as trainboard.analysis.colors.assign_colors: ids in sorted
 * order, each takes its first choice or moves on to the next free colour; past the palette's
 * length colours repeat from the first choice again.
 */
export function assignColors(ids: Iterable<string>): Map<string, string> {
  const n = PALETTE.length;
  const taken = new Set<number>();
  const out = new Map<string, string>();
  // code-unit order, as Python's sorted() orders these ids (ASCII)
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const id of sorted) {
    if (taken.size === n) taken.clear();
    let slot = hash(id) % n;
    while (taken.has(slot)) slot = (slot + 1) % n;
    taken.add(slot);
    out.set(id, PALETTE[slot] ?? UNKNOWN_COLOUR);
  }
  return out;
}

/** The colours of the runs the current page shows; a page provides it around its content. */
export const RunColours = createContext<Map<string, string>>(new Map());

/** Each run's colour on this page: its assigned one, or its first choice when the page has none. */
export function useRunColours(): (id: string) => string {
  const assigned = useContext(RunColours);
  return useMemo(() => (id: string) => assigned.get(id) ?? runColor(id), [assigned]);
}
