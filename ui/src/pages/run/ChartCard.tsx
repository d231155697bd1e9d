/** One chart of the Run page: its keys' curves (uPlot) and a full-resolution CSV per key. */
import { links } from "../../api/runs";
import type { XAxis } from "../../api/types";
import { LineChart } from "../../charts/LineChart";
import type { ChartSpec } from "../../charts/groups";
import type { SeriesMap } from "../runSeries";

export function ChartCard({
  runId,
  spec,
  colors,
  data,
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
  version: number;
  xAxis: XAxis;
  smoothing: number;
  ma: number;
  logY: boolean;
  zoom: [number, number] | null;
  onZoom: (r: [number, number] | null) => void;
}) {
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
        keys={spec.keys}
        colors={colors}
        data={data}
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
