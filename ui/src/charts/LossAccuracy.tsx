/**
 * The Run page's loss-vs-accuracy scatter: each evaluation's accuracy against the loss at that
 * step (the eval loss when the run logs one, else the train loss at or before it). Where the two
 * stop moving together (accuracy flat while the loss still falls) shows at a glance.
 *
 * Which key is which comes from the run's keys by role (the API's `keys_by_role`, decided by
 * the one Python vocabulary): no key names and no choosing here. Points come by step, whatever the page's x axis.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { getSeries } from "../api/runs";
import type { KeysByRoleOut, SeriesOut } from "../api/types";
import { num } from "../lib/format";
import { axisSize, si, siTicks } from "./axes";
import { ChartDownloads } from "./ChartDownloads";

/** [loss key, accuracy key] the scatter draws (the run's keys by role, worked out once by the
 * server: its eval loss, else its train loss, and its first accuracy, the eval one first), or
 * null when the run lacks either. */
export function scatterKeys(keys: KeysByRoleOut | null | undefined): [string, string] | null {
  const loss = keys?.eval_loss ?? keys?.train_loss ?? null;
  const acc = keys?.accuracy[0] ?? null;
  return acc && loss ? [loss, acc] : null;
}

/** (loss, accuracy, step) per accuracy point, sorted by loss. */
export function pairs(loss: SeriesOut, acc: SeriesOut): [number, number, number][] {
  const out: [number, number, number][] = [];
  let j = -1;
  acc.steps.forEach((s, i) => {
    while (j + 1 < loss.steps.length && (loss.steps[j + 1] as number) <= s) j++;
    const y = num(acc.values[i]);
    const x = j >= 0 ? num(loss.values[j]) : null;
    if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) out.push([x, y, s]);
  });
  return out.sort((a, b) => a[0] - b[0]);
}

export function LossAccuracyCard(p: {
  runId: string;
  keysByRole: KeysByRoleOut | null | undefined;
  version: number;
  color: string;
}) {
  const keys = scatterKeys(p.keysByRole);
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [points, setPoints] = useState<[number, number, number][]>([]);
  const want = keys ? keys.join("\u0000") : "";

  useEffect(() => {
    if (!keys) return;
    const ctl = new AbortController();
    getSeries(p.runId, { keys, x: "step", maxPoints: 4000 }, ctl.signal)
      .then((r) => {
        const [l, a] = keys;
        const ls = r.series[l];
        const as = r.series[a];
        if (ls && as) setPoints(pairs(ls, as));
      })
      .catch((e: unknown) => {
        if (!(e instanceof DOMException && e.name === "AbortError")) setPoints([]);
      });
    return () => ctl.abort();
  }, [p.runId, want, p.version]);

  useEffect(() => {
    const el = host.current;
    if (!el || !keys || points.length === 0) return;
    const [lossKey, accKey] = keys;
    const value = (_u: uPlot, v: number | null) => si(v, 5);
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: 220,
      series: [
        { label: lossKey, value },
        {
          label: accKey,
          stroke: p.color,
          paths: () => null,
          points: { show: true, size: 7, fill: p.color, stroke: "#ffffff" },
          value,
        },
      ],
      scales: { x: { time: false } },
      axes: [
        { stroke: "#5b6470", grid: { stroke: "#eceef1" }, label: lossKey, values: (_u, vs) => siTicks(vs) },
        { stroke: "#5b6470", grid: { stroke: "#eceef1" }, size: axisSize, label: accKey,
          values: (_u, vs) => siTicks(vs) },
      ],
      legend: { live: true },
    };
    el.textContent = "";
    const data = [points.map((q) => q[0]), points.map((q) => q[1])] as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [points, p.color, want]);

  if (!keys) return null;
  const title = `${keys[1]} vs ${keys[0]}`;
  return (
    <div class="card chart" data-scatter="loss-vs-accuracy">
      <div class="chart-head">
        <span class="chart-title">
          {title}
          <span class="chart-section">one point per evaluation</span>
        </span>
      </div>
      <ChartDownloads plot={() => plot.current} title={title} />
      {points.length === 0 ? <p class="empty">No evaluation with both values yet.</p> : null}
      <div class="uplot-host" ref={host} data-points={points.length} />
    </div>
  );
}
