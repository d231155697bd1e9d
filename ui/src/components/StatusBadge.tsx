/** A run's status in its colour (running blue, finished green, failed red, crashed orange,
 * pruned purple: a search trial its pruner stopped early; stopped amber: asked to stop). */
import { STATUS_COLOURS, UNKNOWN_COLOUR } from "../lib/colors";

export function StatusBadge({ status }: { status: string }) {
  const c = STATUS_COLOURS[status] ?? UNKNOWN_COLOUR;
  return (
    <span class={`badge status status-${status}`} style={{ color: c, borderColor: c }}>
      {status === "running" ? <span class="pulse" style={{ background: c }} /> : null}
      {status}
    </span>
  );
}
