// pages/studentform.js - the office admits a student (#/students/new) or edits one (#/students/<id>/edit).
// The API's words go next to the field they concern; an edit sends If-Match, so a change someone else saved
// meanwhile is not overwritten: the page says so and offers their version.

import { ApiError, call, etagOf, get } from "../api.js";
import { field, fill, flash, h, heading, notice, showProblem } from "../dom.js";
import { fullName, todayIn } from "../format.js";
import * as notFound from "./notfound.js";

const GENDERS = [["unspecified", "Not stated"], ["female", "Female"], ["male", "Male"], ["other", "Other"]];
const OPTIONAL = ["middleName", "email", "phone", "address", "admittedOn"];

function fields() {
  return {
    admissionNo: field("admissionNo", "Admission number", { autocomplete: "off", maxlength: "32" }),
    firstName: field("firstName", "First name", { autocomplete: "off", maxlength: "100" }),
    middleName: field("middleName", "Middle name (optional)", { autocomplete: "off", maxlength: "100" }),
    lastName: field("lastName", "Last name", { autocomplete: "off", maxlength: "100" }),
    dateOfBirth: field("dateOfBirth", "Date of birth", { type: "date" }),
    gender: field("gender", "Gender", {}, GENDERS),
    admittedOn: field("admittedOn", "Admitted on (optional)", { type: "date" }),
    email: field("email", "Email (optional)", { type: "email", autocomplete: "off" }),
    phone: field("phone", "Phone (optional)", { type: "tel", autocomplete: "off" }),
    address: field("address", "Address (optional)", { autocomplete: "off", maxlength: "500" }),
  };
}

/** The form's values as the API takes them: empty optional fields are null (cleared), others trimmed. */
function values(f) {
  const out = {};
  for (const [name, x] of Object.entries(f)) {
    const v = x.input.value.trim();
    out[name] = v === "" && OPTIONAL.includes(name) ? null : v;
  }
  return out;
}

function put(f, student) {
  for (const [name, x] of Object.entries(f)) x.input.value = student[name] ?? "";
}

function form(f, submitText, onsubmit, extra) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  const el = h("form", { class: "record", novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    onsubmit(status, submit);
  } },
  status,
  Object.values(f).map((x) => x.row()),
  h("div", { class: "buttons" }, submit, extra));
  return el;
}

async function admit(ctx) {
  const f = fields();
  f.admittedOn.input.value = todayIn(ctx.timeZone);
  async function onsubmit(status, submit) {
    submit.disabled = true;
    fill(status, notice("info", "Saving…"));
    const body = values(f);
    for (const k of OPTIONAL) if (body[k] === null) delete body[k];
    try {
      const s = await call("POST", "/api/v1/students", body);
      if (!ctx.alive()) return;
      flash(`${fullName(s)} is admitted (admission no. ${s.admissionNo}). Enroll them in a class below.`);
      location.hash = `#/students/${s.id}`;
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) showProblem(e, f, status);
    }
  }
  fill(ctx.main, heading("Admit a student"),
    h("p", { class: "hint" }, "Admission number, names and date of birth are needed; the rest can wait."),
    form(f, "Admit", onsubmit, h("a", { href: "#/students" }, "Cancel")));
}

async function edit(ctx, id) {
  const path = `/api/v1/students/${encodeURIComponent(id)}`;
  let s;
  try {
    s = await get(path);
  } catch (e) {
    if (!ctx.alive()) return;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound.render(ctx);
    return fill(ctx.main, heading("Edit student"), notice("error", e.detail || String(e)));
  }
  if (!ctx.alive()) return;
  const f = fields();
  put(f, s);
  let tag = etagOf(s) || `"${s.version}"`;
  async function onsubmit(status, submit) {
    const now = values(f);
    const changed = Object.fromEntries(Object.entries(now).filter(([k, v]) => v !== (s[k] ?? (OPTIONAL.includes(k) ? null : ""))));
    if (Object.keys(changed).length === 0) return fill(status, notice("info", "Nothing has changed."));
    submit.disabled = true;
    fill(status, notice("info", "Saving…"));
    try {
      const after = await call("PATCH", path, changed, { headers: { "if-match": tag } });
      if (!ctx.alive()) return;
      flash(`The changes to ${fullName(after)} are saved.`);
      location.hash = `#/students/${id}`;
    } catch (e) {
      submit.disabled = false;
      if (!ctx.alive()) return;
      if (e instanceof ApiError && e.status === 412) return conflict(status);
      showProblem(e, f, status);
    }
  }
  async function conflict(status) {
    const theirs = h("button", { type: "button", onclick: async () => {
      try {
        s = await get(path);
      } catch (e) {
        return fill(status, notice("error", e.detail || String(e)));
      }
      tag = etagOf(s) || `"${s.version}"`;
      put(f, s);
      fill(status, notice("info", "This is the record as it is saved now. Make your changes again and save."));
      f.admissionNo.input.focus();
    } }, "Show the saved record");
    fill(status, h("div", { class: "notice error", role: "alert" },
      h("p", {}, "Not saved: someone else changed this student while you were editing. Your changes would overwrite theirs."),
      theirs));
    theirs.focus();
  }
  fill(ctx.main, heading(`Edit ${fullName(s)}`),
    form(f, "Save changes", onsubmit, h("a", { href: `#/students/${id}` }, "Cancel")));
}

export function render(ctx, params) {
  return params.id ? edit(ctx, params.id) : admit(ctx);
}
