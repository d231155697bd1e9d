/** The config values that differ between the compared runs. */
import type { CompareOut } from "../../api/types";
import { RunName } from "../../components/RunName";
import { configValue } from "../../lib/format";

/** A config value as set: 1e-5 * 15 reads 0.00015, not 0.00015000000000000001 (float noise
 * past 12 significant digits is dropped; real differences are far above it). */
function paramText(v: unknown): string {
  if (typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v))
    return String(Number(v.toPrecision(12)));
  return configValue(v);
}

export function ConfigDiff({ data }: { data: CompareOut }) {
  const diff = data.config_diff;
  const keys = Object.keys(diff.params);
  return (
    <section class="card config-diff" data-testid="config-diff">
      <h2>Config differences</h2>
      <p class="muted">
        {keys.length === 1 ? "1 parameter differs" : `${keys.length} parameters differ`};{" "}
        {diff.same} {diff.same === 1 ? "is" : "are"} the same in every run.
      </p>
      {keys.length > 0 && (
        <div class="table-wrap">
          <table class="compare-table">
            <thead>
              <tr>
                <th />
                {data.runs.map((r) => (
                  <th key={r.id}>
                    <RunName name={r.name} id={r.id} swatch class="col-name" />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  {data.runs.map((r) => {
                    const v = diff.params[k]?.[r.id];
                    return (
                      <td key={r.id} class="num">
                        {v === undefined || v === null ? "—" : paramText(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ul>
        {diff.associations.map((a) => (
          <li key={a.key}>{a.text}</li>
        ))}
        {diff.note && data.runs.length > 1 && <li class="muted">{diff.note}</li>}
      </ul>
    </section>
  );
}
