/**
 * The Run page's progress card. Every value comes from the API's ProgressOut (computed by the
 * analysis layer); elapsed, ETA and token texts are the server's own strings, shown as they are.
 */
import type { ProgressOut, RunOut } from "../api/types";
import { fixed, general, int, rate } from "../lib/format";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

function Stat({ label, value, id, sub }: { label: string; value: string; id: string; sub?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value num" data-testid={id}>
        {value}
        {sub ? <span class="stat-sub"> {sub}</span> : null}
      </div>
    </div>
  );
}

export function ProgressCard({ run }: { run: RunOut }) {
  const p: ProgressOut | null = run.progress;
  const status = p?.status ?? run.status;
  const step = p?.step ?? run.last_step;
  const total = p?.total_steps ?? run.total_steps;
  return (
    <section class="card progress-card" aria-label="progress">
      <div class="progress-head">
        <StatusBadge status={status} />
        <span class="progress-steps num" data-testid="steps">
          step {int(step)}
          {total ? ` / ${int(total)}` : ""}
        </span>
        <div class="progress-grow">
          <ProgressBar pct={p?.percent} status={status} large />
        </div>
      </div>
      <div class="stats">
        <Stat label="elapsed" id="elapsed" value={p?.elapsed_text || "—"} />
        <Stat label="ETA" id="eta" value={p?.eta_text || "—"} />
        <Stat label="steps/s" id="steps-per-s" value={rate(p?.steps_per_s)} />
        <Stat label="tokens/s" id="tokens-per-s" value={rate(p?.tokens_per_s)} />
        <Stat
          label="tokens"
          id="tokens"
          value={int(p?.tokens)}
          sub={p?.tokens != null && p.tokens_text ? p.tokens_text : undefined}
        />
        <Stat label="batches" id="batches" value={int(p?.batches)} />
        <Stat
          label={p?.loss_key ? `loss (${p.loss_key})` : "loss"}
          id="loss"
          value={fixed(p?.loss ?? run.current_loss, 4)}
        />
        <Stat label="grad norm" id="grad-norm" value={fixed(p?.grad_norm, 4)} />
        {p?.epoch != null ? <Stat label="epoch" id="epoch" value={general(p.epoch)} /> : null}
      </div>
    </section>
  );
}
