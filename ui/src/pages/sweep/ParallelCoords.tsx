/**
 * Parallel coordinates: one vertical axis per parameter and a last one for the objective; each
 * run a line through its values, coloured by status; the best trial drawn last, thick and green.
 */
import type { SweepOut } from "../../api/types";
import { STATUS_COLOURS, UNKNOWN_COLOUR } from "../../lib/colors";
import { num } from "../../lib/format";
import { type Axis, objectiveAxis, paramAxis } from "./scale";

const H = 260;
const T = 24;
const B = 30;
const GAP = 150;
const PAD = 80;
const NAME_CHARS = 20; // an axis name longer than this is cut with "…" (full name on hover)

function shortName(name: string): string {
  return name.length > NAME_CHARS ? `${name.slice(0, NAME_CHARS - 1)}…` : name;
}

export function ParallelCoords({ sweep }: { sweep: SweepOut }) {
  const axes: { name: string; axis: Axis; value: (r: SweepOut["runs"][number]) => unknown }[] =
    sweep.params.map((p) => ({
      name: p.name + (p.log ? " (log)" : ""),
      axis: paramAxis(
        p,
        sweep.runs.map((r) => r.params[p.name]),
      ),
      value: (r) => r.params[p.name],
    }));
  const objective = (r: SweepOut["runs"][number]) => num(r.objective);
  axes.push({
    name: sweep.metric ?? "objective",
    axis: objectiveAxis(
      sweep.runs.map((r) => objective(r)).filter((v): v is number => v !== null),
    ),
    value: objective,
  });
  const W = PAD * 2 + GAP * Math.max(axes.length - 1, 1);
  const h = H - T - B;
  const ax = (i: number) => PAD + i * GAP;
  const py = (t: number) => T + (1 - t) * h;
  const order = [...sweep.runs].sort((a, b) => Number(a.id === sweep.best) - Number(b.id === sweep.best));
  return (
    <div class="sweep-parallel" data-testid="sweep-parallel">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label="parallel coordinates">
        {order.map((r) => {
          const pts = axes.map((a, i) => {
            const t = a.axis.pos(a.value(r));
            return t === null ? null : `${ax(i)},${py(t).toFixed(1)}`;
          });
          const best = r.id === sweep.best;
          const segs: string[] = [];
          for (let i = 0; i + 1 < pts.length; i++) {
            if (pts[i] && pts[i + 1]) segs.push(`M${pts[i]}L${pts[i + 1]}`);
          }
          return (
            <path data-run-id={r.id} class={best ? "line best" : "line"} d={segs.join("")}
              fill="none" stroke={best ? "#1a7f46" : (STATUS_COLOURS[r.status] ?? UNKNOWN_COLOUR)}
              stroke-width={best ? 3 : 1.2} stroke-opacity={best ? 1 : 0.55}>
              <title>{`${r.name} (${r.status})`}</title>
            </path>
          );
        })}
        {axes.map((a, i) => (
          <g class="axis">
            <line x1={ax(i)} x2={ax(i)} y1={T} y2={T + h} />
            <text x={ax(i)} y={T - 8} text-anchor="middle" class="axis-name">
              {shortName(a.name)}
              <title>{a.name}</title>
            </text>
            {a.axis.ticks.map((t) => (
              <text x={ax(i) + 4} y={py(t.at) + 4} class="tick">
                {t.label}
              </text>
            ))}
          </g>
        ))}
      </svg>
    </div>
  );
}
