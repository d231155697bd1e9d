/** Whether the runs of each model are improving over time. */
import { type CompareOut } from "../../api/compare";
import { num } from "../../lib/format";

export function Trend({ data }: { data: CompareOut }) {
  return (
    <section class="card trend" data-testid="trend">
      <h2>Improvement trend</h2>
      {data.trends.length === 0 && <p class="muted">No trend: no deciding metric.</p>}
      {data.trends.map((t) => (
        <div key={t.model ?? ""}>
          <p>
            <strong>{t.model ?? "no model"}</strong>: <span class={`verdict v-${t.verdict.replace(/ /g, "-")}`}>{t.text}</span>
          </p>
          <TrendLine points={t.points} />
        </div>
      ))}
    </section>
  );
}

function TrendLine({ points }: { points: CompareOut["trends"][number]["points"] }) {
  const ys = points.map((p) => num(p.value));
  const bs = points.map((p) => num(p.best_so_far));
  const finite = [...ys, ...bs].filter((v): v is number => v !== null && Number.isFinite(v));
  if (points.length < 2 || finite.length === 0) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const W = 300;
  const H = 60;
  const px = (i: number) => 6 + (i * (W - 12)) / (points.length - 1);
  const py = (v: number) => (hi === lo ? H / 2 : 6 + ((hi - v) * (H - 12)) / (hi - lo));
  const path = (vs: (number | null)[]) =>
    vs
      .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i)},${py(v)}`))
      .filter(Boolean)
      .join(" ");
  return (
    <svg class="trend-line" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="trend">
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
