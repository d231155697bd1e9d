/** The "x axis: a metric" picker beside the step / time / tokens buttons (Run and Compare). */
import type { XAxis } from "../api/types";
import { BUILTIN_X, xMetrics } from "../lib/xaxis";

export function XMetricSelect({
  roles,
  value,
  onChange,
}: {
  roles: Record<string, { role: string } | undefined>;
  value: XAxis;
  onChange: (x: XAxis) => void;
}) {
  const choices = xMetrics(roles);
  // a metric named in the URL is kept in the list even when its role is another
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
