// pages/users.js - the school's accounts for its admins: search them (#/users), add one with an invitation
// or a password (#/users/new), change one's name, email, roles and access, and mail it a password reset link
// (#/users/<id>). Edits send If-Match: a change someone else saved meanwhile is not overwritten.

import { call } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { dateTime } from "../format.js";
import { ROLE_NAMES, SCHOOL_ROLES, roleList } from "../admin.js";
import { listTable, loadRecord, pagedList, versioned } from "../records.js";

/** A group of role checkboxes with the interface of dom.js's field (input, label, row(), show()) and value(). */
function rolesField(selected = []) {
  const error = h("p", { id: "roles-error", class: "field-error", hidden: true });
  const boxes = SCHOOL_ROLES.map((r) =>
    h("input", { type: "checkbox", id: "role-" + r, name: "roles", value: r, checked: selected.includes(r), "aria-describedby": "roles-error" }));
  const set = h("fieldset", { class: "field choices" }, h("legend", {}, "Roles"),
    boxes.map((b) => h("label", { class: "check", for: b.id }, b, ROLE_NAMES[b.value])), error);
  return {
    input: boxes[0],
    label: "Roles",
    error,
    row: () => set,
    show(message) {
      error.textContent = message || "";
      error.hidden = !message;
      set.classList.toggle("invalid", Boolean(message));
    },
    value: () => boxes.filter((b) => b.checked).map((b) => b.value),
    set: (roles) => boxes.forEach((b) => (b.checked = roles.includes(b.value))),
  };
}

function status(u) {
  if (u.status === "disabled") return "Disabled";
  return u.locked ? "Locked out" : "Active";
}

function list(ctx) {
  const q = h("input", { id: "q", type: "search", name: "q", autocomplete: "off", maxlength: "100" });
  const role = h("select", { id: "role", name: "role" }, h("option", { value: "" }, "Any role"),
    SCHOOL_ROLES.map((r) => h("option", { value: r }, ROLE_NAMES[r])));
  const state = h("select", { id: "state", name: "state" }, h("option", { value: "" }, "Active and disabled"),
    h("option", { value: "active" }, "Active"), h("option", { value: "disabled" }, "Disabled"));
  const results = h("div", { "aria-live": "polite" });
  const reload = pagedList(ctx, results, {
    path(cursor) {
      const params = new URLSearchParams({ limit: "50", sort: "displayName" });
      if (q.value.trim()) params.set("q", q.value.trim());
      if (role.value) params.set("roles", role.value);
      if (state.value) params.set("status", state.value);
      if (cursor) params.set("cursor", cursor);
      return "/api/v1/users?" + params;
    },
    empty: () => empty("No account matches these filters.",
      "Try part of the name or the email, or another role; or add the account with “Add a user”."),
    frame: (tbody) => listTable("users", "Accounts of the school", [["Name"], ["Email"], ["Roles"], ["Access"], ["Last sign-in"]], tbody),
    row: (u) => h("tr", { "data-id": u.id },
      h("th", { scope: "row" }, h("a", { href: `#/users/${u.id}` }, u.displayName)),
      h("td", {}, u.email), h("td", {}, roleList(u.roles)), h("td", {}, status(u)),
      h("td", {}, u.lastLoginAt ? dateTime(u.lastLoginAt, ctx.timeZone) : "never")),
    more: "Show more accounts",
  });
  fill(ctx.main, heading("Users and roles"), takeFlash(),
    h("p", {}, h("a", { class: "button", href: "#/users/new" }, "Add a user")),
    h("form", { class: "filters", role: "search", onsubmit: (ev) => (ev.preventDefault(), reload()) },
      h("div", { class: "field" }, h("label", { for: "q" }, "Name or email"), q),
      h("div", { class: "field" }, h("label", { for: "role" }, "Role"), role),
      h("div", { class: "field" }, h("label", { for: "state" }, "Access"), state),
      h("button", { type: "submit", class: "primary" }, "Search")),
    results);
  return reload();
}

