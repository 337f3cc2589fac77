// e2e.mjs SCENARIO - one end-to-end scenario of the web app in Debian's chromium (playwright-core pointed at
// /usr/bin/chromium; nothing downloads a browser), run by test_web_app.py against the real server.
//
// Reads: ERP_APP_URL (the server), ERP_E2E_CLOCK (the instant the page's clock shows: the server's test clock),
// ERP_E2E_PASSWORD (the demo's), ERP_E2E_SHOTS (where screenshots go), ERP_E2E_ARGS (JSON: scenario inputs).
// Prints one line "RESULT <json>" (what the Python side checks against the API) and exits 0; on a failed
// check prints "FAILED <message>" and exits 1. Every page is checked with axe-core: no serious or critical
// violation.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { adminScenarios } from "./e2e_admin.mjs";
import { academicScenarios } from "./e2e_academic.mjs";

// the test tools live in tests/tools (package.json, its lock, node_modules)
const require = createRequire(new URL("../tools/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const APP = process.env.ERP_APP_URL;
const PASSWORD = process.env.ERP_E2E_PASSWORD;
const SHOTS = process.env.ERP_E2E_SHOTS;
const ARGS = JSON.parse(process.env.ERP_E2E_ARGS || "{}");
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

class Failed extends Error {}
let current = null; // the page of the scenario, for the failure's screenshot
function check(ok, message) {
  if (!ok) throw new Failed(message);
}

async function open(browser, viewport) {
  // the browser's own zone is not the school's: the app must show the school's day (America/New_York)
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (401|404|409|412|422)/.test(m.text())) errors.push(m.text());
  });
  await page.clock.setFixedTime(new Date(process.env.ERP_E2E_CLOCK));
  page.errors = errors;
  current = page;
  return page;
}

async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(bad.length === 0, `axe on ${name}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(" ")}`).join("; "));
  return result.violations.length;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
}

async function heading(page, text) {
  await page.locator("h1", { hasText: text }).first().waitFor({ timeout: 15000 });
}

async function signIn(page, email, { school = "demo", password = PASSWORD } = {}) {
  await page.locator("#email").waitFor();
  await page.fill("#tenant", school);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.keyboard.press("Enter"); // the form submits from the keyboard
}

async function markedStatuses(page) {
  return page.$$eval("button.mark", (bs) =>
    Object.fromEntries(bs.map((b) => [b.dataset.student, b.querySelector(".status").textContent.toLowerCase()])));
}

