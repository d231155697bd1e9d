/** A thin progress bar with its percentage as text; indeterminate when total steps are unknown. */
import { percent } from "../lib/format";
import { STATUS_COLOURS, UNKNOWN_COLOUR } from "../lib/colors";

export function ProgressBar({
  pct,
  status,
  large = false,
  marks = [],
}: {
  pct: number | null | undefined;
  status: string;
  large?: boolean;
  /** Ticks on the track (checkpoints): where (percent) and what the tooltip says. */
  marks?: { percent: number; title: string }[];
}) {
  const known = pct !== null && pct !== undefined && Number.isFinite(pct);
  const w = known ? Math.min(100, Math.max(0, pct)) : 0;
  return (
    <div class={`pbar${large ? " pbar-large" : ""}`}>
      <div
        class="pbar-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={known ? w : undefined}
      >
        <div
          class="pbar-fill"
          style={{ width: `${w}%`, background: STATUS_COLOURS[status] ?? UNKNOWN_COLOUR }}
        />
        {marks.map((m) => (
          <span
            key={`${m.percent}-${m.title}`}
            class="pbar-mark"
            style={{ left: `${m.percent}%` }}
            title={m.title}
            data-testid="checkpoint-mark"
          />
        ))}
      </div>
      <span class="pbar-text num">{known ? percent(pct) : "—"}</span>
    </div>
  );
}
