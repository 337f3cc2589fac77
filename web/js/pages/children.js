// pages/children.js - a parent's children (a student's own record): each with their attendance this term.

import { ApiError, get } from "../api.js";
import { empty, fill, h, heading, notice } from "../dom.js";
import { fullName, longDate, percent, shortDate } from "../format.js";
import * as notFound from "./notfound.js";

function summary(s) {
  return h("dl", { class: "summary" },
    h("div", {}, h("dt", {}, "Attendance"), h("dd", {}, percent(s.attendanceRate))),
    h("div", {}, h("dt", {}, "Present"), h("dd", {}, s.present)),
    h("div", {}, h("dt", {}, "Late"), h("dd", {}, s.late)),
    h("div", {}, h("dt", {}, "Absent"), h("dd", {}, s.absent)),
    h("div", {}, h("dt", {}, "Excused"), h("dd", {}, s.excused)),
    h("div", {}, h("dt", {}, "School days"), h("dd", {}, s.schoolDays)));
}

async function list(ctx) {
  const title = ctx.me.user.roles.includes("parent") ? "My children" : "My record";
  fill(ctx.main, heading(title), h("p", { class: "muted" }, "Loading…"));
  const page = await get("/api/v1/me/students?limit=50");
  const attendance = await Promise.all(
    page.items.map((c) => get(`/api/v1/students/${c.id}/attendance`).catch(() => null)));
  if (!ctx.alive()) return;
  fill(ctx.main, heading(title),
    page.items.length === 0
      ? empty("No children are linked to your account.", "Ask the school office to link your account to your children.")
      : h("ul", { class: "cards" }, page.items.map((c, i) =>
          h("li", { class: "card" },
            h("h2", {}, h("a", { href: `#/children/${c.id}` }, fullName(c))),
            h("p", { class: "muted" }, `Admission no. ${c.admissionNo}`),
            attendance[i] ? summary(attendance[i].summary) : notice("info", "Attendance is not available yet.")))));
}

async function one(ctx, id) {
  let child, att;
  try {
    child = await get(`/api/v1/students/${encodeURIComponent(id)}`);
    att = await get(`/api/v1/students/${encodeURIComponent(id)}/attendance`);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400 || e.status === 403)) return notFound.render(ctx);
    return fill(ctx.main, heading("Child"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const absences = att.records.filter((r) => r.status !== "present");
  fill(ctx.main,
    heading(fullName(child)),
    h("p", { class: "muted" }, child.currentClass ? `Class ${child.currentClass.name}` : "Not in a class today"),
    h("h2", {}, `Attendance, ${shortDate(att.from)} – ${shortDate(att.to)}`),
    summary(att.summary),
    h("h2", {}, "Days not present"),
    absences.length === 0
      ? empty("Present on every marked day.", null)
      : h("ul", { class: "plain" }, absences.map((r) => h("li", {}, `${longDate(r.date)}: ${r.status}${r.note ? " — " + r.note : ""}`))),
    h("p", {}, h("a", { href: "#/children" }, "Back")));
}

export function render(ctx, params) {
  return (params.id ? one(ctx, params.id) : list(ctx)).catch((e) => {
    if (ctx.alive()) fill(ctx.main, heading("My children"), notice("error", e.detail || String(e)));
  });
}
