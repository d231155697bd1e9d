/**
 * Compare: one media key at one step for the chosen runs side by side (each run's last items
 * at or before the step). For tables, rows are joined across runs by a column (default: the
 * first, e.g. the prompt) and one value column is shown per run: "what did each model answer
 * to this prompt".
 */
import { useMemo, useState } from "preact/hooks";
import {
  type CompareMediaOut,
  type MediaKeyOut,
  type TableCell,
  type TableDoc,
  getCompareMedia,
  getMediaKeys,
  getTableDoc,
  stepAtOrBefore,
} from "../../api/media";
import { useRunColours } from "../../lib/colors";
import { int } from "../../lib/format";
import { useApi } from "../../lib/useApi";
import { Lightbox, type MediaRef, MediaView } from "./MediaItem";
import { Cell, cellText } from "./TableView";

const RUNS_SHOWN = 8;

interface RunRef {
  id: string;
  name: string;
}

export function CompareMedia({ runs }: { runs: RunRef[] }) {
  const shown = runs.slice(0, RUNS_SHOWN);
  const ids = shown.map((r) => r.id);
  const keys = useApi<MediaKeyOut[][]>(
    (signal) => Promise.all(ids.map((i) => getMediaKeys(i, signal).catch(() => []))),
    [ids.join(",")],
  );
  const [key, setKey] = useState<string | null>(null);
  const [step, setStep] = useState<number | null>(null);
  const [open, setOpen] = useState<MediaRef | null>(null);
  const all = useMemo(() => {
    const m = new Map<string, { kind: string; steps: Set<number> }>();
    for (const list of keys.data ?? [])
      for (const k of list) {
        const e = m.get(k.key) ?? { kind: k.kind, steps: new Set<number>() };
        for (const s of k.steps) e.steps.add(s);
        m.set(k.key, e);
      }
    return m;
  }, [keys.data]);
  const names = [...all.keys()].sort((a, b) => a.localeCompare(b));
  const k = key !== null && all.has(key) ? key : (names[0] ?? null);
  const steps = k === null ? [] : [...(all.get(k)?.steps ?? [])].sort((a, b) => a - b);
  const at = step === null ? (steps[steps.length - 1] ?? null) : stepAtOrBefore(steps, step);
  const side = useApi<CompareMediaOut>(
    k === null ? null : (signal) => getCompareMedia(ids, k, at, signal),
    [ids.join(","), k, at],
  );
  if (k === null) return null;
  const kind = all.get(k)?.kind;
  const index = at === null ? 0 : Math.max(0, steps.indexOf(at));
  return (
    <section class="card compare-media" data-testid="compare-media" style={{ marginTop: "12px" }}>
      <div class="chart-head">
        <h2>Media side by side</h2>
        <span class="chart-links">
          {names.length > 1 && (
            <select aria-label="media key" value={k} onChange={(e) => { setKey((e.target as HTMLSelectElement).value); setStep(null); }}>
              {names.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          )}
          <label class="toggle">
            step
            <input
              type="range"
              aria-label="compare media step"
              min={0}
              max={Math.max(0, steps.length - 1)}
              value={index}
              onInput={(e) => setStep(steps[Number((e.target as HTMLInputElement).value)] ?? null)}
            />
            <span class="num" data-testid="compare-media-step">{at === null ? "—" : int(at)}</span>
          </label>
        </span>
      </div>
      {runs.length > RUNS_SHOWN && <p class="muted">The first {RUNS_SHOWN} of {runs.length} runs.</p>}
      {side.error ? <div class="error">{side.error}</div> : null}
      {side.data && kind === "table" ? (
        <JoinedTables side={side.data} runs={shown} onOpen={setOpen} />
      ) : side.data ? (
        <div class="media-side">
          {shown.map((r) => (
            <RunColumn key={r.id} run={r} side={side.data as CompareMediaOut} onOpen={setOpen} />
          ))}
        </div>
      ) : null}
      {open ? <Lightbox item={open} onClose={() => setOpen(null)} /> : null}
    </section>
  );
}

function RunHead({ run }: { run: RunRef }) {
  const colorOf = useRunColours();
  return (
    <div class="text-step">
      <span class="swatch" style={{ background: colorOf(run.id) }} /> <bdi>{run.name}</bdi>
    </div>
  );
}

function RunColumn({ run, side, onOpen }: { run: RunRef; side: CompareMediaOut; onOpen: (m: MediaRef) => void }) {
  const mine = side.runs.find((x) => x.run_id === run.id);
  return (
    <div class="media-run" data-media-run={run.id}>
      <RunHead run={run} />
      {mine && mine.items.length ? (
        <>
          <span class="muted num">step {int(mine.step ?? 0)}</span>
          <div class="media-grid">
            {mine.items.map((i) => (
              <MediaView key={i.index} item={i} onOpen={onOpen} />
            ))}
          </div>
        </>
      ) : (
        <p class="muted">none logged</p>
      )}
    </div>
  );
}

function JoinedTables({ side, runs, onOpen }: { side: CompareMediaOut; runs: RunRef[]; onOpen: (m: MediaRef) => void }) {
  const docs = useApi<(TableDoc | null)[]>(
    (signal) =>
      Promise.all(
        runs.map((r) => {
          const t = side.runs.find((x) => x.run_id === r.id)?.items.find((i) => i.kind === "table");
          return t ? getTableDoc(t.digest, signal) : Promise.resolve(null);
        }),
      ),
    [side],
  );
  const columns = useMemo(() => {
    const cs: string[] = [];
    for (const d of docs.data ?? []) for (const c of d?.columns ?? []) if (!cs.includes(c)) cs.push(c);
    return cs;
  }, [docs.data]);
  const [joinBy, setJoinBy] = useState<string | null>(null);
  const [show, setShow] = useState<string | null>(null);
  if (!docs.data) return null;
  const by = joinBy !== null && columns.includes(joinBy) ? joinBy : (columns[0] ?? "");
  const others = columns.filter((c) => c !== by);
  const value = show !== null && others.includes(show) ? show : (others[0] ?? by);
  const joined = new Map<string, (TableCell | undefined)[]>();
  docs.data.forEach((d, i) => {
    if (!d) return;
    const kc = d.columns.indexOf(by);
    const vc = d.columns.indexOf(value);
    if (kc < 0) return;
    for (const row of d.rows) {
      const jk = cellText(row[kc] ?? null);
      const cells = joined.get(jk) ?? runs.map(() => undefined);
      cells[i] = vc < 0 ? null : (row[vc] ?? null);
      joined.set(jk, cells);
    }
  });
  return (
    <div class="media-table">
      <label class="toggle">
        join rows by
        <select aria-label="join rows by" value={by} onChange={(e) => setJoinBy((e.target as HTMLSelectElement).value)}>
          {columns.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>{" "}
      <label class="toggle">
        show
        <select aria-label="column shown" value={value} onChange={(e) => setShow((e.target as HTMLSelectElement).value)}>
          {others.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <div class="table-scroll">
        <table data-testid="joined-table">
          <thead>
            <tr>
              <th>{by}</th>
              {runs.map((r) => (
                <th key={r.id}>
                  <RunHead run={r} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...joined.entries()].map(([jk, cells]) => (
              <tr key={jk}>
                <td class="cell-text">{jk}</td>
                {cells.map((c, i) => (
                  <td key={runs[i]?.id ?? i}>{c === undefined ? <span class="muted">—</span> : <Cell cell={c} onOpen={onOpen} />}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
