/**
 * Which metric keys share a chart, and in what order the charts come. What a key *is* comes from
 * the server (`RunOut.roles`, decided by trainboard.roles): keys of one `group` share a chart
 * (train/loss + eval/loss, Loss/train + Loss/validation), train before eval, and charts follow
 * the server's section order. The UI keeps no list of metric names.
 */
import type { RoleOut } from "../api/types";

export interface ChartSpec {
  id: string;
  title: string;
  keys: string[];
  section: string;
  rank: number; // the section's place on the Run page (RoleOut.section_rank)
}

const SPLIT_RANK: Record<string, number> = { train: 0, "": 1, eval: 2 };

function sectionRank(rank: number | undefined): number {
  return rank ?? Number.MAX_SAFE_INTEGER; // the server's section order; unknown sections last
}

/** Charts for `keys`; a key the server gave no role for gets a chart of its own. */
export function groupCharts(keys: string[], roles: Record<string, RoleOut> = {}): ChartSpec[] {
  const byGroup = new Map<string, string[]>();
  for (const k of keys) {
    const g = roles[k]?.group ?? k;
    const list = byGroup.get(g) ?? [];
    list.push(k);
    byGroup.set(g, list);
  }
  const split = (k: string) => SPLIT_RANK[roles[k]?.split ?? ""] ?? 1;
  const specs: ChartSpec[] = [];
  for (const [group, ks] of byGroup) {
    ks.sort((a, b) => split(a) - split(b) || a.localeCompare(b));
    const first = ks[0] ?? group;
    specs.push({
      id: group,
      title: group,
      keys: ks,
      section: roles[first]?.section ?? "Metrics",
      rank: sectionRank(roles[first]?.section_rank),
    });
  }
  specs.sort((a, b) => a.rank - b.rank || a.id.localeCompare(b.id));
  return specs;
}

/** The filter box: a chart stays when its title or any key contains the text (case-insensitive). */
export function matchesFilter(spec: ChartSpec, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  return spec.title.toLowerCase().includes(f) || spec.keys.some((k) => k.toLowerCase().includes(f));
}
