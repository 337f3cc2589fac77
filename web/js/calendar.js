// calendar.js - months as the attendance calendar shows them: weeks from Monday, days as YYYY-MM-DD.

const pad = (n) => String(n).padStart(2, "0");

/** The month (YYYY-MM) of a date (YYYY-MM-DD). */
export function monthOf(date) {
  return date.slice(0, 7);
}

/** The month n months after month (n may be negative). */
export function shiftMonth(month, n) {
  const [y, m] = month.split("-").map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${pad((i % 12) + 1)}`;
}

/** The first and last day of a month: [YYYY-MM-01, YYYY-MM-28…31]. */
export function monthRange(month) {
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${pad(last)}`];
}

/** The month's weeks, Monday to Sunday: each a list of 7 dates (YYYY-MM-DD), null outside the month. */
export function monthWeeks(month) {
  const [first, last] = monthRange(month);
  const lead = (new Date(first + "T12:00:00Z").getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const days = Array(lead).fill(null);
  for (let d = 1; d <= Number(last.slice(8)); d++) days.push(`${month}-${pad(d)}`);
  while (days.length % 7) days.push(null);
  const weeks = [];
  for (let i = 0; i < days.length; i += 7) weeks.push(days.slice(i, i + 7));
  return weeks;
}

/** Whether month (YYYY-MM) is a month: "2027-10" yes, "2027-13" or "x" no. */
export function isMonth(month) {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
}
