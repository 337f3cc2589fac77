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

from fixtures_academic import Demo  # noqa: E402
from harness import ERP_BIN, ROOT, ServerTestCase, skip_allowed  # noqa: E402
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
