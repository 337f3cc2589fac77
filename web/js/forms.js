// forms.js - the office's record forms and pages: a record created or edited (If-Match, only what changed; a
// 412 says someone else saved first and offers the saved record), the API's words next to the field they
// concern (a school rule's 409 said plainly, in the reader's dates), yes/no and weekday fields, a page's
// records read or not found, and a destructive button that asks first.

import { ApiError, call, etagOf, get } from "./api.js";
import { fill, h, heading, notice } from "./dom.js";
import { DAY_NAMES, WEEKDAYS, changes, clause, plain, sentence } from "./office.js";
import * as notFound from "./pages/notfound.js";

/**
 * A search drawn into results: run(ev) takes the form's values (query()), reads (read(values) → the API's page)
 * and draws it (draw(page, values) → nodes); a slower answer to an earlier search never replaces a later one's.
 * Returns run, the form's submit handler.
 */
export function searcher(ctx, results, query, read, draw) {
  let latest = 0;
  return async function run(ev) {
    if (ev) ev.preventDefault();
    const mine = ++latest;
    const values = query();
    try {
      const page = await read(values);
      if (ctx.alive() && mine === latest) fill(results, draw(page, values));
    } catch (e) {
      if (ctx.alive() && mine === latest) fill(results, notice("error", e.detail || String(e)));
    }
  };
}

/** Reads what a page needs (read() → a value); null once another page is shown, the record is not found (404,
 * 400) or the read failed (the error under title). */
export async function load(ctx, title, read) {
  try {
    const value = await read();
    return ctx.alive() ? value : null;
  } catch (e) {
    if (!ctx.alive()) return null;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) notFound.render(ctx);
    else fill(ctx.main, heading(title), notice("error", e.detail || String(e)));
    return null;
  }
}

/** The request option of a change to a record read before: If-Match with its ETag (or its version). */
export function ifMatch(record) {
  return { headers: { "if-match": etagOf(record) || `"${record.version}"` } };
}

/**
 * Shows a refused write: each field's message next to it (a rule's, 409, as a sentence of its own), the
 * detail in status ("Not saved: …" for a rule); focuses the first field in error.
 */
export function problem(e, fields, status, verb = "saved") {
  const rule = e instanceof ApiError && e.status === 409;
  let first = null;
  for (const [name, f] of Object.entries(fields)) {
    const m = e instanceof ApiError ? e.field(name) : undefined;
    f.show(!m ? "" : rule ? sentence(plain(m)) : `${f.label} ${m}.`);
    if (m && !first) first = f.input;
  }
  const text = rule ? `Not ${verb}: ${plain(clause(e.detail))}`
    : first ? "Please correct the fields marked below." : e.detail || String(e);
  fill(status, notice("error", text));
  if (first) first.focus();
}

/** Says that someone else saved the record first; its button shows the saved record (reload()). */
export function stale(status, noun, reload) {
  const again = h("button", { type: "button", onclick: async () => {
    try {
      await reload();
    } catch (e) {
      return fill(status, notice("error", e.detail || String(e)));
    }
    fill(status, notice("info", "This is the record as it is saved now. Make your changes again and save."));
  } }, "Show the saved record");
  fill(status, h("div", { class: "notice error", role: "alert" },
    h("p", {}, `Not saved: someone else changed this ${noun} while you were editing. Your changes would overwrite theirs.`),
    again));
  again.focus();
}

const read = (x) => (x.read ? x.read() : x.input.value.trim());
const put = (x, v) => (x.put ? x.put(v) : (x.input.value = v ?? ""));

