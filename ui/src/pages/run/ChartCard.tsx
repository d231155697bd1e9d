/** One chart of the Run page: its keys' curves (uPlot) and a full-resolution CSV per key. */
import { links } from "../../api/runs";
import type { XAxis } from "../../api/types";
import { LineChart } from "../../charts/LineChart";
import type { ChartSpec } from "../../charts/groups";
import { useMemo } from "preact/hooks";
import { SUPERSEDED, type SeriesMap } from "../runSeries";

export function ChartCard({
  runId,
  spec,
  colors,
  data,
  superseded,
  version,
  xAxis,
  smoothing,
  ma,
  logY,
  zoom,
  onZoom,
}: {
  runId: string;
  spec: ChartSpec;
  colors: Readonly<Record<string, string>>;
  data: SeriesMap;
  /** Superseded points (`key · superseded`), drawn beside the keys they belong to. */
  superseded: SeriesMap;
  version: number;
  xAxis: XAxis;
  smoothing: number;
  ma: number;
  logY: boolean;
  zoom: [number, number] | null;
  onZoom: (r: [number, number] | null) => void;
}) {
  const extra = spec.keys.map((k) => k + SUPERSEDED).filter((k) => superseded.has(k));
  const keys = useMemo(() => [...spec.keys, ...extra], [spec.keys, extra.join("\n")]);
  const all = useMemo(
    () => (extra.length ? new Map([...data, ...superseded]) : data),
    [data, superseded, extra.length, version],
  );
  // a superseded series in grey beside its key's own colour
  const allColors = useMemo(
    () => (extra.length ? { ...colors, ...Object.fromEntries(extra.map((k) => [k, "#9aa0a6"])) } : colors),
    [colors, extra.join("\n")],
  );
  return (
    <div class="card chart" data-chart={spec.title}>
      <div class="chart-head">
        <span class="chart-title">
          {spec.title}
          <span class="chart-section">{spec.section}</span>
        </span>
        <span class="chart-links">
          {spec.keys.map((k) => (
            <a
              key={k}
              class="csv"
              href={links.seriesCsv(runId, k)}
              download
              title={`download ${k} at full resolution (CSV)`}
            >
              {spec.keys.length > 1 ? `CSV ${k}` : "CSV"}
            </a>
          ))}
        </span>
      </div>
      <LineChart
        keys={keys}
        colors={allColors}
        data={all}
        version={version}
        xAxis={xAxis}
        smoothing={smoothing}
        ma={ma}
        logY={logY}
        zoom={zoom}
        onZoom={onZoom}
        sync="run"
      />
    </div>
  );
}
