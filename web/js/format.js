// format.js - dates, times and numbers in the school's time zone and the reader's language.

const LOCALE = (globalThis.navigator && navigator.language) || "en";

/** The date (YYYY-MM-DD) it is now in a time zone. */
export function todayIn(timeZone, now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now);
  const get = (t) => parts.find((p) => p.type === t).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** ISO weekday of a date (YYYY-MM-DD): 1 Monday … 7 Sunday. */
export function weekday(date) {
  const d = new Date(date + "T12:00:00Z").getUTCDay();
  return d === 0 ? 7 : d;
}

/** "Tuesday, 12 October 2027" (in the reader's language) for a date (YYYY-MM-DD). */
export function longDate(date) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric" })
    .format(new Date(date + "T12:00:00Z"));
}

/** "12 Oct" for a date (YYYY-MM-DD). */
export function shortDate(date) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", day: "numeric", month: "short" })
    .format(new Date(date + "T12:00:00Z"));
}

/** The time of day an instant is in a time zone ("10:42"). */
export function clock(instant, timeZone) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone, hour: "2-digit", minute: "2-digit" }).format(instant);
}

/** "93 %" for a rate between 0 and 1; "—" for null (nothing marked). */
export function percent(rate) {
  return rate === null || rate === undefined
    ? "—"
    : new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}

/** A person's name as the school lists it. */
export function fullName(p) {
  return `${p.firstName} ${p.lastName}`;
}

/** An amount in minor units (cents) of a currency ("USD") as the reader writes money: "$1,250.00". */
export function money(minor, currency) {
  const f = new Intl.NumberFormat(LOCALE, { style: "currency", currency });
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(minor / 10 ** digits);
}

/** "12 October 2027, 10:42" for an instant, in a time zone. */
export function dateTime(instant, timeZone) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone, day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" })
    .format(new Date(instant));
}
