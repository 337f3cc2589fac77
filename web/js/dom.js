// dom.js - building the page: elements from tags, attributes and children (text is always text, never markup).

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "…"}, "text", child…) → an element.
 * Attributes: on* take functions, true sets a boolean attribute, false/null/undefined leave it out.
 * Children: strings and numbers become text nodes, arrays are flattened, null/false are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A page's heading, focused so that screen readers and keyboards start there. */
export function heading(text) {
  return h("h1", { tabindex: "-1", class: "page-title" }, text);
}

/** An empty state: what is (not) here and what to do next. */
export function empty(what, next) {
  return h("div", { class: "empty" }, h("p", {}, what), next ? h("p", { class: "muted" }, next) : null);
}

/** A notice: kind is "info", "ok" or "error" (errors are announced at once). */
export function notice(kind, text) {
  return h("p", { class: "notice " + kind, role: kind === "error" ? "alert" : "status" }, text);
}

/**
 * A labelled form field whose error shows next to it: tag "input" (attrs give its type) or "select"
 * (options: [[value, text]…]). Returns {input, error, row(), show(message)}.
 */
export function field(id, label, attrs = {}, options = null) {
  const input = options
    ? h("select", { id, name: id, "aria-describedby": id + "-error", ...attrs },
        options.map(([value, text]) => h("option", { value }, text)))
    : h("input", { id, name: id, "aria-describedby": id + "-error", ...attrs });
  return {
    input,
    label,
    error: h("p", { id: id + "-error", class: "field-error", hidden: true }),
    row(hint) {
      return h("div", { class: "field" }, h("label", { for: id }, label), hint ? h("p", { class: "hint" }, hint) : null,
        input, this.error);
    },
    show(message) {
      this.error.textContent = message || "";
      this.error.hidden = !message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    },
  };
}

/**
 * Shows an API error on a form: each of the problem's field errors next to its field (fields: {apiName:
 * field}), the detail in status; focuses the first field in error. Returns whether a field was marked.
 */
export function showProblem(e, fields, status) {
  let first = null;
  for (const [name, f] of Object.entries(fields)) {
    const m = e.field ? e.field(name) : undefined;
    f.show(m ? `${f.label} ${m}.` : "");
    if (m && !first) first = f.input;
  }
  fill(status, notice("error", first ? "Please correct the fields marked below." : e.detail || String(e)));
  if (first) first.focus();
  return Boolean(first);
}

let flashed = null;
/** A message for the next page shown (after a save that moves to another page); taken once. */
export function flash(text) {
  flashed = text;
}

/** The flashed message as an ok notice, or null. */
export function takeFlash() {
  const text = flashed;
  flashed = null;
  return text ? notice("ok", text) : null;
}
