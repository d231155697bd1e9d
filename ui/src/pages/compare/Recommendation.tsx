/** The Compare recommendation: which run to keep and why, and the actions (choose, archive, delete). */
import type { CompareOut } from "../../api/types";
import { RunLabel } from "./RunLabel";

export function Recommendation(p: {
  data: CompareOut;
  onArchive: (ids: string[]) => void;
  onDelete: (ids: string[]) => void;
  onChoose: (id: string, chosen: boolean) => void;
}) {
  const { data } = p;
  const rec = data.recommendation;
  const winner = data.runs.find((r) => r.id === rec.run);
  // a running run is never offered for archive or delete: it is judged once it ends;
  // a run someone chose is never one of the losers to archive
  const ended = data.runs.filter((r) => r.can_archive);
  const live = data.runs.filter((r) => !r.can_archive && r.id !== rec.run);
  const others = ended.filter((r) => r.id !== rec.run && !r.archived && !r.chosen).map((r) => r.id);
  const worse = ended.filter((r) => r.warning && !r.archived && !r.chosen).map((r) => r.id);
  const deletable = ended.filter((r) => r.id !== rec.run).map((r) => r.id);
  const why =
    live.length > 0
      ? `${live.map((r) => r.name).join(", ")}: ${live[0]?.archive_note ?? "still running"}`
      : undefined;
  return (
    <section class="card recommendation" data-testid="recommendation">
      <h2>
        {winner ? (
          <>
            Keep <RunLabel run={winner} />
          </>
        ) : (
          "No recommendation"
        )}
      </h2>
      <ul>
        {rec.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      {winner && (
        <div class="actions">
          {winner.chosen ? (
            <button
              type="button"
              class="chosen-mark"
              aria-pressed="true"
              title="you chose this run; click to take the choice back"
              onClick={() => p.onChoose(winner.id, false)}
            >
              ✓ Chosen
            </button>
          ) : (
            <button type="button" class="primary" onClick={() => p.onChoose(winner.id, true)}>
              Mark as chosen
            </button>
          )}
          <button
            type="button"
            disabled={others.length === 0}
            title={why}
            onClick={() => p.onArchive(others)}
          >
            Archive the others ({others.length})
          </button>
          <button
            type="button"
            disabled={worse.length === 0}
            title={why}
            onClick={() => p.onArchive(worse)}
          >
            Archive runs &gt;{data.threshold_pct}% worse ({worse.length})
          </button>
          <button
            type="button"
            class="danger"
            disabled={deletable.length === 0}
            title={why}
            onClick={() => p.onDelete(deletable)}
          >
            Delete the others…
          </button>
          {why && (
            <span class="muted archive-note" data-testid="archive-note">
              Not offered: {why}
            </span>
          )}
        </div>
      )}
    </section>
  );
}
