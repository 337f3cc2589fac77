// pages/schools.js - the platform's schools for its operators: list and search them (#/schools), create one
// with its first administrator (#/schools/new), change its settings or suspend it (#/schools/<id>, If-Match:
// a change another operator saved meanwhile is not overwritten).

import { call } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { dateTime } from "../format.js";
import { listTable, loadRecord, pagedList, versioned } from "../records.js";

const STATUSES = [["active", "Active: its people may sign in"], ["suspended", "Suspended: nobody of the school may sign in"]];
const PAPER = [["A4", "A4"], ["Letter", "Letter"]];

/** The time zones the browser knows, offered as the field's suggestions. */
function zones() {
  const list = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h("datalist", { id: "zones" }, ["UTC", ...list].map((z) => h("option", { value: z })));
}

function settings() {
  return {
    name: field("name", "Name", { autocomplete: "off", maxlength: "200" }),
    timeZone: field("timeZone", "Time zone", { list: "zones", autocomplete: "off", maxlength: "64" }),
    currency: field("currency", "Currency (ISO code)", { autocomplete: "off", maxlength: "3", autocapitalize: "characters" }),
    maxUsers: field("maxUsers", "Most accounts allowed", { type: "number", min: "1", max: "1000000", inputmode: "numeric" }),
  };
}

function list(ctx) {
  const q = h("input", { id: "q", type: "search", name: "q", autocomplete: "off", maxlength: "100" });
  const status = h("select", { id: "status", name: "status" }, h("option", { value: "" }, "Active and suspended"),
    h("option", { value: "active" }, "Active"), h("option", { value: "suspended" }, "Suspended"));
  const results = h("div", { "aria-live": "polite" });
  const reload = pagedList(ctx, results, {
    path(cursor) {
      const params = new URLSearchParams({ limit: "50", sort: "name" });
      if (q.value.trim()) params.set("q", q.value.trim());
      if (status.value) params.set("status", status.value);
      if (cursor) params.set("cursor", cursor);
      return "/api/v1/tenants?" + params;
    },
    empty: () => empty("No school matches.", "Try part of the name or the short name, or add the school with “Add a school”."),
    frame: (tbody) => listTable("schools", "Schools", [["Name"], ["Short name"], ["State"], ["Accounts"], ["Time zone"], ["Created"]], tbody),
    row: (t) => h("tr", { "data-id": t.id },
      h("th", { scope: "row" }, h("a", { href: `#/schools/${t.id}` }, t.name)),
      h("td", {}, t.slug), h("td", {}, t.status === "active" ? "Active" : "Suspended"),
      h("td", {}, `${t.userCount} of ${t.maxUsers}`), h("td", {}, t.timeZone),
      h("td", {}, dateTime(t.createdAt, ctx.timeZone))),
    more: "Show more schools",
  });
  fill(ctx.main, heading("Schools"), takeFlash(),
    h("p", {}, h("a", { class: "button", href: "#/schools/new" }, "Add a school")),
    h("form", { class: "filters", role: "search", onsubmit: (ev) => (ev.preventDefault(), reload()) },
      h("div", { class: "field" }, h("label", { for: "q" }, "Name or short name"), q),
      h("div", { class: "field" }, h("label", { for: "status" }, "State"), status),
      h("button", { type: "submit", class: "primary" }, "Search")),
    results);
  return reload();
}

