/**
 * Compare: the text samples of the compared runs side by side at the same step. One text key
 * and one step are chosen (default: the newest step every run has a sample at, else the newest
 * of any); each run's column shows its sample at that step, or says it has none there. The
 * first RUNS_SHOWN runs get a column (a 50-run comparison would be unreadable side by side).
 * Sample texts are rendered as text (never HTML).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { getTexts } from "../api/runs";
import type { TextOut } from "../api/types";
import { useRunColours } from "../lib/colors";
import { int } from "../lib/format";

const RUNS_SHOWN = 6;

interface RunRef {
  id: string;
  name: string;
}

/** The step to show: the newest step with a sample in every run, else the newest overall. */
export function defaultStep(byRun: TextOut[][], key: string): number | null {
  const sets = byRun.map((l) => new Set(l.filter((t) => t.key === key).map((t) => t.step)));
  const all = [...new Set(sets.flatMap((s) => [...s]))].sort((a, b) => b - a);
  return all.find((s) => sets.every((set) => set.has(s))) ?? all[0] ?? null;
}

export function CompareTexts({ runs }: { runs: RunRef[] }) {
  const colorOf = useRunColours();
  const shown = runs.slice(0, RUNS_SHOWN);
  const ids = shown.map((r) => r.id).join(",");
  const [texts, setTexts] = useState<TextOut[][] | null>(null);
  const [key, setKey] = useState<string | null>(null);
  const [step, setStep] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all(shown.map((r) => getTexts(r.id).catch(() => [] as TextOut[]))).then((t) => {
      if (live) setTexts(t);
    });
    return () => {
      live = false;
    };
  }, [ids]);

  const keys = useMemo(
    () => [...new Set((texts ?? []).flat().map((t) => t.key))].sort((a, b) => a.localeCompare(b)),
    [texts],
  );
  const k = key !== null && keys.includes(key) ? key : (keys[0] ?? null);
  const steps = useMemo(
    () =>
      k === null
        ? []
        : [...new Set((texts ?? []).flat().filter((t) => t.key === k).map((t) => t.step))].sort(
            (a, b) => a - b,
          ),
    [texts, k],
  );
  if (!texts || k === null) return null;
  const at = step !== null && steps.includes(step) ? step : defaultStep(texts, k);

  return (
    <section class="card compare-texts" data-testid="compare-texts" style={{ marginTop: "12px" }}>
      <div class="chart-head">
        <h2>Text samples side by side</h2>
        <span class="chart-links">
          {keys.length > 1 && (
            <select aria-label="text key" value={k} onChange={(e) => setKey((e.target as HTMLSelectElement).value)}>
              {keys.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          )}
          <select
            aria-label="text step"
            value={at === null ? "" : String(at)}
            onChange={(e) => setStep(Number((e.target as HTMLSelectElement).value))}
          >
            {steps.map((s) => (
              <option key={s} value={String(s)}>
                step {int(s)}
              </option>
            ))}
          </select>
        </span>
      </div>
      {runs.length > RUNS_SHOWN && (
        <p class="muted">The first {RUNS_SHOWN} of {runs.length} runs.</p>
      )}
      <div class="texts">
        {shown.map((r, i) => {
          const t = (texts[i] ?? []).filter((x) => x.key === k && x.step === at).pop();
          return (
            <div class="text-key" key={r.id} data-text-run={r.id}>
              <div class="text-step">
                <span class="swatch" style={{ background: colorOf(r.id) }} /> <bdi>{r.name}</bdi>
              </div>
              {t ? (
                <pre class="text-body">{t.text}</pre>
              ) : (
                <p class="muted">no sample at step {at === null ? "—" : int(at)}</p>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}
