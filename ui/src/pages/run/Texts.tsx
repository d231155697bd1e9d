/** The Run page's text samples, newest first per key (text, never HTML). */
import { useMemo, useState } from "preact/hooks";
import type { TextOut } from "../../api/types";
import { int } from "../../lib/format";

export function Texts({ texts }: { texts: TextOut[] }) {
  const byKey = useMemo(() => {
    const m = new Map<string, TextOut[]>();
    for (const t of texts) {
      const l = m.get(t.key) ?? [];
      l.push(t);
      m.set(t.key, l);
    }
    for (const l of m.values()) l.sort((a, b) => b.step - a.step);
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [texts]);
  const [all, setAll] = useState(false);
  if (!byKey.length) return null;
  return (
    <section class="section">
      <h2>Text samples</h2>
      <div class="texts">
        {byKey.map(([key, list]) => (
          <div class="card text-key" key={key} data-text-key={key}>
            <div class="chart-head">
              <span class="chart-title">{key}</span>
              <span class="muted num">{list.length} samples</span>
            </div>
            <ol class="text-list">
              {(all ? list : list.slice(0, 12)).map((t) => (
                <li key={`${t.step}-${t.wall_time}`}>
                  <span class="text-step num">step {int(t.step)}</span>
                  <pre class="text-body">{t.text}</pre>
                </li>
              ))}
            </ol>
            {list.length > 12 ? (
              <button type="button" class="link" onClick={() => setAll(!all)}>
                {all ? "show fewer" : `show all ${list.length}`}
              </button>
            ) : null}
          </div>
        ))}
      </div>
    </section>
  );
}
