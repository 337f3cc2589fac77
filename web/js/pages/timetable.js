// pages/timetable.js - a class's week as a grid, days across and periods down (#/classes/<id>/timetable),
// and for admins a lesson added to it: a teacher, room or class booked elsewhere at that time is refused
// by the API (409), and the page says plainly which lesson is in the way, next to the field concerned.

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, takeFlash } from "../dom.js";
import { fullName } from "../format.js";
import { gridDays, periods, plainClash } from "../grid.js";
import { all } from "./classes.js";
import * as notFound from "./notfound.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

function grid(week) {
  const shown = gridDays(week.days);
  const rows = periods(week.days);
  if (rows.length === 0) return empty("The class has no lessons in its timetable yet.", "Add the first lesson below.");
  const at = (weekday, p) => week.days[weekday - 1].slots.filter((s) => s.startTime === p.start && s.endTime === p.end);
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": `Timetable of ${week.className}` },
    h("table", { class: "grid" },
      h("caption", {}, `Week of ${week.className}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Period"), shown.map((d) => h("th", { scope: "col" }, DAYS[d - 1])))),
      h("tbody", {}, rows.map((p) => h("tr", {},
        h("th", { scope: "row" }, `${p.start}–${p.end}`),
        shown.map((d) => h("td", {}, at(d, p).map((s) => h("div", { class: "lesson", "data-slot": s.id },
          h("strong", {}, s.subjectName),
          s.teacher ? h("span", {}, fullName(s.teacher)) : null,
          s.room ? h("span", { class: "muted" }, `Room ${s.room}`) : null)))))))));
}

function lessonForm(ctx, week, subjects, teachers) {
  const f = {
    subjectId: field("subjectId", "Subject", {}, subjects.map((a) => [a.subjectId, a.subjectName])),
    teacherId: field("teacherId", "Teacher", {}, teachers.map((t) => [t.id, fullName(t)])),
    weekday: field("weekday", "Day", {}, DAYS.map((d, i) => [String(i + 1), d])),
    startTime: field("startTime", "Starts", { type: "time", value: "08:00" }),
    endTime: field("endTime", "Ends", { type: "time", value: "08:45" }),
    room: field("room", "Room (optional)", { autocomplete: "off", maxlength: "50" }),
  };
  f.classId = { label: "Class", input: f.subjectId.input, show() {} }; // a clash of the class itself is said above
  const teacherOf = (subjectId) => (subjects.find((a) => a.subjectId === subjectId) || {}).teacherId;
  f.subjectId.input.addEventListener("change", () => {
    const t = teacherOf(f.subjectId.input.value);
    if (t) f.teacherId.input.value = t;
  });
  if (subjects.length) f.teacherId.input.value = teacherOf(subjects[0].subjectId) || f.teacherId.input.value;
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Add lesson");
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    const room = f.room.input.value.trim();
    const body = { classId: week.classId, subjectId: f.subjectId.input.value, teacherId: f.teacherId.input.value,
      weekday: Number(f.weekday.input.value), startTime: f.startTime.input.value, endTime: f.endTime.input.value,
      room: room === "" ? null : room };
    submit.disabled = true;
    fill(status, notice("info", "Adding…"));
    try {
      const s = await call("POST", "/api/v1/timetable-slots", body);
      if (!ctx.alive()) return;
      flash(`${s.subjectName} on ${DAYS[s.weekday - 1]} ${s.startTime}–${s.endTime} is added.`);
      render(ctx, { id: week.classId });
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) problem(e, f, status);
    }
  }
  return h("form", { class: "record", novalidate: true, onsubmit }, status,
    [f.subjectId, f.teacherId, f.weekday, f.startTime, f.endTime, f.room].map((x) => x.row()),
    h("div", { class: "buttons" }, submit));
}

const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** A refused lesson: each field's message next to it; a clash said in full above the form. */
function problem(e, f, status) {
  const said = [];
  let first = null;
  for (const [name, x] of Object.entries(f)) {
    const m = e instanceof ApiError ? e.field(name) : undefined;
    x.show(!m ? "" : e.status === 409 ? `${upper(plainClash(m))}.` : `${x.label} ${m}.`);
    if (m) said.push(plainClash(m));
    if (m && !first && name !== "classId") first = x.input;
  }
  const text = e instanceof ApiError && e.status === 409
    ? `Not added: ${said.length ? said.join("; ") : e.detail}. Choose another time, teacher or room.`
    : said.length ? "Please correct the fields marked below." : e.detail || String(e);
  fill(status, notice("error", text));
  if (first) first.focus();
}

export async function render(ctx, params) {
  const path = `/api/v1/classes/${encodeURIComponent(params.id)}`;
  const admin = ctx.me.user.roles.includes("admin");
  let week, subjects, teachers;
  try {
    [week, subjects, teachers] = await Promise.all([get(path + "/timetable"), admin ? all(path + "/subjects") : [],
      admin ? all("/api/v1/teachers") : []]);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound.render(ctx);
    return fill(ctx.main, heading("Timetable"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  fill(ctx.main, heading(`Timetable of ${week.className}`), takeFlash(), grid(week),
    admin ? h("section", { "aria-labelledby": "add-title" }, h("h2", { id: "add-title" }, "Add a lesson"),
      subjects.length === 0 ? empty("The class has no subjects assigned.", "Assign its subjects and teachers first (POST /api/v1/classes/{id}/subjects).")
        : lessonForm(ctx, week, subjects, teachers)) : null,
    h("p", {}, h("a", { href: `#/classes/${week.classId}` }, `Back to class ${week.className}`)));
}
