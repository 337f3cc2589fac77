// pages/transfers.js - imports, exports and the jobs that run them (#/transfers): admins upload a CSV of
// students, teachers or staff accounts; the office (and the bursar, for the money) starts exports; everyone
// here sees their jobs (admins: the school's) and may cancel one that has not finished. #/jobs/<id> follows
// one job: its progress, an import's rows in error, an export's file to download.

import { ApiError, call, download, get } from "../api.js";
import { empty, field, fill, h, heading, notice, showProblem, takeFlash } from "../dom.js";
import { dateTime, todayIn } from "../format.js";
import { FINAL_STATES, cancellable, fileSize, importCounts, jobName, jobState } from "../admin.js";
import { listTable, loadRecord, pagedList } from "../records.js";

const IMPORTS = [["students", "Students (with their guardians)"], ["teachers", "Teachers"], ["staff", "Staff accounts"]];
const EXPORTS = [
  ["students", "Students (the import's columns)", ["admin", "staff"]],
  ["guardians", "Guardians", ["admin", "staff"]],
  ["enrollments", "Enrollments", ["admin", "staff"]],
  ["attendance", "Attendance (a date range)", ["admin", "staff"]],
  ["oneroster", "OneRoster 1.1 (zip)", ["admin", "staff"]],
  ["invoices", "Invoices", ["admin", "bursar"]],
  ["payments", "Payments", ["admin", "bursar"]],
];

const has = (ctx, ...roles) => ctx.me.user.roles.some((r) => roles.includes(r));

function importForm(ctx) {
  const kind = field("kind", "What the file holds", {}, IMPORTS);
  const file = field("file", "CSV file (at most 10 MB)", { type: "file", accept: ".csv,text/csv" });
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Upload and import");
  const template = h("button", { type: "button", onclick: async () => {
    try {
      await download(`/api/v1/imports/${kind.input.value}/template`, `${kind.input.value}-template.csv`);
    } catch (e) {
      fill(state, notice("error", e.detail || String(e)));
    }
  } }, "Download the template");
  async function onsubmit(ev) {
    ev.preventDefault();
    file.show("");
    const chosen = file.input.files[0];
    if (!chosen) {
      file.show("Choose the CSV file to import.");
      return file.input.focus();
    }
    submit.disabled = true;
    fill(state, notice("info", `Uploading ${chosen.name}…`));
    try {
      const job = await call("POST", `/api/v1/imports/${kind.input.value}`, chosen, { type: "text/csv" });
      if (ctx.alive()) location.hash = `#/jobs/${encodeURIComponent(job.jobId)}`;
    } catch (e) {
      submit.disabled = false;
      if (!ctx.alive()) return;
      if (e instanceof ApiError && [413, 415, 422].includes(e.status) && e.errors.length === 0) {
        file.show(e.detail);
        fill(state, notice("error", "The file was not taken: see the message under it."));
        return file.input.focus();
      }
      showProblem(e, { kind, file }, state);
    }
  }
  return h("section", { "aria-labelledby": "import-title" }, h("h2", { id: "import-title" }, "Import"),
    h("p", { class: "hint" }, "Every row is checked first; when any is wrong nothing is imported and the rows in error are listed. Importing the same file again changes nothing."),
    h("form", { class: "record", novalidate: true, onsubmit }, state, kind.row(), file.row(),
      h("div", { class: "buttons" }, submit, template)));
}

function exportForm(ctx) {
  const kinds = EXPORTS.filter(([, , roles]) => has(ctx, ...roles));
  const kind = field("exportKind", "What to export", {}, kinds.map(([k, t]) => [k, t]));
  const today = todayIn(ctx.timeZone);
  const from = field("from", "From", { type: "date", value: today.slice(0, 8) + "01" });
  const to = field("to", "To", { type: "date", value: today });
  const range = h("div", { hidden: true }, from.row(), to.row());
  kind.input.addEventListener("change", () => (range.hidden = kind.input.value !== "attendance"));
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Start the export");
  async function onsubmit(ev) {
    ev.preventDefault();
    const q = kind.input.value === "attendance" ? `?from=${from.input.value}&to=${to.input.value}` : "";
    submit.disabled = true;
    fill(state, notice("info", "Starting…"));
    try {
      const job = await call("GET", `/api/v1/exports/${kind.input.value}${q}`);
      if (ctx.alive()) location.hash = `#/jobs/${encodeURIComponent(job.jobId)}`;
    } catch (e) {
      submit.disabled = false;
      if (ctx.alive()) showProblem(e, { from, to }, state);
    }
  }
  return h("section", { "aria-labelledby": "export-title" }, h("h2", { id: "export-title" }, "Export"),
    h("p", { class: "hint" }, "An export runs in the background; its page offers the file when it is ready."),
    h("form", { class: "record", novalidate: true, onsubmit }, state, kind.row(), range,
      h("div", { class: "buttons" }, submit)));
}

