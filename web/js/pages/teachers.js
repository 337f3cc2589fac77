// pages/teachers.js - the office's teachers: the list, active ones first (#/teachers), a teacher with the
// classes and subjects they teach this year (#/teachers/<id>), and for admins adding, editing, deactivating
// and reactivating one (#/teachers/new, #/teachers/<id>/edit: the API's words next to the fields, If-Match).

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, takeFlash } from "../dom.js";
import { fullName, longDate } from "../format.js";
import { byGrade } from "../grid.js";
import { editor, ifMatch, load, searcher } from "../forms.js";
import { teaching } from "../office.js";
import { all } from "./classes.js";

const isAdmin = (ctx) => ctx.me.user.roles.includes("admin");
const STATUS = { active: "Active", inactive: "Inactive" };

function list(ctx) {
  const status = h("select", { id: "status", name: "status" },
    [["active", "Active teachers"], ["inactive", "Inactive teachers"], ["", "All teachers"]].map(([v, t]) => h("option", { value: v }, t)));
  const q = h("input", { id: "q", type: "search", name: "q", autocomplete: "off", maxlength: "100" });
  const results = h("div", { "aria-live": "polite" });
  const run = searcher(ctx, results, () => ({ text: q.value.trim(), state: status.value }),
    ({ text, state }) => get("/api/v1/teachers?limit=100" + (state ? "&status=" + state : "") +
      (text ? "&q=" + encodeURIComponent(text) : "")),
    (page, { text }) => [page.items.length === 0
      ? empty(text ? `No teacher matches “${text}”.` : "No teacher is listed here.",
          isAdmin(ctx) ? "Try another search or state, or add one with “New teacher”." : "Try another search or state.")
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Teachers" },
          h("table", { class: "list teachers" },
            h("thead", {}, h("tr", {}, ["Name", "Employee no.", "State", "Email"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, page.items.map((t) => h("tr", {},
              h("td", {}, h("a", { href: `#/teachers/${t.id}` }, fullName(t))), h("td", {}, t.employeeNo),
              h("td", {}, STATUS[t.status]), h("td", {}, t.email || "—")))))),
      page.nextCursor ? h("p", { class: "hint" }, "The first 100 are shown: narrow the search to find others.") : null]);
  status.addEventListener("change", run);
  fill(ctx.main, heading("Teachers"), takeFlash(),
    isAdmin(ctx) ? h("p", {}, h("a", { class: "button", href: "#/teachers/new" }, "New teacher")) : null,
    h("form", { class: "search", role: "search", onsubmit: run },
      h("div", {}, h("label", { for: "q" }, "Name, email or employee number"), q),
      h("div", {}, h("label", { for: "status" }, "Show"), status),
      h("button", { type: "submit", class: "primary" }, "Search")),
    results);
  return run(new Event("submit"));
}

/** What the teacher teaches in the current year: the classes they teach, each with its subjects. */
async function taught(t) {
  const year = await get("/api/v1/academic-years/current").catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  });
  if (!year) return { year: null, rows: [] };
  const [classes, week] = await Promise.all([all(`/api/v1/classes?academicYearId=${year.id}&teacherId=${t.id}`),
    get(`/api/v1/teachers/${t.id}/timetable?academicYearId=${year.id}`)]);
  const lists = await Promise.all(classes.map((c) => all(`/api/v1/classes/${c.id}/subjects`)));
  const assignments = Object.fromEntries(classes.map((c, i) => [c.id, lists[i]]));
  return { year, rows: teaching(t.id, byGrade(classes), assignments, week.days) };
}

