/** Route slot for the Compare page: the page itself lives in Compare.tsx (issue #4). */
export { ComparePage } from "./Compare";
