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
