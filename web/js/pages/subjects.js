// pages/subjects.js - for admins, a subject created (#/subjects/new) or edited (#/subjects/<id>/edit): its code,
// unique in the school (the API's 409 next to it), name and description; an edit sends If-Match. The subjects
// are listed with the classes (#/classes).

import { get } from "../api.js";
import { field, fill, flash, h, heading } from "../dom.js";
import { editor, load } from "../forms.js";

export async function render(ctx, params) {
  const path = params.id ? `/api/v1/subjects/${encodeURIComponent(params.id)}` : null;
  const s = path ? await load(ctx, "Edit subject", () => get(path)) : null;
  if (path && !s) return;
  const f = {
    code: field("code", "Code", { autocomplete: "off", maxlength: "20", placeholder: "MATH" }),
    name: field("name", "Name", { autocomplete: "off", maxlength: "100" }),
    description: field("description", "Description (optional)", { autocomplete: "off", maxlength: "2000" }),
  };
  fill(ctx.main, heading(s ? `Edit subject ${s.name}` : "New subject"),
    h("p", { class: "hint" }, "The code is short and unique in the school: letters, digits, dots, dashes."),
    editor(ctx, f, {
      record: s, path, create: "/api/v1/subjects", noun: "subject", optional: ["description"],
      submit: s ? "Save changes" : "Create subject", cancel: "#/classes",
      done(saved) {
        flash(s ? `The changes to ${saved.name} are saved.` : `${saved.name} (${saved.code}) is created.`);
        location.hash = "#/classes";
      },
    }));
}
