/**
 * What a person can do with the runs they ticked: compare them, archive or unarchive them, or
 * delete them after confirming in a dialog (delete cannot be undone).
 */
import { useState } from "preact/hooks";
import { archiveRuns, deleteRuns, unarchiveRuns } from "../../api/runs";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { navigate } from "../../lib/router";
import { errorText } from "../../lib/useApi";

export function BulkActions({
  ids,
  clear,
  refresh,
  onError,
}: {
  ids: string[];
  clear: () => void;
  /** Reload the list once an action is done (resolves when it is in). */
  refresh: () => Promise<void>;
  onError: (e: string) => void;
}) {
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const act = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await fn();
      setNotice(what);
      clear();
      await refresh();
    } catch (e) {
      onError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class={`bulk${ids.length ? " on" : ""}`} aria-label="bulk actions">
        <span class="num">{ids.length} selected</span>
        <button
          type="button"
          class="primary"
          disabled={ids.length < 2 || busy}
          title="select two or more runs to compare"
          onClick={() => navigate(`/compare?runs=${ids.map(encodeURIComponent).join(",")}`)}
        >
          Compare
        </button>
        <button
          type="button"
          disabled={!ids.length || busy}
          onClick={() => act(`archived ${ids.length} run(s)`, () => archiveRuns(ids))}
        >
          Archive
        </button>
        <button
          type="button"
          disabled={!ids.length || busy}
          onClick={() => act(`unarchived ${ids.length} run(s)`, () => unarchiveRuns(ids))}
        >
          Unarchive
        </button>
        <button
          type="button"
          class="danger"
          disabled={!ids.length || busy}
          onClick={() => setConfirmDelete(true)}
        >
          Delete…
        </button>
        <button type="button" class="link" disabled={!ids.length} onClick={clear}>
          clear
        </button>
        {notice ? <span class="notice">{notice}</span> : null}
      </div>
      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete ${ids.length} run${ids.length === 1 ? "" : "s"}?`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => {
            setConfirmDelete(false);
            void act(`deleted ${ids.length} run(s)`, () => deleteRuns(ids));
          }}
        >
          <p>
            This removes their metrics, texts, histograms and artifacts records for good. Archive
            instead to only hide them.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
