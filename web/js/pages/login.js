// pages/login.js - signing in: the school (its short name), email and password; the API's words next to the
// field they concern.

import { ApiError, publicCall } from "../api.js";
import { field, fill, h, notice, showProblem } from "../dom.js";
import { begin } from "../session.js";

const LAST_SCHOOL = "erp.lastSchool";

/** ctx: {main, message (shown above the form), onSignedIn(user)} */
export function render(ctx) {
  const school = field("tenant", "School", {
    autocomplete: "organization", autocapitalize: "none", spellcheck: "false",
    value: localStorage.getItem(LAST_SCHOOL) || "",
  });
  const email = field("email", "Email", { type: "email", autocomplete: "username", required: true });
  const password = field("password", "Password", { type: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "form-status" });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");

  async function onsubmit(ev) {
    ev.preventDefault();
    for (const f of [school, email, password]) f.show("");
    fill(status);
    submit.disabled = true;
    const tenant = school.input.value.trim();
    try {
      const pair = await publicCall("POST", "/api/v1/auth/login", {
        tenant: tenant || null,
        email: email.input.value.trim(),
        password: password.input.value,
      });
      localStorage.setItem(LAST_SCHOOL, tenant);
      begin(pair, pair.user);
      ctx.onSignedIn(pair.user);
    } catch (e) {
      submit.disabled = false;
      if (!(e instanceof ApiError)) throw e;
      if (!showProblem(e, { tenant: school, email, password }, status)) email.input.focus();
    }
  }

  fill(
    ctx.main,
    h("div", { class: "login" },
      h("h1", { tabindex: "-1" }, "Sign in"),
      ctx.message ? notice("info", ctx.message) : null,
      status,
      h("form", { onsubmit, novalidate: true },
        school.row(),
        h("p", { class: "hint", id: "tenant-hint" }, "Your school's short name, as on your welcome letter. Leave it empty if you run the platform."),
        email.row(),
        password.row(),
        submit,
      ),
    ),
  );
  school.input.setAttribute("aria-describedby", "tenant-error tenant-hint");
}
