/**
 * The Runs page's view as URL state: filters, grouping, sort and the added columns. A
 * reload or a shared link shows the same table; the page reads and writes only through here.
 */

/** Rows a block of the table fetches at once (useRunRows). */
export const PAGE_SIZE = 200;

export interface Filters {
  status: string;
  project: string;
  tag: string;
  search: string;
  archived: boolean;
  group: boolean;
  /** A column to sort by ("" = newest first, or by model when grouped), server-side. */
  sort: string;
  desc: boolean;
  /** Added columns: `config.<name>` (hyperparameters) and `metric.<key>`. */
  cols: string[];
}

export function readFilters(p: URLSearchParams): Filters {
  return {
    status: p.get("status") ?? "",
    project: p.get("project") ?? "",
    tag: p.get("tag") ?? "",
    search: p.get("search") ?? "",
    archived: p.get("archived") === "1",
    group: p.get("group") !== "0",
    sort: p.get("sort") ?? "",
    desc: p.get("desc") !== "0",
    cols: (p.get("cols") ?? "").split(",").filter(Boolean),
  };
}

export function filtersUrl(f: Filters): string {
  const q = new URLSearchParams();
  if (f.status) q.set("status", f.status);
  if (f.project) q.set("project", f.project);
  if (f.tag) q.set("tag", f.tag);
  if (f.search) q.set("search", f.search);
  if (f.archived) q.set("archived", "1");
  if (!f.group) q.set("group", "0");
  if (f.sort) q.set("sort", f.sort);
  if (f.sort && !f.desc) q.set("desc", "0");
  if (f.cols.length) q.set("cols", f.cols.join(","));
  const s = q.toString().replace(/%2C/g, ",").replace(/%2F/g, "/");
  return s ? `/?${s}` : "/";
}

/** What the rows depend on (the URL is exactly that): a change starts a new list. */
export function filtersKey(f: Filters): string {
  return filtersUrl(f);
}

/** Whether any filter narrows the list (the empty-list message says so). */
export function filtered(f: Filters): boolean {
  return !!(f.search || f.status || f.project || f.tag);
}

/** Clicking a header: a new column sorts descending first; the same column flips direction;
 * a third click on an ascending column goes back to the default order. */
export function nextSort(f: Filters, column: string): Pick<Filters, "sort" | "desc"> {
  if (f.sort !== column) return { sort: column, desc: column === "name" ? false : true };
  if (f.desc === (column === "name" ? false : true)) return { sort: column, desc: !f.desc };
  return { sort: "", desc: true };
}

/** A column's header text: `config.lr` reads "lr", `metric.eval/loss` reads "eval/loss". */
export function columnLabel(c: string): string {
  return c.replace(/^config\./, "").replace(/^metric\./, "");
}
