/**
 * A run's colour on the Compare page: by its index in the selection, so it is the same on every
 * chart, the table and the bars. The first ten take the app's palette; beyond that, hues spaced
 * by the golden angle stay apart for 50 runs.
 */
import { PALETTE } from "../lib/colors";

export function runColorAt(index: number): string {
  if (index < PALETTE.length) return PALETTE[index] ?? PALETTE[0];
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 62%, ${index % 2 ? 38 : 48}%)`;
}
