/**
 * One way for a page to load something from the API: fetch when `deps` change, abort the
 * request a newer one replaces (or the component leaving), and keep the API's error message
 * (ApiError) or the network's as text for the page to show. Live pages refetch through
 * `refresh` (or the `live` option), which waits for a fetch in flight instead of aborting it:
 * aborting on every event would starve a page whose run logs faster than the API answers.
 * Every load waits for the live stream to be open (at once, but for the app's first page), so a
 * page fetches once and the stream brings only what changed after.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { type Live, streamOpen, useLive } from "./live";

/** An error as a person reads it: the API's own message when it sent one. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  /** Set (or clear) the error from elsewhere on the page (an action that failed). */
  setError: (e: string | null) => void;
  /**
   * Fetch again for the same deps, keeping what is shown; resolves once the answer is in.
   * Asked while a fetch is in flight, it runs once after that one (calls coalesce).
   */
  refresh: () => Promise<void>;
}

/**
 * `load(signal, prev)` runs whenever a value in `deps` changes; null skips loading (nothing
 * asked for yet). `prev` is the last answer for these deps (null on their first load), for a
 * loader that fetches only what is new. The data stays until the next answer, so a refresh
 * does not blank the page.
 */
export function useApi<T>(
  load: ((signal: AbortSignal, prev: T | null) => Promise<T>) | null,
  deps: unknown[],
  live?: Live,
): ApiState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  // What belongs to the current deps: their controller, the answer held, the fetch in flight
  // and the one queued behind it.
  const cur = useRef({
    ctl: null as AbortController | null,
    prev: null as T | null,
    running: null as Promise<void> | null,
    queued: null as Promise<void> | null,
  });

  const start = (ctl: AbortController): Promise<void> => {
    const s = cur.current;
    const fn = loadRef.current;
    if (!fn) return Promise.resolve();
    const p = streamOpen()
      .then(() => (ctl.signal.aborted ? Promise.reject(ctl.signal.reason) : fn(ctl.signal, s.prev)))
      .then((d) => {
        if (ctl.signal.aborted) return;
        s.prev = d;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      })
      .finally(() => {
        if (s.running === p) s.running = null;
      });
    s.running = p;
    return p;
  };

  const refresh = useRef((): Promise<void> => {
    const s = cur.current;
    const ctl = s.ctl;
    if (!ctl || ctl.signal.aborted) return Promise.resolve();
    if (!s.running) return start(ctl);
    if (!s.queued) {
      const q: Promise<void> = s.running.then(() => {
        if (s.queued === q) s.queued = null;
        return ctl.signal.aborted ? undefined : start(ctl);
      });
      s.queued = q;
    }
    return s.queued;
  }).current;

  useEffect(() => {
    const s = cur.current;
    s.prev = null;
    s.running = null;
    s.queued = null;
    if (!loadRef.current) {
      s.ctl = null;
      return;
    }
    const ctl = new AbortController();
    s.ctl = ctl;
    void start(ctl);
    return () => ctl.abort();
  }, deps);

  useLive(refresh, live, deps);
  return { data, error, setError, refresh };
}
