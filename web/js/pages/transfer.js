// pages/transfer.js - on a student's page, for the office: the enrollment of today moved to another class of
// the year from a date (a transfer: the old place ends the day before, in one step), or ended on a date with a
// reason (withdrawn, graduated, moved away). Both send If-Match: a change someone else saved first is said.

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, notice } from "../dom.js";
import { fullName, longDate, todayIn } from "../format.js";
import { byGrade } from "../grid.js";
import { ifMatch, problem } from "../forms.js";
import { all } from "./classes.js";

/** The student's enrollment today and the other classes of its year; its sections, or null when none. */
export async function moveForms(ctx, s, reload) {
  const today = todayIn(ctx.timeZone);
  let e, classes;
  try {
    const page = await get(`/api/v1/enrollments?studentId=${s.id}&activeOn=${today}&limit=10`);
    e = page.items.find((x) => x.classId === s.currentClass.id);
    if (!e) return null;
    classes = byGrade(await all(`/api/v1/classes?academicYearId=${e.academicYearId}`)).filter((c) => c.id !== e.classId);
  } catch (err) {
    return notice("error", err.detail || String(err));
  }
  if (e.endDate) {
    return h("p", { class: "notice info", role: "status" },
      `${fullName(s)} is in ${e.className} until ${longDate(e.endDate)}${e.endReason ? ` (${e.endReason})` : ""}.`);
  }
  const send = (path, body, verb, f, status, said) => async (ev) => {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    fill(status, notice("info", "Saving…"));
    try {
      const out = await call("POST", `/api/v1/enrollments/${e.id}/${path}`, body(), ifMatch(e));
      if (!ctx.alive()) return;
      flash(said(out));
      reload();
    } catch (err) {
      if (!ctx.alive()) return;
      if (err instanceof ApiError && err.status === 412) {
        return fill(status, h("div", { class: "notice error", role: "alert" },
          h("p", {}, "Not saved: someone else changed this enrollment meanwhile."),
          h("button", { type: "button", onclick: reload }, "Show the student as saved now")));
      }
      problem(err, f, status, verb);
    }
  };
  const reason = (f) => (f.reason.input.value.trim() === "" ? {} : { reason: f.reason.input.value.trim() });

  const t = {
    classId: field("transferClass", "New class", {}, classes.map((c) => [c.id, `${c.name} (${c.enrolledCount}${c.capacity ? " of " + c.capacity : ""} enrolled)`])),
    date: field("transferDate", "First day in the new class", { type: "date", value: today }),
    reason: field("transferReason", "Reason (optional)", { autocomplete: "off", maxlength: "200" }),
  };
  const tStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const transfer = classes.length === 0 ? empty(`The year of ${e.className} has no other class.`, "Create the class first (Classes).")
    : h("form", { class: "record", novalidate: true, onsubmit: send("transfer",
      () => ({ classId: t.classId.input.value, date: t.date.input.value, ...reason(t) }), "transferred", t, tStatus,
      (r) => `${fullName(s)} moves to ${r.current.className} from ${longDate(r.current.startDate)}; the place in ${r.previous.className} ends the day before.`) },
    tStatus, Object.values(t).map((x) => x.row()), h("button", { type: "submit", class: "primary" }, "Transfer"));

  const end = {
    endDate: field("endDate", "Last day in the class", { type: "date", value: today }),
    reason: field("endReason", "Reason", { autocomplete: "off", maxlength: "200", value: "Withdrawn" }),
  };
  const eStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const ending = h("form", { class: "record", novalidate: true, onsubmit: send("end",
    () => ({ endDate: end.endDate.input.value, reason: end.reason.input.value.trim() }), "ended", end, eStatus,
    (r) => `${fullName(s)} leaves ${r.className} after ${longDate(r.endDate)} (${r.endReason}).`) },
  eStatus, h("p", { class: "hint" }, "Withdrawn, graduated, moved to another school: the records stay; the student leaves the class's roster after that day."),
  Object.values(end).map((x) => x.row()), h("button", { type: "submit" }, "End the enrollment"));

  return h("div", {},
    h("section", { "aria-labelledby": "transfer-title" }, h("h2", { id: "transfer-title" }, `Transfer from ${e.className}`), transfer),
    h("section", { "aria-labelledby": "end-title" }, h("h2", { id: "end-title" }, "End the enrollment"), ending));
}
