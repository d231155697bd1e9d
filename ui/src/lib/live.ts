/**
 * One shared EventSource on /api/v1/live for the whole app: pages subscribe to `runs` and
 * `points` and get parsed payloads. `useLive` is how a page says which of them make it refetch.
 *
 * A page fetches its data once: its loads wait for the stream's first open (`streamOpen`; the
 * server subscribes a client before its headers go out), so every change after a fetch arrives
 * as an event and nothing needs fetching again. `onReconnect` catches a page up on what it
 * missed while no stream was open: after a drop, or on a first open that came later than the
 * wait (then pages had fetched before they listened).
 */
import { useEffect, useRef } from "preact/hooks";
import { links } from "../api/runs";
import type { PointsEvent } from "../api/types";
import { coalesce } from "./schedule";

export type EventName = "runs" | "points";
type Handler = (data: unknown) => void;

const handlers: Record<EventName, Set<Handler>> = { runs: new Set(), points: new Set() };
const openHandlers = new Set<() => void>();
let source: EventSource | null = null;

/** How long a page's first load waits for the stream before it fetches anyway. */
const OPEN_WAIT_MS = 2000;
let opens = 0;
let fetchedUnheard = false; // a load went ahead before the first open: that open catches up
let releaseLoads: () => void = () => {};
const loadsMayStart = new Promise<void>((resolve) => {
  releaseLoads = resolve;
});

/** Resolves once the stream is open (or failed, or took longer than OPEN_WAIT_MS): a load that
 * starts after it misses no event. */
export function streamOpen(): Promise<void> {
  ensure();
  return loadsMayStart;
}

function giveUpWaiting(): void {
  if (opens === 0) {
    fetchedUnheard = true;
    // said on the page, so a test (or a person in devtools) can tell a catch-up refetch from a
    // page that loaded twice for no reason
    document.documentElement.dataset.liveLate = "1";
  }
  releaseLoads();
}

function ensure(): void {
  if (source) return;
  if (typeof EventSource === "undefined") {
    releaseLoads();
    return;
  }
  source = new EventSource(links.live());
  setTimeout(giveUpWaiting, OPEN_WAIT_MS);
  source.onopen = () => {
    opens += 1;
    const missed = opens > 1 || fetchedUnheard;
    releaseLoads();
    document.documentElement.dataset.live = "1";
    document.documentElement.dataset.streamOpens = String(opens);
    // A reopen, or a first open after pages had fetched: what changed meanwhile is caught up.
    if (missed) for (const h of openHandlers) h();
  };
  source.onerror = () => {
    giveUpWaiting();
    document.documentElement.dataset.live = "0";
  };
  for (const name of Object.keys(handlers) as EventName[]) {
    source.addEventListener(name, (e: MessageEvent<string>) => {
      let data: unknown = null;
      try {
        data = e.data ? JSON.parse(e.data) : null;
      } catch {
        data = null;
      }
      for (const h of handlers[name]) h(data);
    });
  }
}

export function subscribe(name: EventName, h: Handler): () => void {
  ensure();
  handlers[name].add(h);
  return () => {
    handlers[name].delete(h);
  };
}

export function onReconnect(h: () => void): () => void {
  ensure();
  openHandlers.add(h);
  return () => {
    openHandlers.delete(h);
  };
}

export function asPointsEvent(data: unknown): PointsEvent | null {
  if (!data || typeof data !== "object") return null;
  const d = data as Partial<PointsEvent>;
  if (typeof d.run !== "string") return null;
  return {
    run: d.run,
    last_step: typeof d.last_step === "number" ? d.last_step : -1,
    keys: Array.isArray(d.keys) ? d.keys.filter((k): k is string => typeof k === "string") : [],
  };
}

/** Which live events make a page refetch, and how often at most. */
export interface Live {
  /** The events that may change what is shown; "reconnect": the stream opened again after a
   * drop (or first opened after the page had fetched) and may have missed some. */
  on: (EventName | "reconnect")[];
  /** At most one refresh per this many ms, however many events arrive (a busy run sends
   * several a second), and never two at once. */
  everyMs: number;
  /** Which of those events matter (the points of a run the page shows); default: all. */
  match?: (name: EventName, data: unknown) => boolean;
}

/** Call `refresh` on the live events `live` names, coalesced; resubscribes when `deps`
 * change. Nothing without `live`. */
export function useLive(
  refresh: () => Promise<unknown> | void,
  live: Live | undefined,
  deps: unknown[],
): void {
  const liveRef = useRef(live);
  liveRef.current = live;
  const on = live ? live.on.join(",") : "";
  useEffect(() => {
    const spec = liveRef.current;
    if (!spec) return;
    const run = coalesce(async () => {
      await refresh();
    }, spec.everyMs);
    const offs = spec.on.map((name) =>
      name === "reconnect"
        ? onReconnect(run)
        : subscribe(name, (data) => {
            const match = liveRef.current?.match;
            if (!match || match(name, data)) run();
          }),
    );
    return () => {
      run.cancel();
      for (const off of offs) off();
    };
  }, [on, live?.everyMs, ...deps]);
}
