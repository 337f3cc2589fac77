"""
The web app end to end: Debian's chromium (driven by playwright-core from tests/tools, e2e.mjs) against the
real server and the demo school, on a Tuesday of the demo's term (the server's test clock and the page's
clock agree; the browser runs in another time zone than the school). What the browser did is checked
against the API:

* a teacher on a 360 px phone signs in (a missing field's message next to it, the API's detail for a wrong
  password), sees today's lessons in the school's time zone, marks a register (everyone present, two taps)
  and saves it once: the API's sheet holds exactly those marks;
* a parent sees their children (the API's /me/students, no other) with attendance, and a not-found page
  for another child's address;
* a student sees their own record only: attendance, timetable, grades not published yet;
* the session ends while a register has unsaved marks: the app returns to sign-in saying they are kept,
  and after signing in they are back and saved (the API shows them);
* the access token is refreshed before it expires (a 30 s token, refreshed at four fifths of its life);
* the office searches students and opens a profile; signing out returns to sign-in;
* the office admits a student (the API's field errors next to the fields), edits them while someone else
  saves a change (If-Match: the page says so and shows the saved record), enrolls them and finds them;
* the office lists the year's classes in grade order and the subjects, creates a class (the API's field
  error next to the field) and edits it, follows a roster to a student, and adds a lesson to a class's
  timetable grid after the API refused one that double-books the teacher (said plainly, next to the field);
* a teacher creates an assessment from the gradebook (the API's words next to the fields) and enters an
  assessment's marks on a phone: wrong cells flagged at once and
  blocking the save, unsaved cells shown, one save of the changed cells (the API holds exactly those);
  a mark typed when the session ends is kept (sign-in says so) and saved after signing in again;
* a parent follows a child (its own server: the term's grades get published): the month's attendance
  calendar and summary, the timetable, published grades and the report card PDF, fees with the receipt
  PDF, announcements marked read; another child's sections are not found;
* the app's own logic (drafts, routes, the school's date) passes its node:test checks (logic.test.mjs);
* axe-core finds no serious or critical violation on any page; each page's screenshot is saved under
  the build directory (build/test-logs/web-screenshots, or ERP_E2E_SHOTS).

Runs with: cd tests/web && ERP_BIN=$PWD/../../build/school-erp python3 -m unittest -v test_web_app
"""

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
# A Wednesday of the demo's first term, noon in the school (America/New_York): a school day with lessons.
os.environ["ERP_TEST_CLOCK"] = "2027-10-13T16:00:00Z"

from dates import DAY, day, iso, today  # noqa: E402
from fixtures_academic import Demo  # noqa: E402
from harness import ERP_BIN, ROOT, ServerTestCase, full_name, skip_allowed  # noqa: E402
from world import login  # noqa: E402

CHROMIUM = os.environ.get("ERP_CHROMIUM", "/usr/bin/chromium")
TOOLS = os.path.join(ROOT, "tests", "tools", "node_modules", "playwright-core")
SHOTS = os.environ.get("ERP_E2E_SHOTS") or os.path.join(os.path.dirname(ERP_BIN), "test-logs", "web-screenshots")


