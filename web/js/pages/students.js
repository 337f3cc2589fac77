// pages/students.js - the office's student search and a student's profile.

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { fullName, longDate, percent, todayIn } from "../format.js";
import { again, searcher } from "../forms.js";
import { moveForms } from "./transfer.js";
import * as notFound from "./notfound.js";

function search(ctx) {
  const input = h("input", { id: "q", type: "search", name: "q", autocomplete: "off", minlength: "1", maxlength: "100" });
  const results = h("div", { "aria-live": "polite" });
  const run = searcher(ctx, results, () => input.value.trim(),
    (q) => get("/api/v1/students?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "")),
    (page, q) => page.items.length === 0
      ? empty(`No student matches “${q}”.`, "Try part of the name or the admission number.")
      : h("table", { class: "list" },
        h("caption", {}, q ? `Students matching “${q}”` : "Students"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Admission no."), h("th", { scope: "col" }, "Status"))),
        h("tbody", {}, page.items.map((s) => h("tr", {},
          h("td", {}, h("a", { href: `#/students/${s.id}` }, fullName(s))),
          h("td", {}, s.admissionNo), h("td", {}, s.status))))));
  fill(ctx.main, heading("Students"),
    h("p", {}, h("a", { class: "button", href: "#/students/new" }, "Admit a student")),
    h("form", { class: "search", role: "search", onsubmit: run },
      h("label", { for: "q" }, "Name or admission number"), input,
      h("button", { type: "submit", class: "primary" }, "Search")),
    results);
  return run(new Event("submit"));
}

async function profile(ctx, id) {
  let s, att;
  try {
    s = await get(`/api/v1/students/${encodeURIComponent(id)}`);
    att = await get(`/api/v1/students/${encodeURIComponent(id)}/attendance`).catch(() => null);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound.render(ctx);
    return fill(ctx.main, heading("Student"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const row = (k, v) => h("div", {}, h("dt", {}, k), h("dd", {}, v === null || v === undefined || v === "" ? "—" : v));
  const office = ctx.me.user.roles.some((r) => r === "admin" || r === "staff");
  const enroll = !office ? null : s.currentClass ? await moveForms(ctx, s, () => again(ctx, () => render(ctx, { id: s.id })))
    : h("section", { "aria-labelledby": "enroll-title" }, h("h2", { id: "enroll-title" }, "Enroll in a class"), await enrollForm(ctx, s));
  if (!ctx.alive()) return; // another page was opened meanwhile
  fill(ctx.main,
    heading(fullName(s)),
    takeFlash(),
    office ? h("p", {}, h("a", { class: "button", href: `#/students/${s.id}/edit` }, "Edit details")) : null,
    h("dl", { class: "facts" },
      row("Admission no.", s.admissionNo),
      row("Class today", s.currentClass ? s.currentClass.name : "not enrolled"),
      row("Status", s.status),
      row("Date of birth", s.dateOfBirth ? longDate(s.dateOfBirth) : null),
      row("Email", s.email),
      row("Phone", s.phone),
      row("Attendance this term", att ? percent(att.summary.attendanceRate) : null)),
    h("h2", {}, "Guardians"),
    s.guardians.length === 0
      ? empty("No guardian is linked.", office ? "Find the guardian under Guardians (or add them there) and link this student from their page." : null)
      : h("ul", { class: "plain guardians" }, s.guardians.map((g) => h("li", {},
          office ? h("a", { href: `#/guardians/${g.guardian.id}` }, fullName(g.guardian)) : fullName(g.guardian),
          ` (${g.relationship}${g.isPrimary ? ", primary" : ""}${g.canPickUp ? "" : ", may not pick up"})`))),
    office ? h("p", {}, h("a", { href: "#/guardians" }, "Find or add a guardian to link")) : null,
    enroll,
    h("p", {}, h("a", { href: "#/students" }, "Back to the search")));
}

/** The classes of the current year, in grade order (2-A before 10-A). */
async function yearClasses() {
  const year = await get("/api/v1/academic-years/current");
  const page = await get(`/api/v1/classes?academicYearId=${year.id}&limit=500`);
  return page.items.sort((a, b) => a.gradeLevel - b.gradeLevel || a.name.localeCompare(b.name));
}

async function enrollForm(ctx, s) {
  let classes;
  try {
    classes = await yearClasses();
  } catch (e) {
    return notice("error", e.detail || String(e));
  }
  if (classes.length === 0) return empty("The current year has no classes.", "Create the year's classes first.");
  const f = {
    classId: field("classId", "Class", {}, classes.map((c) => [c.id, `${c.name} (${c.enrolledCount}${c.capacity ? " of " + c.capacity : ""} enrolled)`])),
    startDate: field("startDate", "From", { type: "date", value: todayIn(ctx.timeZone) }),
  };
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  async function onsubmit(ev) {
    ev.preventDefault();
    fill(status, notice("info", "Enrolling…"));
    try {
      const en = await call("POST", "/api/v1/enrollments", { studentId: s.id, classId: f.classId.input.value, startDate: f.startDate.input.value });
      if (!ctx.alive()) return;
      flash(`${fullName(s)} is enrolled in ${en.className} from ${longDate(en.startDate)}.`);
      render(ctx, { id: s.id });
    } catch (e) {
      if (ctx.alive()) showProblem(e, f, status);
    }
  }
  return h("form", { class: "record", novalidate: true, onsubmit },
    status, f.classId.row(), f.startDate.row(), h("button", { type: "submit", class: "primary" }, "Enroll"));
}

export function render(ctx, params) {
  return params.id ? profile(ctx, params.id) : search(ctx);
}
