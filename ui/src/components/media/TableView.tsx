/**
 * A logged table: sortable by any column (click its header), filtered by text across every
 * cell, with media cells shown inline. Text is shown as text, never as HTML.
 */
import { useMemo, useState } from "preact/hooks";
import { type TableCell, type TableDoc } from "../../api/media";
import { type MediaRef, MediaView } from "./MediaItem";

export function cellText(c: TableCell): string {
  if (c === null) return "";
  if (typeof c === "object") return c.media.caption ?? c.media.kind;
  return String(c);
}

function compare(a: TableCell, b: TableCell): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}

export function Cell({ cell, onOpen }: { cell: TableCell; onOpen: (m: MediaRef) => void }) {
  if (cell !== null && typeof cell === "object") return <MediaView item={cell.media} onOpen={onOpen} />;
  return <span class={typeof cell === "number" ? "num" : "cell-text"}>{cellText(cell)}</span>;
}

export function TableView({ doc, onOpen }: { doc: TableDoc; onOpen: (m: MediaRef) => void }) {
  const [sortCol, setSortCol] = useState<number | null>(null);
  const [desc, setDesc] = useState(false);
  const [filter, setFilter] = useState("");
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    let r = f ? doc.rows.filter((row) => row.some((c) => cellText(c).toLowerCase().includes(f))) : doc.rows;
    if (sortCol !== null) {
      r = [...r].sort((a, b) => compare(a[sortCol] ?? null, b[sortCol] ?? null) * (desc ? -1 : 1));
    }
    return r;
  }, [doc, sortCol, desc, filter]);
  const sortBy = (i: number) => {
    if (sortCol === i) setDesc(!desc);
    else {
      setSortCol(i);
      setDesc(false);
    }
  };
  return (
    <div class="media-table">
      <input type="search" placeholder="Filter rows" aria-label="filter rows" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      <span class="muted num"> {rows.length} of {doc.rows.length} rows</span>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              {doc.columns.map((c, i) => (
                <th key={c} aria-sort={sortCol === i ? (desc ? "descending" : "ascending") : "none"}>
                  <button type="button" class="link" onClick={() => sortBy(i)}>
                    {c}
                    {sortCol === i ? (desc ? " ▼" : " ▲") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>
                {row.map((c, i) => (
                  <td key={i}>
                    <Cell cell={c} onOpen={onOpen} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
