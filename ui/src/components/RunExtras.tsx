/** A run's own summary dict (wandb.summary[...] = v) and its alerts (wandb.alert()), from
 * GET /runs/{id}: shown on the Run page only when the run has any. Text is shown as text. */
import type { EventOut } from "../api/types";
import { configValue, datetime, int } from "../lib/format";

const LEVEL_COLOURS: Record<string, string> = {
  info: "#1f6feb",
  warn: "#b26b00",
  error: "#cf222e",
};

export function RunExtras({
  summary,
  events,
}: {
  summary: Record<string, unknown>;
  events: EventOut[];
}) {
  const keys = Object.keys(summary);
  if (!keys.length && !events.length) return null;
  return (
    <section class="section two-col run-extras">
      {keys.length ? (
        <div class="card">
          <h2>Run summary</h2>
          <table class="kv run-summary">
            <tbody>
              {keys.map((k) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{configValue(summary[k])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {events.length ? (
        <div class="card">
          <h2>Events</h2>
          <table class="kv alerts">
            <tbody>
              {events.map((e) => (
                <tr key={String(e.id)}>
                  <td>
                    <span
                      class="badge"
                      style={{ color: LEVEL_COLOURS[e.level], borderColor: LEVEL_COLOURS[e.level] }}
                    >
                      {e.level}
                    </span>
                  </td>
                  <th>{e.title}</th>
                  <td>{e.text}</td>
                  <td class="num muted">step {int(e.step)}</td>
                  <td class="num muted">{datetime(e.wall_time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
