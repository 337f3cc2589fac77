// pages/register.js - a class's register of one day: everyone present by default, a tap changes a mark, one
// save sends them all. What is not saved yet is shown and kept on this device (drafts.js).

import { ApiError, call, get } from "../api.js";
import { fill, h, heading, notice } from "../dom.js";
import { clock, fullName, longDate, shortDate } from "../format.js";
import { draftOf, loadDraft, merge, nextStatus, saveDraft } from "../drafts.js";
import * as notFound from "./notfound.js";

const LABEL = { present: "Present", absent: "Absent", late: "Late", excused: "Excused" };
let shown = null; // the register on screen: {className, date, rows, alive}

/** "5-B, 12 Oct" when the register on screen has unsaved marks, else "". */
export function unsavedSummary() {
  return shown && shown.rows.some((r) => r.unsaved) ? `${shown.className}, ${shortDate(shown.date)}` : "";
}

export async function render(ctx, { classId, date }) {
  const userId = ctx.me.user.id;
  let sheet;
  try {
    sheet = await get(`/api/v1/classes/${encodeURIComponent(classId)}/attendance/${encodeURIComponent(date)}`);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 422 || e.status === 400)) return notFound.render(ctx, e.detail);
    return fill(ctx.main, heading("Register"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const draft = loadDraft(userId, classId, date);
  const restored = draft && Object.keys(draft).length > 0;
  const state = { className: sheet.className, date, rows: merge(sheet.items, draft), ctx };
  shown = state;

  const counter = h("p", { class: "counter", role: "status", "aria-live": "polite" });
  const status = h("div", { class: "form-status" });
  const save = h("button", { type: "button", class: "primary save", disabled: !sheet.schoolDay }, "Save register");
  const list = h("ul", { class: "register", "aria-label": `Students of ${sheet.className}` });

  function update() {
    const n = state.rows.filter((r) => r.unsaved).length;
    counter.textContent = n === 0 ? "Everything is saved." : `${n} not saved yet`;
    counter.className = "counter" + (n ? " dirty" : "");
    saveDraft(userId, classId, date, draftOf(state.rows));
  }

  function row(r) {
    const li = h("li", { class: "row" + (r.unsaved ? " unsaved" : "") });
    const button = h("button", { type: "button", class: `mark ${r.shown}`, "data-student": r.studentId },
      h("span", { class: "name" }, fullName(r)),
      h("span", { class: "status" }, LABEL[r.shown]),
      r.unsaved ? h("span", { class: "flag" }, "not saved") : null);
    button.addEventListener("click", () => {
      r.shown = nextStatus(r.shown);
      r.unsaved = r.shown !== r.saved;
      li.replaceWith(row(r));
      list.querySelector(`[data-student="${r.studentId}"]`).focus();
      update();
    });
    li.append(button);
    return li;
  }

  save.addEventListener("click", async () => {
    save.disabled = true;
    fill(status, notice("info", "Saving…"));
    const marks = state.rows.map((r) => ({ studentId: r.studentId, status: r.shown }));
    try {
      const after = await call("PUT", `/api/v1/classes/${encodeURIComponent(classId)}/attendance/${encodeURIComponent(date)}`, { marks });
      if (!ctx.alive()) return;
      state.rows = merge(after.items, null);
      fill(list, state.rows.map(row));
      update();
      fill(status, notice("ok", `Saved at ${clock(new Date(), ctx.timeZone)}.`));
    } catch (e) {
      if (!ctx.alive()) return; // the session ended: the sign-in page says the marks are kept
      fill(status, notice("error", `Not saved: ${e.detail || e}. Your marks are kept on this device; try again.`));
    }
    save.disabled = !sheet.schoolDay;
  });

  fill(
    ctx.main,
    heading(`Register of ${sheet.className}`),
    h("p", { class: "muted" }, longDate(date)),
    sheet.schoolDay ? null : notice("info", "This is not a school day: there is nothing to mark."),
    restored ? notice("info", "Your unsaved marks from before are back; save them when they are right.") : null,
    h("p", { class: "hint" }, "Everyone starts as present. Tap a student to change: present, absent, late, excused."),
    list,
    h("div", { class: "actions" }, counter, save, status),
  );
  fill(list, state.rows.map(row));
  update();
}
