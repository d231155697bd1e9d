/** Whether the runs of each group (a model, or the project of runs without one) are improving. */
import type { CompareOut } from "../../api/types";
import { general, num } from "../../lib/format";

export function Trend({ data }: { data: CompareOut }) {
  return (
    <section class="card trend" data-testid="trend">
      <h2>Improvement trend</h2>
      {data.trends.length === 0 && <p class="muted">No trend: no deciding metric.</p>}
      {data.trends.map((t) => (
        <div key={t.group}>
          <p>
            <strong>{t.group}</strong>: <span class={`verdict v-${t.verdict.replace(/ /g, "-")}`}>{t.text}</span>
          </p>
          <TrendLine points={t.points} metric={t.metric} />
        </div>
      ))}
    </section>
  );
}

/** The runs' best values in creation order, with axes: the metric and its range on the left,
 * the first and last run along the bottom (oldest to newest). */
function TrendLine({ points, metric }: { points: CompareOut["trends"][number]["points"]; metric: string | null }) {
  const ys = points.map((p) => num(p.value));
  const bs = points.map((p) => num(p.best_so_far));
  const finite = [...ys, ...bs].filter((v): v is number => v !== null && Number.isFinite(v));
  if (points.length < 2 || finite.length === 0) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const W = 360;
  const H = 96;
  const L = 64; // room for the y tick labels
  const T = 14; // room for the metric name
  const B = 20; // room for the x labels
  const R = 10;
  const px = (i: number) => L + (i * (W - L - R)) / (points.length - 1);
  const py = (v: number) => (hi === lo ? (T + H - B) / 2 : T + ((hi - v) * (H - T - B)) / (hi - lo));
  const path = (vs: (number | null)[]) =>
    vs
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i)},${py(v)}`))
      .filter(Boolean)
      .join(" ");
  const first = points[0]?.name ?? "";
  const last = points[points.length - 1]?.name ?? "";
  const clip = (s: string) => (s.length > 18 ? `${s.slice(0, 17)}…` : s);
  const ticks = hi === lo ? [lo] : [hi, lo];
  return (
    <svg class="trend-line" viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: `${W}px` }} role="img" aria-label="trend">
      <text x={L} y={10} class="trend-axis-title" font-size="10" fill="#57606a">
        {metric ?? "value"} (best of each run)
      </text>
      <line x1={L} y1={T} x2={L} y2={H - B} stroke="#d0d7de" />
      <line x1={L} y1={H - B} x2={W - R} y2={H - B} stroke="#d0d7de" />
      {ticks.map((v) => (
        <text key={v} x={L - 4} y={py(v) + 3} text-anchor="end" font-size="10" fill="#57606a" class="trend-y-tick">
          {general(v)}
        </text>
      ))}
      <text x={L} y={H - 6} font-size="10" fill="#57606a" class="trend-x-label">
        <title>{first}</title>
        {clip(first)}
      </text>
      <text x={W - R} y={H - 6} text-anchor="end" font-size="10" fill="#57606a" class="trend-x-label">
        <title>{last}</title>
        {clip(last)}
      </text>
      <text x={(L + W - R) / 2} y={H - 6} text-anchor="middle" font-size="10" fill="#8c959f">
        oldest → newest
      </text>
      <polyline points={path(bs)} fill="none" stroke="#1a7f46" stroke-width="2" />
      <polyline points={path(ys)} fill="none" stroke="#9aa3ad" stroke-dasharray="3 3" />
      {ys.map((v, i) =>
        v === null || !Number.isFinite(v) ? null : (
          <circle key={i} cx={px(i)} cy={py(v)} r={points[i]?.new_best ? 3.5 : 2.5} fill={points[i]?.new_best ? "#1a7f46" : "#9aa3ad"}>
            <title>{`${points[i]?.name}: ${v}`}</title>
          </circle>
        ),
      )}
    </svg>
  );
}
