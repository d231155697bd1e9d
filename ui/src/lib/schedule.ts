/**
 * Coalescing for live refreshes: events can arrive many times a second, and a refresh must neither
 * pile up requests nor wait too long (the Run page must change within a second of a log() call).
 */

/** Run `fn` at most once per `waitMs` (trailing), and never twice at once; extra calls coalesce. */
export function coalesce(fn: () => Promise<void>, waitMs: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let again = false;
  let cancelled = false;
  const fire = async () => {
    timer = null;
    if (cancelled) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } catch (e) {
      console.warn("trainboard: live refresh failed", e);
    } finally {
      running = false;
      if (again && !cancelled) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (cancelled) return;
    if (running) {
      again = true;
      return;
    }
    if (timer === null) timer = setTimeout(fire, waitMs);
  };
  schedule.cancel = () => {
    cancelled = true;
    if (timer !== null) clearTimeout(timer);
  };
  return schedule;
}
