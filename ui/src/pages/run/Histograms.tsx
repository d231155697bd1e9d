/** The Run page's histograms: one strip per key over the steps it was logged at. */
import { useMemo } from "preact/hooks";
import type { HistogramOut } from "../../api/types";
import { HistogramStrip } from "../../charts/HistogramStrip";

export function Histograms({ hists }: { hists: HistogramOut[] }) {
  const byKey = useMemo(() => {
    const m = new Map<string, HistogramOut[]>();
    for (const h of hists) {
      const l = m.get(h.key) ?? [];
      l.push(h);
      m.set(h.key, l);
    }
    for (const l of m.values()) l.sort((a, b) => a.step - b.step);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [hists]);
  if (!byKey.length) return null;
  return (
    <section class="section">
      <h2>Histograms</h2>
      <div class="hists">
        {byKey.map(([key, list]) => (
          <HistogramStrip key={key} name={key} hists={list} />
        ))}
      </div>
    </section>
  );
}
