/** The shapes the studio's JSON API answers with (defined once, in server/api.ts), and the page's own. */
export type {
  CustomNode,
  Job,
  JobStatus,
  LogAnswer,
  ModelProgress,
  ModelSetStatus as ModelSet,
  OldCopy,
  SetProgress as ModelSetProgress,
  ToolState,
  ToolStatus,
} from "../api.js";

/** Who this browser is. */
export interface Me {
  artist: string | null;
  isAdmin: boolean;
  adminMode: boolean;
}
