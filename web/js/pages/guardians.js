// pages/guardians.js - the office's guardians: a search (#/guardians), a guardian with the students linked to
// them, where a student is linked (relationship, primary, may pick up) or unlinked (#/guardians/<id>), and
// adding or editing one (#/guardians/new, #/guardians/<id>/edit: the API's words next to the fields, If-Match).

import { call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, takeFlash } from "../dom.js";
import { fullName } from "../format.js";
import { again, check, confirming, editor, load, problem, searcher } from "../forms.js";

export const RELATIONSHIPS = [["mother", "Mother"], ["father", "Father"], ["guardian", "Guardian"],
  ["grandparent", "Grandparent"], ["sibling", "Sibling"], ["other", "Other"]];
const relationship = (r) => (RELATIONSHIPS.find(([k]) => k === r) || [r, r])[1];
const OPTIONAL = ["email", "phone", "address", "occupation"];

function search(ctx) {
  const input = h("input", { id: "q", type: "search", name: "q", autocomplete: "off", maxlength: "100" });
  const results = h("div", { "aria-live": "polite" });
  const run = searcher(ctx, results, () => input.value.trim(),
    (q) => get("/api/v1/guardians?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "")),
    (page, q) => [page.items.length === 0
      ? (q ? empty(`No guardian matches “${q}”.`, "Try part of the name, the email or the phone number, or add them with “New guardian”.")
        : empty("The school has no guardians yet.", "Add the first with “New guardian”, then link them to their children."))
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Guardians found" },
          h("table", { class: "list guardians" },
            h("caption", {}, q ? `Guardians matching “${q}”` : "Guardians"),
            h("thead", {}, h("tr", {}, ["Name", "Phone", "Email"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, page.items.map((g) => h("tr", {},
              h("td", {}, h("a", { href: `#/guardians/${g.id}` }, fullName(g))),
              h("td", {}, g.phone || "—"), h("td", {}, g.email || "—")))))),
      page.nextCursor ? h("p", { class: "hint" }, "The first 50 are shown: narrow the search to find others.") : null]);
  fill(ctx.main, heading("Guardians"), takeFlash(),
    h("p", {}, h("a", { class: "button", href: "#/guardians/new" }, "New guardian")),
    h("form", { class: "search", role: "search", onsubmit: run },
      h("label", { for: "q" }, "Name, email or phone"), input,
      h("button", { type: "submit", class: "primary" }, "Search")),
    results);
  return run(new Event("submit"));
}

async function one(ctx, id) {
  const path = `/api/v1/guardians/${encodeURIComponent(id)}`;
  const got = await load(ctx, "Guardian", () => Promise.all([get(path), get(path + "/students")]));
  if (!got) return;
  const [g, links] = got;
  const row = (k, v) => h("div", {}, h("dt", {}, k), h("dd", {}, v || "—"));
  fill(ctx.main, heading(fullName(g)), takeFlash(),
    h("p", {}, h("a", { class: "button", href: `#/guardians/${g.id}/edit` }, "Edit details")),
    h("dl", { class: "facts" }, row("Phone", g.phone), row("Email", g.email), row("Address", g.address),
      row("Occupation", g.occupation), row("Parent account", g.userId ? "linked: they see their children in the app" : "none")),
    h("h2", {}, "Children"),
    links.items.length === 0
      ? empty(`No student is linked to ${fullName(g)} yet.`, "Link one below: find the student by name or admission number.")
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Students linked" },
          h("table", { class: "list links" },
            h("thead", {}, h("tr", {}, ["Student", "Relationship", "Primary", "May pick up", ""].map((t) =>
              h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Actions"))))),
            h("tbody", {}, links.items.map((l) => h("tr", {},
              h("td", {}, h("a", { href: `#/students/${l.studentId}` }, fullName(l.student)), ` (${l.student.admissionNo})`),
              h("td", {}, relationship(l.relationship)), h("td", {}, l.isPrimary ? "Yes" : "No"),
              h("td", {}, l.canPickUp ? "Yes" : "No"),
              h("td", {}, unlink(ctx, g, l))))))),
    h("section", { "aria-labelledby": "link-title" }, h("h2", { id: "link-title" }, "Link a student"), linkForm(ctx, g)),
    h("p", {}, h("a", { href: "#/guardians" }, "Back to the guardians")));
}

function unlink(ctx, g, l) {
  const name = fullName(l.student);
  return confirming("Unlink", `Unlink ${name} from ${fullName(g)}?`, "Yes, unlink", async () => {
    try {
      await call("DELETE", `/api/v1/students/${l.studentId}/guardians/${g.id}`);
      if (!ctx.alive()) return;
      flash(`${name} is no longer linked to ${fullName(g)}.`);
      again(ctx, () => one(ctx, g.id));
    } catch (e) {
      if (ctx.alive()) fill(ctx.main.querySelector(".form-status") || ctx.main, notice("error", e.detail || String(e)));
    }
  }, { "aria-label": `Unlink ${name}` });
}

/** Find a student, then link them: relationship, primary, may pick up. */
function linkForm(ctx, g) {
  const find = h("input", { id: "find", type: "search", autocomplete: "off", maxlength: "100", "aria-describedby": "find-hint" });
  const f = {
    studentId: field("studentId", "Student", { disabled: true }, [["", "Find the student first"]]),
    relationship: field("relationship", "Relationship", {}, RELATIONSHIPS),
    isPrimary: check("isPrimary", "Primary guardian (the first one the school calls)"),
    canPickUp: check("canPickUp", "May pick the student up", true),
  };
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  async function lookUp() {
    const q = find.value.trim();
    if (!q) return f.studentId.show("Type part of the student's name or admission number, then Find.");
    try {
      const page = await get("/api/v1/students?limit=20&q=" + encodeURIComponent(q));
      if (!ctx.alive()) return;
      const opts = page.items.map((s) => h("option", { value: s.id }, `${fullName(s)} (${s.admissionNo})`));
      fill(f.studentId.input, opts.length ? opts : h("option", { value: "" }, `No student matches “${q}”`));
      f.studentId.input.disabled = opts.length === 0;
      f.studentId.show("");
      if (opts.length) f.studentId.input.focus();
    } catch (e) {
      if (ctx.alive()) fill(status, notice("error", e.detail || String(e)));
    }
  }
  find.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault(); // Enter in the search finds, it does not link
    lookUp();
  });
  async function onsubmit(ev) {
    ev.preventDefault();
    const sid = f.studentId.input.value;
    if (!sid) return f.studentId.show("Find the student first: type their name or admission number, then Find.");
    for (const x of Object.values(f)) x.show("");
    fill(status, notice("info", "Linking…"));
    try {
      const l = await call("PUT", `/api/v1/students/${sid}/guardians/${g.id}`,
        { relationship: f.relationship.input.value, isPrimary: f.isPrimary.read(), canPickUp: f.canPickUp.read() });
      if (!ctx.alive()) return;
      flash(`${fullName(l.student)} is linked to ${fullName(g)}.`);
      again(ctx, () => one(ctx, g.id));
    } catch (e) {
      if (ctx.alive()) problem(e, f, status, "linked");
    }
  }
  return h("form", { class: "record", novalidate: true, onsubmit }, status,
    h("div", { class: "field" }, h("label", { for: "find" }, "Find the student"),
      h("p", { class: "hint", id: "find-hint" }, "Part of the name or the admission number."),
      h("div", { class: "inline" }, find, h("button", { type: "button", onclick: lookUp }, "Find"))),
    Object.values(f).map((x) => x.row()),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Link")));
}

function guardianFields() {
  return {
    firstName: field("firstName", "First name", { autocomplete: "off", maxlength: "100" }),
    lastName: field("lastName", "Last name", { autocomplete: "off", maxlength: "100" }),
    phone: field("phone", "Phone (optional)", { type: "tel", autocomplete: "off" }),
    email: field("email", "Email (optional)", { type: "email", autocomplete: "off" }),
    address: field("address", "Address (optional)", { autocomplete: "off", maxlength: "500" }),
    occupation: field("occupation", "Occupation (optional)", { autocomplete: "off", maxlength: "100" }),
  };
}

async function form(ctx, id) {
  const path = id ? `/api/v1/guardians/${encodeURIComponent(id)}` : null;
  const g = id ? await load(ctx, "Edit guardian", () => get(path)) : null;
  if (id && !g) return;
  fill(ctx.main, heading(g ? `Edit ${fullName(g)}` : "New guardian"),
    g ? null : h("p", { class: "hint" }, "Names are needed; a phone number or email lets the school reach them."),
    editor(ctx, guardianFields(), {
      record: g, path, create: "/api/v1/guardians", noun: "guardian", optional: OPTIONAL,
      submit: g ? "Save changes" : "Add guardian", cancel: g ? `#/guardians/${g.id}` : "#/guardians",
      done(saved) {
        flash(g ? `The changes to ${fullName(saved)} are saved.` : `${fullName(saved)} is added. Link them to their children below.`);
        location.hash = `#/guardians/${saved.id}`;
      },
    }));
}

export function render(ctx, params) {
  if (params.section === "new" || params.section === "edit") return form(ctx, params.id);
  return params.id ? one(ctx, params.id) : search(ctx);
}
