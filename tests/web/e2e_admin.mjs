// e2e_admin.mjs - the scenarios of the administration pages, run by e2e.mjs (which owns the browser and the
// helpers, given here as t) for test_web_admin.py: accounts and roles, the audit trail, imports, exports and
// jobs, the platform's schools. Each returns what the Python side checks against the API.

import { readFileSync } from "node:fs";

/** PATCHes a record with the page's own session, as another tab or person would: answers the status. */
async function elsewhere(page, path, body) {
  return page.evaluate(async ({ path, body }) => {
    const s = JSON.parse(sessionStorage.getItem("erp.session"));
    const auth = { authorization: "Bearer " + s.accessToken };
    const got = await fetch(path, { headers: auth });
    const r = await fetch(path, { method: "PATCH", body: JSON.stringify(body),
      headers: { ...auth, "content-type": "application/json", "if-match": got.headers.get("etag") } });
    return r.status;
  }, { path, body });
}

const rowCount = (page, sel, n) => page.waitForFunction(([s, k]) => document.querySelectorAll(s).length === k, [sel, n]);

export function adminScenarios(t) {
  const { open, axe, shot, heading, signIn, check, APP, ARGS, PHONE, DESKTOP } = t;
  return {
    // An admin on a phone adds an account with an invitation (the API's words next to the fields), changes its
    // roles while someone else renames it (If-Match: said plainly, the saved account shown), mails it a reset
    // link, disables it and finds it in the list.
    async users(browser) {
      const page = await open(browser, PHONE);
      await page.goto(APP + "/");
      await signIn(page, "admin@demo.school");
      await heading(page, "Students");
      await page.locator(".bar nav a", { hasText: "Users" }).click();
      await heading(page, "Users and roles");
      await page.locator("table.users").waitFor();
      await axe(page, "users");
      await shot(page, "admin-users");

      await page.locator("a.button", { hasText: "Add a user" }).click();
      await heading(page, "Add a user");
      await page.click("form.record button[type=submit]");
      await page.locator('#email[aria-invalid="true"]').waitFor();
      check(/^Email \S/.test(await page.textContent("#email-error")), "the email's message is next to it");
      check((await page.getAttribute("#displayName", "aria-invalid")) === "true", "the empty name is marked");
      check(await page.evaluate(() => document.activeElement.id === "displayName"), "the first field in error has the focus");
      await axe(page, "add a user with errors");
      await shot(page, "admin-user-errors");
      await page.fill("#displayName", ARGS.name);
      await page.fill("#email", ARGS.email);
      await page.check("#role-teacher");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "invitation to choose a password was mailed" }).waitFor();
      const id = /#\/users\/([^/]+)$/.exec(page.url())[1];
      await axe(page, "user");
      await shot(page, "admin-user");

      // roles changed while someone else renames the account
      await page.check("#role-staff");
      const other = await elsewhere(page, `/api/v1/users/${id}`, { displayName: ARGS.otherName });
      check(other === 200, "the other change was saved: " + other);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.error", { hasText: "someone else changed this account" }).waitFor();
      await axe(page, "user conflict");
      await shot(page, "admin-user-conflict");
      await page.keyboard.press("Enter"); // "Show the saved account" has the focus
      await page.locator(".notice.info", { hasText: "as it is saved now" }).waitFor();
      check((await page.inputValue("#displayName")) === ARGS.otherName, "the saved account is shown");
      check(!(await page.isChecked("#role-staff")), "the saved roles are shown");
      await page.check("#role-staff");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();

      await page.click("button.reset");
      await page.locator(".notice.ok", { hasText: "new password was mailed to " + ARGS.email }).waitFor();
      await page.selectOption("#status", "disabled");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();

      await page.locator(".bar nav a", { hasText: "Users" }).click();
      await heading(page, "Users and roles");
      await page.locator("table.users").waitFor();
      await page.fill("#q", ARGS.email);
      await page.keyboard.press("Enter");
      await rowCount(page, "table.users tbody tr", 1);
      const found = await page.$$eval("table.users tbody tr", (rs) => rs.map((r) => r.dataset.id));
      check((await page.textContent("table.users tbody tr")).includes("Disabled"), "the list says it is disabled");
      await page.setViewportSize(DESKTOP);
      await shot(page, "admin-users-found");
      return { id, found, errors: page.errors };
    },

    // The audit trail shows the role change just made (who, when in the school's day, old → new roles);
    // another day's filter shows none.
    async audit(browser) {
      const page = await open(browser, DESKTOP);
      await page.goto(APP + "/#/audit");
      await signIn(page, "admin@demo.school");
      await heading(page, "Audit trail");
      await page.locator("ol.events").waitFor();
      await axe(page, "audit");
      await page.selectOption("#actorId", ARGS.adminId);
      await page.fill("#action", "user.roles_change");
      await page.fill("#from", ARGS.date);
      await page.fill("#to", ARGS.date);
      await page.click("form.filters button[type=submit]");
      await page.waitForFunction(() => { // the filtered page has replaced the first one
        const rows = [...document.querySelectorAll("li.event")];
        return rows.length > 0 && rows.every((r) => r.dataset.action === "user.roles_change");
      });
      const row = page.locator(`li.event[data-action="user.roles_change"]`, { hasText: ARGS.email });
      check((await row.locator(".old").textContent()).endsWith("Teacher"), "the old roles: " + (await row.locator(".old").textContent()));
      check((await row.locator(".new").textContent()) === "Teacher, Office staff", "the new roles: " + (await row.locator(".new").textContent()));
      check((await row.locator(".when").textContent()).includes("October 13, 2027"), "the school's day: " + (await row.locator(".when").textContent()));
      const events = await page.$$eval("li.event", (ls) => ls.map((l) => l.dataset.id));
      await axe(page, "audit filtered");
      await shot(page, "admin-audit");
      await page.setViewportSize(PHONE);
      await shot(page, "admin-audit-phone");
      await page.fill("#from", ARGS.before);
      await page.fill("#to", ARGS.before);
      await page.click("form.filters button[type=submit]");
      await page.locator(".empty", { hasText: "No event matches" }).waitFor();
      return { events, errors: page.errors };
    },

    // An import of a CSV with a wrong row lists the row and imports nothing; the corrected file is imported
    // and its students are found; an export of students is downloaded; a delayed job is cancelled.
    async imports(browser) {
      const page = await open(browser, PHONE);
      await page.goto(APP + "/");
      await signIn(page, "admin@demo.school");
      await heading(page, "Students");
      await page.locator(".bar nav a", { hasText: "Imports and exports" }).click();
      await heading(page, "Imports and exports");
      await page.locator("table.jobs").waitFor();
      await axe(page, "transfers");
      await shot(page, "admin-transfers");

      const upload = async (text) => {
        await page.selectOption("#kind", "students");
        await page.setInputFiles("#file", { name: "students.csv", mimeType: "text/csv", buffer: Buffer.from(text) });
        await page.click("section[aria-labelledby=import-title] button[type=submit]");
        await heading(page, "Import of students");
      };
      await upload(ARGS.badCsv);
      await page.locator(".notice.error", { hasText: "Nothing was imported" }).waitFor({ timeout: 60000 });
      const lines = await page.$$eval("table.row-errors tbody tr td:first-child", (tds) => tds.map((x) => Number(x.textContent)));
      check(lines.includes(ARGS.badLine), `the wrong row's line ${ARGS.badLine} is listed: ${lines}`);
      await axe(page, "import with errors");
      await shot(page, "admin-import-errors");

      await page.goto(APP + "/#/transfers");
      await heading(page, "Imports and exports");
      await upload(ARGS.goodCsv);
      await page.locator(".notice.ok", { hasText: `Imported ${ARGS.rows} rows` }).waitFor({ timeout: 60000 });
      const importJob = decodeURIComponent(/#\/jobs\/([^/]+)$/.exec(page.url())[1]);
      await shot(page, "admin-import-done");

      await page.locator(".bar nav a", { hasText: "Students" }).click();
      await heading(page, "Students");
      await page.locator("table.list").waitFor(); // the first page is shown: a later answer cannot replace the search's
      await page.fill("#q", ARGS.prefix);
      await page.keyboard.press("Enter");
      await page.locator("table.list caption", { hasText: ARGS.prefix }).waitFor();
      const found = await page.$$eval("table.list tbody a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));

      await page.goto(APP + "/#/transfers");
      await heading(page, "Imports and exports");
      await page.selectOption("#exportKind", "students");
      await page.click("section[aria-labelledby=export-title] button[type=submit]");
      await heading(page, "Export of students");
      await page.locator("button.download").waitFor({ timeout: 60000 });
      await axe(page, "export done");
      await shot(page, "admin-export-done");
      const [file] = await Promise.all([page.waitForEvent("download"), page.click("button.download")]);
      const csv = readFileSync(await file.path(), "utf8");

      await page.goto(APP + "/#/transfers");
      await heading(page, "Imports and exports");
      const delayed = page.locator(`table.jobs tr[data-id="${ARGS.delayedJob}"]`);
      await delayed.locator("button.cancel").click();
      await page.locator(".notice.ok", { hasText: "is cancelled" }).waitFor();
      await page.locator(`table.jobs tr[data-id="${ARGS.delayedJob}"] .state`, { hasText: "Cancelled" }).waitFor();
      await axe(page, "jobs");
      await shot(page, "admin-jobs");
      return { importJob, found, exported: csv.split(/\r?\n/).map((l) => l.split(",")[0]), errors: page.errors };
    },

    // Office staff export (no import): the attendance export's dates checked by the API next to the field,
    // then the file downloaded; the money's exports are not offered.
    async exports(browser) {
      const page = await open(browser, PHONE);
      await page.goto(APP + "/");
      await signIn(page, "staff@demo.school", { password: ARGS.password });
      await heading(page, "Students");
      await page.locator(".bar nav a", { hasText: "Exports" }).click();
      await heading(page, "Exports");
      check((await page.locator("#import-title").count()) === 0, "staff get no import form");
      const kinds = await page.$$eval("#exportKind option", (os) => os.map((o) => o.value));
      await page.selectOption("#exportKind", "attendance");
      await page.fill("#from", "2027-10-11");
      await page.fill("#to", "2027-10-01");
      await page.click("section[aria-labelledby=export-title] button[type=submit]");
      await page.locator('#to[aria-invalid="true"]').waitFor();
      check(/^To must not be before from\.$/.test(await page.textContent("#to-error")), "the API's words next to the field: " + (await page.textContent("#to-error")));
      await axe(page, "exports with an error");
      await shot(page, "staff-exports-error");
      await page.fill("#to", "2027-10-13");
      await page.click("section[aria-labelledby=export-title] button[type=submit]");
      await heading(page, "Export of attendance");
      await page.locator("button.download").waitFor({ timeout: 60000 });
      const [file] = await Promise.all([page.waitForEvent("download"), page.click("button.download")]);
      const header = readFileSync(await file.path(), "utf8").split(/\r?\n/)[0];
      await axe(page, "staff export");
      return { kinds, header, errors: page.errors };
    },

    // A platform operator creates a school (the API's words next to the fields), suspends it after another
    // operator renamed it (If-Match), finds the suspension in the platform's audit trail and the list.
    async schools(browser) {
      const page = await open(browser, DESKTOP);
      await page.goto(APP + "/");
      await signIn(page, ARGS.operatorEmail, { school: "", password: ARGS.operatorPassword });
      await heading(page, "Schools");
      await page.locator("table.schools").waitFor();
      await axe(page, "schools");
      await shot(page, "operator-schools");

      await page.locator("a.button", { hasText: "Add a school" }).click();
      await heading(page, "Add a school");
      await page.fill("#name", ARGS.name);
      await page.fill("#slug", "Bad Slug!");
      await page.fill("#adminName", "Head of " + ARGS.name);
      await page.fill("#adminEmail", ARGS.adminEmail);
      await page.fill("#adminPassword", "short");
      await page.click("form.record button[type=submit]");
      await page.locator('#slug[aria-invalid="true"]').waitFor();
      check(/must be 3-63 characters/.test(await page.textContent("#slug-error")), "the short name's message is next to it");
      check((await page.getAttribute("#adminPassword", "aria-invalid")) === "true", "the password is marked: " + (await page.textContent("form.record")));
      await axe(page, "add a school with errors");
      await shot(page, "operator-school-errors");
      await page.fill("#slug", ARGS.slug);
      await page.fill("#adminPassword", ARGS.adminPassword);
      await page.fill("#timeZone", "America/Chicago");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "is created" }).waitFor();
      const id = /#\/schools\/([^/]+)$/.exec(page.url())[1];
      await axe(page, "school");
      await shot(page, "operator-school");

      await page.selectOption("#status", "suspended");
      await page.fill("#timeZone", "Europe/Paris");
      const other = await elsewhere(page, `/api/v1/tenants/${id}`, { name: ARGS.otherName });
      check(other === 200, "the other change was saved: " + other);
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.error", { hasText: "someone else changed this school" }).waitFor();
      await page.keyboard.press("Enter");
      await page.locator(".notice.info", { hasText: "as it is saved now" }).waitFor();
      check((await page.inputValue("#name")) === ARGS.otherName, "the saved settings are shown");
      await page.selectOption("#status", "suspended");
      await page.fill("#timeZone", "Europe/Paris");
      await page.click("form.record button[type=submit]");
      await page.locator(".notice.ok", { hasText: "is suspended" }).waitFor();

      await page.locator(".bar nav a", { hasText: "Audit trail" }).click();
      await heading(page, "Audit trail");
      await page.fill("#action", "tenant.suspend");
      await page.click("form.filters button[type=submit]");
      await page.waitForFunction(() => { // the filtered page has replaced the first one
        const rows = [...document.querySelectorAll("li.event")];
        return rows.length > 0 && rows.every((r) => r.dataset.action === "tenant.suspend");
      });
      await page.locator(`li.event a[href="#/schools/${id}"]`).waitFor();
      await axe(page, "platform audit");
      await shot(page, "operator-audit");

      await page.setViewportSize(PHONE);
      await page.locator(".bar nav a", { hasText: "Schools" }).click();
      await heading(page, "Schools");
      await page.locator("table.schools").waitFor();
      await page.fill("#q", ARGS.slug);
      await page.keyboard.press("Enter");
      await rowCount(page, "table.schools tbody tr", 1);
      check((await page.textContent("table.schools tbody tr")).includes("Suspended"), "the list says it is suspended");
      await axe(page, "schools on a phone");
      await shot(page, "operator-schools-phone");
      return { id, errors: page.errors };
    },
  };
}
