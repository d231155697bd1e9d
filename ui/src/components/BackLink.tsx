/** "← Runs": back to the Runs page, in-app (no reload), as a link a person can also open anew. */
import { href, linkClick } from "../lib/router";

export function BackLink({ to = "/", label = "Runs" }: { to?: string; label?: string }) {
  return (
    <a href={href(to)} onClick={linkClick(to)} class="back">
      ← {label}
    </a>
  );
}
