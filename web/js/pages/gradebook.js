// pages/gradebook.js - a teacher's gradebook: their classes and subjects (#/gradebook), a class's assessments
// of the term with each student's standing (#/gradebook/<class>/<subject>), and the marks entry of one
// assessment (#/marks/<assessment>): each cell checked as it is typed, what is not saved shown, one save.

import { ApiError, call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { clock, fullName, longDate, shortDate, todayIn } from "../format.js";
import { loadDraft, saveDraft } from "../drafts.js";
import { STATUSES, cellOf, changed, readCell, rowOfError } from "../marks.js";
import { myTeacher } from "./today.js";
import * as notFound from "./notfound.js";

const STATUS_LABEL = { mark: "Mark", absent: "Absent", excused: "Excused", exempt: "Exempt" };
let shown = null; // the marks entry on screen, for unsavedSummary

/** "Test 1 of 5-B" when the marks entry on screen has unsaved cells, else "". */
export function unsavedSummary() {
  return shown && shown.alive() && shown.dirty() ? shown.name : "";
}

async function currentTerm(ctx) {
  const today = todayIn(ctx.timeZone);
  const terms = (await get("/api/v1/terms?limit=50")).items;
  return terms.find((t) => t.startDate <= today && today <= t.endDate) || null;
}

async function classes(ctx) {
  const teacher = await myTeacher(ctx.me);
  if (!ctx.alive()) return;
  if (!teacher) return fill(ctx.main, heading("Gradebook"), empty("Your account is not linked to a teacher record.", "Ask the school office to link it."));
  const week = await get(`/api/v1/teachers/${teacher.id}/timetable`);
  const pairs = new Map();
  for (const d of week.days) for (const s of d.slots) pairs.set(`${s.classId}/${s.subjectId}`, s);
  const list = [...pairs.values()].sort((a, b) =>
    a.className.localeCompare(b.className, undefined, { numeric: true }) || a.subjectName.localeCompare(b.subjectName));
  if (!ctx.alive()) return;
  fill(ctx.main, heading("Gradebook"),
    list.length === 0 ? empty("You teach no class in this year's timetable.", "Ask the school office to add your lessons.")
      : h("ul", { class: "cards" }, list.map((s) => h("li", { class: "card" },
          h("h2", {}, h("a", { href: `#/gradebook/${s.classId}/${s.subjectId}` }, `${s.className} · ${s.subjectName}`))))));
}

function pct(p) {
  return p === null || p === undefined ? "—" : `${p} %`;
}

async function book(ctx, classId, subjectId) {
  const term = await currentTerm(ctx);
  if (!ctx.alive()) return;
  if (!term) return fill(ctx.main, heading("Gradebook"), empty("No term is under way today.", "The gradebook opens with the next term."));
  const g = await get(`/api/v1/classes/${encodeURIComponent(classId)}/gradebook?subjectId=${encodeURIComponent(subjectId)}&termId=${term.id}`);
  const cls = await get(`/api/v1/classes/${encodeURIComponent(classId)}`);
  const subject = await get(`/api/v1/subjects/${encodeURIComponent(subjectId)}`).catch(() => null);
  if (!ctx.alive()) return;
  const title = `${cls.name} · ${subject ? subject.name : "Gradebook"}`;
  fill(ctx.main, heading(title),
    h("p", { class: "muted" }, `${term.name}, ${shortDate(term.startDate)} – ${shortDate(term.endDate)}`),
    h("h2", {}, "Assessments"),
    g.assessments.length === 0 ? empty("No assessment in this term yet.", "Create the first one below.")
      : h("ul", { class: "cards" }, g.assessments.map((a) => h("li", { class: "card" },
          h("h3", {}, h("a", { href: `#/marks/${a.id}` }, a.name)),
          h("p", { class: "muted" }, `${longDate(a.date)} · ${a.category} · out of ${a.maxMarks} · ${a.state}`)))),
    h("h2", {}, "Standing"),
    h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ["Student", "Score", "Grade"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, g.items.map((s) => h("tr", {}, h("th", { scope: "row" }, fullName(s)), h("td", {}, pct(s.percentage)), h("td", {}, s.grade ?? "—"))))),
    h("h2", { id: "new-title" }, "New assessment"),
    newAssessment(ctx, g, term));
}

