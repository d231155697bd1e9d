/** The health verdict from the analysis layer: the verdict, and for each finding what it saw and what to try. */
import type { HealthOut } from "../api/types";
import { VERDICT_COLOURS, UNKNOWN_COLOUR } from "../lib/colors";

export function HealthCard({ health }: { health: HealthOut | null }) {
  if (!health) return null;
  const c = VERDICT_COLOURS[health.verdict] ?? UNKNOWN_COLOUR;
  return (
    <section class="card health" aria-label="health" style={{ borderLeftColor: c }}>
      <div class="health-head">
        <span class="badge" style={{ color: c, borderColor: c }} data-testid="verdict">
          {health.verdict}
        </span>
        <span class="health-summary">{health.summary}</span>
      </div>
      {health.findings.length ? (
        <ul class="findings">
          {health.findings.map((f) => (
            <li key={f.check} class={`finding sev-${f.severity}`}>
              <span class="finding-check" style={{ color: VERDICT_COLOURS[f.severity] ?? c }}>
                {f.check}
              </span>
              <span class="finding-saw">
                <b>saw</b> {f.saw}
              </span>
              <span class="finding-try">
                <b>try</b> {f.try}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