const scenarios = {
  // A teacher's own account: the name in the bar leads to it; a wrong current password and two different new
  // ones are said next to their fields; the change keeps this session; the new password signs in.
  async account(browser) {
    const page = await open(browser, DESKTOP);
    await page.goto(APP + "/");
    await signIn(page, ARGS.email);
    await heading(page, "Today");
    await page.click("a.who");
    await heading(page, "My account");
    check((await page.textContent("dl.facts")).includes(ARGS.email), "the account's email is shown");
    await axe(page, "account");
    await shot(page, "account");
    await page.fill("#currentPassword", "not the password");
    await page.fill("#newPassword", ARGS.newPassword);
    await page.fill("#repeat", ARGS.newPassword + "x");
    await page.click("text=Change password");
    await page.locator('#repeat[aria-invalid="true"]').waitFor();
    check(/not the same/.test(await page.textContent("#repeat-error")), "two different new passwords are said");
    await page.fill("#repeat", ARGS.newPassword);
    await page.click("text=Change password");
    await page.locator('#currentPassword[aria-invalid="true"]').waitFor();
    check(/^Current password is not correct/.test(await page.textContent("#currentPassword-error")),
      "the API's words next to the current password");
    await page.fill("#currentPassword", PASSWORD);
    await page.click("text=Change password");
    await page.locator(".notice.ok", { hasText: "password is changed" }).waitFor();
    check((await page.inputValue("#newPassword")) === "", "the password fields are emptied");
    await page.fill("#displayName", ARGS.displayName);
    await page.click("text=Save details");
    await page.locator(".notice.ok", { hasText: "details are saved" }).waitFor();
    await shot(page, "account-changed");
    await page.click("text=Sign out");
    await signIn(page, ARGS.email, { password: ARGS.newPassword });
    await heading(page, "Today");
    check((await page.textContent("a.who")) === ARGS.displayName, "the bar shows the new name");
    return { errors: page.errors };
  },

  // A teacher on a phone: a wrong password's message, today's lessons, the register saved in one go.
  async teacher(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await heading(page, "Sign in");
    await axe(page, "sign-in");
    await shot(page, "sign-in");
    await page.click("button[type=submit]");
    await page.locator('#email[aria-invalid="true"]').waitFor(); // an empty email is marked invalid
    const said = await page.textContent("#email-error");
    check(/^Email \S/.test(said), "the field's own message is next to it: " + said);
    await signIn(page, "teacher1@demo.school", { password: "not the password" });
    await page.locator(".notice.error").waitFor();
    check(/not correct/.test(await page.textContent(".notice.error")), "the API's detail is shown");
    await signIn(page, "teacher1@demo.school");
    await heading(page, "Today");
    await page.locator(".card").first().waitFor();
    check((await page.textContent("main")).includes(ARGS.todayText), `today is ${ARGS.todayText} in the school`);
    await axe(page, "today");
    await shot(page, "teacher-today");
    // keyboard: Tab reaches the first lesson's register link
    const link = page.locator(".card a.button").first();
    await link.focus();
    await page.keyboard.press("Enter");
    await heading(page, "Register of");
    const [, classId, date] = /#\/register\/([^/]+)\/(.+)$/.exec(page.url());
    const rows = page.locator("button.mark");
    check((await rows.count()) > 0, "the register lists the class");
    await rows.nth(0).click();
    await rows.nth(1).click();
    await rows.nth(1).click();
    const tapped = await markedStatuses(page);
    const ids = Object.keys(tapped).slice(0, 2);
    check((await page.locator(".row.unsaved button.mark").nth(0).getAttribute("data-student")) === ids[0] &&
      (await page.locator(".row.unsaved button.mark").nth(1).getAttribute("data-student")) === ids[1], "tapped rows are flagged unsaved");
    check(/not saved yet/.test(await page.textContent(".counter")), "the counter says what is not saved");
    await axe(page, "register");
    await shot(page, "teacher-register-unsaved");
    await page.click("button.save");
    await page.locator(".notice.ok").waitFor();
    check((await page.textContent(".counter")) === "Everything is saved.", "after the save nothing is unsaved");
    check((await page.locator(".row.unsaved").count()) === 0, "no row is flagged after the save");
    await shot(page, "teacher-register-saved");
    return { classId, date, marks: await markedStatuses(page), tapped: { [ids[0]]: tapped[ids[0]], [ids[1]]: tapped[ids[1]] }, errors: page.errors };
  },

  // A parent: their children with attendance, one child's page, and another child's address is not found.
  async parent(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "parent1@demo.school");
    await heading(page, "My children");
    await page.locator(".card").first().waitFor();
    const children = await page.$$eval(".card h2 a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
    check(/Attendance/.test(await page.textContent(".card")), "each child shows an attendance summary");
    await axe(page, "children");
    await shot(page, "parent-children");
    await page.click(".card h2 a");
    await page.locator("table.calendar").waitFor();
    await axe(page, "child");
    await shot(page, "parent-child");
    await page.goto(APP + "/#/children/" + ARGS.otherChild);
    await heading(page, "Not found");
    check(!(await page.textContent("main")).includes(ARGS.otherName), "nothing of the other child is shown");
    await axe(page, "not found");
    await shot(page, "parent-not-found");
    return { children, errors: page.errors };
  },

  // The session ends while a register has unsaved marks: back to sign-in, which says they are kept; after
  // signing in again they are back and are saved.
  async expiry(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + `/#/register/${ARGS.classId}/${ARGS.date}`);
    await signIn(page, "teacher1@demo.school");
    await heading(page, "Register of");
    const row = page.locator("button.mark").nth(2);
    const student = await row.getAttribute("data-student");
    const cycle = ["present", "absent", "late", "excused"];
    const before = (await row.locator(".status").textContent()).toLowerCase();
    const expected = cycle[(cycle.indexOf(before) + 3) % 4];
    await row.click();
    await row.click();
    await row.click(); // three taps on: present → excused, late → absent, …
    await page.locator(".counter.dirty").waitFor();
    // the server ends the session (as an expiry or a sign-out elsewhere would)
    const ended = await page.evaluate(async () => {
      const s = JSON.parse(sessionStorage.getItem("erp.session"));
      const r = await fetch("/api/v1/auth/logout", { method: "POST", headers: { authorization: "Bearer " + s.accessToken } });
      return r.status;
    });
    check(ended === 204, "the session was ended: " + ended);
    await page.click("button.save");
    await heading(page, "Sign in");
    const said = await page.textContent("main");
    check(/session has ended/.test(said) && /unsaved register .* is kept/.test(said), "sign-in says the marks are kept: " + said);
    await axe(page, "sign-in after expiry");
    await shot(page, "session-ended");
    await signIn(page, "teacher1@demo.school");
    await heading(page, "Register of");
    await page.locator(".notice.info", { hasText: "unsaved marks from before are back" }).waitFor();
    const back = (await page.locator(`button.mark[data-student="${student}"] .status`).textContent()).toLowerCase();
    check(back === expected, `the kept mark is back: ${back}, not ${expected}`);
    await page.click("button.save");
    await page.locator(".notice.ok").waitFor();
    return { student, status: expected, errors: page.errors };
  },

  // The access token (30 s here) is refreshed before it expires, without the reader doing anything.
  async refresh(browser) {
    const page = await open(browser, DESKTOP);
    await page.goto(APP + "/");
    await signIn(page, "parent1@demo.school");
    await heading(page, "My children");
    const token = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("erp.session")).accessToken);
    const first = await token();
    await page.waitForFunction((t) => JSON.parse(sessionStorage.getItem("erp.session")).accessToken !== t, first,
      { timeout: 90000, polling: 500 });
    await page.click(".card h2 a");
    await page.locator("table.calendar").waitFor();
    return { first, now: await token(), errors: page.errors };
  },

  // The office's classes on a phone: grade order, a class created (the API's field error next to the field)
  // and edited, a roster leading to a student, and a lesson added to the timetable grid after a clash.
  async classes(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "admin@demo.school");
    await heading(page, "Students");
    await page.click('nav a[href="#/classes"]');
    await heading(page, "Classes and subjects");
    const order = await page.$$eval("table.list tbody th a", (as) => as.map((a) => a.textContent));
    check((await page.locator("table.subjects tbody tr").count()) > 0, "the subjects are listed");
    await axe(page, "classes");
    await shot(page, "admin-classes");

    await page.click('a[href="#/classes/new"]');
    await heading(page, "New class");
    await page.fill("#gradeLevel", "99");
    await page.fill("#section", "W");
    await page.click("button[type=submit]");
    await page.locator('#gradeLevel[aria-invalid="true"]').waitFor();
    const gradeError = await page.textContent("#gradeLevel-error");
    check(/^Grade \S/.test(gradeError), "the API's message is next to the grade: " + gradeError);
    await axe(page, "new class with an error");
    await shot(page, "admin-class-error");
    await page.fill("#gradeLevel", String(ARGS.grade));
    await page.click("button[type=submit]");
    await heading(page, `Class ${ARGS.grade}-W`);
    const created = /#\/classes\/([^/]+)$/.exec(page.url())[1];
    await page.click(`a[href="#/classes/${created}/edit"]`);
    await heading(page, "Edit class");
    await page.fill("#room", "W-101");
    await page.fill("#capacity", "30");
    await page.click("button[type=submit]");
    await page.locator(".notice.ok").waitFor();
    check((await page.textContent("dl.facts")).includes("W-101"), "the class shows its new room");

    await page.goto(APP + `/#/classes/${ARGS.classId}`);
    await heading(page, `Class ${ARGS.className}`);
    await page.locator("table.roster").waitFor();
    const roster = await page.$$eval("table.roster tbody a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
    await axe(page, "class");
    await shot(page, "admin-class");
    await page.click("table.roster tbody a");
    await page.locator("dl.facts").waitFor();
    check(page.url().endsWith(`#/students/${roster[0]}`), "the roster links to the student's page");

    await page.goto(APP + `/#/classes/${ARGS.classId}/timetable`);
    await heading(page, `Timetable of ${ARGS.className}`);
    await page.locator("table.grid").waitFor();
    await page.selectOption("#subjectId", ARGS.subjectId);
    await page.selectOption("#teacherId", ARGS.teacherId);
    await page.selectOption("#weekday", String(ARGS.weekday));
    await page.fill("#startTime", ARGS.start);
    await page.fill("#endTime", ARGS.end);
    await page.click("button[type=submit]");
    await page.locator(".form-status .notice.error").waitFor();
    const clash = await page.textContent(".form-status .notice.error");
    check(/^Not added: .*teacher is already booked/.test(clash) && !/[0-9a-f]{8}-[0-9a-f]{4}/.test(clash), "the clash is said plainly: " + clash);
    check(/teacher is already booked/.test(await page.textContent("#teacherId-error")), "the teacher's clash is next to the teacher");
    await axe(page, "timetable with a clash");
    await shot(page, "admin-timetable-clash");
    await page.selectOption("#weekday", "5");
    await page.fill("#startTime", "14:10");
    await page.fill("#endTime", "14:55");
    await page.fill("#room", "Lab W");
    await page.click("button[type=submit]");
    await page.locator(".notice.ok").waitFor();
    const periods = await page.$$eval("table.grid tbody th", (ths) => ths.map((t) => t.textContent));
    check(periods.includes("14:10–14:55"), "the grid gains the period: " + periods);
    check((await page.textContent("table.grid")).includes("Lab W"), "the new lesson is in the grid");
    await axe(page, "timetable");
    await shot(page, "admin-timetable");
    return { order, created, roster, errors: page.errors };
  },

  // The office on a desktop: the student search and a profile.
  async admin(browser) {
    const page = await open(browser, DESKTOP);
    await page.goto(APP + "/");
    await signIn(page, "admin@demo.school");
    await heading(page, "Students");
    await page.locator("table.list").waitFor();
    await page.fill("#q", ARGS.query);
    await page.keyboard.press("Enter");
    await page.locator("table.list caption", { hasText: ARGS.query }).waitFor();
    const found = await page.$$eval("table.list tbody a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
    await axe(page, "students");
    await shot(page, "admin-students");
    await page.click(`a[href="#/students/${found[0]}"]`);
    await page.locator("dl.facts").waitFor();
    await axe(page, "student");
    await shot(page, "admin-student");
    await page.goto(APP + "/#/students");
    await heading(page, "Students");
    await page.locator("table.list").waitFor(); // the list drawn: a search typed before would be drawn over
    await page.fill("#q", "zzzz-nobody");
    await page.keyboard.press("Enter");
    await page.locator(".empty").waitFor();
    await page.click("button.link"); // sign out
    await heading(page, "Sign in");
    check(/signed out/.test(await page.textContent("main")), "signing out says so");
    return { found, errors: page.errors };
  },

  // The office admits a student (the API's field errors next to the fields), edits them (a change saved
  // meanwhile elsewhere is not overwritten: the page says so), enrolls them in a class and finds them.
  async office(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "admin@demo.school");
    await heading(page, "Students");
    await page.locator("a.button", { hasText: "Admit a student" }).click();
    await heading(page, "Admit a student");
    await page.fill("#admissionNo", ARGS.admissionNo);
    await page.fill("#lastName", ARGS.lastName);
    await page.fill("#dateOfBirth", "2031-02-01");
    await page.click("form.record button[type=submit]");
    await page.locator('#firstName[aria-invalid="true"]').waitFor();
    const said = await page.textContent("#firstName-error");
    check(said === "First name must not be empty.", "the API's message is next to the first name: " + said);
    check(await page.evaluate(() => document.activeElement.id === "firstName"), "the field in error has the focus");
    await axe(page, "admit with errors");
    await shot(page, "admin-admit-errors");
    await page.fill("#firstName", ARGS.firstName);
    await page.click("form.record button[type=submit]");
    await page.locator('#dateOfBirth[aria-invalid="true"]').waitFor();
    check(/^Date of birth must be a date in the past\.$/.test(await page.textContent("#dateOfBirth-error")), "the birth date's message");
    check((await page.getAttribute("#firstName", "aria-invalid")) === null, "a corrected field is no longer marked");
    await page.fill("#dateOfBirth", ARGS.dateOfBirth);
    await page.click("form.record button[type=submit]");
    await page.locator(".notice.ok", { hasText: "is admitted" }).waitFor();
    const id = /#\/students\/([^/]+)$/.exec(page.url())[1];
    await axe(page, "admitted");
    await shot(page, "admin-admitted");

    // an edit meets a change saved elsewhere meanwhile
    await page.locator("a.button", { hasText: "Edit details" }).click();
    await heading(page, "Edit ");
    await page.fill("#phone", "+1 555 0100");
    const elsewhere = await page.evaluate(async (sid) => {
      const s = JSON.parse(sessionStorage.getItem("erp.session"));
      const auth = { authorization: "Bearer " + s.accessToken };
      const got = await fetch("/api/v1/students/" + sid, { headers: auth });
      const r = await fetch("/api/v1/students/" + sid, { method: "PATCH",
        headers: { ...auth, "content-type": "application/json", "if-match": got.headers.get("etag") },
        body: JSON.stringify({ middleName: "Elsewhere" }) });
      return r.status;
    }, id);
    check(elsewhere === 200, "the other change was saved: " + elsewhere);
    await page.click("form.record button[type=submit]");
    const alert = page.locator(".notice.error", { hasText: "someone else changed this student" });
    await alert.waitFor();
    await axe(page, "edit conflict");
    await shot(page, "admin-edit-conflict");
    await page.keyboard.press("Enter"); // "Show the saved record" has the focus
    await page.locator(".notice.info", { hasText: "as it is saved now" }).waitFor();
    check((await page.inputValue("#middleName")) === "Elsewhere", "the saved record is shown");
    await page.fill("#phone", "+1 555 0100");
    await page.click("form.record button[type=submit]");
    await page.locator(".notice.ok", { hasText: "are saved" }).waitFor();

    // enrolled in a class
    await page.selectOption("#classId", ARGS.classId);
    await page.click("form.record button[type=submit]");
    await page.locator(".notice.ok", { hasText: "is enrolled in " + ARGS.className }).waitFor();
    check((await page.textContent("dl.facts")).includes(ARGS.className), "the profile names the class");
    await axe(page, "enrolled");
    await shot(page, "admin-enrolled");

    // found by search on a desktop
    await page.setViewportSize(DESKTOP);
    await page.locator(".bar nav a", { hasText: "Students" }).click();
    await heading(page, "Students");
    await page.fill("#q", ARGS.lastName);
    await page.keyboard.press("Enter");
    await page.locator("table.list caption", { hasText: ARGS.lastName }).waitFor();
    const found = await page.$$eval("table.list tbody a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
    await shot(page, "admin-search-found");
    return { id, found, errors: page.errors };
  },

  // A teacher enters an assessment's marks on a phone: a wrong cell is flagged at once and blocks the save,
  // what is not saved is shown, one save sends the changed cells.
  async gradebook(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "teacher1@demo.school");
    await heading(page, "Today");
    await page.locator(".bar nav a", { hasText: "Gradebook" }).click();
    await heading(page, "Gradebook");
    await page.locator(`a[href="#/gradebook/${ARGS.classId}/${ARGS.subjectId}"]`).click();
    await page.locator("h2", { hasText: "Assessments" }).waitFor();
    await axe(page, "gradebook");
    await shot(page, "teacher-gradebook");
    // a new assessment: the API's words next to the fields, then its marks entry
    await page.fill("#maxMarks", "0");
    await page.locator("form.record button[type=submit]").click();
    await page.locator('#name[aria-invalid="true"]').waitFor();
    check(/^Name \S/.test(await page.textContent("#name-error")), "the name's message is next to it");
    check((await page.getAttribute("#maxMarks", "aria-invalid")) === "true", "the maximum is flagged: " + await page.textContent("#maxMarks-error"));
    await axe(page, "new assessment with errors");
    await page.fill("#name", "Quiz from the web");
    await page.fill("#maxMarks", "10");
    await page.locator("form.record button[type=submit]").click();
    await page.locator(".notice.ok", { hasText: "Quiz from the web is created" }).waitFor();
    const created = /#\/marks\/([^/]+)$/.exec(page.url())[1];
    await page.goto(APP + `/#/gradebook/${ARGS.classId}/${ARGS.subjectId}`);
    await page.locator(`a[href="#/marks/${ARGS.assessmentId}"]`).click();
    await heading(page, "Marks: ");
    const rows = page.locator("li.mark-row");
    check((await rows.count()) === ARGS.students, "a row per student of the class");
    const ids = await rows.evaluateAll((els) => els.map((e) => e.dataset.student));
    await page.fill("#m-0", String(ARGS.max + 1));
    await page.fill("#m-1", "3.333");
    await page.locator('#m-1[aria-invalid="true"]').waitFor();
    check((await page.textContent("#m-0-error")).endsWith(`must be at most ${ARGS.max}.`), "the cell says its limit");
    check(/2 not saved yet/.test(await page.textContent(".counter")), "the counter: " + (await page.textContent(".counter")));
    await page.click("button.save");
    await page.locator(".notice.error", { hasText: "correct the marks" }).waitFor();
    check(await page.evaluate(() => document.activeElement.id === "m-0"), "the first wrong cell has the focus");
    await axe(page, "marks with errors");
    await shot(page, "teacher-marks-errors");
    await page.fill("#m-0", "18.5");
    await page.fill("#m-1", "");
    await page.selectOption("#m-1-status", "absent");
    check((await page.locator("li.mark-row.unsaved").count()) === 2, "two rows are flagged not saved");
    check(!(await page.isVisible("#m-0-error")), "a corrected cell is no longer flagged");
    await page.click("button.save");
    await page.locator(".notice.ok", { hasText: "Saved at" }).waitFor();
    check((await page.textContent(".counter")) === "Everything is saved.", "after the save nothing is unsaved");
    check((await page.inputValue("#m-0")) === "18.5", "the saved mark is shown");
    await shot(page, "teacher-marks-saved");

    // the session ends with a mark typed and not saved: sign-in says it is kept, and it comes back
    await page.fill("#m-2", "7.25");
    await page.locator("li.mark-row.unsaved").waitFor();
    const ended = await page.evaluate(async () => {
      const s = JSON.parse(sessionStorage.getItem("erp.session"));
      return (await fetch("/api/v1/auth/logout", { method: "POST", headers: { authorization: "Bearer " + s.accessToken } })).status;
    });
    check(ended === 204, "the session was ended: " + ended);
    await page.click("button.save");
    await heading(page, "Sign in");
    const said = await page.textContent("main");
    check(/unsaved marks \(.+\) are kept/.test(said), "sign-in says the marks are kept: " + said);
    await signIn(page, "teacher1@demo.school");
    await heading(page, "Marks: ");
    await page.locator(".notice.info", { hasText: "unsaved marks from before are back" }).waitFor();
    check((await page.inputValue("#m-2")) === "7.25", "the kept mark is back");
    await page.click("button.save");
    await page.locator(".notice.ok", { hasText: "Saved at" }).waitFor();
    return { first: ids[0], second: ids[1], third: ids[2], created, errors: page.errors };
  },

  // A student: their own record only, its attendance, timetable and grades (not published yet: it says so).
  async student(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "student7@demo.school");
    await heading(page, "My record");
    const mine = await page.$$eval(".card h2 a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
    await page.click(".card h2 a");
    await page.locator("table.calendar").waitFor();
    check(!(await page.isVisible("text=All my children")), "no link to a parent's list");
    await page.locator(".tabs a", { hasText: "Timetable" }).click();
    await page.locator("h2", { hasText: "Timetable of" }).waitFor(); // the small demo's class may have no lessons: it says so
    await axe(page, "student timetable");
    await page.locator(".tabs a", { hasText: "Grades" }).click();
    await page.locator(".empty", { hasText: "not published yet" }).first().waitFor();
    await axe(page, "student grades");
    await shot(page, "student-grades");
    return { mine, errors: page.errors };
  },

  // A parent follows a child: the month's attendance calendar and summary, the timetable, published grades
  // with the report card (a PDF), fees with the receipt (a PDF), announcements marked read; another child's
  // sections are not found.
  async records(browser) {
    const page = await open(browser, PHONE);
    await page.goto(APP + "/");
    await signIn(page, "parent1@demo.school");
    await heading(page, "My children");
    await page.locator(`.card h2 a[href="#/children/${ARGS.child}"]`).click();
    await page.locator("table.calendar").waitFor();
    const marked = await page.locator("table.calendar td.present, table.calendar td.absent, table.calendar td.late, table.calendar td.excused").count();
    check(marked === ARGS.marked, `the calendar shows ${marked} marked days, the API ${ARGS.marked}`);
    check((await page.textContent("table.calendar caption")) === "October 2027", "the school's month is shown");
    check((await page.textContent("dl.summary")).includes(ARGS.rate), "the month's rate " + ARGS.rate);
    await axe(page, "attendance calendar");
    await shot(page, "parent-attendance");
    await page.setViewportSize(DESKTOP);
    await shot(page, "parent-attendance-desktop");
    await page.setViewportSize(PHONE);
    await page.locator("a.button", { hasText: "Previous month" }).click();
    await page.locator("table.calendar caption", { hasText: "September 2027" }).waitFor();

    await page.locator(".tabs a", { hasText: "Timetable" }).click();
    await page.locator(".week .card").first().waitFor();
    check((await page.locator(".week .card").count()) === 5, "a lesson every weekday");
    await axe(page, "timetable");
    await shot(page, "parent-timetable");

    await page.locator(".tabs a", { hasText: "Grades" }).click();
    await page.locator("button.report-card").first().waitFor();
    const subjects = await page.$$eval("section.card table.list tbody th", (ths) => ths.map((x) => x.textContent));
    const [card] = await Promise.all([page.waitForEvent("download"), page.locator("button.report-card").first().click()]);
    const cardPdf = readFileSync(await card.path()).subarray(0, 5).toString();
    await page.locator(".notice.ok", { hasText: "report card is downloaded" }).waitFor();
    await axe(page, "grades");
    await shot(page, "parent-grades");

    await page.locator(".tabs a", { hasText: "Fees" }).click();
    await page.locator("button.receipt").first().waitFor();
    const figures = await page.textContent("dl.summary.fees");
    const invoices = await page.locator("table.invoices tbody tr").count();
    const [receipt] = await Promise.all([page.waitForEvent("download"), page.locator("button.receipt").first().click()]);
    const receiptPdf = readFileSync(await receipt.path()).subarray(0, 5).toString();
    await axe(page, "fees");
    await shot(page, "parent-fees");

    await page.locator(".bar nav a", { hasText: "Announcements" }).click();
    await heading(page, "Announcements");
    await page.locator("article.unread").first().waitFor();
    const unread = await page.locator("article.unread").count();
    await axe(page, "announcements");
    await shot(page, "parent-announcements");
    const first = page.locator("article.unread").first();
    const readId = (await first.getAttribute("aria-labelledby")).slice(2);
    await first.locator("button.mark-read").click();
    await page.locator(`article:not(.unread)[aria-labelledby="a-${readId}"]`).waitFor();
    check((await page.locator("article.unread").count()) === unread - 1, "one announcement fewer is unread");

    for (const section of ["fees", "grades", "timetable", "attendance/2027-10"]) {
      await page.goto(APP + `/#/children/${ARGS.other}/${section}`);
      await heading(page, "Not found");
    }
    await axe(page, "not found");
    return { marked, subjects, cardPdf, figures, invoices, receiptPdf, unread, readId, errors: page.errors };
  },
};

Object.assign(scenarios, adminScenarios({ open, axe, shot, heading, signIn, check, APP, ARGS, PHONE, DESKTOP }));
Object.assign(scenarios, academicScenarios({ APP, ARGS, PHONE, DESKTOP, open, axe, shot, heading, signIn, check }));

const name = process.argv[2];
const browser = await chromium.launch({ executablePath: process.env.ERP_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
let code = 0;
try {
  check(scenarios[name], "no scenario " + name);
  const result = await scenarios[name](browser);
  console.log("RESULT " + JSON.stringify(result));
} catch (e) {
  console.log("FAILED " + (e instanceof Failed ? e.message : e.stack).split("\n").join(" | "));
  if (current) {
    await shot(current, "failed-" + name).catch(() => {});
    console.log("page " + current.url() + ": " + (await current.textContent("body").catch(() => "?")).replace(/\s+/g, " "));
  }
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