function create(ctx) {
  const f = {
    ...settings(),
    slug: field("slug", "Short name", { autocomplete: "off", autocapitalize: "none", spellcheck: "false", maxlength: "63" }),
    "admin.displayName": field("adminName", "Administrator's name", { autocomplete: "off", maxlength: "200" }),
    "admin.email": field("adminEmail", "Administrator's email", { type: "email", autocomplete: "off" }),
    "admin.password": field("adminPassword", "Administrator's first password", { type: "password", autocomplete: "new-password" }),
  };
  f.timeZone.input.value = "UTC";
  f.currency.input.value = "USD";
  f.maxUsers.input.value = "10000";
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create the school");
  async function onsubmit(ev) {
    ev.preventDefault();
    const v = (k) => f[k].input.value.trim();
    const body = {
      name: v("name"), slug: v("slug"), timeZone: v("timeZone"), currency: v("currency").toUpperCase(),
      maxUsers: v("maxUsers") === "" ? undefined : Number(v("maxUsers")),
      admin: { displayName: v("admin.displayName"), email: v("admin.email"), password: f["admin.password"].input.value },
    };
    submit.disabled = true;
    fill(state, notice("info", "Creating…"));
    try {
      const t = await call("POST", "/api/v1/tenants", body);
      if (!ctx.alive()) return;
      flash(`${t.name} is created. Its administrator signs in as ${t.admin.email} with the school's short name “${t.slug}”.`);
      location.hash = `#/schools/${t.id}`;
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) showProblem(e, f, state);
    }
  }
  fill(ctx.main, heading("Add a school"),
    h("form", { class: "record", novalidate: true, onsubmit }, state,
      f.name.row(), f.slug.row("People type it to sign in: 3 to 63 letters a-z, digits and dashes, e.g. lincoln-high."),
      f.timeZone.row("The school's days and times are kept in it, e.g. Europe/Paris."), f.currency.row(), f.maxUsers.row(),
      h("fieldset", { class: "field choices" }, h("legend", {}, "Its first administrator"),
        f["admin.displayName"].row(), f["admin.email"].row(), f["admin.password"].row("At least 10 characters; give it to them yourself.")),
      zones(),
      h("div", { class: "buttons" }, submit, h("a", { href: "#/schools" }, "Cancel"))));
}

async function edit(ctx, id) {
  const path = `/api/v1/tenants/${encodeURIComponent(id)}`;
  const t = await loadRecord(ctx, path, "School");
  if (!t) return;
  const f = { ...settings(), paperSize: field("paperSize", "Paper size (report cards)", {}, PAPER),
    status: field("status", "State", {}, STATUSES) };
  const title = heading(t.name);
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => h("div", {}, h("dt", {}, k), h("dd", {}, v));
  function put(x) {
    for (const [k, y] of Object.entries(f)) y.input.value = x[k];
    fill(title, x.name);
    fill(facts, fact("Short name", x.slug), fact("Accounts", `${x.userCount} of ${x.maxUsers}`),
      fact("State", x.status === "active" ? "Active" : "Suspended"), fact("Created", dateTime(x.createdAt, ctx.timeZone)));
  }
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Save changes");
  const rec = versioned(ctx, path, t, { status: state, submit, fields: f, thing: "school", show: put, focus: f.name.input });
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    const changed = {};
    for (const [k, x] of Object.entries(f)) {
      const raw = x.input.value.trim();
      const v = k === "maxUsers" ? (raw === "" ? null : Number(raw)) : k === "currency" ? raw.toUpperCase() : raw;
      if (v !== rec.value[k]) changed[k] = v;
    }
    if (Object.keys(changed).length === 0) return fill(state, notice("info", "Nothing has changed."));
    const after = await rec.save(changed);
    if (!after || !ctx.alive()) return;
    fill(state, notice("ok", changed.status === "suspended"
      ? `${after.name} is suspended: nobody of the school can sign in until it is active again.`
      : `The changes to ${after.name} are saved.`));
  }
  fill(ctx.main, title, takeFlash(), facts,
    h("form", { class: "record", novalidate: true, onsubmit }, state,
      f.name.row(), f.timeZone.row(), f.currency.row(), f.maxUsers.row(), f.paperSize.row(),
      f.status.row("Suspending deletes nothing: the school’s people cannot sign in until it is active again."),
      zones(),
      h("div", { class: "buttons" }, submit, h("a", { href: "#/schools" }, "Back to the schools"))));
}

export function render(ctx, params) {
  if (params.section === "new") return create(ctx);
  return params.id ? edit(ctx, params.id) : list(ctx);
}
