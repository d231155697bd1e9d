/**
 * The Run page's progress card. Every value comes from the API's ProgressOut (computed by the
 * analysis layer); elapsed, ETA and token texts are the server's own strings, shown as they are.
 */
import type { CardOut, ProgressOut, RunOut } from "../api/types";
import { fixed, general, int } from "../lib/format";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

function Stat({
  label,
  value,
  id,
  sub,
  title,
}: {
  label: string;
  value: string;
  id: string;
  sub?: string;
  title?: string;
}) {
  return (
    <div class="stat" title={title}>
      <div class="stat-label">{label}</div>
      <div class="stat-value num" data-testid={id}>
        {value}
        {sub ? <span class="stat-sub"> {sub}</span> : null}
      </div>
    </div>
  );
}

function money(v: number): string {
  return v < 1000 ? v.toFixed(2) : Math.round(v).toLocaleString("en-US");
}

export function ProgressCard({ run, card }: { run: RunOut; card?: CardOut | null }) {
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
          <ProgressBar
            pct={p?.percent}
            status={status}
            large
            marks={(card?.checkpoints ?? [])
              .filter((c) => c.percent !== null)
              .map((c) => ({ percent: c.percent as number, title: `checkpoint ${c.name} at step ${int(c.step)}` }))}
          />
        </div>
      </div>
      <div class="stats">
        <Stat label="elapsed" id="elapsed" value={p?.elapsed_text || "—"} />
        <Stat label="ETA" id="eta" value={p?.eta_text || "—"} />
        <Stat label="steps/s" id="steps-per-s" value={p?.steps_per_s_text || "—"} />
        <Stat label="tokens/s" id="tokens-per-s" value={p?.tokens_per_s_text || "—"} />
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
        {card?.trend ? (
          <Stat
            label="loss trend"
            id="loss-trend"
            value={card.trend_label}
            title={card.trend_text}
          />
        ) : null}
        {card?.gpu_util_pct != null ? (
          <Stat
            label={card.gpus > 1 ? `GPU util (mean of ${card.gpus})` : "GPU util"}
            id="gpu-util"
            value={`${Math.round(card.gpu_util_pct)}%`}
          />
        ) : null}
        {card?.gpu_mem_gb != null ? (
          <Stat
            label="GPU memory"
            id="gpu-mem"
            value={`${card.gpu_mem_gb.toFixed(1)} GB`}
            sub={card.gpu_mem_pct != null ? `${Math.round(card.gpu_mem_pct)}%` : undefined}
          />
        ) : null}
        {card?.cost_text ? (
          <Stat
            label="est. cost"
            id="cost"
            value={card.cost_so_far != null ? money(card.cost_so_far) : "—"}
            sub={card.cost_at_eta != null ? `→ ${money(card.cost_at_eta)} at ETA` : undefined}
            title={card.cost_text}
          />
        ) : null}
      </div>
    </section>
  );
}
