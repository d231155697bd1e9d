/**
 * Client-side routing on real paths (`/`, `/runs/:id`, `/compare?runs=a,b`): the server answers
 * every page path with index.html, so a reload or a shared link opens the same page.
 */
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  params: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { path: window.location.pathname, params: new URLSearchParams(window.location.search) };
}

/**
 * Go to an in-app URL without a page load; `replace` keeps the history entry (filters). The token
 * is not put into in-app URLs (a copied link should not carry it): fetches send it as a header,
 * and the server's cookie from the first `?token=` page load covers a reload.
 */
export function navigate(url: string, replace = false): void {
  const target = url;
  if (target === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, "", target);
  else window.history.pushState(null, "", target);
  for (const l of listeners) l();
}

window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = () => setLoc(current());
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return loc;
}

/** An onClick for <a href> that navigates in-app unless the person asked for a new tab. */
export function linkClick(url: string) {
  return (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    e.preventDefault();
    navigate(url);
  };
}

/** The URL of an in-app page for <a href> (kept token-free, see navigate). */
export function href(url: string): string {
  return url;
}

export function matchRun(path: string): string | null {
  const m = /^\/runs\/([^/]+)\/?$/.exec(path);
  return m && m[1] ? decodeURIComponent(m[1]) : null;
}
