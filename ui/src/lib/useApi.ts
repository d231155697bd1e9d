/**
 * One way for a page to load something from the API: fetch when `deps` change, abort the
 * request a newer one replaces (or the component leaving), and keep the API's error message
 * (ApiError) or the network's as text for the page to show. Replaces the abort-and-ApiError
 * effect every page wrote by hand.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";

/** An error as a person reads it: the API's own message when it sent one. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  /** Set (or clear) the error from elsewhere on the page (an action that failed). */
  setError: (e: string | null) => void;
}

/**
 * `load(signal)` runs whenever a value in `deps` changes; null skips loading (nothing asked
 * for yet). The data stays until the next answer, so a refresh does not blank the page.
 */
export function useApi<T>(
  load: ((signal: AbortSignal) => Promise<T>) | null,
  deps: unknown[],
): ApiState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!load) return;
    const ctl = new AbortController();
    load(ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      });
    return () => ctl.abort();
  }, deps);
  return { data, error, setError };
}
