"""
What the calendar, the rosters and the timetable may never contradict, on both
engines (every date relative to the server's today):

* a marked register day stays a school day: shortening a term past it,
  taking its weekday out of the term, deleting the term, or making it a
  holiday is refused with 409 naming the first marked date;
* a deleted student leaves the class report and the daily report alike:
  the enrolled count and the marks agree;
* academic years may overlap, but a student sits on one roster a day;
* a timetable slot is a lesson of a teaching assignment (that teacher teaches
  that subject to that class) on a weekday the year's terms have lessons on;
* a class's capacity holds on every day of its enrollments, today and later,
  and an enrollment is refused only when some day would be over capacity
  (enrollments one after the other do not add up).
"""

import datetime

from harness import ServerTestCase
from world import World, school_today

TZ = "Europe/Paris"
D = datetime.timedelta


def iso(d):
    return d.isoformat()


def weekdays_back(today, n):
    """The n latest Monday-to-Friday dates before today, oldest first."""
    out, d = [], today - D(days=1)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= D(days=1)
    return out[::-1]


class IntegrityCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.admin = cls.world.A.client("admin")
        cls.today = datetime.date.fromisoformat(school_today(TZ))
        cls.start = cls.today - D(days=70)

    def year(self, name, start, end, current=False):
        return self.admin.post("/api/v1/academic-years", json={"name": name, "startDate": iso(start),
                                                               "endDate": iso(end), "isCurrent": current},
                               expect=201).json

    def term(self, year, name, start, end, weekdays=None):
        body = {"academicYearId": year["id"], "name": name, "startDate": iso(start), "endDate": iso(end)}
        if weekdays:
            body["weekdays"] = weekdays
        return self.admin.post("/api/v1/terms", json=body, expect=201).json

    def klass(self, year, grade, section, **extra):
        return self.admin.post("/api/v1/classes", json=dict(academicYearId=year["id"], gradeLevel=grade,
                                                            section=section, **extra), expect=201).json

    def student(self, tag):
        return self.admin.post("/api/v1/students", json={"admissionNo": f"INT-{tag}", "firstName": "Ivy",
                                                         "lastName": f"Integrity {tag}", "dateOfBirth": "2013-04-05"},
                               expect=201).json

    def enroll(self, student, cls, start, expect=201):
        return self.admin.post("/api/v1/enrollments", json={"studentId": student["id"], "classId": cls["id"],
                                                            "startDate": iso(start)}, expect=expect)

    def mark(self, cls, day, marks):
        return self.admin.put(f"/api/v1/classes/{cls['id']}/attendance/{iso(day)}",
                              json={"marks": [{"studentId": s["id"], "status": st} for s, st in marks]}, expect=200)


class TestMarkedDaysStaySchoolDays(IntegrityCase):
    def test_the_calendar_cannot_move_away_from_marked_days(self):
        y = self.year("Calendar year", self.start, self.today + D(days=200))
        t = self.term(y, "Only term", self.start, self.today + D(days=60))
        c = self.klass(y, 3, "C")
        s = self.student("cal")
        self.enroll(s, c, self.start)
        days = weekdays_back(self.today, 3)
        for d in days:
            self.mark(c, d, [(s, "present")])
        path = f"/api/v1/terms/{t['id']}"
        etag = {"If-Match": f'"{t["version"]}"'}
        # shortening the term so the first marked day falls outside it
        p = self.assertProblem(self.admin.patch(path, json={"startDate": iso(days[0] + D(days=1))}, headers=etag), 409)
        self.assertIn(iso(days[0]), p["detail"])
        p = self.assertProblem(self.admin.patch(path, json={"endDate": iso(days[1])}, headers=etag), 409)
        self.assertIn(iso(days[2]), p["detail"])
        # taking a marked weekday out of the term
        names = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        p = self.assertProblem(self.admin.patch(path, json={"weekdays": [n for n in names
                                                                          if n != names[days[1].weekday()]]},
                                                headers=etag), 409)
        self.assertIn(iso(days[1]), p["detail"])
        # deleting it
        p = self.assertProblem(self.admin.delete(path, headers=etag), 409)
        self.assertIn(iso(days[0]), p["detail"])
        # a holiday on a marked day
        p = self.assertProblem(self.admin.post("/api/v1/holidays", json={"date": iso(days[2]), "name": "Oops"}), 409)
        self.assertIn(iso(days[2]), p["detail"])
        # nothing changed; changes that keep every marked day are fine
        self.assertEqual(self.admin.get(path, expect=200).json["version"], t["version"])
        self.admin.patch(path, json={"startDate": iso(days[0]), "endDate": iso(days[2]),
                                     "weekdays": names + ["saturday"]}, headers=etag, expect=200)
        # and the student's summary still agrees with the calendar
        doc = self.admin.get(f"/api/v1/students/{s['id']}/attendance?from={iso(days[0])}&to={iso(days[2])}",
                             expect=200).json
        self.assertEqual(doc["summary"]["present"], 3)
        self.assertGreaterEqual(doc["summary"]["schoolDays"], doc["summary"]["present"])


