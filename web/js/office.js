// office.js - the office pages' pure helpers (no DOM): an API message said in the reader's dates and without
// record ids, what an edit changed, a term's weekdays, a teacher's classes and subjects, a lesson's move.

import { longDate } from "./format.js";

export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
export const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const IDS = new RegExp(` \\((?:enrollment|slot|term|class) ${UUID}\\)| by slot ${UUID}`, "g");

/** An API message with its dates (2027-10-11) as the reader writes them and without record ids. */
export function plain(text, date = longDate) {
  return String(text || "").replace(IDS, "").replace(/\b\d{4}-\d{2}-\d{2}\b/g, (d) => date(d));
}

/** A phrase as a sentence: a capital first letter and a full stop. */
export function sentence(text) {
  const t = String(text || "").trim();
  return t ? t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

/** A sentence as the rest of another ("Not saved: registers were …"). */
export function clause(text) {
  const t = sentence(text);
  return /^[A-Z][a-z]/.test(t) ? t.charAt(0).toLowerCase() + t.slice(1) : t;
}

/** The fields of body whose value differs from the record's (a missing one counts as null). */
export function changes(body, record) {
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return Object.fromEntries(Object.entries(body).filter(([k, v]) => !same(v, record[k])));
}

/** A term's weekdays ("monday"…) as the reader reads them: "Monday to Friday", "Monday, Wednesday, Friday". */
export function daysText(days) {
  const idx = WEEKDAYS.map((d, i) => (days.includes(d) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return "—";
  const run = idx.length > 2 && idx[idx.length - 1] - idx[0] === idx.length - 1;
  return run ? `${DAY_NAMES[idx[0]]} to ${DAY_NAMES[idx[idx.length - 1]]}` : idx.map((i) => DAY_NAMES[i]).join(", ");
}

/**
 * What a teacher teaches: for each class (in the order given) the subjects assigned to them there, whether
 * they are its class teacher, and their lessons a week (from their timetable's days[].slots[]); classes where
 * they do neither are left out.
 */
export function teaching(teacherId, classes, assignments, days = []) {
  const lessons = new Map();
  for (const d of days) for (const s of d.slots) lessons.set(`${s.classId}/${s.subjectId}`, (lessons.get(`${s.classId}/${s.subjectId}`) || 0) + 1);
  return classes.map((c) => {
    const mine = (assignments[c.id] || []).filter((a) => a.teacherId === teacherId);
    return {
      classId: c.id,
      className: c.name,
      classTeacher: c.classTeacherId === teacherId,
      subjects: mine.map((a) => ({ subjectId: a.subjectId, name: a.subjectName, lessons: lessons.get(`${c.id}/${a.subjectId}`) || 0 })),
    };
  }).filter((row) => row.classTeacher || row.subjects.length > 0);
}

/** The change that moves a lesson to a weekday (1…7) and period ("08:50-09:35"): only what differs. */
export function move(slot, weekday, period, room) {
  const [startTime, endTime] = period.split("-");
  return changes({ weekday: Number(weekday), startTime, endTime, room: room === "" ? null : room }, slot);
}
