/** A compared run's name in its colour, linked to its page, with its marks (trophy, warning, chosen, archived). */
import type { CompareOut } from "../../api/types";
import { RunName } from "../../components/RunName";
import { Trophy } from "../../components/Trophy";
import { href, linkClick } from "../../lib/router";
import { useRunColours } from "../../lib/colors";

export function RunLabel({ run }: { run: CompareOut["runs"][number] }) {
  const colorOf = useRunColours();
  const url = `/runs/${encodeURIComponent(run.id)}`;
  return (
    <span class="run-name">
      <span class="swatch" style={{ background: colorOf(run.id) }} />
      <a href={href(url)} onClick={linkClick(url)}>
        <RunName name={run.name} />
      </a>
      {run.trophy && (
        <span class="trophy-mark" title="recommended run" data-testid="trophy">
          <Trophy size={14} />
        </span>
      )}
      {run.warning && (
        <span class="warn-badge" title="more than the threshold worse" data-testid="warning">
          ⚠
        </span>
      )}
      {run.chosen && (
        <span class="chip chosen" title="you chose this run">
          chosen
        </span>
      )}
      {run.archived && <span class="chip">archived</span>}
      {run.so_far && (
        <span class="chip live" title="still running: compared on what it logged so far" data-testid="so-far">
          {run.so_far}
        </span>
      )}
    </span>
  );
}