/** The form of a new assessment of the class and subject in the term; its marks entry opens once created. */
function newAssessment(ctx, g, term) {
  const cats = g.categories.map((c) => c.category);
  const f = {
    name: field("name", "Name", { autocomplete: "off", maxlength: "100", placeholder: "Test 3" }),
    category: cats.length ? field("category", "Category", {}, cats.map((c) => [c, c]))
      : field("category", "Category", { autocomplete: "off", maxlength: "40", value: "test" }),
    date: field("date", "Date", { type: "date", value: todayIn(ctx.timeZone), min: term.startDate, max: term.endDate }),
    maxMarks: field("maxMarks", "Out of", { inputmode: "decimal", autocomplete: "off", value: "20" }),
  };
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  async function onsubmit(ev) {
    ev.preventDefault();
    const text = f.maxMarks.input.value.trim().replace(",", ".");
    const body = { classId: g.classId, subjectId: g.subjectId, termId: term.id, name: f.name.input.value.trim(),
      category: f.category.input.value.trim(), date: f.date.input.value,
      maxMarks: /^\d+(\.\d+)?$/.test(text) ? Number(text) : text };
    fill(status, notice("info", "Creating…"));
    try {
      const a = await call("POST", "/api/v1/assessments", body);
      if (!ctx.alive()) return;
      flash(`${a.name} is created: enter its marks.`);
      location.hash = `#/marks/${a.id}`;
    } catch (e) {
      if (ctx.alive()) showProblem(e, f, status);
    }
  }
  return h("form", { class: "record", novalidate: true, "aria-labelledby": "new-title", onsubmit },
    status, Object.values(f).map((x) => x.row()), h("button", { type: "submit", class: "primary" }, "Create"));
}

function cell(sheet, it, i) {
  const [text, status] = cellOf(it.result);
  const id = `m-${i}`;
  const who = fullName(it);
  const input = h("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", value: text, class: "mark-input",
    "aria-describedby": `${id}-error`, disabled: status !== "mark" });
  const select = h("select", { id: `${id}-status`, "aria-label": `${who}: result` },
    STATUSES.map((s) => h("option", { value: s, selected: s === status }, STATUS_LABEL[s])));
  const error = h("p", { id: `${id}-error`, class: "field-error", hidden: true });
  const flag = h("span", { class: "flag", hidden: true }, "not saved");
  const row = h("li", { class: "mark-row", "data-student": it.studentId },
    h("label", { for: id }, who, h("span", { class: "visually-hidden" }, `, out of ${sheet.maxMarks}`)), flag,
    h("div", { class: "cells" }, input, select), error);
  return {
    it, row, input, select,
    show(message) {
      error.textContent = message ? `${who}: the mark ${message}.` : "";
      error.hidden = !message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    },
    read() {
      return readCell(input.value, select.value, sheet.maxMarks);
    },
    dirty() {
      return changed(it.result, input.value, select.value);
    },
  };
}

