// logic.test.mjs - the web app's own logic without a browser (node:test): the register's drafts, the
// router's matching and role rule, dates in the school's time zone, the attendance calendar's months,
// money, the marks entry's cells. Run by test_web_app.py (TestAppLogic).

import assert from "node:assert/strict";
import { test } from "node:test";
import { draftOf, merge, nextStatus } from "../../web/js/drafts.js";
import { compile, resolve } from "../../web/js/router.js";
import { money, todayIn, weekday } from "../../web/js/format.js";
import { cellOf, changed, readCell, rowOfError } from "../../web/js/marks.js";
import { isMonth, monthOf, monthRange, monthWeeks, shiftMonth } from "../../web/js/calendar.js";

const row = (id, status) => ({ studentId: id, firstName: "A", lastName: id, mark: status ? { status } : null });

test("a tap goes present, absent, late, excused and round again", () => {
  assert.deepEqual(["present", "absent", "late", "excused"].map(nextStatus), ["absent", "late", "excused", "present"]);
});

test("an unmarked student shows present and is not saved yet", () => {
  const [r] = merge([row("s1", null)], null);
  assert.equal(r.shown, "present");
  assert.equal(r.unsaved, true);
  assert.deepEqual(draftOf([r]), {}, "a default is no change by hand");
});

test("a saved mark shows as saved; the draft's wins and is unsaved", () => {
  const rows = merge([row("s1", "late"), row("s2", "absent")], { s2: "present", s9: "late", s1: "bogus" });
  assert.deepEqual(rows.map((r) => [r.shown, r.unsaved]), [["late", false], ["present", true]]);
  assert.deepEqual(draftOf(rows), { s2: "present" });
});

test("routes match whole fragments and decode their parameters", () => {
  const m = compile("#/register/:classId/:date");
  assert.deepEqual(m("#/register/c%201/2027-10-13"), { classId: "c 1", date: "2027-10-13" });
  assert.equal(m("#/register/c1"), null);
  assert.equal(m("#/register/c1/d/extra"), null);
});

test("a route another role owns is not found", () => {
  const routes = [{ path: "#/students/:id", roles: ["admin"] }, { path: "#/children/:id", roles: ["parent"] }];
  assert.equal(resolve(routes, "#/students/x", ["parent"]), null);
  assert.deepEqual(resolve(routes, "#/children/x", ["parent"]).params, { id: "x" });
});

test("today is the school's date, not the browser's", () => {
  const late = new Date("2027-10-13T02:30:00Z"); // still the 12th in New York, the 13th in Paris
  assert.equal(todayIn("America/New_York", late), "2027-10-12");
  assert.equal(todayIn("Europe/Paris", late), "2027-10-13");
  assert.equal(weekday("2027-10-13"), 3);
  assert.equal(weekday("2027-10-17"), 7);
});

test("a month's calendar starts on Monday and holds every day once", () => {
  const weeks = monthWeeks("2027-10"); // 1 October 2027 is a Friday
  assert.deepEqual(weeks[0], [null, null, null, null, "2027-10-01", "2027-10-02", "2027-10-03"]);
  assert.equal(weeks.flat().filter(Boolean).length, 31);
  assert.ok(weeks.every((w) => w.length === 7));
  assert.deepEqual(monthWeeks("2027-02").flat().filter(Boolean).slice(-1), ["2027-02-28"]);
  assert.deepEqual(monthRange("2028-02"), ["2028-02-01", "2028-02-29"], "a leap year");
});

test("months shift across years and only real months are months", () => {
  assert.equal(shiftMonth("2027-01", -1), "2026-12");
  assert.equal(shiftMonth("2027-12", 1), "2028-01");
  assert.equal(shiftMonth("2027-10", -13), "2026-09");
  assert.equal(monthOf("2027-10-13"), "2027-10");
  assert.deepEqual(["2027-10", "2027-13", "2027-1", "x"].map(isMonth), [true, false, false, false]);
});

