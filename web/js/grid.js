// grid.js - the office's pure helpers: classes in grade order, a week's periods, a clash said plainly.

/** Classes in grade order, then by name: 2-A before 10-A (a copy; the list is not changed). */
export function byGrade(classes) {
  return [...classes].sort((a, b) => a.gradeLevel - b.gradeLevel || a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** The periods of a week (days[].slots[]): each distinct start and end, by start time. */
export function periods(days) {
  const seen = new Map();
  for (const d of days) for (const s of d.slots) seen.set(`${s.startTime}-${s.endTime}`, { start: s.startTime, end: s.endTime });
  return [...seen.values()].sort((a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end));
}

/** The weekdays a grid shows: Monday to Friday, and Saturday or Sunday when they have lessons. */
export function gridDays(days) {
  return days.filter((d) => d.weekday <= 5 || d.slots.length > 0).map((d) => d.weekday);
}

/** A clash message of the API without the other slot's id: "… booked on Monday 09:00-09:45 (2-A Maths …)". */
export function plainClash(message) {
  return message.replace(/ by slot [0-9a-fA-F-]{36}/g, "");
}
