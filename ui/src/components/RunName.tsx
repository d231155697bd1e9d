/**
 * A run's name as people wrote it: clipped to the space it has with the whole name in a tooltip,
 * and isolated (<bdi>) so a right-to-left override inside a name never reorders the text beside
 * it. Every page draws run names through this one component.
 */
import { useRunColours } from "../lib/colors";

export function RunName({
  name,
  id,
  swatch = false,
  class: cls = "",
}: {
  name: string;
  /** The run's id: its colour swatch (derived from the id, the same on every page). */
  id?: string;
  swatch?: boolean;
  class?: string;
}) {
  const colorOf = useRunColours();
  return (
    <>
      {swatch && id ? (
        <span class="swatch" style={{ background: colorOf(id) }} aria-hidden="true" />
      ) : null}
      <bdi class={`name-clip ${cls}`.trim()} title={name}>
        {name}
      </bdi>
    </>
  );
}