test("money is in the currency's minor units", () => {
  assert.match(money(125000, "USD"), /1,?250\.00/);
  assert.match(money(1250, "JPY"), /1,?250$/, "yen have no minor unit");
  assert.match(money(-5, "EUR"), /0\.05/);
});

test("a mark cell takes 0 to the maximum with two decimals, or a status", () => {
  assert.deepEqual(readCell(" 12,5 ", "mark", 20), { input: { mark: 12.5 } });
  assert.deepEqual(readCell("20", "mark", 20), { input: { mark: 20 } });
  assert.deepEqual(readCell("", "mark", 20), { input: null });
  assert.deepEqual(readCell("", "absent", 20), { input: { status: "absent", mark: null } });
  assert.match(readCell("21", "mark", 20).error, /at most 20/);
  assert.match(readCell("3.333", "mark", 20).error, /two decimals/);
  assert.match(readCell("-1", "mark", 20).error, /number/);
  assert.match(readCell("abc", "mark", 20).error, /number/);
});

test("a cell is unsaved when it differs from the saved result", () => {
  const saved = { status: "mark", mark: 15.5 };
  assert.deepEqual(cellOf(saved), ["15.5", "mark"]);
  assert.equal(changed(saved, "15.50", "mark"), false);
  assert.equal(changed(saved, "15", "mark"), true);
  assert.equal(changed(saved, "", "absent"), true);
  assert.equal(changed(null, "", "mark"), false);
  assert.equal(changed(null, "0", "mark"), true);
  assert.equal(changed({ status: "excused", mark: null }, "", "excused"), false);
  assert.equal(rowOfError("marks[3].mark"), 3);
  assert.equal(rowOfError("marks"), -1);
});

test("classes go in grade order, a week's periods by start, a clash without the other slot's id", async () => {
  const { byGrade, gridDays, periods, plainClash } = await import("../../web/js/grid.js");
  const cls = (name, gradeLevel) => ({ name, gradeLevel });
  assert.deepEqual(byGrade([cls("10-A", 10), cls("2-B", 2), cls("2-A", 2), cls("1-A", 1)]).map((c) => c.name),
    ["1-A", "2-A", "2-B", "10-A"]);
  const slot = (startTime, endTime) => ({ startTime, endTime });
  const days = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, slots: [] }));
  days[0].slots = [slot("09:00", "09:45"), slot("08:00", "08:45")];
  days[2].slots = [slot("08:00", "08:45")];
  days[6].slots = [slot("10:00", "10:30")];
  assert.deepEqual(periods(days), [{ start: "08:00", end: "08:45" }, { start: "09:00", end: "09:45" }, { start: "10:00", end: "10:30" }]);
  assert.deepEqual(gridDays(days), [1, 2, 3, 4, 5, 7]);
  assert.equal(plainClash("the teacher is already booked on Monday 09:00-09:45 by slot 01a88daf-281a-7ba5-8cc5-40ade403380b (2-A Art with R B in R201)"),
    "the teacher is already booked on Monday 09:00-09:45 (2-A Art with R B in R201)");
});

// ---- the administration pages (web/js/admin.js): roles, the audit trail's words and dates, jobs
const admin = await import("../../web/js/admin.js");

test("role masks read as the roles they hold", () => {
  assert.deepEqual(admin.rolesOfMask(6), ["admin", "teacher"]);
  assert.deepEqual(admin.rolesOfMask((1 << 3) | (1 << 6)), ["staff", "bursar"]);
  assert.deepEqual(admin.rolesOfMask(0), []);
  assert.equal(admin.roleList(["admin", "staff"]), "Administrator, Office staff");
});

