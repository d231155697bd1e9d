/**
 * The server's access token, when it was started with one. It arrives once as `?token=` in the
 * page URL and is kept in sessionStorage so fetches (Authorization header), the event stream and
 * download links (`?token=`, where no header can be set) keep working after in-app navigation.
 */

const KEY = "trainboard.token";

let cached: string | null = null;

export function token(): string {
  if (cached !== null) return cached;
  const fromUrl = new URLSearchParams(window.location.search).get("token");
  if (fromUrl) {
    try {
      sessionStorage.setItem(KEY, fromUrl);
    } catch {
      // sessionStorage may be off (privacy mode): the in-memory copy still works for this page.
    }
    cached = fromUrl;
    return cached;
  }
  try {
    cached = sessionStorage.getItem(KEY) ?? "";
  } catch {
    cached = "";
  }
  return cached;
}

/** `path` with `token=` added when there is a token: for EventSource, links and page URLs. */
export function withToken(path: string): string {
  const t = token();
  if (!t) return path;
  const sep = path.includes("?") ? "&" : "?";
  return `${path}${sep}token=${encodeURIComponent(t)}`;
}
