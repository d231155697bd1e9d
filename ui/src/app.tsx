/** The shell: a top bar and the page for the current path. */
import { ComparePage } from "./pages/ComparePage";
import { RunPage } from "./pages/RunPage";
import { RunsPage } from "./pages/RunsPage";
import { SweepPage } from "./pages/sweep/SweepPage";
import { href, linkClick, matchRun, useLocation } from "./lib/router";

export function App() {
  const loc = useLocation();
  const runId = matchRun(loc.path);
  let page;
  if (runId) page = <RunPage key={runId} id={runId} />;
  else if (loc.path === "/compare" || loc.path === "/compare/") page = <ComparePage loc={loc} />;
  else if (loc.path === "/sweep" || loc.path === "/sweep/") page = <SweepPage loc={loc} />;
  else if (loc.path === "/" || loc.path === "") page = <RunsPage loc={loc} />;
  else
    page = (
      <div class="page">
        <div class="error" role="alert">
          No page at {loc.path}.
        </div>
      </div>
    );
  return (
    <>
      <nav class="topbar">
        <a class="brand" href={href("/")} onClick={linkClick("/")}>
          trainboard
        </a>
        <a href={href("/")} onClick={linkClick("/")} class={!runId && loc.path === "/" ? "on" : ""}>
          Runs
        </a>
        <span class="grow" />
        <span class="live-dot" title="live updates" />
      </nav>
      <main>{page}</main>
    </>
  );
}