test("an audit detail reads as its change, old to new", () => {
  assert.deepEqual(admin.auditChange("roles 4 -> 12"), { label: "Roles", before: "Teacher", after: "Teacher, Office staff" });
  assert.deepEqual(admin.auditChange("roles teacher -> teacher,staff"), { label: "Roles", before: "Teacher", after: "Teacher, Office staff" });
  assert.deepEqual(admin.auditChange("fields: phone, email"), { label: "Fields changed", before: null, after: "phone, email" });
  assert.deepEqual(admin.auditChange("a@x.org -> b@x.org"), { label: null, before: "a@x.org", after: "b@x.org" });
  assert.equal(admin.auditChange("items=3"), null);
  assert.equal(admin.auditChange(null), null);
});

test("an audit action reads as words", () => {
  assert.equal(admin.describeAction("user.roles_change"), "Changed the roles of user");
  assert.equal(admin.describeAction("student.create"), "Created student");
  assert.equal(admin.describeAction("auth.login"), "Signed in");
  assert.equal(admin.describeAction("import.students"), "Import students");
  assert.equal(admin.describeAction("fee_structure.invoice"), "Fee structure invoice");
});

test("a school's day is the UTC span the audit filters take, across clock changes", () => {
  assert.equal(admin.dayStart("2027-10-13", "America/New_York"), "2027-10-13T04:00:00.000Z");
  assert.equal(admin.dayStart("2027-11-07", "America/New_York"), "2027-11-07T04:00:00.000Z", "the clocks go back at 2:00");
  assert.equal(admin.dayStart("2027-11-08", "America/New_York"), "2027-11-08T05:00:00.000Z");
  assert.equal(admin.dayStart("2027-03-14", "America/New_York"), "2027-03-14T05:00:00.000Z", "the clocks go forward at 2:00");
  assert.equal(admin.dayStart("2027-10-13", "Asia/Tokyo"), "2027-10-12T15:00:00.000Z");
  assert.equal(admin.dayStart("2027-12-31", "UTC"), "2027-12-31T00:00:00.000Z");
  assert.equal(admin.nextDay("2028-02-28"), "2028-02-29");
  assert.equal(admin.nextDay("2027-12-31"), "2028-01-01");
  const q = new URLSearchParams(admin.auditQuery({ from: "2027-10-13", to: "2027-10-13", action: "user.create", actorId: "" }, "America/New_York"));
  assert.deepEqual(Object.fromEntries(q), { limit: "50", action: "user.create", from: "2027-10-13T04:00:00.000Z", to: "2027-10-14T04:00:00.000Z" },
    "the last day is whole: to is the next day's start, exclusive");
});

test("jobs read as words: name, state, an import's counts", () => {
  assert.equal(admin.jobName("import.students"), "Import of students");
  assert.equal(admin.jobName("export.oneroster"), "Export of OneRoster files");
  assert.equal(admin.jobName("register.pdf"), "Attendance register (PDF)");
  assert.equal(admin.jobState({ state: "active", progress: 40 }), "Running: 40 % done");
  assert.equal(admin.jobState({ state: "waiting", attemptsMade: 1, attempts: 3 }), "Waiting to try again (attempt 2 of 3)");
  assert.equal(admin.jobState({ state: "failed", error: "stalled" }), "Failed: stalled");
  assert.equal(admin.jobState({ state: "completed", result: { imported: false } }), "Finished: nothing was imported, the file has errors");
  assert.equal(admin.cancellable({ state: "waiting" }), true);
  assert.equal(admin.cancellable({ state: "completed" }), false);
  assert.equal(admin.importCounts({ created: 2, updated: 0, unchanged: 1, guardians: { created: 2, linked: 2 }, enrolled: 0 }),
    "2 created, 0 updated, 1 unchanged; guardians: 2 created, 2 linked");
  assert.equal(admin.fileSize(812), "812 bytes");
  assert.equal(admin.fileSize(14200), "14.2 KB");
});

