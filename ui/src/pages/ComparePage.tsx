/**
 * Route slot for the Compare page (issue #4, owned by the COMPARE engineer): the Runs page's
 * "Compare" button navigates here with `?runs=a,b`. Replace this component with the real page.
 */
import { href, linkClick, type Location } from "../lib/router";

export function ComparePage({ loc }: { loc: Location }) {
  const ids = (loc.params.get("runs") ?? "").split(",").filter(Boolean);
  return (
    <div class="page compare-page">
      <p>
        <a href={href("/")} onClick={linkClick("/")}>
          ← Runs
        </a>
      </p>
      <h1>Compare</h1>
      <p class="muted" data-testid="compare-ids">
        {ids.length} run{ids.length === 1 ? "" : "s"} selected: {ids.join(", ")}
      </p>
    </div>
  );
}