class TestDeletedStudents(IntegrityCase):
    def test_a_deleted_student_leaves_both_reports(self):
        y = self.year("Reports year", self.start, self.today + D(days=200))
        self.term(y, "Reports term", self.start, self.today + D(days=60))
        c = self.klass(y, 4, "R")
        kids = [self.student(f"rep-{i}") for i in range(3)]
        for k in kids:
            self.enroll(k, c, self.start)
        day = weekdays_back(self.today, 1)[0]
        self.mark(c, day, [(k, "present") for k in kids])
        etag = self.admin.get(f"/api/v1/students/{kids[0]['id']}", expect=200).headers["etag"]
        self.admin.delete(f"/api/v1/students/{kids[0]['id']}", headers={"If-Match": etag}, expect=204)
        report = self.admin.get(f"/api/v1/reports/attendance?classId={c['id']}&from={iso(day)}&to={iso(day)}",
                                expect=200).json
        d = next(x for x in report["days"] if x["date"] == iso(day))
        self.assertEqual((d["enrolled"], d["present"], d["marked"], d["unmarked"]), (2, 2, 2, 0))
        daily = self.admin.get(f"/api/v1/reports/attendance/daily?date={iso(day)}", expect=200).json
        row = next(x for x in daily["classes"] if x["classId"] == c["id"])
        self.assertEqual((row["enrolled"], row["present"], row["marked"]), (2, 2, 2))
        self.assertLessEqual(daily["totals"]["marked"], daily["totals"]["enrolled"])


class TestOverlappingYears(IntegrityCase):
    def test_one_roster_a_day_across_years(self):
        a = self.year("Overlap A", self.start, self.today + D(days=100))
        b = self.year("Overlap B", self.today + D(days=50), self.today + D(days=400))
        ca, cb = self.klass(a, 5, "OA"), self.klass(b, 6, "OB")
        s = self.student("overlap")
        self.enroll(s, ca, self.start)  # open: until the end of year A
        p = self.assertProblem(self.enroll(s, cb, self.today + D(days=60), expect=None), 409)
        self.assertIn(ca["name"], p["detail"])
        # after year A ends there is room on B's rosters
        self.enroll(s, cb, self.today + D(days=101))
        # and an earlier enrollment elsewhere in A cannot be slipped under B's
        t = self.student("overlap-2")
        self.enroll(t, cb, self.today + D(days=60))
        self.assertProblem(self.enroll(t, ca, self.start, expect=None), 409)


