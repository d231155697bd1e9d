/**
 * The Run page's text samples, histograms and artifacts, loaded for the first time in full and
 * then, live, as cheaply as each allows: texts since the last step held (one step back, so a
 * key logged at that step in a later flush is not missed), histograms (which have no `since`)
 * at most every 10 s, artifacts (a short list) each time.
 */
import { getArtifacts, getHistograms, getTexts } from "../../api/runs";
import type { ArtifactOut, HistogramOut, TextOut } from "../../api/types";

export interface Extras {
  texts: TextOut[];
  hists: HistogramOut[];
  /** When the histograms were last fetched (ms). */
  histsAt: number;
  artifacts: ArtifactOut[];
}

const HISTOGRAMS_EVERY_MS = 10_000;

const textKey = (t: TextOut) => `${t.key}\u0000${t.step}\u0000${t.wall_time}`;

export async function loadExtras(
  id: string,
  prev: Extras | null,
  signal: AbortSignal,
): Promise<Extras> {
  const held = prev?.texts ?? [];
  const since = held.length ? Math.max(...held.map((t) => t.step)) - 1 : undefined;
  const wantHists = !prev || Date.now() - prev.histsAt > HISTOGRAMS_EVERY_MS;
  const [t, h, a] = await Promise.all([
    getTexts(id, since, signal),
    wantHists ? getHistograms(id, signal) : Promise.resolve(null),
    getArtifacts(id, signal),
  ]);
  let texts = t;
  if (since !== undefined) {
    const seen = new Set(held.map(textKey));
    const fresh = t.filter((x) => !seen.has(textKey(x)));
    texts = fresh.length ? [...held, ...fresh] : held;
  }
  return {
    texts,
    hists: h ?? prev?.hists ?? [],
    histsAt: h ? Date.now() : (prev?.histsAt ?? 0),
    artifacts: a,
  };
}
