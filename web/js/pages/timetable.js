// pages/timetable.js - a class's week as a grid, days across and periods down (#/classes/<id>/timetable),
// and for admins a lesson added to it, or one moved to another day or period or deleted: a teacher, room or
// class booked elsewhere at that time is refused by the API (409), and the page says plainly which lesson is
// in the way, next to the field concerned. A move or a deletion sends If-Match (the lesson as shown).

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, takeFlash } from "../dom.js";
import { fullName } from "../format.js";
import { gridDays, periods, plainClash } from "../grid.js";
import { again, confirming, ifMatch } from "../forms.js";
import { move } from "../office.js";
import { all } from "./classes.js";
import * as notFound from "./notfound.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

function grid(week, change) {
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
          s.room ? h("span", { class: "muted" }, `Room ${s.room}`) : null,
          change ? h("button", { type: "button", class: "link change", onclick: () => change(s),
            "aria-label": `Move or delete ${s.subjectName} on ${DAYS[s.weekday - 1]} ${s.startTime}–${s.endTime}` }, "Move or delete") : null)))))))));
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
function problem(e, f, status, verb = "added", advice = "Choose another time, teacher or room.") {
  const said = [];
  let first = null;
  for (const [name, x] of Object.entries(f)) {
    const m = e instanceof ApiError ? e.field(name) : undefined;
    x.show(!m ? "" : e.status === 409 ? `${upper(plainClash(m))}.` : `${x.label} ${m}.`);
    if (m) said.push(plainClash(m));
    if (m && !first && name !== "classId") first = x.input;
  }
  const text = e instanceof ApiError && e.status === 409
    ? `Not ${verb}: ${said.length ? said.join("; ") : plainClash(e.detail)}. ${advice}`
    : said.length ? "Please correct the fields marked below." : e.detail || String(e);
  fill(status, notice("error", text));
  if (first) first.focus();
}

/** The form moving a lesson to another day, period or room, or deleting it, shown in section (focused). */
function moveForm(ctx, week, slot, section) {
  const when = `${DAYS[slot.weekday - 1]} ${slot.startTime}–${slot.endTime}`;
  const options = periods(week.days).map((p) => [`${p.start}-${p.end}`, `${p.start}–${p.end}`]);
  const f = {
    weekday: field("to-weekday", "Day", {}, DAYS.map((d, i) => [String(i + 1), d])),
    startTime: field("to-period", "Period", {}, options),
    room: field("to-room", "Room (optional)", { autocomplete: "off", maxlength: "50" }),
  };
  f.weekday.input.value = String(slot.weekday);
  f.startTime.input.value = `${slot.startTime}-${slot.endTime}`;
  f.room.input.value = slot.room || "";
  const shown = { ...f, teacherId: { label: "Teacher", input: f.weekday.input, show() {} }, classId: { label: "Class", input: f.weekday.input, show() {} } };
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const done = (text) => {
    flash(text);
    again(ctx, () => render(ctx, { id: week.classId }));
  };
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    const body = move(slot, f.weekday.input.value, f.startTime.input.value, f.room.input.value.trim());
    if (Object.keys(body).length === 0) return fill(status, notice("info", "Nothing has changed: choose another day, period or room."));
    fill(status, notice("info", "Moving…"));
    try {
      const s = await call("PATCH", `/api/v1/timetable-slots/${slot.id}`, body, ifMatch(slot));
      if (ctx.alive()) done(`${s.subjectName} is moved to ${DAYS[s.weekday - 1]} ${s.startTime}–${s.endTime}.`);
    } catch (e) {
      if (ctx.alive()) changed(e, status) || problem(e, shown, status, "moved", "Choose another day or period.");
    }
  }
  /** A lesson changed or deleted by someone else meanwhile: said, and the grid as saved offered. */
  function changed(e, where) {
    if (!(e instanceof ApiError) || (e.status !== 412 && e.status !== 404)) return false;
    fill(where, h("div", { class: "notice error", role: "alert" },
      h("p", {}, "Someone else changed or deleted this lesson meanwhile; nothing was done."),
      h("button", { type: "button", onclick: () => render(ctx, { id: week.classId }) }, "Show the timetable as saved")));
    return true;
  }
  const remove = confirming("Delete lesson", `Delete ${slot.subjectName} on ${when}?`, "Yes, delete", async () => {
    try {
      await call("DELETE", `/api/v1/timetable-slots/${slot.id}`, undefined, ifMatch(slot));
      if (ctx.alive()) done(`${slot.subjectName} on ${when} is deleted.`);
    } catch (e) {
      if (ctx.alive() && !changed(e, status)) fill(status, notice("error", e.detail || String(e)));
    }
  });
  const title = h("h2", { id: "move-title", tabindex: "-1" }, `Move or delete ${slot.subjectName}, ${when}`);
  fill(section, title,
    h("p", { class: "hint" }, `${slot.teacher ? fullName(slot.teacher) : ""}${slot.room ? ", room " + slot.room : ""}. Pick its new day and period; the teacher, the room and the class must be free then.`),
    h("form", { class: "record", novalidate: true, onsubmit }, status, Object.values(f).map((x) => x.row()),
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Move lesson"), remove,
        h("button", { type: "button", class: "link", onclick: () => {
          section.hidden = true;
          const back = document.querySelector(`[data-slot="${slot.id}"] button`);
          if (back) back.focus();
        } }, "Cancel"))));
  section.hidden = false;
  title.focus();
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
  const mover = h("section", { class: "move", "aria-labelledby": "move-title", hidden: true });
  fill(ctx.main, heading(`Timetable of ${week.className}`), takeFlash(),
    grid(week, admin ? (slot) => moveForm(ctx, week, slot, mover) : null), mover,
    admin ? h("section", { "aria-labelledby": "add-title" }, h("h2", { id: "add-title" }, "Add a lesson"),
      subjects.length === 0 ? empty("The class has no subjects assigned.", "Assign its subjects and teachers first (POST /api/v1/classes/{id}/subjects).")
        : lessonForm(ctx, week, subjects, teachers)) : null,
    h("p", {}, h("a", { href: `#/classes/${week.classId}` }, `Back to class ${week.className}`)));
}