class TestTimetableRules(IntegrityCase):
    def test_a_slot_is_a_lesson_of_an_assignment_on_a_school_weekday(self):
        y = self.year("Timetable year", self.start, self.today + D(days=200))
        self.term(y, "Weekdays", self.start, self.today + D(days=60),
                  weekdays=["monday", "tuesday", "wednesday", "thursday", "friday"])
        c = self.klass(y, 7, "T")
        subj = self.admin.post("/api/v1/subjects", json={"code": "INT-BIO", "name": "Biology"}, expect=201).json
        other = self.admin.post("/api/v1/subjects", json={"code": "INT-CHEM", "name": "Chemistry"}, expect=201).json
        t1 = self.admin.post("/api/v1/teachers", json={"employeeNo": "INT-T1", "firstName": "Bo", "lastName": "Bio"},
                             expect=201).json
        t2 = self.admin.post("/api/v1/teachers", json={"employeeNo": "INT-T2", "firstName": "Cy", "lastName": "Chem"},
                             expect=201).json
        self.admin.post(f"/api/v1/classes/{c['id']}/subjects", json={"subjectId": subj["id"], "teacherId": t1["id"]},
                        expect=201)
        slot = {"classId": c["id"], "subjectId": subj["id"], "teacherId": t1["id"], "weekday": "monday",
                "startTime": "09:00", "endTime": "09:45"}
        for bad, field in ((dict(slot, teacherId=t2["id"]), "teacherId"), (dict(slot, subjectId=other["id"]),
                                                                           "teacherId"),
                           (dict(slot, weekday="saturday"), "weekday"), (dict(slot, weekday=7), "weekday")):
            with self.subTest(body=bad):
                self.assertProblem(self.admin.post("/api/v1/timetable-slots", json=bad), 422, fields=[field])
        made = self.admin.post("/api/v1/timetable-slots", json=slot, expect=201).json
        # moving it off the assignment or off the school week is refused the same way
        self.assertProblem(self.admin.patch(f"/api/v1/timetable-slots/{made['id']}", json={"weekday": "sunday"},
                                            headers={"If-Match": '"1"'}), 422, fields=["weekday"])
        # a year without terms cannot have lessons yet
        y2 = self.year("No terms yet", self.today + D(days=300), self.today + D(days=600))
        c2 = self.klass(y2, 7, "T")
        self.admin.post(f"/api/v1/classes/{c2['id']}/subjects", json={"subjectId": subj["id"], "teacherId": t1["id"]},
                        expect=201)
        self.assertProblem(self.admin.post("/api/v1/timetable-slots", json=dict(slot, classId=c2["id"])), 422,
                           fields=["classId"])


class TestCapacity(IntegrityCase):
    def test_capacity_holds_on_every_future_day(self):
        y = self.year("Capacity year", self.start, self.today + D(days=200))
        c = self.klass(y, 8, "K", capacity=3)
        later = self.today + D(days=30)
        for i in range(2):
            self.enroll(self.student(f"cap-{i}"), c, later)  # nobody today, two from next month
        p = self.assertProblem(self.admin.patch(f"/api/v1/classes/{c['id']}", json={"capacity": 1},
                                                headers={"If-Match": '"1"'}), 409)
        self.assertIn(iso(later), p["detail"])
        self.assertIn("2 students", p["detail"])
        self.admin.patch(f"/api/v1/classes/{c['id']}", json={"capacity": 2}, headers={"If-Match": '"1"'}, expect=200)
        # full from next month on: an enrollment from today is refused, naming the day
        p = self.assertProblem(self.enroll(self.student("cap-2"), c, self.today, expect=None), 409)
        self.assertIn(iso(later), p["detail"])

    def test_enrollments_one_after_the_other_do_not_add_up(self):
        y = self.year("Sequence year", self.start, self.today + D(days=200))
        c = self.klass(y, 9, "Q", capacity=2)
        first, second = self.student("seq-1"), self.student("seq-2")
        e = self.enroll(first, c, self.start).json
        self.admin.post(f"/api/v1/enrollments/{e['id']}/end", json={"endDate": iso(self.start + D(days=20)),
                                                                    "reason": "moved"},
                        headers={"If-Match": '"1"'}, expect=200)
        self.enroll(second, c, self.start + D(days=21))
        # at most one student on any day so far: a third fits from the start, all year
        self.enroll(self.student("seq-3"), c, self.start)
        # and now every day has two: a fourth does not
        self.assertProblem(self.enroll(self.student("seq-4"), c, self.start, expect=None), 409)