class TestAppLogic(unittest.TestCase):
    def test_logic_without_a_browser(self):
        r = subprocess.run(["node", "--test", os.path.join(HERE, "logic.test.mjs")], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
        self.assertRegex(r.stdout, r"# pass [1-9]")


class BrowserCase(ServerTestCase):
    """A server with the demo school, and scenarios of e2e.mjs run against it (browse)."""

    SERVER_ENV = {"ERP_ACCESS_TOKEN_TTL_SECONDS": "30"}  # the shortest: the app's refresh happens within a scenario

    @classmethod
    def setUpClass(cls):
        if not os.access(CHROMIUM, os.X_OK):
            skip_allowed(f"no browser at {CHROMIUM} (scripts/bootstrap --test installs Debian's chromium)")
        if not os.path.isdir(TOOLS):
            skip_allowed("playwright-core is not installed (npm ci in tests/tools)")
        super().setUpClass()
        cls.demo = Demo(cls.server, students=60)
        os.makedirs(SHOTS, exist_ok=True)

    def setUp(self):
        super().setUp()
        self.demo._login.clear()  # tokens live 30 s here: each test signs in afresh, however long the last one ran

    def browse(self, scenario, **args):
        env = dict(os.environ, ERP_APP_URL=self.server.url, ERP_E2E_CLOCK=os.environ["ERP_TEST_CLOCK"],
                   ERP_E2E_PASSWORD=self.demo.password, ERP_E2E_SHOTS=SHOTS, ERP_E2E_ARGS=json.dumps(args))
        r = subprocess.run(["node", os.path.join(HERE, "e2e.mjs"), scenario], env=env, capture_output=True,
                           text=True, timeout=240)
        lines = r.stdout.splitlines()
        failed = [line for line in lines if line.startswith(("FAILED ", "page "))]
        self.assertFalse(failed, "\n".join(failed) + "\n" + r.stderr[-2000:])
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        self.demo._login.clear()  # the API's tokens live 30 s here: the checks after a scenario sign in again
        result = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
        self.assertEqual(result.pop("errors"), [], "the page logged errors")
        return result


class TestWebApp(BrowserCase):
    def sheet(self, class_id, date):
        return self.demo.client("admin").get(f"/api/v1/classes/{class_id}/attendance/{date}", expect=200).json

    def test_teacher_saves_todays_register_on_a_phone(self):
        r = self.browse("teacher", todayText="Wednesday, October 13, 2027")
        self.assertEqual(r["date"], "2027-10-13")
        sheet = self.sheet(r["classId"], r["date"])
        saved = {row["studentId"]: row["mark"]["status"] for row in sheet["items"] if row["mark"]}
        self.assertEqual(saved, r["marks"], "the API holds what the page shows, every student marked")
        self.assertEqual(len(saved), len(sheet["items"]))
        for student, status in r["tapped"].items():
            self.assertEqual(saved[student], status)

    def test_parent_sees_only_their_children(self):
        mine = self.demo.client("parent1").get("/api/v1/me/students?limit=50", expect=200).json["items"]
        mine_ids = {s["id"] for s in mine}
        others = self.demo.client("admin").get("/api/v1/students?limit=50", expect=200).json["items"]
        other = next(s for s in others if s["id"] not in mine_ids)
        r = self.browse("parent", otherChild=other["id"], otherName=other["lastName"] + other["firstName"])
        self.assertEqual(set(r["children"]), mine_ids)
        self.demo.client("parent1").get(f"/api/v1/students/{other['id']}", expect=404)

    def test_student_sees_their_own_record(self):
        r = self.browse("student")
        mine = self.demo.client("student7").get("/api/v1/me/students", expect=200).json["items"]
        self.assertEqual(r["mine"], [s["id"] for s in mine])
        self.assertEqual(len(r["mine"]), 1)

    def test_session_end_keeps_the_unsaved_register(self):
        teacher = self.demo.client("teacher1")
        tid = self.demo.teacher_id("teacher1")
        week = teacher.get(f"/api/v1/teachers/{tid}/timetable", expect=200).json
        lesson = next(d for d in week["days"] if d["weekday"] == 3)["slots"][-1]
        r = self.browse("expiry", classId=lesson["classId"], date="2027-10-13")
        sheet = self.sheet(lesson["classId"], "2027-10-13")
        marks = {row["studentId"]: row["mark"]["status"] for row in sheet["items"] if row["mark"]}
        self.assertEqual(marks[r["student"]], r["status"])

    def test_a_person_changes_their_password_and_name(self):
        email = self.demo.email("teacher2")
        self.browse("account", email=email, newPassword="a new long passphrase 4", displayName="Tamar Web-Name")
        # the API agrees: the new password signs in, the old one does not, the name is saved
        login(self.server, "demo", email, "a new long passphrase 4")
        login(self.server, "demo", email, self.demo.password, expect=401)
        me = self.server.client(token=login(self.server, "demo", email, "a new long passphrase 4")["accessToken"])
        self.assertEqual(me.get("/api/v1/me", expect=200).json["user"]["displayName"], "Tamar Web-Name")

    def test_office_searches_students(self):
        student = self.demo.client("admin").get("/api/v1/students?limit=1&sort=admissionNo", expect=200).json["items"][0]
        r = self.browse("admin", query=student["admissionNo"])
        self.assertEqual(r["found"], [student["id"]])

    def test_admin_admits_enrolls_and_finds_a_student(self):
        cls = self.demo.classes()["2-A"]
        r = self.browse("office", admissionNo="W-2027-001", firstName="Ngozi", lastName="Okonkwo-Web",
                        dateOfBirth="2020-03-14", classId=cls["id"], className="2-A")
        self.assertEqual(r["found"], [r["id"]], "the search finds the admitted student, only them")
        s = self.demo.client("admin").get(f"/api/v1/students/{r['id']}", expect=200).json
        self.assertEqual((s["admissionNo"], s["firstName"], s["lastName"], s["dateOfBirth"]),
                         ("W-2027-001", "Ngozi", "Okonkwo-Web", "2020-03-14"))
        self.assertEqual((s["middleName"], s["phone"]), ("Elsewhere", "+1 555 0100"),
                         "the edit kept the change saved meanwhile and added its own")
        self.assertEqual(s["currentClass"]["id"], cls["id"])

    def test_office_runs_classes_and_the_timetable(self):
        admin = self.demo.client("admin")
        cls = self.demo.classes()["2-A"]
        assignment = self.demo.client("admin").get(f"/api/v1/classes/{cls['id']}/subjects", expect=200).json["items"][0]
        teacher = assignment["teacherId"]
        busy = next(dict(s, weekday=d["weekday"]) for d in
                    admin.get(f"/api/v1/teachers/{teacher}/timetable", expect=200).json["days"] for s in d["slots"])
        r = self.browse("classes", grade=2, classId=cls["id"], className="2-A", subjectId=assignment["subjectId"],
                        teacherId=teacher, weekday=busy["weekday"], start=busy["startTime"], end=busy["endTime"])
        admin = self.demo.client("admin")
        year = admin.get("/api/v1/academic-years/current", expect=200).json
        listed = admin.get(f"/api/v1/classes?academicYearId={year['id']}&limit=500", expect=200).json["items"]
        grade_order = [c["name"] for c in sorted(listed, key=lambda c: (c["gradeLevel"], c["name"]))]
        self.assertEqual([n for n in r["order"] if n != "2-W"], [n for n in grade_order if n != "2-W"],
                         "the page lists the year's classes in grade order")
        made = admin.get(f"/api/v1/classes/{r['created']}", expect=200).json
        self.assertEqual((made["name"], made["gradeLevel"], made["section"], made["room"], made["capacity"]),
                         ("2-W", 2, "W", "W-101", 30))
        roster = admin.get(f"/api/v1/classes/{cls['id']}/students?limit=500", expect=200).json["items"]
        self.assertEqual(r["roster"], [s["studentId"] for s in roster])
        week = admin.get(f"/api/v1/classes/{cls['id']}/timetable", expect=200).json["days"]
        added = [s for s in week[4]["slots"] if s["startTime"] >= "14:00"]
        self.assertEqual([(s["subjectId"], s["teacherId"], s["startTime"], s["endTime"], s["room"]) for s in added],
                         [(assignment["subjectId"], teacher, "14:10", "14:55", "Lab W")])
        same_time = [s for d in admin.get(f"/api/v1/teachers/{teacher}/timetable", expect=200).json["days"]
                     for s in d["slots"] if (d["weekday"], s["startTime"]) == (busy["weekday"], busy["startTime"])]
        self.assertEqual(len(same_time), 1, "the clashing lesson was not added")

    def test_teacher_enters_an_assessments_marks(self):
        teacher = self.demo.client("teacher1")
        week = teacher.get(f"/api/v1/teachers/{self.demo.teacher_id('teacher1')}/timetable", expect=200).json
        term = next(t for t in teacher.get("/api/v1/terms?limit=10", expect=200).json["items"] if t["name"] == "Term 1")
        for slot in (s for d in week["days"] for s in d["slots"]):
            book = teacher.get(f"/api/v1/classes/{slot['classId']}/gradebook?subjectId={slot['subjectId']}"
                               f"&termId={term['id']}", expect=200).json
            if book["assessments"]:
                break
        a = book["assessments"][0]
        sheet = teacher.get(f"/api/v1/assessments/{a['id']}/marks", expect=200).json
        r = self.browse("gradebook", classId=slot["classId"], subjectId=slot["subjectId"], assessmentId=a["id"],
                        max=a["maxMarks"], students=len(sheet["items"]))
        after = {i["studentId"]: i["result"] for i in
                 self.demo.client("teacher1").get(f"/api/v1/assessments/{a['id']}/marks", expect=200).json["items"]}
        self.assertEqual((after[r["first"]]["status"], after[r["first"]]["mark"]), ("mark", 18.5))
        self.assertEqual(after[r["second"]]["status"], "absent")
        self.assertEqual(after[r["third"]]["mark"], 7.25, "the mark kept over the session's end was saved")
        quiz = self.demo.client("teacher1").get(f"/api/v1/assessments/{r['created']}", expect=200).json
        self.assertEqual((quiz["name"], quiz["maxMarks"], quiz["classId"]), ("Quiz from the web", 10, slot["classId"]))
        before = {i["studentId"]: i["result"] for i in sheet["items"]}
        for sid in set(after) - {r["first"], r["second"], r["third"]}:
            self.assertEqual(after[sid], before[sid], "the cells not changed were not sent")

    def test_token_is_refreshed_before_it_expires(self):
        r = self.browse("refresh")
        self.assertNotEqual(r["first"], r["now"])
        self.server.get("/api/v1/me", token=r["now"], expect=200)


class TestParentFollowsAChild(BrowserCase):
    """A parent's view of a child's records; its own server, since publishing the term's grades locks its marks."""

    def test_parent_sees_a_childs_attendance_timetable_grades_fees_and_announcements(self):
        admin, parent = self.demo.client("admin"), self.demo.client("parent1")
        mine = parent.get("/api/v1/me/students?limit=50", expect=200).json["items"]
        child = mine[0]["id"]
        mine_ids = {s["id"] for s in mine}
        other = next(s["id"] for s in admin.get("/api/v1/students?limit=50", expect=200).json["items"]
                     if s["id"] not in mine_ids)
        admin.post("/api/v1/invoices", json={"studentId": child, "dueDate": "2027-11-01",
                                             "lines": [{"description": "Tuition, term 1", "amount": 125000}]}, expect=201)
        admin.post("/api/v1/payments", json={"studentId": child, "amount": 50000, "method": "card",
                                             "paidOn": "2027-10-11"}, headers={"Idempotency-Key": "web-1"}, expect=201)
        for title in ("Sports day on Friday", "Parents' evening"):
            admin.post("/api/v1/announcements", json={"title": title, "body": "Details follow.\nBring water.",
                                                      "audience": [{"kind": "role", "role": "parent"}],
                                                      "email": False}, expect=201)
        term = next(t for t in admin.get("/api/v1/terms?limit=10", expect=200).json["items"] if t["name"] == "Term 1")
        admin.post(f"/api/v1/terms/{term['id']}/publish-grades", expect=200)
        att = parent.get(f"/api/v1/students/{child}/attendance?from=2027-10-01&to=2027-10-31", expect=200).json
        rate = att["summary"]["attendanceRate"]
        r = self.browse("records", child=child, other=other, marked=len(att["records"]),
                        rate=f"{round(rate * 100, 1):g}%")
        self.assertGreater(r["marked"], 0)
        parent = self.demo.client("parent1")  # a token of now: the scenario may have outlived the first
        grades = parent.get(f"/api/v1/students/{child}/grades?termId={term['id']}", expect=200).json
        self.assertEqual(sorted(r["subjects"]), sorted(s["subjectName"] for s in grades["subjects"]))
        self.assertEqual((r["cardPdf"], r["receiptPdf"]), ("%PDF-", "%PDF-"))
        self.assertIn("$750.00", r["figures"])
        self.assertEqual(r["invoices"], 1)
        self.assertEqual(r["unread"], 2)
        mine = {a["id"]: a["read"] for a in parent.get("/api/v1/me/announcements", expect=200).json["items"]}
        self.assertEqual(mine[r["readId"]], True)
        self.assertEqual(sorted(mine.values()), [False, True])


def tearDownModule():
    """With ERP_E2E_DOCS set, the README's screenshots are refreshed from the suite's."""
    docs = os.path.join(ROOT, "docs", "screenshots")
    if os.environ.get("ERP_E2E_DOCS") and os.path.isdir(SHOTS):
        os.makedirs(docs, exist_ok=True)
        for name in ("teacher-register-unsaved", "parent-children", "admin-student", "parent-attendance",
                     "teacher-marks-errors", "admin-edit-conflict"):
            if os.path.exists(os.path.join(SHOTS, name + ".png")):
                shutil.copy(os.path.join(SHOTS, name + ".png"), docs)


from test_web_admin import *  # noqa: E402,F401,F403 - the administration pages' scenarios (test_web_admin.py)


class TestOfficeAcademic(BrowserCase):
    """
    The office's academic pages (e2e_academic.mjs), each checked against the API afterwards: a guardian added,
    linked to a student (who then shows them) and edited over a change saved meanwhile; a teacher added (a used
    employee number refused next to the field) and deactivated, another's classes and subjects; a school year
    created and renamed, a term added and the rules of terms and holidays said in plain words; a subject
    created and renamed; a lesson moved in the grid (a clash said plainly) and one deleted; a student
    transferred and another's enrollment ended. Their own server: they change the demo's calendar and week.
    """

    DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    def setUp(self):
        self.demo._login.clear()  # the API's tokens live 30 s here: each test signs in afresh

    def admin(self):
        return self.demo.client("admin")

    def test_guardian_is_added_linked_and_shown_on_the_students_page(self):
        a, b = self.demo.roster("2-A")[:2]
        r = self.browse("guardians", firstName="Amara", lastName="Web-Guardian", studentId=a["studentId"],
                        otherId=b["studentId"], names={s["studentId"]: full_name(s) for s in (a, b)},
                        admission={s["studentId"]: s["admissionNo"] for s in (a, b)})
        admin = self.admin()
        g = admin.get(f"/api/v1/guardians/{r['id']}", expect=200).json
        self.assertEqual((g["firstName"], g["lastName"], g["email"], g["phone"], g["occupation"]),
                         ("Amara", "Web-Guardian", None, "+1 555 0199", "Nurse"),
                         "the edit kept the change saved meanwhile and added its own")
        links = admin.get(f"/api/v1/guardians/{r['id']}/students", expect=200).json["items"]
        self.assertEqual([(x["studentId"], x["relationship"], x["isPrimary"], x["canPickUp"]) for x in links],
                         [(a["studentId"], "mother", True, True)], "linked to one student; the other was unlinked")
        theirs = admin.get(f"/api/v1/students/{a['studentId']}/guardians", expect=200).json["items"]
        self.assertEqual([x["guardianId"] for x in theirs if x["isPrimary"]], [r["id"]])
        self.assertEqual(r["found"], [r["id"]])

    def test_teacher_is_added_deactivated_and_a_teachers_classes_are_shown(self):
        admin = self.admin()
        taken = admin.get("/api/v1/teachers?limit=1&sort=employeeNo", expect=200).json["items"][0]["employeeNo"]
        tid = self.demo.teacher_id("teacher1")
        r = self.browse("teachers", takenNo=taken, employeeNo="W-T-001", lastName="Lovelace-Web", teacherId=tid)
        admin = self.admin()
        t = admin.get(f"/api/v1/teachers/{r['id']}", expect=200).json
        self.assertEqual((t["employeeNo"], t["firstName"], t["lastName"], t["hiredOn"], t["status"]),
                         ("W-T-001", "Ada", "Lovelace-Web", "2027-08-16", "inactive"))
        year = self.demo.current_year()["id"]
        taught = admin.get(f"/api/v1/classes?academicYearId={year}&teacherId={tid}&limit=500", expect=200).json["items"]
        self.assertTrue(taught)
        self.assertEqual(sorted(r["classes"]), sorted(c["name"] for c in taught))

    def test_school_year_terms_and_holidays(self):
        admin = self.admin()
        year = self.demo.current_year()
        terms = {t["name"]: t for t in admin.get(f"/api/v1/terms?academicYearId={year['id']}", expect=200).json["items"]}
        first, second = terms["Term 1"], terms["Term 2"]
        winter = day(first["endDate"]) + 9 * DAY
        self.assertLess(iso(winter + 4 * DAY), second["startDate"], "the winter term fits between the terms")
        marked = self.demo.calendar.marked_days
        taken = next(iso(d) for d in sorted(self.demo.calendar.holidays) if year["startDate"] <= iso(d) <= year["endDate"])
        r = self.browse("calendar", newYear="Next year (web)", newYearStart="2028-08-21", newYearEnd="2029-06-29",
                        yearId=year["id"], overlapStart=first["startDate"], overlapEnd=iso(day(first["startDate"]) + 20 * DAY),
                        termName="Winter school", termStart=iso(winter), termEnd=iso(winter + 4 * DAY),
                        editTerm="Term 1", laterStart=iso(marked[3]), markedDay=iso(marked[-2]), takenHoliday=taken,
                        holidays=[["2028-03-03", "Spring day"], ["2028-03-06", "Spring Monday"]])
        admin = self.admin()
        after = {t["name"]: t for t in admin.get(f"/api/v1/terms?academicYearId={year['id']}", expect=200).json["items"]}
        self.assertNotIn("Overlap", after)
        self.assertEqual((after["Winter school"]["startDate"], after["Winter school"]["endDate"], after["Winter school"]["weekdays"]),
                         (iso(winter), iso(winter + 4 * DAY), ["monday", "tuesday", "wednesday", "thursday"]))
        self.assertEqual(after["Term 1"], first, "the refused edit changed nothing")
        holidays = {h["date"]: h["name"] for h in admin.get("/api/v1/holidays?from=2027-01-01&to=2029-12-31&limit=500",
                                                             expect=200).json["items"]}
        self.assertEqual(holidays.get("2028-03-03"), "Spring day")
        self.assertNotIn(r["gone"], holidays, "the removed holiday is gone")
        self.assertNotIn(iso(marked[-2]), holidays, "a marked day did not become a holiday")
        years = {y["name"]: y for y in admin.get("/api/v1/academic-years", expect=200).json["items"]}
        made = years["Next year (web) (planned)"]
        self.assertEqual((made["startDate"], made["endDate"], made["isCurrent"]), ("2028-08-21", "2029-06-29", False))
        self.assertTrue(years[year["name"]]["isCurrent"])

    def test_subject_is_created_and_renamed(self):
        taken = self.admin().get("/api/v1/subjects?limit=1", expect=200).json["items"][0]["code"]
        self.browse("subjects", takenCode=taken, code="WEB1")
        made = self.admin().get("/api/v1/subjects?q=WEB1", expect=200).json["items"]
        self.assertEqual([(s["code"], s["name"]) for s in made], [("WEB1", "Web design and media")])

    def movable(self, admin, class_id, slots):
        """A lesson of the class and another one whose cell it can take once that one is deleted: its teacher
        is free then (the move gives it a room of its own)."""
        by_day = {d: admin.get(f"/api/v1/timetable-slots?weekday={d}&limit=500", expect=200).json["items"]
                  for d in range(1, 6)}
        for victim in reversed(slots):
            for lesson in slots:
                if lesson["id"] == victim["id"] or lesson["weekday"] == victim["weekday"]:
                    continue
                busy = [s for s in by_day[victim["weekday"]] if s["id"] not in (lesson["id"], victim["id"])
                        and s["startTime"] < victim["endTime"] and victim["startTime"] < s["endTime"]
                        and (s["classId"] == class_id or s["teacherId"] == lesson["teacherId"])]
                if not busy:
                    return lesson, victim
        raise AssertionError("no lesson of the class can take another's cell")

    def test_lessons_are_moved_and_deleted_in_the_grid(self):
        admin = self.admin()
        cid = self.demo.classes()["2-A"]["id"]
        week = admin.get(f"/api/v1/classes/{cid}/timetable", expect=200).json["days"]
        slots = [s for d in week for s in d["slots"]]
        lesson, victim = self.movable(admin, cid, slots)
        clash = next(s for s in slots if s["weekday"] != lesson["weekday"] and s["id"] != victim["id"])
        period = (victim["startTime"], victim["endTime"])
        r = self.browse("lessons", classId=cid, slotId=lesson["id"], deleteId=victim["id"],
                        clash={"weekday": clash["weekday"], "period": f"{clash['startTime']}-{clash['endTime']}"},
                        to={"weekday": victim["weekday"], "period": "-".join(period), "room": "Lab W2",
                            "day": self.DAYS[victim["weekday"] - 1]})
        admin = self.admin()
        moved = admin.get(f"/api/v1/timetable-slots/{lesson['id']}", expect=200).json
        self.assertEqual((moved["weekday"], moved["startTime"], moved["endTime"], moved["room"]),
                         (victim["weekday"], period[0], period[1], "Lab W2"))
        self.assertEqual(r["cell"]["day"], self.DAYS[victim["weekday"] - 1])
        admin.get(f"/api/v1/timetable-slots/{victim['id']}", expect=404)
        kept = admin.get(f"/api/v1/timetable-slots/{clash['id']}", expect=200).json
        self.assertEqual((kept["weekday"], kept["startTime"]), (clash["weekday"], clash["startTime"]))

    def test_student_is_transferred_and_another_leaves(self):
        admin = self.admin()
        classes = self.demo.classes()
        names = sorted(n for n in classes if n != "2-A" and len(self.demo.roster(n)) >= 2)
        source = names[0]
        target = next(classes[n] for n in names[1:]
                      if classes[n]["capacity"] is None or classes[n]["enrolledCount"] < classes[n]["capacity"])
        mover, leaver = self.demo.roster(source)[-2:]
        marked = iso(self.demo.calendar.marked_days[-2])
        next_day = iso(today() + DAY)
        self.browse("transfer", studentId=mover["studentId"], leaverId=leaver["studentId"], toClass=target["id"],
                    toName=target["name"], markedDay=marked, nextDay=next_day)
        admin = self.admin()
        moves = admin.get(f"/api/v1/enrollments?studentId={mover['studentId']}", expect=200).json["items"]
        self.assertEqual([(e["className"], e["endDate"], e["endReason"]) for e in moves],
                         [(source, iso(today()), "transferred: Parents asked"), (target["name"], None, None)])
        self.assertEqual(moves[1]["startDate"], next_day)
        left = admin.get(f"/api/v1/enrollments?studentId={leaver['studentId']}", expect=200).json["items"]
        self.assertEqual([(e["className"], e["endDate"], e["endReason"]) for e in left],
                         [(source, next_day, "Moved to another school")])
