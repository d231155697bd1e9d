/**
 * The Compare page (issue #4): which run won. The selection, the deciding metric and the warning
 * threshold live in the URL (`/compare?runs=a,b,c&metric=eval/loss&threshold=25`), so a reload or
 * a shared link shows the same comparison. Every number comes from GET /api/v1/compare (the same
 * JSON as `trainboard compare --json`); this page only lays it out and draws the curves.
 *
 * It is live: the same server-sent events the Run page uses (new points of a compared run, run
 * status changes) refetch the comparison and the curves, at most once a second. A run still
 * running is compared "so far, at step N of M" (the server's words), is never flagged worse, and
 * is left out of archive and delete until it ends; the buttons say why.
 */
import { useMemo, useState } from "preact/hooks";
import { type CompareQuery, compareLinks, getCompare } from "../api/compare";
import { archiveRuns, chooseRuns, deleteRuns } from "../api/runs";
import { BackLink } from "../components/BackLink";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { RunColours, assignColors } from "../lib/colors";
import { type Live, asPointsEvent, useLive } from "../lib/live";
import { type Location, navigate } from "../lib/router";
import { CompareTexts } from "../components/CompareTexts";
import { CompareMedia } from "../components/media/CompareMedia";
import { errorText, useApi } from "../lib/useApi";
import { CompareTable } from "./compare/CompareTable";
import { ConfigDiff } from "./compare/ConfigDiff";
import { Curves } from "./compare/Curves";
import { Recommendation } from "./compare/Recommendation";
import { SpeedBars } from "./compare/SpeedBars";
import { Trend } from "./compare/Trend";
import "./compare.css";