/** The fields' values as the API takes them: empty optional ones null, numbers as numbers (else as typed). */
export function values(fields, { optional = [], numbers = [] } = {}) {
  const out = {};
  for (const [k, x] of Object.entries(fields)) {
    const v = read(x);
    if (v === "" && optional.includes(k)) out[k] = null;
    else if (numbers.includes(k) && /^-?\d+$/.test(v)) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

/**
 * A form that creates a record (opts.record absent: POST opts.create, with opts.extra added) or edits one
 * (PATCH opts.path with If-Match, only the fields changed). opts: noun ("guardian"), optional, numbers (see
 * values), submit (the button's text), cancel (an address), done(saved) after the save.
 */
export function editor(ctx, fields, opts) {
  let record = opts.record || null;
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, opts.submit || (record ? "Save changes" : "Create"));
  const show = () => Object.entries(fields).forEach(([k, x]) => put(x, record[k]));
  if (record) show();
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(fields)) x.show("");
    const body = values(fields, opts);
    const sent = record ? changes(body, record) : { ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)), ...opts.extra };
    if (record && Object.keys(sent).length === 0) return fill(status, notice("info", "Nothing has changed."));
    submit.disabled = true;
    fill(status, notice("info", "Saving…"));
    try {
      const saved = record ? await call("PATCH", opts.path, sent, ifMatch(record)) : await call("POST", opts.create, sent);
      if (ctx.alive()) opts.done(saved);
    } catch (e) {
      submit.disabled = false;
      if (!ctx.alive()) return;
      if (e instanceof ApiError && e.status === 412) {
        return stale(status, opts.noun, async () => {
          record = await get(opts.path);
          show();
        });
      }
      problem(e, fields, status);
    }
  }
  return h("form", { class: "record", novalidate: true, onsubmit }, status, Object.values(fields).map((x) => x.row()),
    h("div", { class: "buttons" }, submit, opts.cancel ? h("a", { href: opts.cancel }, "Cancel") : null));
}

/** A field of another kind than dom.field: its element, its first control, how it reads and takes a value. */
function custom(id, label, el, input, readValue, putValue) {
  const error = h("p", { id: id + "-error", class: "field-error", hidden: true });
  return {
    input, label, error, read: readValue, put: putValue,
    row: () => h("div", { class: "field" }, el, error),
    show(message) {
      error.textContent = message || "";
      error.hidden = !message;
    },
  };
}

/** A yes/no field (a checkbox with its label after it). */
export function check(id, label, checked = false) {
  const input = h("input", { type: "checkbox", id, name: id, checked, "aria-describedby": id + "-error" });
  return custom(id, label, h("div", { class: "check" }, input, h("label", { for: id }, label)), input,
    () => input.checked, (v) => (input.checked = Boolean(v)));
}

/** The weekdays with school: a checkbox a day, Monday to Friday ticked unless put() says otherwise. */
export function weekdays(id, label) {
  const boxes = WEEKDAYS.map((d, i) => h("input", { type: "checkbox", id: `${id}-${d}`, value: d, checked: i < 5 }));
  const set = h("fieldset", { class: "days", "aria-describedby": id + "-error" }, h("legend", {}, label),
    boxes.map((b, i) => h("span", { class: "check" }, b, h("label", { for: b.id }, DAY_NAMES[i]))));
  return custom(id, label, set, boxes[0], () => boxes.filter((b) => b.checked).map((b) => b.value),
    (v) => boxes.forEach((b) => (b.checked = (v || []).includes(b.value))));
}

/**
 * A button for an action that cannot be undone: it asks first, next to itself ("Delete 2-A Maths on
 * Monday?" Yes / Keep it); yes runs act(). label: the button's text, its aria-label more precise.
 */
export function confirming(label, question, yes, act, attrs = {}) {
  const box = h("span", { class: "confirm" });
  const ask = () => {
    const no = h("button", { type: "button", onclick: () => {
      fill(box, start);
      start.focus();
    } }, "Keep it");
    fill(box, h("span", { role: "alert" }, question + " "), h("button", { type: "button", class: "danger", onclick: act }, yes), " ", no);
    no.focus();
  };
  const start = h("button", { type: "button", ...attrs, onclick: ask }, label);
  return fill(box, start);
}

/** Shows a page again after a change made on it (its flash above), the title focused as after opening it. */
export async function again(ctx, show) {
  await show();
  const title = ctx.alive() && ctx.main.querySelector("h1");
  if (title) title.focus();
}
