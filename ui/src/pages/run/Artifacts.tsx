/** The Run page's artifacts: each file with its kind, step, size and a download link. */
import { links } from "../../api/runs";
import type { ArtifactOut } from "../../api/types";
import { bytes, datetime, int } from "../../lib/format";

export function Artifacts({ runId, artifacts }: { runId: string; artifacts: ArtifactOut[] }) {
  return (
    <section class="section card">
      <h2>Artifacts</h2>
      {artifacts.length ? (
        <div class="kv-scroll">
          <table class="kv artifacts">
            <thead>
              <tr>
                <th>name</th>
                <th>kind</th>
                <th class="num">step</th>
                <th class="num">size</th>
                <th class="num">saved</th>
              </tr>
            </thead>
            <tbody>
              {artifacts.map((a) => (
                <tr key={String(a.id)}>
                  <td>
                    <a href={links.artifact(runId, a.id)} download>
                      {a.name}
                    </a>
                  </td>
                  <td>{a.kind ?? "—"}</td>
                  <td class="num">{int(a.step)}</td>
                  <td class="num">{bytes(a.size)}</td>
                  <td class="num muted">{datetime(a.wall_time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No artifacts.</p>
      )}
    </section>
  );
}