async function create(ctx) {
  const f = {
    displayName: field("displayName", "Name", { autocomplete: "off", maxlength: "200" }),
    email: field("email", "Email", { type: "email", autocomplete: "off" }),
    roles: rolesField(),
    password: field("password", "Password", { type: "password", autocomplete: "new-password" }),
  };
  const invite = h("input", { type: "radio", id: "how-invite", name: "how", value: "invite", checked: true });
  const direct = h("input", { type: "radio", id: "how-password", name: "how", value: "password" });
  const passwordRow = f.password.row("At least 10 characters. Tell it to the person yourself; they can change it after signing in.");
  passwordRow.hidden = true;
  const toggle = () => (passwordRow.hidden = !direct.checked);
  invite.addEventListener("change", toggle);
  direct.addEventListener("change", toggle);
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Add the user");
  async function onsubmit(ev) {
    ev.preventDefault();
    const body = { displayName: f.displayName.input.value.trim(), email: f.email.input.value.trim(), roles: f.roles.value() };
    if (invite.checked) body.invite = true;
    else body.password = f.password.input.value;
    submit.disabled = true;
    fill(state, notice("info", "Saving…"));
    try {
      const u = await call("POST", "/api/v1/users", body);
      if (!ctx.alive()) return;
      flash(invite.checked
        ? `${u.displayName} is added. An invitation to choose a password was mailed to ${u.email}; it works for 7 days.`
        : `${u.displayName} is added and can sign in with the password you chose.`);
      location.hash = `#/users/${u.id}`;
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) showProblem(e, f, state);
    }
  }
  fill(ctx.main, heading("Add a user"),
    h("form", { class: "record", novalidate: true, onsubmit }, state,
      f.displayName.row(), f.email.row(), f.roles.row(),
      h("fieldset", { class: "field choices" }, h("legend", {}, "How they get in"),
        h("label", { class: "check", for: "how-invite" }, invite, "Mail them an invitation to choose a password"),
        h("label", { class: "check", for: "how-password" }, direct, "Set a password now")),
      passwordRow,
      h("div", { class: "buttons" }, submit, h("a", { href: "#/users" }, "Cancel"))));
}

async function edit(ctx, id) {
  const path = `/api/v1/users/${encodeURIComponent(id)}`;
  const u = await loadRecord(ctx, path, "User");
  if (!u) return;
  const f = {
    displayName: field("displayName", "Name", { autocomplete: "off", maxlength: "200" }),
    email: field("email", "Email", { type: "email", autocomplete: "off" }),
    roles: rolesField(u.roles),
    status: field("status", "Access", {}, [["active", "Active: may sign in"], ["disabled", "Disabled: may not sign in"]]),
  };
  const unlock = h("input", { type: "checkbox", id: "unlock", name: "unlock" });
  const unlockRow = h("label", { class: "check", for: "unlock" }, unlock, "Unlock: let them try to sign in again now");
  const title = heading(u.displayName);
  function put(x) {
    f.displayName.input.value = x.displayName;
    f.email.input.value = x.email;
    f.roles.set(x.roles);
    f.status.input.value = x.status;
    unlock.checked = false;
    unlockRow.hidden = !x.locked;
    fill(title, x.displayName);
  }
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Save changes");
  const rec = versioned(ctx, path, u, { status: state, submit, fields: f, thing: "account", show: put, focus: f.displayName.input });
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    const was = rec.value, changed = {};
    const name = f.displayName.input.value.trim(), email = f.email.input.value.trim(), roles = f.roles.value();
    if (name !== was.displayName) changed.displayName = name;
    if (email !== was.email) changed.email = email;
    if (roles.slice().sort().join() !== was.roles.slice().sort().join()) changed.roles = roles;
    if (f.status.input.value !== was.status) changed.status = f.status.input.value;
    if (unlock.checked) changed.unlock = true;
    if (Object.keys(changed).length === 0) return fill(state, notice("info", "Nothing has changed."));
    const after = await rec.save(changed);
    if (after && ctx.alive()) fill(state, notice("ok", `The changes to ${after.displayName} are saved.`));
  }
  fill(ctx.main, title, takeFlash(),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Last sign-in"), h("dd", {}, u.lastLoginAt ? dateTime(u.lastLoginAt, ctx.timeZone) : "never")),
      h("div", {}, h("dt", {}, "Added"), h("dd", {}, dateTime(u.createdAt, ctx.timeZone)))),
    h("form", { class: "record", novalidate: true, onsubmit }, state,
      f.displayName.row(), f.email.row("A changed address is used from the next sign-in."), f.roles.row(),
      f.status.row("Disabling ends every session of the account at once."), unlockRow,
      h("div", { class: "buttons" }, submit, h("a", { href: "#/users" }, "Back to the accounts"))),
    resetSection(ctx, () => rec.value),
    h("p", {}, h("a", { href: `#/audit/actor/${u.id}` }, `What ${u.displayName} did (audit trail)`)));
}

/** Mails the account a link to choose a new password (admins never see or set passwords). */
function resetSection(ctx, user) {
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "reset", onclick: async () => {
    button.disabled = true;
    try {
      await call("POST", `/api/v1/users/${user().id}/password-reset`);
      if (ctx.alive()) fill(state, notice("ok", `A link to choose a new password was mailed to ${user().email}. It works once, for 30 minutes.`));
    } catch (e) {
      if (ctx.alive()) fill(state, notice("error", e.detail || String(e)));
    } finally {
      button.disabled = false;
    }
  } }, "Mail a password reset link");
  return h("section", { "aria-labelledby": "reset-title" }, h("h2", { id: "reset-title" }, "Password"),
    h("p", { class: "hint" }, "You never see or set their password: they choose a new one from the link."),
    button, state);
}

export function render(ctx, params) {
  if (params.section === "new") return create(ctx);
  return params.id ? edit(ctx, params.id) : list(ctx);
}
