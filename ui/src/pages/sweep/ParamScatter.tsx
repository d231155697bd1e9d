/**
 * The objective against one parameter: a dot per run with an objective, coloured by status,
 * the best trial ringed. Log-scaled parameters (a learning rate) on a log axis.
 */
import type { SweepOut, SweepParamOut } from "../../api/types";
import { STATUS_COLOURS, UNKNOWN_COLOUR } from "../../lib/colors";
import { num } from "../../lib/format";
import { objectiveAxis, paramAxis } from "./scale";

const W = 300;
const H = 200;
const L = 48;
const R = 10;
const T = 10;
const B = 34;

export function ParamScatter({ sweep, param }: { sweep: SweepOut; param: SweepParamOut }) {
  const runs = sweep.runs.filter((r) => {
    const y = num(r.objective);
    return y !== null && Number.isFinite(y) && r.params[param.name] != null;
  });
  const x = paramAxis(
    param,
    runs.map((r) => r.params[param.name]),
  );
  const y = objectiveAxis(runs.map((r) => num(r.objective) as number));
  const w = W - L - R;
  const h = H - T - B;
  const px = (t: number) => L + t * w;
  const py = (t: number) => T + (1 - t) * h;
  return (
    <figure class="sweep-scatter" data-param={param.name}>
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img"
        aria-label={`${sweep.metric ?? "objective"} against ${param.name}`}>
        <rect x={L} y={T} width={w} height={h} class="frame" />
        {y.ticks.map((t) => (
          <text x={L - 4} y={py(t.at) + 4} text-anchor="end" class="tick">
            {t.label}
          </text>
        ))}
        {x.ticks.map((t) => (
          <text x={px(t.at)} y={T + h + 16}
            text-anchor={t.at === 0 ? "start" : t.at === 1 ? "end" : "middle"} class="tick">
            {t.label}
          </text>
        ))}
        {runs.map((r) => {
          const tx = x.pos(r.params[param.name]);
          const ty = y.pos(num(r.objective));
          if (tx === null || ty === null) return null;
          const best = r.id === sweep.best;
          return (
            <g data-run-id={r.id} class={best ? "dot best" : "dot"}>
              <circle cx={px(tx)} cy={py(ty)} r={4}
                fill={STATUS_COLOURS[r.status] ?? UNKNOWN_COLOUR} fill-opacity={0.8}>
                <title>{`${r.name} (${r.status}): ${param.name}=${String(r.params[param.name])}`}</title>
              </circle>
              {best ? (
                <circle cx={px(tx)} cy={py(ty)} r={8} fill="none" stroke="#1a7f46" stroke-width={2} />
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {param.name}
        {param.log ? " (log)" : ""}
      </figcaption>
    </figure>
  );
}
