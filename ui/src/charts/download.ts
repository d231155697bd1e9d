/**
 * Download a chart as a picture, PNG or SVG, as it is shown (its zoom, its smoothing).
 *
 * PNG: uPlot draws the plot, axes and grid on one canvas; it is copied onto a white canvas with
 * the chart's title above and a legend of the shown series below (uPlot's own legend is HTML and
 * would otherwise be missing from the picture).
 * SVG: built from the series data and the chart's current scales, so lines stay sharp at any
 * size and can be edited; a path per series (gaps where values are missing), the ticks uPlot
 * chose, title and legend. Every user-written text (run names, metric keys) is escaped.
 */
import type uPlot from "uplot";

interface Shown {
  label: string;
  color: string;
  idx: number;
}

function strokeOf(u: uPlot, i: number): string {
  const s = u.series[i];
  const st = s?.stroke as unknown;
  const v = typeof st === "function" ? (st as (u: uPlot, i: number) => unknown)(u, i) : st;
  return typeof v === "string" ? v : "#5f6b7a";
}

/** The series a person sees (shown, with a label), in order; the x series is left out. */
function shownSeries(u: uPlot): Shown[] {
  const out: Shown[] = [];
  for (let i = 1; i < u.series.length; i++) {
    const s = u.series[i];
    if (!s || s.show === false) continue;
    out.push({ label: String(s.label ?? `series ${i}`), color: strokeOf(u, i), idx: i });
  }
  return out;
}

/** A file name from a chart title: "train/loss · lr3e-5" -> "train-loss-lr3e-5". */
export function fileName(title: string, ext: "png" | "svg"): string {
  const base = title.replace(/[^\p{L}\p{N}._-]+/gu, "-").replace(/^-+|-+$/g, "") || "chart";
  return `${base.slice(0, 120)}.${ext}`;
}

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const FONT = "12px system-ui, sans-serif";
const TITLE_FONT = "600 14px system-ui, sans-serif";

/** The chart as a PNG Blob: title, uPlot's canvas, legend, on white. */
export function chartPng(u: uPlot, title: string): Promise<Blob> {
  const src = u.ctx.canvas;
  const ratio = src.width / Math.max(1, u.width);
  const shown = shownSeries(u);
  const pad = 12 * ratio;
  const lineH = 18 * ratio;
  const titleH = 24 * ratio;
  const legendRows = Math.ceil(shown.length / 3);
  const out = document.createElement("canvas");
  out.width = src.width + 2 * pad;
  out.height = src.height + titleH + legendRows * lineH + 2 * pad;
  const ctx = out.getContext("2d");
  if (!ctx) return Promise.reject(new Error("no 2d canvas"));
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#1d2430";
  ctx.font = TITLE_FONT;
  ctx.textBaseline = "middle";
  ctx.fillText(title, pad / ratio, pad / ratio + titleH / ratio / 2);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(src, pad, pad + titleH);
  ctx.scale(ratio, ratio);
  ctx.font = FONT;
  const colW = (src.width / ratio) / 3;
  shown.forEach((s, k) => {
    const x = pad / ratio + (k % 3) * colW;
    const y = (pad + titleH + src.height) / ratio + Math.floor(k / 3) * (lineH / ratio) + 9;
    ctx.fillStyle = s.color;
    ctx.fillRect(x, y - 2, 16, 3);
    ctx.fillStyle = "#1d2430";
    ctx.fillText(s.label, x + 22, y, colW - 28);
  });
  return new Promise((resolve, reject) =>
    out.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob failed"))), "image/png"),
  );
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Tick texts and positions of a uPlot axis as drawn (its splits and values). */
function ticks(u: uPlot, axis: number): { at: number; text: string }[] {
  const a = u.axes[axis] as unknown as { _splits?: number[]; _values?: (string | number | null)[] };
  const splits = a?._splits ?? [];
  const values = a?._values ?? [];
  const out: { at: number; text: string }[] = [];
  splits.forEach((v, i) => {
    const t = values[i];
    if (t !== null && t !== undefined && t !== "") out.push({ at: v, text: String(t) });
  });
  return out;
}

/** The chart as SVG text: axes and ticks as uPlot chose them, a path per shown series. */
export function chartSvg(u: uPlot, title: string): string {
  const W = Math.max(320, u.width);
  const H = Math.max(160, u.height);
  const shown = shownSeries(u);
  const left = 64;
  const right = 16;
  const top = 34;
  const plotH = H - top - 34;
  const legendRows = Math.ceil(shown.length / 3);
  const totalH = top + plotH + 34 + legendRows * 18 + 10;
  const plotW = W - left - right;
  const xs = u.scales.x;
  const ys = u.scales.y;
  const x0 = xs?.min ?? 0;
  const x1 = xs?.max ?? 1;
  const logY = ys?.distr === 3;
  const ty = (v: number) => (logY ? Math.log10(v) : v);
  const y0 = ty(ys?.min ?? 0);
  const y1 = ty(ys?.max ?? 1);
  const px = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * plotW;
  const py = (v: number) => top + plotH - ((ty(v) - y0) / (y1 - y0 || 1)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${totalH}" viewBox="0 0 ${W} ${totalH}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="600" fill="#1d2430">${esc(title)}</text>`,
    `<clipPath id="plot"><rect x="${left}" y="${top}" width="${plotW}" height="${plotH}"/></clipPath>`,
  ];
  for (const t of ticks(u, 0)) {
    if (t.at < x0 || t.at > x1) continue;
    const x = num(px(t.at));
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#eceef1"/>`);
    parts.push(`<text x="${x}" y="${top + plotH + 16}" text-anchor="middle" fill="#5b6470">${esc(t.text)}</text>`);
  }
  for (const t of ticks(u, 1)) {
    if (!(t.at >= (ys?.min ?? -Infinity) && t.at <= (ys?.max ?? Infinity))) continue;
    const y = num(py(t.at));
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#eceef1"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#5b6470">${esc(t.text)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d6dae0"/>`);
  const xData = u.data[0] as ArrayLike<number>;
  for (const s of shown) {
    const yData = u.data[s.idx] as ArrayLike<number | null | undefined>;
    let d = "";
    let pen = false;
    for (let i = 0; i < xData.length; i++) {
      const x = xData[i] as number;
      const y = yData[i];
      const ok = y !== null && y !== undefined && Number.isFinite(y) && (!logY || y > 0);
      if (!ok) {
        // uPlot draws across a missing value (spanGaps) unless it is a real gap: keep the pen
        if (y === null) pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${num(px(x))} ${num(py(y as number))}`;
      pen = true;
    }
    const width = u.series[s.idx]?.width ?? 1.5;
    parts.push(
      `<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="${width}" stroke-linejoin="round" clip-path="url(#plot)" data-series="${esc(s.label)}"/>`,
    );
  }
  const colW = plotW / 3;
  shown.forEach((s, k) => {
    const x = left + (k % 3) * colW;
    const y = top + plotH + 40 + Math.floor(k / 3) * 18;
    parts.push(`<rect x="${num(x)}" y="${y - 2}" width="16" height="3" fill="${esc(s.color)}"/>`);
    parts.push(`<text x="${num(x + 22)}" y="${y}" dy="0.32em" fill="#1d2430">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Save the chart `u` as a PNG or SVG file named after `title`. */
export async function downloadChart(u: uPlot, title: string, ext: "png" | "svg"): Promise<void> {
  if (ext === "png") {
    save(await chartPng(u, title), fileName(title, "png"));
  } else {
    save(new Blob([chartSvg(u, title)], { type: "image/svg+xml" }), fileName(title, "svg"));
  }
}
