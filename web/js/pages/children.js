// pages/children.js - a parent's children (a student's own record): each with their attendance this term; a
// child's own pages are pages/child.js.

import { get } from "../api.js";
import { empty, fill, h, heading, notice } from "../dom.js";
import { fullName } from "../format.js";
import { summary } from "./child.js";

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

export function render(ctx) {
  return list(ctx).catch((e) => {
    if (ctx.alive()) fill(ctx.main, heading("My children"), notice("error", e.detail || String(e)));
  });
}
