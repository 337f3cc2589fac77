// pages/classes.js - the office's classes and subjects: the current year's classes in grade order (2-A before
// 10-A) and the school's subjects (#/classes), a class with its roster (#/classes/<id>), and creating or
// editing a class (#/classes/new, #/classes/<id>/edit: the API's words next to the fields, If-Match on edit).

import { ApiError, call, etagOf, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { fullName } from "../format.js";
import { byGrade } from "../grid.js";
import * as notFound from "./notfound.js";

const isAdmin = (ctx) => ctx.me.user.roles.includes("admin");

/** Every item of a listing, page after page (the API gives at most 500 a page). */
export async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path + (path.includes("?") ? "&" : "?") + "limit=500" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function list(ctx) {
  let year, classes, subjects, teachers;
  try {
    year = await get("/api/v1/academic-years/current");
    [classes, subjects, teachers] = await Promise.all([
      all(`/api/v1/classes?academicYearId=${year.id}`), all("/api/v1/subjects"), all("/api/v1/teachers")]);
  } catch (e) {
    if (ctx.alive()) fill(ctx.main, heading("Classes and subjects"), notice("error", e.detail || String(e)));
    return;
  }
  if (!ctx.alive()) return;
  const names = new Map(teachers.map((t) => [t.id, fullName(t)]));
  fill(ctx.main, heading("Classes and subjects"), takeFlash(),
    isAdmin(ctx) ? h("p", {}, h("a", { class: "button", href: "#/classes/new" }, "New class")) : null,
    classes.length === 0
      ? empty(`The year ${year.name} has no classes yet.`, isAdmin(ctx) ? "Create the first with “New class”." : "Ask an administrator to create them.")
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Classes" },
          h("table", { class: "list" },
            h("caption", {}, `Classes of ${year.name}`),
            h("thead", {}, h("tr", {}, ["Class", "Grade", "Class teacher", "Enrolled", "Room"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, byGrade(classes).map((c) => h("tr", {},
              h("th", { scope: "row" }, h("a", { href: `#/classes/${c.id}` }, c.name)),
              h("td", {}, c.gradeLevel),
              h("td", {}, c.classTeacherId ? names.get(c.classTeacherId) || "—" : "—"),
              h("td", {}, c.capacity ? `${c.enrolledCount} of ${c.capacity}` : c.enrolledCount),
              h("td", {}, c.room || "—")))))),
    h("h2", {}, "Subjects"),
    isAdmin(ctx) ? h("p", {}, h("a", { class: "button", href: "#/subjects/new" }, "New subject")) : null,
    subjects.length === 0
      ? empty("The school has no subjects yet.", isAdmin(ctx) ? "Create the first with “New subject”." : "Ask an administrator to create them.")
      : h("table", { class: "list subjects" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Code"), h("th", { scope: "col" }, "Subject"),
            isAdmin(ctx) ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")) : null)),
          h("tbody", {}, subjects.sort((a, b) => a.name.localeCompare(b.name)).map((s) =>
            h("tr", {}, h("td", {}, s.code), h("td", {}, s.name),
              isAdmin(ctx) ? h("td", {}, h("a", { href: `#/subjects/${s.id}/edit`, "aria-label": `Edit ${s.name}` }, "Edit")) : null)))));
}

async function one(ctx, id) {
  const path = `/api/v1/classes/${encodeURIComponent(id)}`;
  let c, roster, subjects;
  try {
    [c, roster, subjects] = await Promise.all([get(path), all(path + "/students"), all(path + "/subjects")]);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound.render(ctx);
    return fill(ctx.main, heading("Class"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  fill(ctx.main, heading(`Class ${c.name}`), takeFlash(),
    h("p", { class: "buttons" },
      h("a", { class: "button", href: `#/classes/${c.id}/timetable` }, "Timetable"),
      isAdmin(ctx) ? h("a", { class: "button", href: `#/classes/${c.id}/edit` }, "Edit class") : null),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Grade and section"), h("dd", {}, `${c.gradeLevel} ${c.section}`)),
      h("div", {}, h("dt", {}, "Enrolled today"), h("dd", {}, c.capacity ? `${c.enrolledCount} of ${c.capacity}` : String(c.enrolledCount))),
      h("div", {}, h("dt", {}, "Room"), h("dd", {}, c.room || "—")),
      h("div", {}, h("dt", {}, "Subjects"), h("dd", {}, subjects.length ? subjects.map((s) => s.subjectName).join(", ") : "—"))),
    h("h2", {}, "Roster"),
    roster.length === 0 ? empty("No student is enrolled in this class today.", "Enroll students from their profile (Students).")
      : h("table", { class: "list roster" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Admission no."))),
          h("tbody", {}, roster.map((s) => h("tr", {},
            h("td", {}, h("a", { href: `#/students/${s.studentId}` }, fullName(s))), h("td", {}, s.admissionNo))))),
    h("p", {}, h("a", { href: "#/classes" }, "All classes")));
}

const NULLABLE = ["name", "classTeacherId", "room", "capacity"];

function classFields(teachers) {
  return {
    gradeLevel: field("gradeLevel", "Grade", { type: "number", inputmode: "numeric", min: "0", max: "13" }),
    section: field("section", "Section", { autocomplete: "off", maxlength: "10" }),
    name: field("name", "Name (optional: grade-section)", { autocomplete: "off", maxlength: "100" }),
    classTeacherId: field("classTeacherId", "Class teacher (optional)", {},
      [["", "None"], ...teachers.map((t) => [t.id, fullName(t)])]),
    room: field("room", "Room (optional)", { autocomplete: "off", maxlength: "50" }),
    capacity: field("capacity", "Capacity (optional)", { type: "number", inputmode: "numeric", min: "1" }),
  };
}

/** The form's values as the API takes them: numbers as numbers (what is not a number goes as typed, for the API to say). */
function classValues(f) {
  const out = {};
  for (const [k, x] of Object.entries(f)) {
    const v = x.input.value.trim();
    if (v === "" && NULLABLE.includes(k)) out[k] = null;
    else if ((k === "gradeLevel" || k === "capacity") && /^-?\d+$/.test(v)) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

async function form(ctx, id) {
  const path = id ? `/api/v1/classes/${encodeURIComponent(id)}` : null;
  let c = null, teachers, year;
  try {
    [teachers, c, year] = await Promise.all([all("/api/v1/teachers"), id ? get(path) : null,
      id ? null : get("/api/v1/academic-years/current")]);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound.render(ctx);
    return fill(ctx.main, heading("Class"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const f = classFields(teachers);
  if (c) for (const [k, x] of Object.entries(f)) x.input.value = c[k] ?? "";
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, c ? "Save changes" : "Create class");
  async function onsubmit(ev) {
    ev.preventDefault();
    const body = classValues(f);
    let changed = body;
    if (c) {
      changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => v !== (c[k] ?? null)));
      if (Object.keys(changed).length === 0) return fill(status, notice("info", "Nothing has changed."));
    } else {
      for (const k of NULLABLE) if (body[k] === null) delete body[k];
      body.academicYearId = year.id;
    }
    submit.disabled = true;
    fill(status, notice("info", "Saving…"));
    try {
      const saved = c ? await call("PATCH", path, changed, { headers: { "if-match": etagOf(c) || `"${c.version}"` } })
        : await call("POST", "/api/v1/classes", body);
      if (!ctx.alive()) return;
      flash(c ? `The changes to class ${saved.name} are saved.` : `Class ${saved.name} is created.`);
      location.hash = `#/classes/${saved.id}`;
    } catch (e) {
      submit.disabled = false;
      if (!ctx.alive()) return;
      if (e instanceof ApiError && e.status === 412) {
        return fill(status, notice("error", "Not saved: someone else changed this class meanwhile. Reload the page to see it, then make your changes again."));
      }
      showProblem(e, f, status);
    }
  }
  fill(ctx.main, heading(c ? `Edit class ${c.name}` : "New class"),
    c ? null : h("p", { class: "hint" }, `A class of ${year.name}. Grade and section are needed; each pair once a year.`),
    h("form", { class: "record", novalidate: true, onsubmit }, status,
      Object.values(f).map((x) => x.row()),
      h("div", { class: "buttons" }, submit, h("a", { href: c ? `#/classes/${c.id}` : "#/classes" }, "Cancel"))));
}

export function render(ctx, params) {
  if (params.section === "edit" || params.section === "new") return form(ctx, params.id);
  return params.id ? one(ctx, params.id) : list(ctx);
}
