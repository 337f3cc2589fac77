// marks.js - an assessment's marks as the teacher types them: each cell read and checked before anything is
// sent (a mark from 0 to the maximum with at most two decimals, or a status), and what differs from the saved
// sheet.

export const STATUSES = ["mark", "absent", "excused", "exempt"];

/**
 * One cell: text typed and the status chosen. Returns {input} (what the API takes, without studentId; null
 * when the cell is empty) or {error} (plain words).
 */
export function readCell(text, status, max) {
  if (status !== "mark") return STATUSES.includes(status) ? { input: { status, mark: null } } : { error: "is not a status" };
  const t = text.trim().replace(",", ".");
  if (t === "") return { input: null };
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return { error: "must be a number with at most two decimals" };
  const mark = Number(t);
  if (mark > max) return { error: `must be at most ${max}` };
  return { input: { mark } };
}

/** The saved result of a sheet's row as the cell shows it: [text, status]. */
export function cellOf(result) {
  if (!result) return ["", "mark"];
  return result.status === "mark" ? [String(result.mark), "mark"] : ["", result.status];
}

/** Whether what a cell holds now differs from the saved result. */
export function changed(result, text, status) {
  const [t, s] = cellOf(result);
  if (s !== status) return true;
  if (status !== "mark") return false;
  const now = text.trim().replace(",", ".");
  return now === "" ? t !== "" : Number(now) !== Number(t) || t === "";
}

/** The row index of an API error's field ("marks[3].mark" → 3), or -1. */
export function rowOfError(fieldName) {
  const m = /^marks\[(\d+)\]/.exec(fieldName || "");
  return m ? Number(m[1]) : -1;
}
