// pages/child.js - one child of a parent (a student's own record): the month's attendance calendar with its
// summary, the class timetable, published grades with report cards, and fees with receipts. A child the
// reader may not see answers as not found (the API's 404), whatever the section.

import { ApiError, download, get } from "../api.js";
import { empty, fill, h, heading, notice } from "../dom.js";
import { fullName, money, percent, shortDate, todayIn } from "../format.js";
import { isMonth, monthOf, monthRange, monthWeeks, shiftMonth } from "../calendar.js";
import * as notFound from "./notfound.js";

const SECTIONS = [["attendance", "Attendance"], ["timetable", "Timetable"], ["grades", "Grades"], ["fees", "Fees"]];
const STATUS = { present: "Present", absent: "Absent", late: "Late", excused: "Excused" };
const WEEKDAYS = [["Mon", "Monday"], ["Tue", "Tuesday"], ["Wed", "Wednesday"], ["Thu", "Thursday"], ["Fri", "Friday"],
  ["Sat", "Saturday"], ["Sun", "Sunday"]];

function tabs(id, current) {
  return h("nav", { class: "tabs", "aria-label": "Sections" },
    SECTIONS.map(([key, label]) =>
      h("a", { href: `#/children/${id}/${key}`, "aria-current": key === current ? "page" : null }, label)));
}

/** A term's or month's attendance in figures (the API's summary). */
export function summary(s) {
  return h("dl", { class: "summary" },
    h("div", {}, h("dt", {}, "Attendance"), h("dd", {}, percent(s.attendanceRate))),
    h("div", {}, h("dt", {}, "Present"), h("dd", {}, s.present)),
    h("div", {}, h("dt", {}, "Late"), h("dd", {}, s.late)),
    h("div", {}, h("dt", {}, "Absent"), h("dd", {}, s.absent)),
    h("div", {}, h("dt", {}, "Excused"), h("dd", {}, s.excused)),
    h("div", {}, h("dt", {}, "School days"), h("dd", {}, s.schoolDays)));
}

function calendar(month, records, schoolDays, today) {
  const byDate = Object.fromEntries(records.map((r) => [r.date, r]));
  const open = new Set(schoolDays);
  const cell = (date) => {
    if (!date) return h("td", { class: "out" });
    const r = byDate[date];
    const what = r ? STATUS[r.status] : open.has(date) ? (date > today ? "" : "Not marked") : "No school";
    return h("td", { class: "day " + (r ? r.status : open.has(date) ? "open" : "closed") + (date === today ? " today" : "") },
      h("span", { class: "n" }, Number(date.slice(8))),
      what ? h("span", { class: "what" }, what) : null,
      r && r.note ? h("span", { class: "note" }, r.note) : null);
  };
  const title = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", month: "long", year: "numeric" })
    .format(new Date(month + "-15T12:00:00Z"));
  return h("table", { class: "calendar" },
    h("caption", {}, title),
    h("thead", {}, h("tr", {}, WEEKDAYS.map(([abbr, day]) => h("th", { scope: "col", abbr: day }, abbr)))),
    h("tbody", {}, monthWeeks(month).map((week) => h("tr", {}, week.map(cell)))));
}

async function attendance(ctx, child, month) {
  const today = todayIn(ctx.timeZone);
  month = month && isMonth(month) ? month : monthOf(today);
  const [from, to] = monthRange(month);
  const [att, days] = await Promise.all([
    get(`/api/v1/students/${child.id}/attendance?from=${from}&to=${to}`),
    get(`/api/v1/calendar/school-days?from=${from}&to=${to}`),
  ]);
  const monthName = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", month: "long" }).format(new Date(month + "-15T12:00:00Z"));
  const link = (n, text) => h("a", { class: "button", href: `#/children/${child.id}/attendance/${shiftMonth(month, n)}` }, text);
  return [
    h("h2", {}, `Attendance in ${monthName}`),
    summary(att.summary),
    h("div", { class: "month-nav" }, link(-1, "Previous month"), link(1, "Next month")),
    calendar(month, att.records, days.days, today),
    att.records.length === 0 ? empty("No day of this month is marked yet.", "Marks appear here once the class register is taken.") : null,
  ];
}

async function timetable(ctx, child) {
  if (!child.currentClass) return [empty("Not in a class today, so there is no timetable.", "Ask the school office which class comes next.")];
  const week = await get(`/api/v1/classes/${child.currentClass.id}/timetable`);
  const days = week.days.filter((d) => d.slots.length > 0);
  return [
    h("h2", {}, `Timetable of ${week.className}`),
    days.length === 0 ? empty("The class has no lessons in its timetable yet.", null)
      : h("div", { class: "week" }, days.map((d) => h("section", { class: "card", "aria-label": WEEKDAYS[d.weekday - 1][1] },
          h("h3", {}, WEEKDAYS[d.weekday - 1][1]),
          h("ol", { class: "plain slots" }, d.slots.map((s) => h("li", {},
            h("strong", {}, `${s.startTime}–${s.endTime}`), ` ${s.subjectName}`,
            s.teacher ? h("span", { class: "muted" }, ` · ${fullName(s.teacher)}`) : null,
            s.room ? h("span", { class: "muted" }, ` · Room ${s.room}`) : null)))))),
  ];
}

