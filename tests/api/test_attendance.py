"""
Attendance: marking a class's day (PUT), its sheet, a student's history and
summary, and the reports by class and by day. Runs on both engines.

The schools are fixtures_daily.AttendanceSchool: a current term that began
seven weeks before this week (two holidays since), three classes of 20
students marked on every school day up to today, whatever today is. The
school days the tests expect are computed from the fixture's own term dates,
weekdays and holidays, never read from the server. Each test that marks uses
its own school day so the tests do not depend on each other.
"""

import datetime
import json
import unittest
import uuid

import dates
from fixtures_daily import AttendanceSchool, uncovered
from harness import Contract, ServerTestCase, skip_allowed

CLASS = "7-A"  # the student account's record is in it; the parent account is their parent (and of one in 8-A)
STUDENT, PARENT = "student", "parent"
STATUSES = ("present", "absent", "late", "excused")


def rate(present, late, marked):
    return None if marked == 0 else round((present + late) / marked + 1e-12, 4)


def counts_of(rows):
    out = {s: 0 for s in STATUSES}
    for r in rows:
        if r is not None:
            out[r["status"]] += 1
    return out


DOC = []  # the OpenAPI document, once a server ran
RAN = set()  # test classes that ran
UNREACHABLE = {("PUT", "/api/v1/classes/{id}/attendance/{date}", 409)}  # a transaction retried to no avail


class AttendanceCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        DOC[:] = [cls.server.openapi]
        cls.school = AttendanceSchool(cls.server)
        cls.cls = cls.school.class_named(CLASS)
        cls.cid = cls.cls["classId"]
        cls.other = cls.school.class_named("8-A")
        cls.days = [dates.iso(d) for d in cls.school.days]
        assert len(cls.days) >= 12, cls.days
        cls.admin = cls.school.client("admin")
        # the teachers of the class (its class teacher and a subject's) and one of other classes only
        cls.teaching, cls.not_teaching = list(AttendanceSchool.TEACHING[CLASS]), ["teacher2"]

    def path(self, date, class_id=None):
        return f"/api/v1/classes/{class_id or self.cid}/attendance/{date}"

    def sheet(self, date, class_id=None):
        return self.admin.get(self.path(date, class_id), expect=200).json

    def mark(self, date, marks, client=None, expect=200, class_id=None):
        return (client or self.admin).put(self.path(date, class_id), json={"marks": marks}, expect=expect)

    def not_a_school_day(self, weekday):
        """The first date of the current term that falls on weekday (0 Monday): of its first week, so before today."""
        return dates.iso(dates.on_or_after(self.school.term_start, weekday))


