/**
 * The Run page's media: a panel per media key, and one step slider that moves them all (each
 * panel shows its last items at or before the chosen step). The page asks only for the keys
 * and their steps; a panel fetches the items of one step, and each image its bytes when it is
 * on screen, so a run with 10,000 images opens as fast as one without. The chosen step lives
 * in the URL (`mstep`; none: the newest).
 */
import { useMemo, useState } from "preact/hooks";
import {
  type MediaItemOut,
  type MediaKeyOut,
  type TableDoc,
  getMediaItems,
  getMediaKeys,
  getTableDoc,
  stepAtOrBefore,
} from "../../api/media";
import type { Live } from "../../lib/live";
import { int } from "../../lib/format";
import { setParams, useParams } from "../../lib/urlState";
import { useApi } from "../../lib/useApi";
import { Lightbox, type MediaRef, MediaView } from "./MediaItem";
import { TableView } from "./TableView";

const LIVE: Live = { on: ["points", "runs", "reconnect"], everyMs: 2000 };

export function MediaPanels({ runId }: { runId: string }) {
  const keys = useApi<MediaKeyOut[]>((signal) => getMediaKeys(runId, signal), [runId], LIVE);
  const params = useParams();
  const [open, setOpen] = useState<MediaRef | null>(null);
  const steps = useMemo(() => {
    const all = new Set<number>();
    for (const k of keys.data ?? []) for (const s of k.steps) all.add(s);
    return [...all].sort((a, b) => a - b);
  }, [keys.data]);
  if (!keys.data || keys.data.length === 0) return null;
  const asked = params.get("mstep");
  const wanted = asked === null || asked === "" ? Number.POSITIVE_INFINITY : Number(asked);
  const at = stepAtOrBefore(steps, wanted) ?? 0;
  const index = Math.max(0, steps.indexOf(at));
  return (
    <section class="section media-section" data-testid="media">
      <div class="toolbar">
        <h2>Media</h2>
        <label class="toggle media-step">
          step
          <input
            type="range"
            aria-label="media step"
            min={0}
            max={steps.length - 1}
            step={1}
            value={index}
            onInput={(e) => {
              const i = Number((e.target as HTMLInputElement).value);
              setParams({ mstep: i >= steps.length - 1 ? null : String(steps[i]) });
            }}
          />
          <span class="num" data-testid="media-step">
            {int(at)}
          </span>
        </label>
        <span class="muted num">
          {steps.length} steps · {keys.data.length} keys
        </span>
      </div>
      <div class="media-panels">
        {keys.data.map((k) => (
          <MediaPanel key={k.key} runId={runId} mk={k} at={stepAtOrBefore(k.steps, at)} onOpen={setOpen} />
        ))}
      </div>
      {open ? <Lightbox item={open} onClose={() => setOpen(null)} /> : null}
    </section>
  );
}

interface Shown {
  items: MediaItemOut[];
  table: TableDoc | null;
}

async function loadShown(runId: string, key: string, step: number, signal: AbortSignal): Promise<Shown> {
  const items = await getMediaItems(runId, key, step, signal);
  const t = items.find((i) => i.kind === "table");
  return { items, table: t ? await getTableDoc(t.digest, signal) : null };
}

function MediaPanel({
  runId,
  mk,
  at,
  onOpen,
}: {
  runId: string;
  mk: MediaKeyOut;
  at: number | null;
  onOpen: (m: MediaRef) => void;
}) {
  const shown = useApi<Shown>(
    at === null ? null : (signal) => loadShown(runId, mk.key, at, signal),
    [runId, mk.key, at, mk.count],
  );
  const items = shown.data?.items ?? [];
  const step = items[0]?.step ?? at;
  return (
    <div class={`card media-panel media-${mk.kind}`} data-media-key={mk.key}>
      <div class="chart-head">
        <span class="chart-title">{mk.key}</span>
        <span class="muted num">
          step {step === null ? "—" : int(step)} · {mk.count} {mk.kind === "table" ? "tables" : "items"}
        </span>
      </div>
      {shown.error ? <div class="error">{shown.error}</div> : null}
      {shown.data?.table ? (
        <TableView doc={shown.data.table} onOpen={onOpen} />
      ) : (
        <div class="media-grid">
          {items.map((i) => (
            <MediaView key={`${i.step}-${i.index}`} item={i} onOpen={onOpen} />
          ))}
        </div>
      )}
    </div>
  );
}
