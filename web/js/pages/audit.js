// pages/audit.js - the audit trail (#/audit, #/audit/actor/<account>): who did what to which record and when,
// in the school's time zone, newest first, filtered as the API filters (actorId, subjectType, action, from,
// to) and paged with its cursor. Platform operators see the platform's own events.

import { get } from "../api.js";
import { pagedList } from "../records.js";
import { empty, field, fill, h, heading, notice } from "../dom.js";
import { dateTime } from "../format.js";
import { auditChange, auditQuery, describeAction, roleList } from "../admin.js";

const KINDS = ["user", "student", "teacher", "guardian", "class", "enrollment", "assessment", "invoice", "payment",
  "announcement", "file", "session", "tenant"];
const ACTIONS = ["auth.login", "user.create", "user.update", "user.roles_change", "user.disable", "user.enable",
  "user.invite", "user.password_reset_send", "student.create", "student.update", "student.read", "import.upload",
  "tenant.create", "tenant.update", "tenant.suspend"];

/** The school's accounts by id (admins may list them), for the actor filter and readable names. */
async function accounts(ctx) {
  if (!ctx.me.user.roles.includes("admin")) return new Map();
  const byId = new Map();
  let cursor = null;
  do {
    const page = await get("/api/v1/users?limit=500&sort=displayName" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    for (const u of page.items) byId.set(u.id, u);
    cursor = page.nextCursor;
  } while (cursor && byId.size < 5000);
  return byId;
}

function who(e, users) {
  if (!e.actorId) return "Someone unknown (no account)";
  const u = users.get(e.actorId);
  if (u) return `${u.displayName} (${u.email})`;
  const roles = e.actorRoles.length ? roleList(e.actorRoles) : "an account";
  return `${roles} ${e.actorId.slice(0, 8)}`;
}

function record(e, users) {
  if (!e.subjectType) return null;
  const kind = e.subjectType.replace(/_/g, " ");
  if (!e.subjectId) return kind;
  if (e.subjectType === "user" && users.has(e.subjectId)) {
    const u = users.get(e.subjectId);
    return h("a", { href: `#/users/${u.id}` }, `user ${u.displayName} (${u.email})`);
  }
  if (e.subjectType === "student") return h("a", { href: `#/students/${e.subjectId}` }, `student ${e.subjectId.slice(0, 8)}`);
  if (e.subjectType === "tenant" && users.size === 0) return h("a", { href: `#/schools/${e.subjectId}` }, `school ${e.subjectId.slice(0, 8)}`);
  return `${kind} ${e.subjectId.slice(0, 8)}`;
}

function change(e) {
  const c = auditChange(e.detail);
  if (!c) return e.detail ? h("p", { class: "detail" }, e.detail) : null;
  return h("p", { class: "detail" }, c.label ? c.label + ": " : "",
    c.before !== null ? [h("span", { class: "old" }, h("span", { class: "visually-hidden" }, "from "), c.before), " → ",
      h("span", { class: "visually-hidden" }, "to ")] : null,
    h("span", { class: "new" }, c.after));
}

function row(e, ctx, users) {
  const failed = e.outcome !== "ok";
  return h("li", { class: "event" + (failed ? " " + e.outcome : ""), "data-id": e.id, "data-action": e.action },
    h("p", { class: "when" }, h("time", { datetime: e.at }, dateTime(e.at, ctx.timeZone)), " · ", who(e, users)),
    h("p", { class: "what" }, failed ? h("span", { class: "badge bad" }, e.outcome === "denied" ? "Refused" : "Failed") : null,
      describeAction(e.action), " ", h("code", {}, e.action)),
    record(e, users) ? h("p", { class: "subject" }, "Record: ", record(e, users)) : null,
    change(e));
}

export async function render(ctx, params) {
  let users;
  try {
    users = await accounts(ctx);
  } catch {
    users = new Map(); // the trail is still readable with account ids
  }
  if (!ctx.alive()) return;
  const names = [...users.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  const f = {
    actorId: names.length
      ? field("actorId", "Who", {}, [["", "Anyone"], ...names.map((u) => [u.id, `${u.displayName} (${u.email})`])])
      : field("actorId", "Who (account id)", { autocomplete: "off" }),
    subjectType: field("subjectType", "Kind of record", { list: "kinds", autocomplete: "off", maxlength: "40" }),
    action: field("action", "Action", { list: "actions", autocomplete: "off", maxlength: "64" }),
    from: field("from", "From", { type: "date" }),
    to: field("to", "To (inclusive)", { type: "date" }),
  };
  if (params.actorId) f.actorId.input.value = params.actorId;
  const results = h("div", { "aria-live": "polite" });
  const reload = pagedList(ctx, results, {
    path(cursor) {
      for (const x of Object.values(f)) x.show("");
      const filters = Object.fromEntries(Object.entries(f).map(([k, x]) => [k, x.input.value.trim()]));
      return "/api/v1/audit-events?" + auditQuery(filters, ctx.timeZone) + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    },
    empty: () => empty("No event matches these filters.", "Widen the dates, choose “Anyone”, or clear the kind of record and the action."),
    container: () => h("ol", { class: "events", "aria-label": "Events, newest first" }),
    frame: (list) => list,
    row: (e) => row(e, ctx, users),
    more: "Show older events",
    failed(e) {
      let marked = false;
      for (const [k, x] of Object.entries(f)) {
        const m = e.field ? e.field(k) : undefined;
        if (m) x.show(`${x.label} ${m}.`);
        marked = marked || Boolean(m);
      }
      if (marked) fill(results, notice("error", "Please correct the filters marked above."));
      return marked;
    },
  });
  const platform = !ctx.me.tenant;
  fill(ctx.main, heading("Audit trail"),
    h("p", { class: "hint" }, platform
      ? "The platform's own events (schools created, changed, suspended; operators' sign-ins), newest first. Times are UTC."
      : `Who did what, newest first. Times and dates are the school's (${ctx.timeZone}).`),
    h("form", { class: "filters", role: "search", onsubmit: (ev) => (ev.preventDefault(), reload()) },
      Object.values(f).map((x) => x.row()),
      h("datalist", { id: "kinds" }, KINDS.map((k) => h("option", { value: k }))),
      h("datalist", { id: "actions" }, ACTIONS.map((a) => h("option", { value: a }))),
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Show events"))),
    results);
  return reload();
}
