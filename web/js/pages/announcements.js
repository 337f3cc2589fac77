// pages/announcements.js - what the school announces to the reader (/me/announcements), newest first; the
// unread ones are marked, and reading one is recorded when the reader says so.

import { call, get } from "../api.js";
import { empty, fill, h, heading, notice } from "../dom.js";
import { dateTime } from "../format.js";

function item(ctx, a) {
  const status = h("span", { class: "form-status", "aria-live": "polite" });
  const art = h("article", { class: "card announcement" + (a.read ? "" : " unread"), "aria-labelledby": "a-" + a.id });
  const mark = a.read ? null : h("button", { type: "button", class: "mark-read", onclick: async () => {
    mark.disabled = true;
    try {
      await call("POST", `/api/v1/announcements/${a.id}/read`);
      if (!ctx.alive()) return;
      a.read = true;
      const next = item(ctx, a);
      art.replaceWith(next);
      next.querySelector("h2").focus();
    } catch (e) {
      mark.disabled = false;
      fill(status, notice("error", e.detail || String(e)));
    }
  } }, "Mark as read");
  return fill(art,
    h("h2", { id: "a-" + a.id, tabindex: "-1" }, a.read ? null : h("span", { class: "badge" }, "New"), a.title),
    h("p", { class: "muted" }, `${a.authorName} · ${dateTime(a.publishAt, ctx.timeZone)}`),
    h("p", { class: "body" }, a.body),
    a.attachments.length ? h("p", { class: "muted" }, `${a.attachments.length} attachment(s): ${a.attachments.map((x) => x.filename).join(", ")}`) : null,
    mark, status);
}

export async function render(ctx) {
  fill(ctx.main, heading("Announcements"), h("p", { class: "muted" }, "Loading…"));
  let page;
  try {
    page = await get("/api/v1/me/announcements?limit=50");
  } catch (e) {
    if (ctx.alive()) fill(ctx.main, heading("Announcements"), notice("error", e.detail || String(e)));
    return;
  }
  if (!ctx.alive()) return;
  const unread = page.items.filter((a) => !a.read).length;
  fill(ctx.main, heading("Announcements"),
    page.items.length === 0
      ? empty("Nothing is announced to you now.", "The school's announcements to you, your children's classes and grades appear here.")
      : [h("p", { class: "muted" }, unread ? `${unread} not read yet` : "All read."),
         h("div", { class: "cards announcements" }, page.items.map((a) => item(ctx, a)))]);
}
