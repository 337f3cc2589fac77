// drafts.js - a register's unsaved marks, kept on this device (localStorage) until they are saved, so that
// neither a lost connection nor the end of a session loses them. One draft per user, class and day.

const PREFIX = "erp.draft.";
export const STATUSES = ["present", "absent", "late", "excused"];

function key(userId, classId, date) {
  return `${PREFIX}${userId}.${classId}.${date}`;
}

/** The draft's marks ({studentId: status}) or null. */
export function loadDraft(userId, classId, date) {
  try {
    const d = JSON.parse(localStorage.getItem(key(userId, classId, date)));
    return d && typeof d.marks === "object" ? d.marks : null;
  } catch {
    return null;
  }
}

/** Keeps marks as the draft; an empty object removes it. */
export function saveDraft(userId, classId, date, marks) {
  if (Object.keys(marks).length === 0) localStorage.removeItem(key(userId, classId, date));
  else localStorage.setItem(key(userId, classId, date), JSON.stringify({ marks, keptAt: Date.now() }));
}

/** The status after a tap: present → absent → late → excused → present. */
export function nextStatus(status) {
  return STATUSES[(STATUSES.indexOf(status) + 1) % STATUSES.length];
}

/**
 * The register as the teacher sees it: each row's saved status (null: unmarked), shown status (the draft's,
 * else the saved one, else present) and whether it differs from what is saved.
 */
export function merge(items, draft) {
  return items.map((it) => {
    const saved = it.mark ? it.mark.status : null;
    const shown = (draft && STATUSES.includes(draft[it.studentId]) && draft[it.studentId]) || saved || "present";
    return { ...it, saved, shown, unsaved: shown !== saved };
  });
}

/** The draft to keep for rows: the marks changed by hand (not what is saved, nor the default, present). */
export function draftOf(rows) {
  const marks = {};
  for (const r of rows) if (r.shown !== (r.saved || "present")) marks[r.studentId] = r.shown;
  return marks;
}
