/** Training speed of each run as bars. */
import type { CompareOut } from "../../api/types";
import { RunName } from "../../components/RunName";
import { num } from "../../lib/format";
import { useRunColours } from "../../lib/colors";

export function SpeedBars({ data }: { data: CompareOut }) {
  const colorOf = useRunColours();
  const useTokens = data.runs.some((r) => num(r.tokens_per_s) !== null);
  const field = useTokens ? "tokens_per_s" : "steps_per_s";
  const vals = data.runs.map((r) => num(r[field]) ?? 0);
  const max = Math.max(...vals.filter(Number.isFinite), 0);
  if (max <= 0)
    return (
      <section class="card speed" data-testid="speed-bars">
        <h2>Training speed</h2>
        <p class="muted">No run has a measured speed yet (steps/s needs logged steps over time).</p>
      </section>
    );
  return (
    <section class="card speed" data-testid="speed-bars">
      <h2>Training speed ({useTokens ? "tokens/s" : "steps/s"})</h2>
      {data.runs.map((r, i) => (
        <div class="bar-row" key={r.id}>
          <span class="bar-name">
            <RunName name={r.name} />
          </span>
          <span class="bar-track">
            <span
              class="bar-fill"
              style={{
                width: `${max > 0 ? (100 * (vals[i] ?? 0)) / max : 0}%`,
                background: colorOf(r.id),
              }}
            />
          </span>
          <span class="bar-value num">{r.text[field]}</span>
          <span class="bar-time muted num">{r.text.duration_s}</span>
        </div>
      ))}
    </section>
  );
}