function readQuery(loc: Location): CompareQuery {
  const runs = (loc.params.get("runs") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const t = loc.params.get("threshold");
  const threshold = t !== null && t !== "" && Number.isFinite(Number(t)) ? Number(t) : null;
  return { runs: [...new Set(runs)], metric: loc.params.get("metric") || null, threshold };
}

function compareUrl(q: CompareQuery): string {
  const p = new URLSearchParams();
  p.set("runs", q.runs.join(","));
  if (q.metric) p.set("metric", q.metric);
  if (q.threshold !== null && q.threshold !== undefined) p.set("threshold", String(q.threshold));
  return `/compare?${p.toString().replace(/%2C/g, ",").replace(/%2F/g, "/")}`;
}

export function ComparePage({ loc }: { loc: Location }) {
  const q = readQuery(loc);
  const key = compareUrl(q);
  const [notice, setNotice] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState<string[] | null>(null);
  const [tick, setTick] = useState(0); // bumped by live events: refetch what is shown
  // one page, one view: the compared runs get distinct colours
  const colours = useMemo(() => assignColors(q.runs), [q.runs.join(",")]);

  // Live: new points of a compared run, a status change of one, a reconnect.
  const selected = new Set(q.runs);
  const live: Live | undefined = q.runs.length
    ? {
        on: ["points", "runs", "reconnect"],
        everyMs: 1000,
        match: (name, d) => {
          if (name === "points") {
            const ev = asPointsEvent(d);
            return !!ev && selected.has(ev.run);
          }
          const ids = (d as { ids?: unknown } | null)?.ids;
          return !Array.isArray(ids) || ids.length === 0 || ids.some((i) => selected.has(i as string));
        },
      }
    : undefined;
  useLive(() => setTick((t) => t + 1), live, [key]);

  const { data, error, setError } = useApi(
    q.runs.length ? (signal) => getCompare(q, signal) : null,
    [key, reload, tick],
  );

  const update = (patch: Partial<CompareQuery>) => navigate(compareUrl({ ...q, ...patch }), true);

  const choose = async (id: string, chosen: boolean) => {
    const name = data?.runs.find((r) => r.id === id)?.name ?? id;
    try {
      await chooseRuns([id], chosen);
      setNotice(chosen ? `Marked ${name} as chosen` : `${name} is no longer chosen`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const act = async (what: "archive" | "delete", ids: string[]) => {
    if (ids.length === 0) return;
    const names = (data?.runs ?? []).filter((r) => ids.includes(r.id)).map((r) => r.name);
    try {
      if (what === "archive") {
        await archiveRuns(ids);
        setNotice(`Archived ${ids.length} run${ids.length === 1 ? "" : "s"}: ${names.join(", ")}`);
        setReload((n) => n + 1);
      } else {
        await deleteRuns(ids);
        setNotice(`Deleted ${ids.length} run${ids.length === 1 ? "" : "s"}: ${names.join(", ")}`);
        update({ runs: q.runs.filter((id) => !ids.includes(id)) });
      }
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (q.runs.length === 0)
    return (
      <div class="page compare-page">
        <p class="back">
          <BackLink />
        </p>
        <h1>Compare</h1>
        <p class="empty">Select two or more runs on the Runs page, then press Compare.</p>
      </div>
    );

  return (
    <RunColours.Provider value={colours}>
      <div class="page compare-page">
        <p class="back">
          <BackLink />
        </p>
        <div class="toolbar">
          <h1>Compare {q.runs.length} runs</h1>
          {data && (
            <>
              <label class="toggle">
                deciding metric
                <select
                  aria-label="deciding metric"
                  value={data.metric ?? ""}
                  onChange={(e) => update({ metric: (e.target as HTMLSelectElement).value || null })}
                >
                  <optgroup label="meaning (each run's own key)">
                    {data.measures.map((m) => (
                      <option key={`m:${m.id}`} value={m.id}>
                        {m.text}
                      </option>
                    ))}
                  </optgroup>
                  <optgroup label="key">
                    {data.keys
                      .filter((k) => data.roles[k]?.role !== "system" && !data.measures.some((m) => m.id === k))
                      .map((k) => (
                        <option key={k} value={k}>
                          {k}
                        </option>
                      ))}
                  </optgroup>
                </select>
                <span class="muted">({data.goal === "min" ? "lower" : "higher"} is better)</span>
              </label>
              <label class="toggle">
                warn above
                <input
                  type="number"
                  min={0}
                  step={5}
                  aria-label="warning threshold"
                  class="threshold"
                  value={data.threshold_pct}
                  onChange={(e) => {
                    const v = Number((e.target as HTMLInputElement).value);
                    if (Number.isFinite(v) && v >= 0) update({ threshold: v });
                  }}
                />
                % worse
              </label>
              <span class="grow" />
              <span class="exports">
                export:
                <a href={compareLinks.csv(q)} download="comparison.csv">CSV</a>
                <a href={compareLinks.json(q)} download="comparison.json">JSON</a>
                <a href={compareLinks.md(q)} download="comparison.md">Markdown</a>
              </span>
            </>
          )}
        </div>
        {error && (
          <div class="error" role="alert">
            {error}
          </div>
        )}
        {notice && <div class="notice" data-testid="compare-notice">{notice}</div>}
        {!data && !error && <p class="empty">Loading the comparison…</p>}
        {data && (
          <>
            <Recommendation
              data={data}
              onArchive={(ids) => void act("archive", ids)}
              onChoose={(id, chosen) => void choose(id, chosen)}
              onDelete={(ids) => setConfirmDelete(ids)}
            />
            <CompareTable data={data} />
            <Curves data={data} tick={tick} />
            <div class="two-col">
              <SpeedBars data={data} />
              <Trend data={data} />
            </div>
            <ConfigDiff data={data} />
            <CompareTexts runs={data.runs} />
            <CompareMedia runs={data.runs} />
          </>
        )}
        {confirmDelete && (
          <ConfirmDialog
            title={`Delete ${confirmDelete.length} run${confirmDelete.length === 1 ? "" : "s"}?`}
            confirmLabel="Delete"
            danger
            onCancel={() => setConfirmDelete(null)}
            onConfirm={() => {
              const ids = confirmDelete;
              setConfirmDelete(null);
              void act("delete", ids);
            }}
          >
            <p>
              This deletes{" "}
              {(data?.runs ?? [])
                .filter((r) => confirmDelete.includes(r.id))
                .map((r) => r.name)
                .join(", ")}{" "}
              and all their metrics. It cannot be undone.
            </p>
          </ConfirmDialog>
        )}
      </div>
    </RunColours.Provider>
  );
}