class TestMarking(AttendanceCase):
    def test_marking_the_whole_class_returns_the_sheet(self):
        day = self.days[-2]
        before = self.sheet(day)
        ids = [s["studentId"] for s in before["items"]]
        self.assertEqual(len(ids), 20)
        marks = [{"studentId": sid, "status": STATUSES[i % 4], "note": f"note {i}" if i % 4 == 3 else None}
                 for i, sid in enumerate(ids)]
        res = self.mark(day, marks)
        doc = res.json
        self.assertEqual((doc["classId"], doc["className"], doc["date"], doc["schoolDay"]), (self.cid, CLASS, day, True))
        admin_id = self.school.user("admin")["id"]
        by_id = {s["studentId"]: s for s in doc["items"]}
        old = {s["studentId"]: s["mark"] for s in before["items"]}
        for i, sid in enumerate(ids):
            m = by_id[sid]["mark"]
            self.assertEqual(m["status"], STATUSES[i % 4])
            self.assertEqual(m["note"], f"note {i}" if i % 4 == 3 else None)
            # a mark that did not change keeps who made it (the fixture marked most students present)
            same = old[sid] is not None and (old[sid]["status"], old[sid]["note"]) == (m["status"], m["note"])
            self.assertEqual(m["markedBy"], old[sid]["markedBy"] if same else admin_id)
        self.assertEqual(doc["counts"], {"enrolled": 20, "present": 5, "absent": 5, "late": 5, "excused": 5,
                                         "marked": 20, "unmarked": 0, "rate": 0.5})
        self.assertEqual(self.sheet(day), doc)
        # students come by last name, then first name
        names = [(s["lastName"], s["firstName"]) for s in doc["items"]]
        self.assertEqual(names, sorted(names))

    def test_the_same_request_twice_changes_nothing(self):
        day = self.days[-3]
        ids = [s["studentId"] for s in self.sheet(day)["items"]]
        marks = [{"studentId": sid, "status": "late" if i % 3 else "absent", "note": "rain"} for i, sid in enumerate(ids)]
        first = self.mark(day, marks).json
        again = self.mark(day, marks).json
        self.assertEqual(again, first)  # markedAt and markedBy included: an unchanged mark is not rewritten
        # uppercase ids are the same students
        upper = [dict(m, studentId=m["studentId"].upper()) for m in marks]
        self.assertEqual(self.mark(day, upper).json, first)

    def test_partial_marking_keeps_the_other_marks(self):
        day = self.days[-4]
        before = self.sheet(day)
        ids = [s["studentId"] for s in before["items"]]
        teacher = self.school.client(self.teaching[0])
        doc = self.mark(day, [{"studentId": ids[0], "status": "excused", "note": "doctor"},
                              {"studentId": ids[1], "status": "absent"}], client=teacher).json
        teacher_id = self.school.user(self.teaching[0])["id"]
        rows = {s["studentId"]: s["mark"] for s in doc["items"]}
        self.assertEqual((rows[ids[0]]["status"], rows[ids[0]]["note"], rows[ids[0]]["markedBy"]),
                         ("excused", "doctor", teacher_id))
        self.assertEqual(rows[ids[1]]["status"], "absent")
        untouched = {s["studentId"]: s["mark"] for s in before["items"][2:]}
        for sid, m in untouched.items():
            self.assertEqual(rows[sid], m)
        # a changed mark records who changed it and when; an empty note is no note
        later = self.mark(day, [{"studentId": ids[0], "status": "present", "note": ""}]).json
        m = next(s["mark"] for s in later["items"] if s["studentId"] == ids[0])
        self.assertEqual((m["status"], m["note"], m["markedBy"]), ("present", None, self.school.user("admin")["id"]))
        self.assertGreaterEqual(m["markedAt"], rows[ids[0]]["markedAt"])
        c = counts_of([s["mark"] for s in later["items"]])
        self.assertEqual(later["counts"]["present"], c["present"])
        self.assertEqual(later["counts"]["marked"], 20)

    def test_students_not_enrolled_that_day_are_refused_by_id_and_nothing_is_written(self):
        day = self.days[-5]
        before = self.sheet(day)
        mine = [s["studentId"] for s in before["items"]]
        strangers = [s["studentId"] for s in self.sheet(day, self.other["classId"])["items"][:2]]
        unknown = str(uuid.uuid4())
        marks = ([{"studentId": mine[0], "status": "absent"}, {"studentId": strangers[0], "status": "late"}]
                 + [{"studentId": strangers[1], "status": "present"}, {"studentId": unknown, "status": "present"}])

        def history():  # read from the database, never from a cached sheet
            return [self.admin.get(f"/api/v1/students/{sid}/attendance?from={day}&to={day}", expect=200).json
                    for sid in (mine[0], strangers[0], strangers[1])]
        written = history()
        res = self.mark(day, marks, expect=422)
        p = self.assertProblem(res, 422, "validation",
                               fields=["marks[1].studentId", "marks[2].studentId", "marks[3].studentId"])
        for sid in strangers + [unknown]:
            self.assertIn(sid, p["detail"])
        self.assertIn("3 students are not enrolled", p["detail"])
        self.assertNotIn(mine[0], p["detail"])
        self.assertEqual(self.sheet(day), before)
        self.assertEqual(history(), written)

    def test_only_school_days_that_have_begun(self):
        ids = [s["studentId"] for s in self.sheet(self.days[-1])["items"]]
        marks = [{"studentId": ids[0], "status": "present"}]
        saturday = self.not_a_school_day(5)
        p = self.assertProblem(self.mark(saturday, marks, expect=422), 422, fields=["date"])
        self.assertIn("saturday", p["errors"][0]["message"])
        # a weekday of the term that is a holiday (the fixture's, both before today)
        for holiday, name in self.school.holidays.items():
            p = self.assertProblem(self.mark(dates.iso(holiday), marks, expect=422), 422, fields=["date"])
            self.assertIn("holiday", p["errors"][0]["message"])
            self.assertIn(name, p["errors"][0]["message"])
        # outside every term: the days just before the current term
        first = datetime.date.fromisoformat(self.days[0])
        before_term = first - datetime.timedelta(days=3)
        p = self.assertProblem(self.mark(before_term.isoformat(), marks, expect=422), 422, fields=["date"])
        self.assertIn("no term", p["errors"][0]["message"])
        # the next school day of the term, not begun yet
        tomorrow = self.school.today + dates.DAY
        future = dates.iso(dates.school_days(tomorrow, self.school.term_end, holidays=self.school.holidays)[0])
        p = self.assertProblem(self.mark(future, marks, expect=422), 422, fields=["date"])
        self.assertIn("future", p["errors"][0]["message"])
        self.assertProblem(self.mark("2025-02-30", marks, expect=422), 422, fields=["date"])
        self.assertProblem(self.mark("yesterday", marks, expect=422), 422, fields=["date"])

    def test_who_may_mark(self):
        day = self.days[-6]
        ids = [s["studentId"] for s in self.sheet(day)["items"]]
        marks = [{"studentId": ids[0], "status": "late"}]
        self.mark(day, marks, client=self.school.client(self.teaching[-1]))
        # a teacher of other classes: the class is answered as one that does not exist, exactly as a read of it is
        other = self.school.client(self.not_teaching[0])
        p = self.assertProblem(self.mark(day, marks, client=other, expect=404), 404)
        self.assertNotIn(CLASS, p["detail"])
        self.assertEqual(p["detail"], self.assertProblem(other.get(f"/api/v1/classes/{self.cid}"), 404)["detail"])
        for key in ("staff", PARENT, STUDENT):
            self.assertProblem(self.mark(day, marks, client=self.school.client(key), expect=403), 403)
        # nothing but the first teacher's mark
        self.assertEqual(self.sheet(day)["items"][0]["mark"]["status"], "late")

    def test_other_schools_and_unknown_classes_are_404(self):
        day = self.days[-1]
        other_school = self.school.class_named(CLASS, school=2)["classId"]
        ids = [s["studentId"] for s in self.sheet(day)["items"]]
        for cid in (other_school, str(uuid.uuid4()), "not-an-id"):
            res = self.mark(day, [{"studentId": ids[0], "status": "present"}], class_id=cid, expect=404)
            self.assertProblem(res, 404)
            self.assertProblem(self.admin.get(self.path(day, cid)), 404)
        # another school's student in my class: not enrolled here
        b_student = self.school.sheet(other_school, day, school=2)["items"][0]["studentId"]
        self.assertProblem(self.mark(day, [{"studentId": b_student, "status": "present"}], expect=422), 422,
                           fields=["marks[0].studentId"])

    def test_bad_bodies(self):
        day = self.days[-1]
        path = self.path(day)
        sid = self.sheet(day)["items"][0]["studentId"]
        ok = {"studentId": sid, "status": "present"}
        cases = [
            ({}, ["marks"]),
            ({"marks": None}, ["marks"]),
            ({"marks": []}, ["marks"]),
            ({"marks": "all present"}, ["marks"]),
            ({"marks": [ok] * 2001}, ["marks"]),
            ({"marks": [ok], "tenantId": str(uuid.uuid4()), "date": day}, ["tenantId", "date"]),
            ({"marks": [7, ok]}, ["marks[0]"]),
            ({"marks": [{"studentId": sid}]}, ["marks[0].status"]),
            ({"marks": [{"status": "present"}]}, ["marks[0].studentId"]),
            ({"marks": [{"studentId": "x", "status": "here", "note": 5, "classId": sid}]},
             ["marks[0].studentId", "marks[0].status", "marks[0].note", "marks[0].classId"]),
            ({"marks": [{"studentId": sid, "status": "Present"}]}, ["marks[0].status"]),
            ({"marks": [{"studentId": sid, "status": "present", "note": "x" * 501}]}, ["marks[0].note"]),
            ({"marks": [{"studentId": sid, "status": "present", "note": " padded"}]}, ["marks[0].note"]),
            ({"marks": [ok, {"studentId": sid.upper(), "status": "late"}]}, ["marks[1].studentId"]),
        ]
        before = self.sheet(day)
        for body, fields in cases:
            with self.subTest(body=str(body)[:80]):
                self.assertProblem(self.admin.put(path, json=body), 422, "validation", fields=fields)
        self.assertProblem(self.admin.put(path, body='{"marks": [', content_type="application/json"), 400)
        self.assertProblem(self.admin.put(path, body="marks", content_type="text/plain"), 415)
        huge = json.dumps({"marks": [dict(ok, note="n" * 500)] * 2500})
        self.assertGreater(len(huge), 1 << 20)
        self.assertProblem(self.admin.put(path, body=huge, content_type="application/json"), 413)
        self.assertEqual(self.sheet(day), before)
        # the most marks a request may carry: 2,000 (all of them this class's 20 students, so 422 for duplicates)
        res = self.admin.put(path, json={"marks": [ok] * 2000})
        self.assertProblem(res, 422)
        self.assertEqual(len(res.json["errors"]), 32)  # errors are capped; the first ones are named

    def test_deleted_students_leave_the_sheet_and_cannot_be_marked(self):
        # a class of its own (the fixture's classes keep their 20), two students, one deleted after a mark
        a = self.admin
        cls = a.post("/api/v1/classes", json={"academicYearId": self.school.year["id"], "gradeLevel": 6,
                                              "section": "DEL"}, expect=201).json["id"]
        kept, gone = [a.post("/api/v1/students", json={"admissionNo": f"DEL-{n}", "firstName": n, "lastName": "Del",
                                                       "dateOfBirth": "2015-01-02"}, expect=201).json["id"]
                      for n in ("Kept", "Gone")]
        for sid in (kept, gone):
            a.post("/api/v1/enrollments", json={"studentId": sid, "classId": cls,
                                                "startDate": self.school.year["startDate"]}, expect=201)
        day, later = self.days[-9], self.days[-8]
        self.mark(day, [{"studentId": gone, "status": "late"}, {"studentId": kept, "status": "present"}],
                  class_id=cls)
        etag = a.get(f"/api/v1/students/{gone}", expect=200).headers["etag"]
        self.assertEqual(a.delete(f"/api/v1/students/{gone}", headers={"If-Match": etag}).status, 204)
        # the sheets list the remaining student only, before and after the deletion's day
        for d in (day, later):
            doc = self.sheet(d, cls)
            self.assertEqual([s["studentId"] for s in doc["items"]], [kept], d)
            self.assertEqual(doc["counts"]["enrolled"], 1)
        # and a deleted student is no longer one that may be marked: 422 naming them, nothing written
        p = self.assertProblem(self.mark(later, [{"studentId": kept, "status": "absent"},
                                                 {"studentId": gone, "status": "present"}],
                                         class_id=cls, expect=422), 422, "validation", fields=["marks[1].studentId"])
        self.assertIn(gone, p["detail"])
        self.assertEqual(self.sheet(later, cls)["counts"]["marked"], 0)

    def test_marking_is_audited(self):
        day = self.days[-7]
        sid = self.sheet(day)["items"][0]["studentId"]
        self.mark(day, [{"studentId": sid, "status": "absent"}])
        events = self.admin.get(f"/api/v1/audit-events?action=attendance.mark&subjectId={self.cid}",
                                expect=200).json["items"]
        self.assertTrue(any(e["detail"] == f"{day}: 1 mark" for e in events), events)


