// pages/years.js - the school's calendar, for admins: the academic years (#/years), a year with its terms and
// holidays (#/years/<id>: a term or a holiday added there, a holiday removed), a year created or edited
// (#/years/new, #/years/<id>/edit) and a term edited (#/terms/<id>/edit). The API's rules are said plainly,
// in the reader's dates: a term that would drop days whose registers are marked, a holiday on a marked day.

import { call, get } from "../api.js";
import { empty, field, fill, flash, h, heading, notice, takeFlash } from "../dom.js";
import { longDate, todayIn } from "../format.js";
import { again, check, confirming, editor, load, problem, weekdays } from "../forms.js";
import { daysText } from "../office.js";
import { all } from "./classes.js";

const range = (x) => `${longDate(x.startDate)} – ${longDate(x.endDate)}`;

async function list(ctx) {
  const years = await load(ctx, "School years", () => all("/api/v1/academic-years?sort=-startDate"));
  if (!years) return;
  fill(ctx.main, heading("School years"), takeFlash(),
    h("p", {}, h("a", { class: "button", href: "#/years/new" }, "New school year")),
    years.length === 0
      ? empty("The school has no academic year yet.", "Create the first with “New school year”; its terms and holidays follow on its page.")
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "School years" },
          h("table", { class: "list years" },
            h("thead", {}, h("tr", {}, ["Year", "Dates", "Current"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, years.map((y) => h("tr", {},
              h("th", { scope: "row" }, h("a", { href: `#/years/${y.id}` }, y.name)),
              h("td", {}, range(y)), h("td", {}, y.isCurrent ? "Current" : "—")))))));
}