function taughtTable(t, { year, rows }) {
  if (!year) return empty("The school has no current academic year.", "An administrator sets one under School year.");
  if (rows.length === 0) {
    return empty(`${fullName(t)} teaches no class in ${year.name}.`,
      "Subjects and their teachers are assigned per class (POST /api/v1/classes/{id}/subjects).");
  }
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Classes and subjects taught" },
    h("table", { class: "list taught" },
      h("caption", {}, `Classes and subjects in ${year.name}`),
      h("thead", {}, h("tr", {}, ["Class", "Subjects (lessons a week)", "Class teacher"].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/classes/${r.classId}` }, r.className)),
        h("td", {}, r.subjects.length ? r.subjects.map((s) => `${s.name} (${s.lessons})`).join(", ") : "—"),
        h("td", {}, r.classTeacher ? "Yes" : "No"))))));
}

async function one(ctx, id) {
  const path = `/api/v1/teachers/${encodeURIComponent(id)}`;
  const t = await load(ctx, "Teacher", () => get(path));
  if (!t) return;
  const what = await load(ctx, fullName(t), () => taught(t));
  if (!what) return;
  const row = (k, v) => h("div", {}, h("dt", {}, k), h("dd", {}, v || "—"));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  fill(ctx.main, heading(fullName(t)), takeFlash(), status,
    isAdmin(ctx) ? h("p", { class: "buttons" }, h("a", { class: "button", href: `#/teachers/${t.id}/edit` }, "Edit details"),
      stateButton(ctx, t, path, status)) : null,
    h("dl", { class: "facts" }, row("Employee no.", t.employeeNo), row("State", STATUS[t.status]),
      row("Email", t.email), row("Phone", t.phone), row("Hired on", t.hiredOn ? longDate(t.hiredOn) : null),
      row("Account", t.userId ? "linked: they take registers and marks in the app" : "none")),
    h("h2", {}, "Classes and subjects"), taughtTable(t, what),
    h("p", {}, h("a", { href: "#/teachers" }, "Back to the teachers")));
}

/** Deactivate (a teacher who left: kept in the records, out of the lists of active ones) or reactivate. */
function stateButton(ctx, t, path, status) {
  const to = t.status === "active" ? "inactive" : "active";
  const text = to === "inactive" ? "Deactivate" : "Reactivate";
  return h("button", { type: "button", onclick: async () => {
    fill(status, notice("info", "Saving…"));
    try {
      const saved = await call("PATCH", path, { status: to }, ifMatch(t));
      if (!ctx.alive()) return;
      flash(`${fullName(saved)} is ${to === "inactive" ? "deactivated: kept in the records, no longer listed as active" : "active again"}.`);
      one(ctx, t.id);
    } catch (e) {
      if (!ctx.alive()) return;
      fill(status, notice("error", e instanceof ApiError && e.status === 412
        ? "Not saved: someone else changed this teacher meanwhile. Reload the page to see it, then try again."
        : e.detail || String(e)));
    }
  } }, text);
}

function teacherFields() {
  return {
    employeeNo: field("employeeNo", "Employee number", { autocomplete: "off", maxlength: "32" }),
    firstName: field("firstName", "First name", { autocomplete: "off", maxlength: "100" }),
    lastName: field("lastName", "Last name", { autocomplete: "off", maxlength: "100" }),
    email: field("email", "Email (optional)", { type: "email", autocomplete: "off" }),
    phone: field("phone", "Phone (optional)", { type: "tel", autocomplete: "off" }),
    hiredOn: field("hiredOn", "Hired on (optional)", { type: "date" }),
    status: field("status", "State", {}, [["active", "Active"], ["inactive", "Inactive"]]),
  };
}

async function form(ctx, id) {
  const path = id ? `/api/v1/teachers/${encodeURIComponent(id)}` : null;
  const t = id ? await load(ctx, "Edit teacher", () => get(path)) : null;
  if (id && !t) return;
  fill(ctx.main, heading(t ? `Edit ${fullName(t)}` : "New teacher"),
    t ? null : h("p", { class: "hint" }, "Employee number and names are needed; the number is unique in the school."),
    editor(ctx, teacherFields(), {
      record: t, path, create: "/api/v1/teachers", noun: "teacher", optional: ["email", "phone", "hiredOn"],
      submit: t ? "Save changes" : "Add teacher", cancel: t ? `#/teachers/${t.id}` : "#/teachers",
      done(saved) {
        flash(t ? `The changes to ${fullName(saved)} are saved.` : `${fullName(saved)} is added.`);
        location.hash = `#/teachers/${saved.id}`;
      },
    }));
}

export function render(ctx, params) {
  if (params.section === "new" || params.section === "edit") return form(ctx, params.id);
  return params.id ? one(ctx, params.id) : list(ctx);
}