class TestSheetAndReports(AttendanceCase):
    def test_sheet_of_a_marked_day(self):
        day = self.days[0]
        doc = self.sheet(day)
        self.assertTrue(doc["schoolDay"])
        self.assertEqual(len(doc["items"]), 20)
        c = counts_of([s["mark"] for s in doc["items"]])
        marked = sum(c.values())
        self.assertEqual(doc["counts"], {"enrolled": 20, **c, "marked": marked, "unmarked": 20 - marked,
                                         "rate": rate(c["present"], c["late"], marked)})
        for s in doc["items"]:
            self.assertEqual(set(s), {"studentId", "admissionNo", "firstName", "lastName", "mark"})

    def test_sheet_of_a_day_without_school(self):
        saturday = self.not_a_school_day(5)
        doc = self.sheet(saturday)
        self.assertFalse(doc["schoolDay"])
        self.assertEqual([s["mark"] for s in doc["items"]], [None] * 20)
        self.assertEqual(doc["counts"], {"enrolled": 20, "present": 0, "absent": 0, "late": 0, "excused": 0,
                                         "marked": 0, "unmarked": 20, "rate": None})
        # before the year began nobody was enrolled
        before = self.school.term_start - dates.DAY * 15
        self.assertEqual(self.sheet(dates.iso(before))["items"], [])

    def test_who_may_read_a_sheet(self):
        day = self.days[0]
        for key in ("staff", self.teaching[0]):
            self.school.client(key).get(self.path(day), expect=200)
        # teachers see the classes they teach; another class is not theirs to see
        self.assertProblem(self.school.client(self.not_teaching[0]).get(self.path(day)), 404)
        for key in (PARENT, STUDENT):
            self.assertProblem(self.school.client(key).get(self.path(day)), 403)
        self.assertProblem(self.admin.get(self.path("2025-13-01")), 422)
        events = self.admin.get(f"/api/v1/audit-events?action=attendance.list&subjectId={self.cid}",
                                expect=200).json["items"]
        self.assertTrue(events)

    def test_class_report_rates_per_school_day(self):
        rep = self.admin.get(f"/api/v1/reports/attendance?classId={self.cid}", expect=200).json
        self.assertEqual((rep["classId"], rep["className"]), (self.cid, CLASS))
        # the school days of the current term up to today, as the fixture's calendar gives them
        self.assertEqual([d["date"] for d in rep["days"]], self.days)
        self.assertEqual((rep["from"], rep["to"]), (dates.iso(self.school.term_start), dates.iso(self.school.term_end)))
        for holiday in self.school.holidays:
            self.assertNotIn(dates.iso(holiday), [d["date"] for d in rep["days"]])
        total = {k: 0 for k in ("enrolled", "present", "absent", "late", "excused", "marked", "unmarked")}
        for d in rep["days"][:3] + rep["days"][-2:]:
            sheet = self.sheet(d["date"])
            want = dict(sheet["counts"], date=d["date"])
            self.assertEqual(d, want)
        for d in rep["days"]:
            for k in total:
                total[k] += d[k]
            self.assertEqual(d["marked"] + d["unmarked"], d["enrolled"])
            self.assertEqual(d["rate"], rate(d["present"], d["late"], d["marked"]))
        self.assertEqual(rep["totals"], dict(total, rate=rate(total["present"], total["late"], total["marked"])))
        # a range: only its school days
        part = self.admin.get(f"/api/v1/reports/attendance?classId={self.cid}&from={self.days[2]}&to={self.days[4]}",
                              expect=200).json
        self.assertEqual([d["date"] for d in part["days"]], self.days[2:5])
        self.assertEqual((part["from"], part["to"]), (self.days[2], self.days[4]))

    def test_class_report_access_and_bad_queries(self):
        base = "/api/v1/reports/attendance"
        self.school.client("staff").get(f"{base}?classId={self.cid}", expect=200)
        self.school.client(self.teaching[0]).get(f"{base}?classId={self.cid}", expect=200)
        p = self.assertProblem(self.school.client(self.not_teaching[0]).get(f"{base}?classId={self.cid}"), 404)
        self.assertIn("classId", p["detail"])
        for key in (PARENT, STUDENT):
            self.assertProblem(self.school.client(key).get(f"{base}?classId={self.cid}"), 403)
        other = self.school.class_named(CLASS, school=2)["classId"]
        for cid in (other, str(uuid.uuid4())):
            p = self.assertProblem(self.admin.get(f"{base}?classId={cid}"), 404)
            self.assertEqual(p["detail"], "No such class (classId).")
        self.assertProblem(self.admin.get(base), 422, fields=["classId"])
        self.assertProblem(self.admin.get(f"{base}?classId=nope"), 422, fields=["classId"])
        q = f"{base}?classId={self.cid}"
        self.assertProblem(self.admin.get(f"{q}&from=2025-01-01"), 422, fields=["to"])
        self.assertProblem(self.admin.get(f"{q}&to=2025-01-01"), 422, fields=["from"])
        self.assertProblem(self.admin.get(f"{q}&from=2025-01-10&to=2025-01-09"), 422, fields=["to"])
        self.assertProblem(self.admin.get(f"{q}&from=2024-01-01&to=2025-02-04"), 422, fields=["to"])  # 401 days
        self.admin.get(f"{q}&from=2024-01-01&to=2025-02-03", expect=200)  # 400 days
        self.assertProblem(self.admin.get(f"{q}&from=1/1/2025&to=2025-13-01"), 422, fields=["from", "to"])

    def test_daily_report(self):
        day = self.days[-1]
        rep = self.admin.get(f"/api/v1/reports/attendance/daily?date={day}", expect=200).json
        self.assertEqual((rep["date"], rep["schoolDay"]), (day, True))
        self.assertEqual(len(rep["classes"]), len(AttendanceSchool.CLASSES))
        order = [(c["gradeLevel"], c["className"]) for c in rep["classes"]]
        self.assertEqual(order, sorted(order))
        mine = next(c for c in rep["classes"] if c["classId"] == self.cid)
        self.assertEqual({k: v for k, v in mine.items() if k not in ("classId", "className", "gradeLevel")},
                         self.sheet(day)["counts"])
        keys = ("enrolled", "present", "absent", "late", "excused", "marked", "unmarked")
        total = {k: sum(c[k] for c in rep["classes"]) for k in keys}
        self.assertEqual(rep["totals"], dict(total, rate=rate(total["present"], total["late"], total["marked"])))
        self.assertEqual(total["enrolled"], AttendanceSchool.STUDENTS_PER_CLASS * len(AttendanceSchool.CLASSES))
        # default: today in the school's time zone; a day without school
        today = dates.iso(self.school.today)
        self.assertEqual(self.admin.get("/api/v1/reports/attendance/daily", expect=200).json["date"], today)
        saturday = self.not_a_school_day(5)
        self.assertFalse(self.school.client("staff").get(f"/api/v1/reports/attendance/daily?date={saturday}",
                                                        expect=200).json["schoolDay"])
        self.assertProblem(self.admin.get("/api/v1/reports/attendance/daily?date=today"), 422, fields=["date"])
        for key in (self.teaching[0], PARENT, STUDENT):
            self.assertProblem(self.school.client(key).get("/api/v1/reports/attendance/daily"), 403)
        # the other school's report is its own
        other = self.school.client("admin", school=2).get(f"/api/v1/reports/attendance/daily?date={day}",
                                                        expect=200).json
        self.assertFalse({c["classId"] for c in other["classes"]} & {c["classId"] for c in rep["classes"]})


