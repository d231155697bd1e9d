/**
 * The PNG and SVG buttons of a chart (LineChart on the Run page, CompareChart on Compare).
 * `plot()` gives the live uPlot instance at click time, so the picture is what is shown now.
 */
import type uPlot from "uplot";
import { downloadChart } from "./download";

const STYLE = { display: "flex", gap: "4px", justifyContent: "flex-end", marginBottom: "2px" };

export function ChartDownloads({ plot, title }: { plot: () => uPlot | null; title: string }) {
  const go = (ext: "png" | "svg") => {
    const u = plot();
    if (u) void downloadChart(u, title, ext);
  };
  return (
    <div class="chart-dl" style={STYLE}>
      {(["png", "svg"] as const).map((ext) => (
        <button
          key={ext}
          type="button"
          class="link chart-dl-btn"
          title={`download this chart as ${ext.toUpperCase()}`}
          onClick={() => go(ext)}
        >
          {ext.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