/** Cancels a job; answers the message to show. */
async function cancel(job) {
  try {
    await call("DELETE", `/api/v1/jobs/${encodeURIComponent(job.id)}`);
    return notice("ok", `${jobName(job.type)} is cancelled.`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return notice("info", `${jobName(job.type)} had already finished: nothing to cancel.`);
    return notice("error", e.detail || String(e));
  }
}

function jobsList(ctx) {
  const box = h("div", { "aria-live": "polite" });
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const reload = pagedList(ctx, box, {
    path: (cursor) => "/api/v1/jobs?limit=20" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""),
    empty: () => empty("No job has run yet.", "Start an import or an export above; it is listed here."),
    frame: (tbody) => listTable("jobs", "Jobs, newest first", [["Job"], ["Asked for"], ["State"], ["Cancel", true]], tbody),
    row: (j) => h("tr", { "data-id": j.id },
      h("th", { scope: "row" }, h("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, jobName(j.type))),
      h("td", {}, dateTime(j.createdAt, ctx.timeZone)),
      h("td", { class: "state" }, jobState(j)),
      h("td", {}, cancellable(j) ? h("button", { type: "button", class: "cancel", "aria-label": `Cancel: ${jobName(j.type)}`,
        onclick: async () => {
          fill(state, await cancel(j));
          if (ctx.alive()) reload();
        } }, "Cancel") : null)),
    more: "Show older jobs",
  });
  reload();
  return h("section", { "aria-labelledby": "jobs-title" }, h("h2", { id: "jobs-title" }, "Jobs"),
    h("p", { class: "hint" }, has(ctx, "admin") ? "The school's jobs: imports, exports, printed registers, e-mails." : "The jobs you asked for."),
    state, box);
}

function overview(ctx) {
  const admin = has(ctx, "admin");
  fill(ctx.main, heading(admin ? "Imports and exports" : "Exports"), takeFlash(),
    admin ? importForm(ctx) : null, exportForm(ctx), jobsList(ctx));
}

/** What a finished job produced: an import's report (its rows in error), a file to download. */
function outcome(ctx, job) {
  const r = job.result;
  if (job.state !== "completed" || !r) return null;
  if (typeof r.imported === "boolean") {
    const errors = r.errors || [];
    return h("section", { "aria-labelledby": "result-title" }, h("h2", { id: "result-title" }, "Result"),
      r.imported
        ? notice("ok", `Imported ${r.rows} rows: ${importCounts(r)}.`)
        : notice("error", `Nothing was imported: ${r.errorCount} ${r.errorCount === 1 ? "problem" : "problems"} in the file. Correct them and upload the file again.`),
      errors.length ? h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Problems in the file" }, h("table", { class: "list row-errors" },
        h("caption", {}, errors.length < r.errorCount ? `The first ${errors.length} problems of ${r.errorCount}` : "Problems in the file"),
        h("thead", {}, h("tr", {}, ["Line", "Column", "Problem"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, errors.map((x) => h("tr", {}, h("td", {}, x.line), h("td", {}, x.column || "—"), h("td", {}, x.reason)))))) : null,
      h("p", {}, h("a", { class: "button", href: "#/transfers" }, "Import another file")));
  }
  if (r.fileId) {
    const state = h("div", { class: "form-status", "aria-live": "polite" });
    const button = h("button", { type: "button", class: "primary download", onclick: async () => {
      try {
        await download(`/api/v1/files/${r.fileId}/content`, r.filename || "export");
        fill(state, notice("ok", `${r.filename} is downloaded.`));
      } catch (e) {
        fill(state, notice("error", e.detail || String(e)));
      }
    } }, `Download ${r.filename || "the file"}`);
    return h("section", { "aria-labelledby": "result-title" }, h("h2", { id: "result-title" }, "Result"),
      h("p", {}, `${r.filename}, ${fileSize(r.size)}.`), button, state);
  }
  return null;
}

async function follow(ctx, id) {
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  let job = await loadRecord(ctx, path, "Job");
  if (!job) return;
  const said = h("p", { class: "job-state", role: "status" });
  const bar = h("progress", { id: "progress", max: "100", value: "0" });
  const times = h("dl", { class: "facts" });
  const result = h("div");
  const state = h("div", { class: "form-status", "aria-live": "polite" });
  const stop = h("button", { type: "button", class: "cancel", onclick: async () => {
    fill(state, await cancel(job));
    refresh();
  } }, "Cancel the job");
  const fact = (k, v) => (v ? h("div", {}, h("dt", {}, k), h("dd", {}, dateTime(v, ctx.timeZone))) : null);
  function show() {
    said.textContent = jobState(job);
    bar.value = job.state === "completed" ? 100 : job.progress;
    fill(times, fact("Asked for", job.createdAt), fact("Started", job.startedAt), fact("Finished", job.finishedAt));
    stop.hidden = !cancellable(job);
    fill(result, outcome(ctx, job));
  }
  let polls = 0;
  async function refresh() {
    try {
      job = await get(path);
    } catch (e) {
      if (ctx.alive()) fill(state, notice("error", e.detail || String(e)));
    }
    if (!ctx.alive()) return;
    show();
    if (!FINAL_STATES.includes(job.state)) setTimeout(refresh, ++polls < 20 ? 1000 : 3000);
  }
  fill(ctx.main, heading(jobName(job.type)), takeFlash(), said,
    h("div", { class: "field" }, h("label", { for: "progress" }, "Progress"), bar),
    times, stop, state, result,
    h("p", {}, h("a", { href: "#/transfers" }, has(ctx, "admin") ? "Back to imports and exports" : "Back to exports")));
  show();
  if (!FINAL_STATES.includes(job.state)) setTimeout(refresh, 500);
}

export function render(ctx, params) {
  return params.id ? follow(ctx, params.id) : overview(ctx);
}