class TestStudentHistory(AttendanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        doc = cls.admin.get(f"/api/v1/classes/{cls.cid}/attendance/{cls.days[0]}", expect=200).json
        cls.roster = [s["studentId"] for s in doc["items"]]

    def history(self, sid, query="", client=None, expect=200):
        return (client or self.admin).get(f"/api/v1/students/{sid}/attendance{query}", expect=expect)

    def test_summary_of_known_marks(self):
        sid = self.roster[3]
        days = self.days[-12:-8]
        for day, status in zip(days, STATUSES):
            self.mark(day, [{"studentId": sid, "status": status, "note": status}])
        doc = self.history(sid, f"?from={days[0]}&to={days[-1]}").json
        self.assertEqual((doc["studentId"], doc["from"], doc["to"]), (sid, days[0], days[-1]))
        self.assertEqual([(r["date"], r["status"], r["note"]) for r in doc["records"]],
                         [(d, s, s) for d, s in zip(days, STATUSES)])
        for r in doc["records"]:
            self.assertEqual((r["classId"], r["className"]), (self.cid, CLASS))
        n_school_days = len(days)
        self.assertEqual(doc["summary"], {"schoolDays": n_school_days, "present": 1, "absent": 1, "late": 1,
                                          "excused": 1, "marked": 4, "unmarked": 0, "attendanceRate": 0.5})

    def test_summary_over_the_term(self):
        sid = self.roster[5]
        doc = self.history(sid).json  # default: the current term
        self.assertEqual((doc["from"], doc["to"]), (dates.iso(self.school.term_start), dates.iso(self.school.term_end)))
        c = counts_of(doc["records"])
        marked = len(doc["records"])
        marked_dates = [r["date"] for r in doc["records"]]
        self.assertEqual(marked_dates, sorted(marked_dates))
        self.assertEqual(marked_dates, self.days, "the fixture marked every school day")
        marked_school_days = len(set(marked_dates) & set(self.days))
        self.assertEqual(doc["summary"], {"schoolDays": len(self.days), **c, "marked": marked,
                                          "unmarked": len(self.days) - marked_school_days,
                                          "attendanceRate": rate(c["present"], c["late"], marked)})
        # nothing marked: no rate
        long_ago = self.school.today.year - 25
        empty = self.history(sid, f"?from={long_ago}-01-01&to={long_ago}-06-30").json
        self.assertEqual(empty["records"], [])
        self.assertEqual(empty["summary"], {"schoolDays": 0, "present": 0, "absent": 0, "late": 0, "excused": 0,
                                            "marked": 0, "unmarked": 0, "attendanceRate": None})

    def test_who_may_read_a_students_attendance(self):
        # the parent account is the parent of the student account's record (in this class, and of one in 8-A);
        # each reads only their own
        parent, student = self.school.client(PARENT), self.school.client(STUDENT)
        mine = [sid for sid in self.roster if self.history(sid, client=parent, expect=None).status == 200]
        self.assertEqual(len(mine), 1)
        child = mine[0]
        for sid in self.roster:
            if sid != child:
                self.assertProblem(self.history(sid, client=parent, expect=None), 404)
        self.history(child, client=student)
        other = self.roster[0] if self.roster[0] != child else self.roster[1]
        self.assertProblem(self.history(other, client=student, expect=None), 404)
        # teachers: those of the student's classes; staff: everyone
        self.history(child, client=self.school.client(self.teaching[0]))
        self.assertProblem(self.history(child, client=self.school.client(self.not_teaching[0]), expect=None), 404)
        self.history(child, client=self.school.client("staff"))
        # unknown, malformed and other schools' students
        b_student = self.school.sheet(self.school.class_named(CLASS, school=2)["classId"], self.days[0], school=2)
        for sid in (str(uuid.uuid4()), "nope", b_student["items"][0]["studentId"]):
            self.assertProblem(self.history(sid, expect=None), 404)
        # reading is audited
        events = self.admin.get(f"/api/v1/audit-events?action=attendance.read&subjectId={child}",
                                expect=200).json["items"]
        self.assertTrue(events)

    def test_bad_ranges(self):
        sid = self.roster[0]
        self.assertProblem(self.history(sid, "?from=2025-01-01", expect=None), 422, fields=["to"])
        self.assertProblem(self.history(sid, "?from=2025-01-02&to=2025-01-01", expect=None), 422, fields=["to"])
        self.assertProblem(self.history(sid, "?from=2024-01-01&to=2025-02-04", expect=None), 422, fields=["to"])
        self.history(sid, "?from=2024-01-01&to=2025-02-03")
        self.assertProblem(self.history(sid, "?from=x&to=y", expect=None), 422, fields=["from", "to"])



# TestPastYear's year: its first day is the first Wednesday of September six years ago; its other days are
# named by their distance from it (past(n)), so each falls on the weekday its comment says, whatever the year.
PAST_FIRST = dates.on_or_after(datetime.date(dates.today().year - 6, 9, 1), dates.WEDNESDAY)


def past(n):
    return dates.iso(PAST_FIRST + dates.DAY * n)


class TestPastYear(AttendanceCase):
    """
    A year of the past made through the academic area's endpoints: terms with
    a holiday, two classes, 40 students from the start, one who joins late and
    one who changes class. Nothing is marked there until the tests mark it.
    """

    # Wednesday, a Wednesday two weeks later, a Monday, the Monday after
    START, LATE_START, TRANSFER, HOLIDAY = past(0), past(14), past(33), past(40)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a = cls.admin
        first = PAST_FIRST.year
        year = a.post("/api/v1/academic-years", json={"name": f"{first}-{first + 1}", "startDate": past(0),
                                                      "endDate": f"{first + 1}-06-30"}, expect=201).json["id"]
        a.post("/api/v1/terms", json={"academicYearId": year, "name": f"Autumn {first}", "startDate": past(0),
                                      "endDate": past(107)}, expect=201)
        a.post("/api/v1/holidays", json={"date": cls.HOLIDAY, "name": "Test holiday"}, expect=201)
        cls.x = a.post("/api/v1/classes", json={"academicYearId": year, "gradeLevel": 5, "section": "X"},
                       expect=201).json
        cls.y = a.post("/api/v1/classes", json={"academicYearId": year, "gradeLevel": 5, "section": "Y"},
                       expect=201).json
        pupils = []
        for name in ("7-A", "8-A", "9-A"):
            cid = cls.school.class_named(name)["classId"]
            pupils += [s["studentId"] for s in cls.school.sheet(cid, cls.days[0])["items"]]
        cls.forty, cls.late = pupils[:40], pupils[40]
        cls.mover = cls.forty[0]
        enrollment = {}
        for sid in cls.forty:
            enrollment[sid] = a.post("/api/v1/enrollments", json={"studentId": sid, "classId": cls.x["id"],
                                                                   "startDate": cls.START}, expect=201).json["id"]
        a.post("/api/v1/enrollments", json={"studentId": cls.late, "classId": cls.x["id"],
                                            "startDate": cls.LATE_START}, expect=201)
        a.post(f"/api/v1/enrollments/{enrollment[cls.mover]}/transfer",
               json={"classId": cls.y["id"], "date": cls.TRANSFER}, headers={"If-Match": '"1"'}, expect=201)

    def test_the_roster_follows_enrollments(self):
        x = self.x["id"]
        self.assertEqual({s["studentId"] for s in self.sheet(past(13), x)["items"]}, set(self.forty))
        self.assertEqual({s["studentId"] for s in self.sheet(self.LATE_START, x)["items"]},
                         set(self.forty) | {self.late})
        self.assertEqual({s["studentId"] for s in self.sheet(self.TRANSFER, x)["items"]},
                         set(self.forty[1:]) | {self.late})
        self.assertEqual([s["studentId"] for s in self.sheet(self.TRANSFER, self.y["id"])["items"]], [self.mover])
        self.assertEqual(self.sheet(past(30), self.y["id"])["items"], [])
        # an open enrollment ends with its year: on a school day of today's term the class of that year has nobody
        self.assertEqual(self.sheet(self.days[-1], x)["items"], [])
        self.assertProblem(self.mark(self.days[-1], [{"studentId": self.forty[1], "status": "present"}], class_id=x,
                                     expect=422), 422, fields=["marks[0].studentId"])

    def test_marks_only_while_enrolled(self):
        x, y = self.x["id"], self.y["id"]
        self.assertProblem(self.mark(past(13), [{"studentId": self.late, "status": "present"}], class_id=x,
                                     expect=422), 422, fields=["marks[0].studentId"])
        self.mark(self.LATE_START, [{"studentId": self.late, "status": "present"}], class_id=x)
        self.assertProblem(self.mark(self.TRANSFER, [{"studentId": self.mover, "status": "absent"}], class_id=x,
                                     expect=422), 422, fields=["marks[0].studentId"])
        for day, status, cid in ((past(0), "present", x), (past(1), "present", x),
                                 (self.TRANSFER, "absent", y), (past(34), "late", y)):
            self.mark(day, [{"studentId": self.mover, "status": status}], class_id=cid)
        p = self.assertProblem(self.mark(self.HOLIDAY, [{"studentId": self.forty[1], "status": "present"}],
                                         class_id=x, expect=422), 422, fields=["date"])
        self.assertIn("Test holiday", p["errors"][0]["message"])
        # the summary counts the school days enrolled, in either class, up to the end of the range
        doc = self.admin.get(f"/api/v1/students/{self.mover}/attendance?from={past(0)}&to={past(37)}",
                             expect=200).json
        self.assertEqual([(r["date"], r["className"]) for r in doc["records"]],
                         [(past(0), self.x["name"]), (past(1), self.x["name"]),
                          (self.TRANSFER, self.y["name"]), (past(34), self.y["name"])])
        # START (a Wednesday) to past(37) (a Friday five weeks later): 28 weekdays, all school days
        self.assertEqual(doc["summary"], {"schoolDays": 28, "present": 2, "absent": 1, "late": 1, "excused": 0,
                                          "marked": 4, "unmarked": 24, "attendanceRate": 0.75})
        late = self.admin.get(f"/api/v1/students/{self.late}/attendance?from={past(0)}&to={past(29)}",
                              expect=200).json["summary"]
        # enrolled from LATE_START (a Wednesday) to past(29) (a Thursday): 3 + 5 + 4 school days
        self.assertEqual(late, {"schoolDays": 12, "present": 1, "absent": 0, "late": 0, "excused": 0, "marked": 1,
                                "unmarked": 11, "attendanceRate": 1.0})
        # the holiday is no school day: the range over it counts one day less than its weekdays
        over = self.admin.get(f"/api/v1/students/{self.forty[1]}/attendance?from={past(40)}&to={past(44)}",
                              expect=200).json["summary"]
        self.assertEqual((over["schoolDays"], over["unmarked"], over["attendanceRate"]), (4, 4, None))

    def test_class_report_follows_enrollments(self):
        rep = self.admin.get(f"/api/v1/reports/attendance?classId={self.x['id']}&from={past(12)}&to={past(44)}",
                             expect=200).json
        days = {d["date"]: d for d in rep["days"]}
        self.assertNotIn(self.HOLIDAY, days)
        self.assertNotIn(past(17), days)  # a Saturday
        self.assertEqual(len(days), 24)  # five weeks of weekdays, less the holiday
        self.assertEqual((days[past(13)]["enrolled"], days[self.LATE_START]["enrolled"],
                          days[self.TRANSFER]["enrolled"]), (40, 41, 40))
        daily = self.admin.get(f"/api/v1/reports/attendance/daily?date={past(13)}", expect=200).json
        self.assertEqual([(c["classId"], c["enrolled"]) for c in daily["classes"]], [(self.x["id"], 40)])
        self.assertTrue(daily["schoolDay"])

    def statements(self):
        # the request's own statements: not the audit writer's batches nor the job threads' polling, which run on
        # their own schedule (nor the tenant directory's reads, which the audit writer makes too, with ERP_SHARDS)
        return sum(v for lab, v in self.server.metrics().find("db_query_duration_seconds_count")
                   if lab.get("statement") not in ("audit.insert_batch", "shards.lookup")
                   and not lab.get("statement", "").startswith("queue."))

    def cost(self, fn):
        before = self.statements()
        fn()
        return self.statements() - before

    def test_a_class_of_40_is_a_handful_of_statements(self):
        x, day = self.x["id"], past(35)  # after the transfer (39 + the late one); other tests mark the first weeks
        roster = [s["studentId"] for s in self.sheet(day, x)["items"]]
        self.assertEqual(len(roster), 40)
        # (excused: an absent or late mark costs one more statement, the school's absence-alert settings)
        one = self.cost(lambda: self.mark(day, [{"studentId": roster[0], "status": "excused"}], class_id=x))
        forty = self.cost(lambda: self.mark(day, [{"studentId": s, "status": "present"} for s in roster],
                                            class_id=x))
        self.assertEqual(forty, one)
        self.assertLessEqual(forty, 10)
        read40 = self.cost(lambda: self.sheet(day, x))
        read1 = self.cost(lambda: self.sheet(self.TRANSFER, self.y["id"]))
        self.assertEqual(read40, read1)
        self.assertLessEqual(read40, 8)
        self.assertEqual(self.sheet(day, x)["counts"]["present"], 40)


class TestZZAttendanceCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every attendance operation answered its statuses."""

    def test_every_operation_answered_its_statuses(self):
        if not DOC or not {c.__name__ for c in AttendanceCase.__subclasses__()} <= RAN:
            skip_allowed("only after the whole module")
        ops = [m for m, _, op in Contract(DOC[0]).operations() if "attendance" in op.get("tags", [])]
        self.assertEqual(len(ops), 5)
        self.assertEqual(uncovered(DOC[0], "attendance", UNREACHABLE), [])