async function one(ctx, id) {
  const path = `/api/v1/academic-years/${encodeURIComponent(id)}`;
  const y = await load(ctx, "School year", () => get(path));
  if (!y) return;
  const got = await load(ctx, y.name, () => Promise.all([all(`/api/v1/terms?academicYearId=${y.id}`),
    all(`/api/v1/holidays?from=${y.startDate}&to=${y.endDate}`)]));
  if (!got) return;
  const [terms, holidays] = got;
  fill(ctx.main, heading(`School year ${y.name}`), takeFlash(),
    h("p", { class: "buttons" }, h("a", { class: "button", href: `#/years/${y.id}/edit` }, "Edit the year")),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Dates"), h("dd", {}, range(y))),
      h("div", {}, h("dt", {}, "Current year"), h("dd", {}, y.isCurrent ? "Yes: the app's pages show this year" : "No"))),
    h("h2", {}, "Terms"),
    terms.length === 0 ? empty("The year has no terms yet.", "Add the first below: the school days are the terms' weekdays, less the holidays.")
      : h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Terms" },
          h("table", { class: "list terms" },
            h("thead", {}, h("tr", {}, ["Term", "Dates", "School days", ""].map((t) =>
              h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Actions"))))),
            h("tbody", {}, terms.map((t) => h("tr", {},
              h("th", { scope: "row" }, t.name), h("td", {}, range(t)), h("td", {}, daysText(t.weekdays)),
              h("td", {}, h("a", { href: `#/terms/${t.id}/edit`, "aria-label": `Edit ${t.name}` }, "Edit"))))))),
    h("section", { "aria-labelledby": "term-title" }, h("h2", { id: "term-title" }, "Add a term"), termForm(ctx, y)),
    h("h2", {}, "Holidays"),
    holidays.length === 0 ? empty("No holiday in this year yet.", "Add one below: a holiday is a day without school.")
      : h("ul", { class: "holidays" }, holidays.map((d) => h("li", {},
          h("span", {}, h("strong", {}, longDate(d.date)), ` ${d.name}`), removeHoliday(ctx, y, d)))),
    h("section", { "aria-labelledby": "holiday-title" }, h("h2", { id: "holiday-title" }, "Add a holiday"), holidayForm(ctx, y)),
    h("p", {}, h("a", { href: "#/years" }, "All school years")));
}

function termForm(ctx, y) {
  return editor(ctx, termFields(), {
    create: "/api/v1/terms", extra: { academicYearId: y.id }, noun: "term", submit: "Add term",
    done(t) {
      flash(`${t.name} is added: ${range(t)}.`);
      again(ctx, () => one(ctx, y.id));
    },
  });
}

function termFields() {
  return {
    name: field("name", "Name", { autocomplete: "off", maxlength: "100" }),
    startDate: field("startDate", "First day", { type: "date" }),
    endDate: field("endDate", "Last day", { type: "date" }),
    weekdays: weekdays("weekdays", "School days"),
  };
}

function holidayForm(ctx, y) {
  const f = {
    date: field("date", "Date", { type: "date", min: y.startDate, max: y.endDate }),
    name: field("holidayName", "Name", { autocomplete: "off", maxlength: "100" }),
  };
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  async function onsubmit(ev) {
    ev.preventDefault();
    for (const x of Object.values(f)) x.show("");
    fill(status, notice("info", "Adding…"));
    try {
      const d = await call("POST", "/api/v1/holidays", { date: f.date.input.value, name: f.name.input.value.trim() });
      if (!ctx.alive()) return;
      flash(`${longDate(d.date)} is a holiday: ${d.name}.`);
      again(ctx, () => one(ctx, y.id));
    } catch (e) {
      if (ctx.alive()) problem(e, f, status, "added");
    }
  }
  return h("form", { class: "record", novalidate: true, onsubmit }, status,
    h("p", { class: "hint" }, "A day whose registers are already marked cannot become a holiday."),
    f.date.row(), f.name.row(), h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Add holiday")));
}

function removeHoliday(ctx, y, d) {
  const when = longDate(d.date);
  return confirming("Remove", `Remove the holiday on ${when}?`, "Yes, remove", async () => {
    try {
      await call("DELETE", `/api/v1/holidays/${d.date}`);
      if (!ctx.alive()) return;
      flash(`${when} is no longer a holiday.`);
      again(ctx, () => one(ctx, y.id));
    } catch (e) {
      if (ctx.alive()) fill(ctx.main.querySelector(".form-status") || ctx.main, notice("error", e.detail || String(e)));
    }
  }, { "aria-label": `Remove the holiday on ${when}` });
}

async function yearForm(ctx, id) {
  const path = id ? `/api/v1/academic-years/${encodeURIComponent(id)}` : null;
  const y = id ? await load(ctx, "Edit school year", () => get(path)) : null;
  if (id && !y) return;
  const f = {
    name: field("name", "Name", { autocomplete: "off", maxlength: "100", placeholder: "2027-2028" }),
    startDate: field("startDate", "First day", { type: "date" }),
    endDate: field("endDate", "Last day", { type: "date" }),
    isCurrent: check("isCurrent", "The current year (the one the app's pages show)"),
  };
  if (!y) f.startDate.input.value = todayIn(ctx.timeZone);
  fill(ctx.main, heading(y ? `Edit school year ${y.name}` : "New school year"),
    h("p", { class: "hint" }, "The year's terms and its classes' enrollments must stay inside its dates."),
    editor(ctx, f, {
      record: y, path, create: "/api/v1/academic-years", noun: "school year",
      submit: y ? "Save changes" : "Create year", cancel: y ? `#/years/${y.id}` : "#/years",
      done(saved) {
        flash(y ? `The changes to ${saved.name} are saved.` : `${saved.name} is created. Add its terms and holidays below.`);
        location.hash = `#/years/${saved.id}`;
      },
    }));
}

async function termEdit(ctx, id) {
  const path = `/api/v1/terms/${encodeURIComponent(id)}`;
  const t = await load(ctx, "Edit term", () => get(path));
  if (!t) return;
  fill(ctx.main, heading(`Edit ${t.name}`),
    h("p", { class: "hint" }, "Days whose registers are marked must stay school days of the term."),
    editor(ctx, termFields(), {
      record: t, path, noun: "term", cancel: `#/years/${t.academicYearId}`,
      done(saved) {
        flash(`The changes to ${saved.name} are saved: ${range(saved)}.`);
        location.hash = `#/years/${saved.academicYearId}`;
      },
    }));
}

export function render(ctx, params) {
  if (params.section === "term") return termEdit(ctx, params.id);
  if (params.section === "new" || params.section === "edit") return yearForm(ctx, params.id);
  return params.id ? one(ctx, params.id) : list(ctx);
}