async function entry(ctx, assessmentId) {
  const path = `/api/v1/assessments/${encodeURIComponent(assessmentId)}/marks`;
  let sheet = await get(path);
  if (!ctx.alive()) return;
  const cls = await get(`/api/v1/classes/${sheet.classId}`);
  if (!ctx.alive()) return;
  const name = `${sheet.name} of ${cls.name}`;
  const counter = h("p", { class: "counter", role: "status", "aria-live": "polite" });
  const status = h("div", { class: "form-status" });
  const save = h("button", { type: "submit", class: "primary save" }, "Save marks");
  const list = h("ol", { class: "marks" });
  let cells = [];
  const userId = ctx.me.user.id;
  const draftKey = `assessment.${sheet.assessmentId}`; // kept on this device until saved, as a register's marks
  let draft = loadDraft(userId, draftKey, "marks");
  const state = { name, alive: ctx.alive, dirty: () => cells.some((c) => c.dirty()) };
  shown = state;

  function update() {
    const n = cells.filter((c) => c.dirty()).length;
    for (const c of cells) c.row.querySelector(".flag").hidden = !c.dirty();
    for (const c of cells) c.row.classList.toggle("unsaved", c.dirty());
    counter.textContent = n === 0 ? "Everything is saved." : `${n} not saved yet`;
    counter.className = "counter" + (n ? " dirty" : "");
    const keep = {};
    for (const c of cells) if (c.dirty()) keep[c.it.studentId] = [c.input.value, c.select.value];
    saveDraft(userId, draftKey, "marks", keep);
  }
  function draw() {
    cells = sheet.items.map((it, i) => cell(sheet, it, i));
    for (const c of cells) {
      const kept = draft && draft[c.it.studentId];
      if (Array.isArray(kept) && STATUSES.includes(kept[1])) {
        [c.input.value, c.select.value] = [String(kept[0]), kept[1]];
        c.input.disabled = kept[1] !== "mark";
        c.show(c.read().error || "");
      }
      c.input.addEventListener("input", () => {
        const r = c.read();
        c.show(r.error || "");
        update();
      });
      c.select.addEventListener("change", () => {
        c.input.disabled = c.select.value !== "mark";
        c.show(c.read().error || "");
        update();
      });
    }
    fill(list, cells.map((c) => c.row));
    draft = null;
    update();
  }

  async function onsubmit(ev) {
    ev.preventDefault();
    const sent = [];
    let bad = null;
    for (const c of cells) {
      if (!c.dirty()) continue;
      const r = c.read();
      const error = r.error || (r.input === null ? "cannot be emptied once saved: enter a mark or choose a status" : "");
      c.show(error);
      if (error) bad = bad || c;
      else sent.push({ c, input: { studentId: c.it.studentId, ...r.input } });
    }
    if (bad) {
      fill(status, notice("error", "Not saved: correct the marks flagged in red."));
      return bad.input.focus();
    }
    if (sent.length === 0) return fill(status, notice("info", "Nothing to save."));
    save.disabled = true;
    fill(status, notice("info", "Saving…"));
    try {
      sheet = await call("PUT", path, { marks: sent.map((s) => s.input) });
      if (!ctx.alive()) return;
      draw();
      fill(status, notice("ok", `Saved at ${clock(new Date(), ctx.timeZone)}.`));
    } catch (e) {
      if (!ctx.alive()) return;
      let first = null;
      for (const err of (e instanceof ApiError ? e.errors : [])) {
        const s = sent[rowOfError(err.field)];
        if (s) {
          s.c.show(err.message);
          first = first || s.c;
        }
      }
      fill(status, notice("error", `Not saved: ${first ? "correct the marks flagged in red" : e.detail || e}.`));
      if (first) first.input.focus();
    }
    save.disabled = false;
  }

  const locked = sheet.published || sheet.state === "closed";
  fill(ctx.main,
    heading(`Marks: ${name}`),
    takeFlash(),
    h("p", { class: "muted" }, `${longDate(sheet.date)} · out of ${sheet.maxMarks}`),
    draft && Object.keys(draft).length ? notice("info", "Your unsaved marks from before are back; save them when they are right.") : null,
    locked ? notice("info", "This assessment is closed or its term is published: only the school's admins change its marks.") : null,
    h("p", { class: "hint" }, "Type each mark, or choose absent, excused or exempt. Nothing is sent until you save."),
    h("form", { novalidate: true, onsubmit }, list, h("div", { class: "actions" }, counter, save, status)),
    h("p", {}, h("a", { href: `#/gradebook/${sheet.classId}/${sheet.subjectId}` }, "Back to the gradebook")));
  draw();
}

export function render(ctx, params) {
  const page = params.assessmentId ? entry(ctx, params.assessmentId)
    : params.classId ? book(ctx, params.classId, params.subjectId) : classes(ctx);
  return page.catch((e) => {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400 || e.status === 422)) return notFound.render(ctx);
    fill(ctx.main, heading("Gradebook"), notice("error", e.detail || String(e)));
  });
}