test("the office's messages: dates as the reader writes them, no record ids, sentences", async () => {
  const { clause, plain, sentence } = await import("../../web/js/office.js");
  const day = (d) => `[${d}]`;
  assert.equal(plain("Registers were marked on 2027-10-11 (class 2-A, and maybe others); it cannot become a holiday.", day),
    "Registers were marked on [2027-10-11] (class 2-A, and maybe others); it cannot become a holiday.");
  assert.equal(plain("The student is already enrolled in class 2-A from 2027-08-24 (enrollment 01a88daf-281a-7ba5-8cc5-40ade403380b).", day),
    "The student is already enrolled in class 2-A from [2027-08-24].");
  assert.match(plain("on 2027-10-11"), /2027/, "the default is the reader's long date");
  assert.doesNotMatch(plain("on 2027-10-11"), /2027-10-11/);
  assert.equal(sentence("2027-10-12 is already a holiday"), "2027-10-12 is already a holiday.");
  assert.equal(sentence("subject code MATH is already used"), "Subject code MATH is already used.");
  assert.equal(clause("Registers were marked on a day."), "registers were marked on a day.");
  assert.equal(clause("MATH is used"), "MATH is used.", "a word in capitals stays");
  assert.equal(plain(undefined), "");
});

test("an edit sends only what changed; weekdays read as words", async () => {
  const { changes, daysText } = await import("../../web/js/office.js");
  const rec = { name: "Term 1", weekdays: ["monday", "tuesday"], email: null, version: 3 };
  assert.deepEqual(changes({ name: "Term 1", weekdays: ["monday", "tuesday"], email: null }, rec), {});
  assert.deepEqual(changes({ name: "Term A", weekdays: ["monday"], phone: null }, rec), { name: "Term A", weekdays: ["monday"] });
  assert.deepEqual(changes({ email: "a@b.c" }, rec), { email: "a@b.c" });
  assert.equal(daysText(["monday", "tuesday", "wednesday", "thursday", "friday"]), "Monday to Friday");
  assert.equal(daysText(["friday", "monday", "wednesday"]), "Monday, Wednesday, Friday");
  assert.equal(daysText(["saturday", "sunday"]), "Saturday, Sunday");
  assert.equal(daysText([]), "—");
});

test("a teacher's classes: their subjects there, lessons a week, class teacher", async () => {
  const { teaching } = await import("../../web/js/office.js");
  const classes = [{ id: "c1", name: "2-A", classTeacherId: "t1" }, { id: "c2", name: "3-A", classTeacherId: null },
    { id: "c3", name: "4-A", classTeacherId: "t2" }];
  const assignments = {
    c1: [{ subjectId: "s1", subjectName: "Maths", teacherId: "t2" }],
    c2: [{ subjectId: "s1", subjectName: "Maths", teacherId: "t1" }, { subjectId: "s2", subjectName: "Art", teacherId: "t1" }],
    c3: [{ subjectId: "s2", subjectName: "Art", teacherId: "t2" }],
  };
  const days = [{ slots: [{ classId: "c2", subjectId: "s1" }, { classId: "c2", subjectId: "s1" }] }, { slots: [{ classId: "c2", subjectId: "s2" }] }];
  assert.deepEqual(teaching("t1", classes, assignments, days), [
    { classId: "c1", className: "2-A", classTeacher: true, subjects: [] },
    { classId: "c2", className: "3-A", classTeacher: false,
      subjects: [{ subjectId: "s1", name: "Maths", lessons: 2 }, { subjectId: "s2", name: "Art", lessons: 1 }] }]);
  assert.deepEqual(teaching("t9", classes, assignments), []);
});

test("a lesson's move sends the new day, period and room only", async () => {
  const { move } = await import("../../web/js/office.js");
  const slot = { weekday: 2, startTime: "08:00", endTime: "08:45", room: "R201" };
  assert.deepEqual(move(slot, "2", "08:00-08:45", "R201"), {});
  assert.deepEqual(move(slot, "4", "09:40-10:25", "R201"), { weekday: 4, startTime: "09:40", endTime: "10:25" });
  assert.deepEqual(move(slot, "2", "08:00-08:45", ""), { room: null });
});
