/** The Run page's Stop button: asks a running run to stop (POST /runs/{id}/stop), after a
 * confirmation. The training process sees the request within about 2 s and the run ends as
 * "stopped"; the page's live updates then show the new status. */
import { useState } from "preact/hooks";
import { ApiError, postJson } from "../api/client";
import { ConfirmDialog } from "./ConfirmDialog";

export function StopButton({ runId, runName }: { runId: string; runName: string }) {
  const [asking, setAsking] = useState(false);
  const [asked, setAsked] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const stop = async () => {
    setAsking(false);
    try {
      await postJson(`/runs/${encodeURIComponent(runId)}/stop`, {});
      setAsked(true);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <>
      <button
        type="button"
        class="danger stop-run"
        disabled={asked}
        onClick={() => setAsking(true)}
      >
        {asked ? "stop asked…" : "Stop run"}
      </button>
      {error ? (
        <span class="error" role="alert">
          {error}
        </span>
      ) : null}
      {asking ? (
        <ConfirmDialog
          title="Stop this run?"
          confirmLabel="Stop run"
          danger
          onConfirm={stop}
          onCancel={() => setAsking(false)}
        >
          <p>
            <bdi>{runName}</bdi> will stop after its current step (the training script sees{" "}
            <code>run.should_stop</code>; Hugging Face and Lightning end training, saving a
            checkpoint when they are set to) and end as <b>stopped</b>.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
