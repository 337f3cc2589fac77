// records.js - what the administration pages share: reading the record a page shows (or saying it is not
// found), saving an edit with If-Match (and the plain message when someone else saved first: 412), and lists
// paged with the API's cursor.

import { ApiError, call, etagOf, get } from "./api.js";
import { fill, h, heading, notice, showProblem } from "./dom.js";
import * as notFound from "./pages/notfound.js";

/** The record at path, or null once the page says it is not found (or why it could not be read). */
export async function loadRecord(ctx, path, title) {
  try {
    const record = await get(path);
    return ctx.alive() ? record : null;
  } catch (e) {
    if (!ctx.alive()) return null;
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) notFound.render(ctx);
    else fill(ctx.main, heading(title), notice("error", e.detail || String(e)));
    return null;
  }
}

/**
 * Says in status that the save was refused because someone else changed the thing ("account") meanwhile,
 * with a focused button that shows the saved record: reload() reads and shows it (rejects with an
 * ApiError), then focus gets the focus.
 */
export function staleSave(status, thing, reload, focus) {
  const theirs = h("button", { type: "button", onclick: async () => {
    try {
      await reload();
    } catch (e) {
      return fill(status, notice("error", e.detail || String(e)));
    }
    fill(status, notice("info", `This is the ${thing} as it is saved now. Make your changes again and save.`));
    focus.focus();
  } }, `Show the saved ${thing}`);
  fill(status, h("div", { class: "notice error", role: "alert" },
    h("p", {}, `Not saved: someone else changed this ${thing} while you were editing. Your changes would overwrite theirs.`),
    theirs));
  theirs.focus();
}

/** A list table in a sideways-scrolling box: class, caption, column heads ([text] or [text, true]: read out, not shown), its tbody. */
export function listTable(cls, caption, heads, tbody) {
  return h("div", { class: "scroll" }, h("table", { class: "list " + cls }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, heads.map(([text, hidden]) =>
      h("th", { scope: "col" }, hidden ? h("span", { class: "visually-hidden" }, text) : text)))),
    tbody));
}

/**
 * A list the API pages with its cursor, drawn into box: the first page replaces what box holds, "Show more"
 * appends the next. spec: path(cursor) → the URL; frame(container) → what holds the rows; container() → a
 * new tbody (default) or list; row(item) → an element; empty() → the empty state; more → the button's text;
 * failed(e) (optional) → true when it showed the error itself. Returns reload(): the first page again (the
 * answer of a page asked for before it is dropped).
 */
export function pagedList(ctx, box, spec) {
  let rows, more, shown = 0;
  async function page(cursor) {
    const mine = cursor ? shown : ++shown; // a first page asked for later wins over an earlier one's late answer
    try {
      const got = await get(spec.path(cursor));
      if (!ctx.alive() || mine !== shown) return;
      if (!cursor) {
        if (got.items.length === 0) return fill(box, spec.empty());
        rows = spec.container ? spec.container() : h("tbody");
        more = h("p");
        fill(box, spec.frame(rows), more);
      }
      rows.append(...got.items.map(spec.row));
      fill(more, got.nextCursor ? h("button", { type: "button", class: "more", onclick: () => page(got.nextCursor) }, spec.more) : null);
    } catch (e) {
      if (ctx.alive() && mine === shown && !(spec.failed && spec.failed(e))) fill(box, notice("error", e.detail || String(e)));
    }
  }
  return () => page(null);
}

/**
 * A record edited in a form and saved with If-Match (its ETag). Returns {value (the record as last read or
 * saved), save(changed)}: save PATCHes path with the changed fields and resolves to the saved record, or to
 * null when it was refused, the reason shown in status (each field's error next to it, a change someone else
 * saved first said plainly, with the saved record offered). show(record) draws a record in the form.
 * o: {status, submit, fields (dom.js fields by API name), thing ("account"), show, focus (an element)}.
 */
export function versioned(ctx, path, record, o) {
  const rec = { value: null, tag: null };
  const take = (r) => {
    rec.value = r;
    rec.tag = etagOf(r) || `"${r.version}"`;
    o.show(r);
  };
  rec.save = async (changed) => {
    o.submit.disabled = true;
    fill(o.status, notice("info", "Saving…"));
    try {
      const after = await call("PATCH", path, changed, { headers: { "if-match": rec.tag } });
      if (ctx.alive()) take(after);
      return after;
    } catch (e) {
      if (!ctx.alive()) return null;
      if (e instanceof ApiError && e.status === 412) staleSave(o.status, o.thing, async () => take(await get(path)), o.focus);
      else showProblem(e, o.fields, o.status);
      return null;
    } finally {
      o.submit.disabled = false;
    }
  };
  take(record);
  return rec;
}
