/** The Run page's config (flattened, dotted names) beside its metrics' summaries. */
import type { RunOut } from "../../api/types";
import { configValue, general, int } from "../../lib/format";

function flatten(obj: Record<string, unknown>, prefix = "", out: [string, unknown][] = []) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, key, out);
    } else out.push([key, v]);
  }
  return out;
}

export function ConfigSummary({ run }: { run: RunOut }) {
  const config = flatten(run.config ?? {});
  const summary = Object.entries(run.summary ?? {}).sort((a, b) => a[0].localeCompare(b[0]));
  return (
    <section class="section two-col">
      <div class="card">
        <h2>Config</h2>
        {config.length ? (
          <table class="kv">
            <tbody>
              {config.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td class="tnum">{configValue(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">No config.</p>
        )}
      </div>
      <div class="card">
        <h2>Summary</h2>
        {summary.length ? (
          <div class="kv-scroll">
            <table class="kv summary">
              <thead>
                <tr>
                  <th>metric</th>
                  <th class="num">last</th>
                  <th class="num">min (step)</th>
                  <th class="num">max (step)</th>
                  <th class="num">points</th>
                </tr>
              </thead>
              <tbody>
                {summary.map(([k, s]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td class="num">{general(s.last)}</td>
                    <td class="num">
                      {general(s.min)} <span class="muted">({int(s.min_step)})</span>
                    </td>
                    <td class="num">
                      {general(s.max)} <span class="muted">({int(s.max_step)})</span>
                    </td>
                    <td class="num">{int(s.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">No metrics yet.</p>
        )}
      </div>
    </section>
  );
}
