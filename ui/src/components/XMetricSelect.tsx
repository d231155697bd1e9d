/** The "x axis: a metric" picker beside the step / time / tokens buttons (Run and Compare). */
import type { XAxis } from "../api/types";
import { BUILTIN_X } from "../lib/xaxis";

export function XMetricSelect({
  choices: offered,
  value,
  onChange,
}: {
  /** The server's `x_keys`: the metrics that never decrease. */
  choices: readonly string[];
  value: XAxis;
  onChange: (x: XAxis) => void;
}) {
  const choices = offered.filter((k) => !BUILTIN_X.includes(k));
  // a metric named in the URL is kept in the list even when it was not offered
  if (!BUILTIN_X.includes(value) && !choices.includes(value)) choices.push(value);
  if (!choices.length) return null;
  return (
    <select
      aria-label="x axis metric"
      class={BUILTIN_X.includes(value) ? "" : "on"}
      value={BUILTIN_X.includes(value) ? "" : value}
      onChange={(e) => onChange((e.target as HTMLSelectElement).value || "step")}
    >
      <option value="">x: a metric…</option>
      {choices.map((k) => (
        <option key={k} value={k}>
          x: {k}
        </option>
      ))}
    </select>
  );
}
