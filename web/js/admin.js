// admin.js - the administration pages' own logic, free of the page (node:test checks it): roles in words,
// audit events read as sentences with their change (old → new), a school's day as the UTC instants the audit
// filters take, and jobs (imports, exports) in words.

/** The roles an account may hold, in the order the API's bit masks number them (src/auth/roles.h). */
export const ROLE_BITS = ["platform_admin", "admin", "teacher", "staff", "student", "parent", "bursar"];

export const ROLE_NAMES = {
  platform_admin: "Platform operator",
  admin: "Administrator",
  teacher: "Teacher",
  staff: "Office staff",
  student: "Student",
  parent: "Parent",
  bursar: "Bursar",
};

/** The roles a school's account may be given, in the form's order. */
export const SCHOOL_ROLES = ["admin", "staff", "teacher", "bursar", "parent", "student"];

/** "Administrator, Teacher" for ["admin", "teacher"]; an unknown role keeps its name. */
export function roleList(roles) {
  return roles.map((r) => ROLE_NAMES[r] || r).join(", ");
}

/** The roles of a bit mask (the audit's "roles 6 -> 14"): ["admin", "teacher"]. */
export function rolesOfMask(mask) {
  return ROLE_BITS.filter((_, i) => (mask >> i) & 1);
}

const VERBS = {
  create: "Created", update: "Changed", delete: "Deleted", read: "Viewed", list: "Listed", login: "Signed in",
  logout: "Signed out", refresh: "Renewed the session", disable: "Disabled", enable: "Enabled",
  roles_change: "Changed the roles of", invite: "Invited", password_reset_send: "Sent a password reset link to",
  upload: "Uploaded", suspend: "Suspended", reactivate: "Reactivated", revoke: "Ended", withdraw: "Withdrew",
  issue: "Issued", publish: "Published", refund: "Refunded", end: "Ended",
};

/**
 * An audit action in words: "user.roles_change" → "Changed the roles of user"; "auth.login" → "Signed in".
 * An action this does not know reads as its words ("import.students" → "Import students").
 */
export function describeAction(action) {
  const dot = action.indexOf(".");
  const noun = (dot < 0 ? "" : action.slice(0, dot)).replace(/_/g, " ");
  const verb = dot < 0 ? action : action.slice(dot + 1);
  if (noun === "auth" || noun === "session") return VERBS[verb] || words(`${noun} ${verb}`);
  if (VERBS[verb]) return `${VERBS[verb]} ${noun}`;
  return words(`${noun} ${verb}`);
}

function words(text) {
  const t = text.replace(/[._-]/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim().toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/**
 * The change an audit event's detail records, as {label, before, after}, or null when it records none:
 * "roles 6 -> 14" (a bit mask) and "roles teacher -> teacher,staff" (an import) read as role names;
 * "a -> b" as it is; "fields: phone, email" as {label: "Fields", before: null, after: "phone, email"}.
 */
export function auditChange(detail) {
  if (!detail) return null;
  const roles = /^roles (\S+) -> (\S+)$/.exec(detail);
  if (roles) {
    const named = (v) => roleList(/^\d+$/.test(v) ? rolesOfMask(Number(v)) : v.split(/[,;|]/).filter(Boolean));
    return { label: "Roles", before: named(roles[1]), after: named(roles[2]) };
  }
  const fields = /^fields: (.+)$/.exec(detail);
  if (fields) return { label: "Fields changed", before: null, after: fields[1] };
  const parts = detail.split(" -> ");
  if (parts.length === 2) return { label: null, before: parts[0], after: parts[1] };
  return null;
}

/** Offset (ms) of a time zone from UTC at an instant (ms): New York in winter is -5 h. */
function offsetAt(instant, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(instant));
  const n = (t) => Number(parts.find((p) => p.type === t).value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant ("2027-10-13T04:00:00.000Z") a school's day (YYYY-MM-DD) starts at in its time zone. */
export function dayStart(date, timeZone) {
  const [y, m, d] = date.split("-").map(Number);
  const local = Date.UTC(y, m - 1, d);
  let t = local - offsetAt(local, timeZone);
  t = local - offsetAt(t, timeZone); // the offset of the instant itself (a change of clocks that night)
  return new Date(t).toISOString();
}

/** The day after a date (YYYY-MM-DD). */
export function nextDay(date) {
  const t = new Date(date + "T12:00:00Z");
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
}

/**
 * The audit list's query for a form's filters ({actorId, subjectType, action, from, to}: school dates, to
 * inclusive), in the school's time zone: the API's from (inclusive) and to (exclusive) are UTC instants.
 */
export function auditQuery(filters, timeZone, limit = 50) {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const k of ["actorId", "subjectType", "action"]) if (filters[k]) q.set(k, filters[k]);
  if (filters.from) q.set("from", dayStart(filters.from, timeZone));
  if (filters.to) q.set("to", dayStart(nextDay(filters.to), timeZone));
  return q.toString();
}

export const FINAL_STATES = ["completed", "failed", "cancelled"];

const JOB_NAMES = {
  "register.pdf": "Attendance register (PDF)",
  "report-cards.pdf": "Report cards (PDF)",
  "fees.invoice": "Invoicing a fee structure",
  "mail.send": "An e-mail",
  "account.password-reset": "A password reset link",
  "announcement.mail": "An announcement's e-mail",
  "absence.alert": "Absence alerts",
};

/** What a job does, in words: "import.students" → "Import of students". */
export function jobName(type) {
  const [what, kind] = type.split(".");
  if (JOB_NAMES[type]) return JOB_NAMES[type];
  if (what === "import" || what === "export") return `${what === "import" ? "Import" : "Export"} of ${kind === "oneroster" ? "OneRoster files" : kind}`;
  return words(type);
}

/** A job's state in words, with its progress or its reason. */
export function jobState(job) {
  switch (job.state) {
    case "waiting":
    case "delayed":
      return job.attemptsMade > 0 ? `Waiting to try again (attempt ${job.attemptsMade + 1} of ${job.attempts})` : "Waiting to start";
    case "active":
      return `Running: ${job.progress} % done`;
    case "completed":
      if (job.result && job.result.imported === false) return "Finished: nothing was imported, the file has errors";
      return "Finished";
    case "failed":
      return "Failed" + (job.error ? `: ${job.error}` : "");
    case "cancelled":
      return "Cancelled";
    default:
      return job.state;
  }
}

/** Whether a job may still be cancelled (DELETE /jobs/{id} answers 409 once it has finished). */
export function cancellable(job) {
  return !FINAL_STATES.includes(job.state);
}

/** An import report's counts in words: "3 created, 1 updated, 0 unchanged; 2 guardians created". */
export function importCounts(report) {
  if (typeof report.created !== "number") return "";
  const parts = [`${report.created} created`, `${report.updated} updated`, `${report.unchanged} unchanged`];
  let text = parts.join(", ");
  if (report.guardians) text += `; guardians: ${report.guardians.created} created, ${report.guardians.linked} linked`;
  if (report.enrolled) text += `; ${report.enrolled} enrolled in a class`;
  return text;
}

/** A file's size in words: "812 bytes", "14.2 KB", "3.1 MB". */
export function fileSize(bytes) {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1e6) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