function gradeTable(g) {
  return h("table", { class: "list" },
    h("thead", {}, h("tr", {}, ["Subject", "Score", "Grade"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, g.subjects.map((s) => h("tr", {},
      h("th", { scope: "row" }, s.subjectName),
      h("td", {}, s.percentage === null ? "—" : `${s.percentage} %`),
      h("td", {}, s.grade ?? "—", s.descriptor ? h("span", { class: "muted" }, ` ${s.descriptor}`) : null)))));
}

async function grades(ctx, child) {
  const today = todayIn(ctx.timeZone);
  const terms = (await get("/api/v1/terms?limit=50")).items
    .filter((t) => t.startDate <= today).sort((a, b) => b.startDate.localeCompare(a.startDate));
  if (terms.length === 0) return [empty("No term has started yet.", null)];
  const all = await Promise.all(terms.map((t) => get(`/api/v1/students/${child.id}/grades?termId=${t.id}`)));
  return terms.map((t, i) => {
    const g = all[i];
    const status = h("div", { class: "form-status", "aria-live": "polite" });
    const pdf = h("button", { type: "button", class: "report-card", onclick: async () => {
      fill(status, notice("info", "Preparing the report card…"));
      try {
        await download(`/api/v1/students/${child.id}/report-cards/${t.id}/pdf`, `report-card-${child.admissionNo}-${t.name}.pdf`);
        fill(status, notice("ok", "The report card is downloaded."));
      } catch (e) {
        fill(status, notice("error", e.detail || String(e)));
      }
    } }, `Report card of ${t.name} (PDF)`);
    return h("section", { class: "card", "aria-labelledby": "term-" + t.id },
      h("h2", { id: "term-" + t.id }, `${t.name}, ${shortDate(t.startDate)} – ${shortDate(t.endDate)}`),
      !g.published ? empty(`The grades of ${t.name} are not published yet.`, "The school publishes them at the end of the term; they appear here then.")
        : [
            h("p", {}, `Average ${g.averagePercentage === null ? "—" : g.averagePercentage + " %"}`, g.gpa === null ? "" : ` · GPA ${g.gpa}`),
            g.subjects.length ? gradeTable(g) : empty("No subject was graded this term.", null),
            h("p", {}, pdf), status,
          ]);
  });
}

function receipt(child, line, currency, status) {
  return h("button", { type: "button", class: "link receipt", onclick: async () => {
    fill(status, notice("info", "Preparing the receipt…"));
    try {
      await download(`/api/v1/payments/${line.paymentId}/receipt/pdf`, `receipt-${child.admissionNo}-${line.date}.pdf`);
      fill(status, notice("ok", "The receipt is downloaded."));
    } catch (e) {
      fill(status, notice("error", e.detail || String(e)));
    }
  } }, `Receipt ${line.memo || ""} of ${money(-line.amount, currency)}, paid ${shortDate(line.date)} (PDF)`.replace("  ", " "));
}

const INVOICE = { draft: "Draft", issued: "Due", partially_paid: "Partly paid", paid: "Paid", overdue: "Overdue", void: "Void" };

async function fees(ctx, child) {
  const [balance, invoices, statement] = await Promise.all([
    get(`/api/v1/students/${child.id}/balance`),
    get(`/api/v1/invoices?studentId=${child.id}&limit=100`),
    get(`/api/v1/students/${child.id}/statement`),
  ]);
  const cur = balance.currency;
  const payments = statement.lines.filter((l) => l.kind === "payment" && l.paymentId);
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  return [
    h("h2", {}, "Fees"),
    h("dl", { class: "summary fees" },
      h("div", {}, h("dt", {}, "Owed"), h("dd", {}, money(balance.owed, cur))),
      h("div", {}, h("dt", {}, "Credit"), h("dd", {}, money(balance.credit, cur))),
      h("div", {}, h("dt", {}, "Balance"), h("dd", {}, money(balance.balance, cur)))),
    h("h3", {}, "Invoices"),
    invoices.items.length === 0 ? empty("No invoice yet.", "Invoices appear here when the school issues them.")
      : h("table", { class: "list invoices" },
          h("thead", {}, h("tr", {}, ["Due", "Total", "Balance", "Status"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, invoices.items.filter((i) => i.status !== "draft").map((i) => h("tr", { class: i.status },
            h("td", {}, shortDate(i.dueDate)), h("td", {}, money(i.total, i.currency)),
            h("td", {}, money(i.balance, i.currency)), h("td", {}, INVOICE[i.status]))))),
    h("h3", {}, "Payments"),
    payments.length === 0 ? empty("No payment recorded yet.", null)
      : h("ul", { class: "plain payments" }, payments.map((l) => h("li", {}, receipt(child, l, cur, status)))),
    status,
  ];
}

const RENDER = { attendance, timetable, grades, fees };

export async function render(ctx, { id, section = "attendance", month }) {
  if (!RENDER[section]) return notFound.render(ctx);
  let child, body;
  try {
    child = await get(`/api/v1/students/${encodeURIComponent(id)}`);
    if (!ctx.alive()) return;
    fill(ctx.main, heading(fullName(child)), tabs(child.id, section), h("p", { class: "muted" }, "Loading…"));
    body = await RENDER[section](ctx, child, month);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400 || e.status === 403)) return notFound.render(ctx);
    return fill(ctx.main, heading(child ? fullName(child) : "Child"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const back = ctx.me.user.roles.includes("parent") ? h("p", {}, h("a", { href: "#/children" }, "All my children")) : null;
  fill(ctx.main,
    heading(fullName(child)),
    h("p", { class: "muted" }, child.currentClass ? `Class ${child.currentClass.name} · admission no. ${child.admissionNo}` : "Not in a class today"),
    tabs(child.id, section),
    body,
    back);
}
