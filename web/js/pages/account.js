// pages/account.js - the signed-in person's own account (#/account): who they are, their name and phone
// (PATCH /me, for people of a school), and a password change (POST /auth/password), which keeps this
// session and signs the account out everywhere else. The API's words go next to the field they concern.

import { ApiError, call } from "../api.js";
import { field, fill, h, heading, notice, showProblem } from "../dom.js";
import { dateTime } from "../format.js";

const ROLE_NAMES = {
  platform_admin: "Platform operator", admin: "Administrator", teacher: "Teacher", staff: "Office staff",
  student: "Student", parent: "Parent", bursar: "Bursar",
};

function form(rows, submitText, onsubmit) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  return h("form", { class: "record", novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    onsubmit(status, submit);
  } }, status, rows, h("div", { class: "buttons" }, submit));
}

function details(ctx) {
  const u = ctx.me.user;
  const rows = [
    ["Name", u.displayName],
    ["Email", u.email],
    ["School", ctx.me.tenant ? ctx.me.tenant.name : "All schools (platform)"],
    ["Roles", u.roles.map((r) => ROLE_NAMES[r] || r).join(", ")],
    ["Last sign-in", u.lastLoginAt ? dateTime(u.lastLoginAt, ctx.timeZone) : "—"],
  ];
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function profileForm(ctx) {
  const f = {
    displayName: field("displayName", "Name shown to others", { autocomplete: "name", maxlength: "200" }),
    phone: field("phone", "Phone (optional)", { type: "tel", autocomplete: "tel", maxlength: "40" }),
  };
  f.displayName.input.value = ctx.me.user.displayName;
  f.phone.input.value = ctx.me.user.phone || "";
  async function onsubmit(status, submit) {
    const body = {};
    const name = f.displayName.input.value.trim(), phone = f.phone.input.value.trim();
    if (name !== ctx.me.user.displayName) body.displayName = name;
    if (phone !== (ctx.me.user.phone || "")) body.phone = phone === "" ? null : phone;
    if (Object.keys(body).length === 0) return fill(status, notice("info", "Nothing has changed."));
    submit.disabled = true;
    fill(status, notice("info", "Saving…"));
    try {
      const after = await call("PATCH", "/api/v1/me", body);
      submit.disabled = false;
      if (!ctx.alive()) return;
      Object.values(f).forEach((x) => x.show(""));
      ctx.me.user.displayName = after.displayName;
      ctx.me.user.phone = after.phone;
      fill(status, notice("ok", "Your details are saved."));
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) showProblem(e, f, status);
    }
  }
  return form(Object.values(f).map((x) => x.row()), "Save details", onsubmit);
}

function passwordForm(ctx) {
  const f = {
    currentPassword: field("currentPassword", "Current password", { type: "password", autocomplete: "current-password" }),
    newPassword: field("newPassword", "New password", { type: "password", autocomplete: "new-password", minlength: "10", maxlength: "128" }),
    repeat: field("repeat", "New password again", { type: "password", autocomplete: "new-password" }),
  };
  async function onsubmit(status, submit) {
    const current = f.currentPassword.input.value, next = f.newPassword.input.value;
    Object.values(f).forEach((x) => x.show(""));
    if (next !== f.repeat.input.value) {
      f.repeat.show("The two new passwords are not the same.");
      fill(status, notice("error", "Please correct the fields marked below."));
      return f.repeat.input.focus();
    }
    submit.disabled = true;
    fill(status, notice("info", "Changing your password…"));
    try {
      await call("POST", "/api/v1/auth/password", { currentPassword: current, newPassword: next });
      submit.disabled = false;
      if (!ctx.alive()) return;
      Object.values(f).forEach((x) => { x.input.value = ""; });
      fill(status, notice("ok", "Your password is changed. You stay signed in here; every other device is signed out."));
    } catch (e) {
      submit.disabled = false;
      if (!ctx.alive()) return;
      if (e instanceof ApiError && e.status === 429) {
        return fill(status, notice("error", "Too many tries. Wait a few minutes before you try again."));
      }
      showProblem(e, { currentPassword: f.currentPassword, newPassword: f.newPassword }, status);
    }
  }
  return form([f.currentPassword.row(), f.newPassword.row("At least 10 characters."), f.repeat.row()],
    "Change password", onsubmit);
}

export function render(ctx) {
  const ofSchool = Boolean(ctx.me.tenant);
  fill(ctx.main, heading("My account"), details(ctx),
    ofSchool ? [h("h2", {}, "Your details"), profileForm(ctx)] : null,
    h("h2", {}, "Password"), passwordForm(ctx));
}
