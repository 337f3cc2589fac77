"""
Academic structure, enrollment and rosters: academic years (one current),
terms, holidays and school days, subjects, classes and their teaching
assignments, enrollments with transfers and rosters as of a date. Runs on both
engines. The people (teachers, students, parents with accounts) come from the
demo schools (fixtures_academic.Demo); school 2 is "another school".

Independent of the date: the years the tests write (2029-2051) are moved into
the past by dates.YEARS_BACK (Y(2030) is the year written 2030), keeping
their weekdays; what the demo holds today is derived from its calendar
(dates.DemoCalendar) and the clock.
"""

import datetime
import threading
import unittest
import uuid

from dates import DAY, MONDAY, WEEK, YEARS_BACK, iso, monday_of, on_or_after
from fixtures_academic import Demo
from harness import COVERAGE, Contract, ServerTestCase, full_name, skip_allowed
from world import DEMO_TIME_ZONE, school_today

ANY = {"If-Match": "*"}  # for versioned writes whose concurrency is not what a test is about

TAGS = {"academic-years", "terms", "holidays", "calendar", "subjects", "classes", "enrollments"}
RAN = set()  # the classes of this module whose setUpClass ran (for the coverage check)
OPENAPI = []  # the document of a server of this module


def Y(year):
    """The year the tests write as year (2029-2051), moved into the past with the same calendar."""
    return year + YEARS_BACK


def etag(client, path):
    return client.get(path, expect=200).headers["etag"]


def days(start, end):
    d, out = datetime.date.fromisoformat(start), []
    while d <= datetime.date.fromisoformat(end):
        out.append(d)
        d += datetime.timedelta(days=1)
    return out


class AcademicCase(ServerTestCase):
    TENANTS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        OPENAPI[:] = [cls.server.openapi]
        cls.demo = Demo(cls.server, tenants=cls.TENANTS)
        cls.admin = cls.demo.client("admin")
        cls.other = cls.demo.client("admin", school=2)

    def year(self, name, start, end, current=False, client=None):
        return (client or self.admin).post("/api/v1/academic-years", json={
            "name": name, "startDate": start, "endDate": end, "isCurrent": current}, expect=201).json

    def bad_bodies(self, client, method, path, headers=None):
        """Malformed JSON, not an object, wrong media type, too large, unknown and server-owned fields."""
        h = headers or {}
        self.assertProblem(client.request(method, path, body="{", content_type="application/json", headers=h), 400)
        self.assertProblem(client.request(method, path, body="[]", content_type="application/json", headers=h), 400)
        self.assertProblem(client.request(method, path, body="{}", content_type="text/plain", headers=h), 415)
        self.assertProblem(client.request(method, path, json={"name": "x" * 2_000_000}, headers=h), 413)
        res = client.request(method, path, json={"id": str(uuid.uuid4()), "tenantId": str(uuid.uuid4()),
                                                 "version": 3, "createdAt": f"{Y(2030)}-01-01T00:00:00Z", "bogus": 1},
                             headers=h)
        p = self.assertProblem(res, 422)
        self.assertLessEqual({"id", "tenantId", "version", "createdAt", "bogus"}, {e["field"] for e in p["errors"]})

    def if_match_rules(self, client, path, body, current):
        """428 without If-Match, 400 when malformed, 412 when stale; current is the record's ETag."""
        self.assertProblem(client.patch(path, json=body), 428)
        self.assertProblem(client.patch(path, json=body, headers={"If-Match": "3"}), 400)
        stale = f'"{int(current.strip(chr(34))) + 5}"'
        self.assertProblem(client.patch(path, json=body, headers={"If-Match": stale}), 412)

    def marked_enrollment(self, tag, student):
        """
        A year of its own (written 2047-2048) with a term, two classes, and the student enrolled in the first
        from the term's first day and marked present on a later school day, by the admin. Returns
        (term, classes, enrollment, the marked day as a date).
        """
        y = self.year(f"Marked {tag}", f"{Y(2047)}-08-20", f"{Y(2048)}-06-30")
        term = self.admin.post("/api/v1/terms", json={"academicYearId": y["id"], "name": f"Marked {tag}",
                                                      "startDate": f"{Y(2047)}-09-01", "endDate": f"{Y(2047)}-12-20"},
                               expect=201).json
        classes = [self.admin.post("/api/v1/classes", json={"academicYearId": y["id"], "gradeLevel": 12,
                                                             "section": section}, expect=201).json
                   for section in ("M", "N")]
        enrollment = self.admin.post("/api/v1/enrollments", json={
            "studentId": student, "classId": classes[0]["id"], "startDate": term["startDate"]}, expect=201).json
        marked = on_or_after(datetime.date.fromisoformat(term["startDate"]) + WEEK, MONDAY)
        self.admin.put(f"/api/v1/classes/{classes[0]['id']}/attendance/{iso(marked)}",
                       json={"marks": [{"studentId": student, "status": "present"}]}, expect=200)
        return term, classes, enrollment, marked


class TestAcademicYears(AcademicCase):
    TENANTS = 3  # school 3: the school whose current year the tests change

    def test_create_read_list_and_page(self):
        res = self.admin.post("/api/v1/academic-years", json={
            "name": f"{Y(2030)}-{Y(2031)}", "startDate": f"{Y(2030)}-08-20", "endDate": f"{Y(2031)}-06-30"})
        self.assertEqual(res.status, 201, res)
        y = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/academic-years/{y['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((y["name"], y["startDate"], y["endDate"], y["isCurrent"], y["version"]),
                         (f"{Y(2030)}-{Y(2031)}", f"{Y(2030)}-08-20", f"{Y(2031)}-06-30", False, 1))
        self.assertEqual(self.admin.get(res.headers["location"], expect=200).json, y)
        self.year(f"{Y(2029)}-{Y(2030)}", f"{Y(2029)}-08-20", f"{Y(2030)}-06-30")
        items = self.admin.get("/api/v1/academic-years", expect=200).json["items"]
        starts = [i["startDate"] for i in items]
        self.assertEqual(starts, sorted(starts, reverse=True), "newest first by default")
        names = [i["name"] for i in self.admin.get("/api/v1/academic-years?sort=name", expect=200).json["items"]]
        self.assertEqual(names, sorted(names))
        paged, cursor = [], None
        while True:
            doc = self.admin.get("/api/v1/academic-years?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                 expect=200).json
            paged += doc["items"]
            cursor = doc["nextCursor"]
            if cursor is None:
                break
        self.assertEqual([i["id"] for i in paged], [i["id"] for i in items])
        self.assertProblem(self.admin.get("/api/v1/academic-years?sort=endDate"), 422, fields=["sort"])
        self.assertProblem(self.admin.get("/api/v1/academic-years?limit=0"), 422, fields=["limit"])
        self.assertProblem(self.admin.get("/api/v1/academic-years?cursor=nonsense"), 400)

    def test_one_current_year(self):
        admin = self.demo.client("admin", school=3)

        def current_ids():
            return [i["id"] for i in admin.get("/api/v1/academic-years", expect=200).json["items"] if i["isCurrent"]]

        old = admin.get("/api/v1/academic-years/current", expect=200).json
        new = self.year(f"{Y(2031)}-{Y(2032)}", f"{Y(2031)}-08-20", f"{Y(2032)}-06-30", current=True, client=admin)
        self.assertTrue(new["isCurrent"])
        self.assertEqual(admin.get("/api/v1/academic-years/current", expect=200).json["id"], new["id"])
        self.assertEqual(current_ids(), [new["id"]])
        before = admin.get(f"/api/v1/academic-years/{old['id']}", expect=200)
        self.assertFalse(before.json["isCurrent"])
        self.assertEqual(before.json["version"], old["version"] + 1, "un-marking is a change")
        # making the old one current again un-marks the new one
        res = admin.patch(f"/api/v1/academic-years/{old['id']}", json={"isCurrent": True},
                          headers={"If-Match": before.headers["etag"]})
        self.assertEqual(res.status, 200, res)
        self.assertEqual(current_ids(), [old["id"]])
        # no current year at all
        res = admin.patch(f"/api/v1/academic-years/{old['id']}", json={"isCurrent": False},
                          headers={"If-Match": res.headers["etag"]}, expect=200)
        self.assertEqual(current_ids(), [])
        self.assertProblem(admin.get("/api/v1/academic-years/current"), 404)
        admin.patch(f"/api/v1/academic-years/{old['id']}", json={"isCurrent": True},
                    headers={"If-Match": res.headers["etag"]}, expect=200)
        # another school's current year is its own
        self.assertNotEqual(self.admin.get("/api/v1/academic-years/current", expect=200).json["id"], old["id"])

    def test_the_demo_school_follows_the_clock(self):
        """The demo's year, terms, holidays and marked days are those of its calendar for today (dates.py)."""
        cal = self.demo.calendar
        y = self.demo.current_year()
        self.assertEqual((y["name"], y["startDate"], y["endDate"]), (cal.year_name, iso(cal.start), iso(cal.end)))
        terms = self.admin.get(f"/api/v1/terms?academicYearId={y['id']}", expect=200).json["items"]
        weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        self.assertEqual([(t["name"], t["startDate"], t["endDate"], t["weekdays"]) for t in terms],
                         [(name, iso(start), iso(end), weekdays) for name, start, end in cal.terms])
        holidays = self.admin.get(f"/api/v1/holidays?from={iso(cal.start)}&to={iso(cal.end)}&limit=500",
                                  expect=200).json["items"]
        self.assertEqual({h["date"]: h["name"] for h in holidays}, {iso(d): n for d, n in cal.holidays.items()})
        # attendance: on every school day of the current term up to today, and on no other day
        _, first, last = cal.current_term
        for name in ("1-A", "12-A"):
            cid = self.demo.classes()[name]["id"]
            rep = self.admin.get(f"/api/v1/reports/attendance?classId={cid}&from={iso(first)}&to={iso(last)}",
                                 expect=200).json
            self.assertEqual([d["date"] for d in rep["days"] if d["marked"]], [iso(d) for d in cal.marked_days])
            self.assertTrue(all(d["unmarked"] == 0 for d in rep["days"]))

    def test_the_demo_school_looks_like_one(self):
        """Its name fits grades 1-12, first names fit gender and parenthood, ages fit the grades, classes sort by grade."""
        me = self.admin.get("/api/v1/me", expect=200).json
        self.assertEqual(me["tenant"]["name"], "Demo School")
        students = self.admin.get("/api/v1/students?limit=500", expect=200).json["items"]
        by_name = {}
        for st in students:
            by_name.setdefault(st["firstName"], set()).add(st["gender"])
        mixed = {n: g for n, g in by_name.items() if len(g) > 1 and n not in ("Quinn", "Kai")}
        self.assertEqual(mixed, {}, "a first name given to girls and boys alike")
        start = self.demo.calendar.start
        for name in ("1-A", "12-A"):
            grade = self.demo.classes()[name]["gradeLevel"]
            for row in self.demo.roster(name)[:5]:
                detail = self.admin.get(f"/api/v1/students/{row['studentId']}", expect=200).json
                born = detail["dateOfBirth"]
                for g in detail["guardians"]:  # a mother's first name is a girl's name, a father's a boy's
                    sexes = by_name.get(g["guardian"]["firstName"], set()) - {"other", "unspecified"}
                    if g["guardian"]["firstName"] not in ("Quinn", "Kai") and sexes:
                        self.assertEqual(sexes, {"female" if g["relationship"] == "mother" else "male"}, g)
                age = start.year - int(born[:4]) - ((start.month, start.day) < (int(born[5:7]), int(born[8:10])))
                self.assertIn(age, (grade + 4, grade + 5, grade + 6), f"{name}: born {born}")
        names = [c["name"] for c in self.admin.get(
            f"/api/v1/classes?academicYearId={self.demo.current_year()['id']}&sort=gradeLevel&limit=500",
            expect=200).json["items"]]
        self.assertLess(names.index("2-A"), names.index("10-A"))

    def test_validation(self):
        p = "/api/v1/academic-years"
        self.assertProblem(self.admin.post(p, json={}), 422, fields=["name", "startDate", "endDate"])
        self.assertProblem(self.admin.post(p, json={"name": 5, "startDate": f"{Y(2030)}-02-30", "endDate": 7,
                                                    "isCurrent": "yes"}), 422,
                           fields=["name", "startDate", "endDate", "isCurrent"])
        self.assertProblem(self.admin.post(p, json={"name": "Same day", "startDate": f"{Y(2030)}-08-20",
                                                    "endDate": f"{Y(2030)}-08-20"}), 422, fields=["endDate"])
        self.assertProblem(self.admin.post(p, json={"name": " padded", "startDate": f"{Y(2030)}-08-20",
                                                    "endDate": f"{Y(2031)}-08-20"}), 422, fields=["name"])
        self.assertProblem(self.admin.post(p, json={"name": "x" * 101, "startDate": f"{Y(2030)}-08-20",
                                                    "endDate": f"{Y(2031)}-08-20"}), 422, fields=["name"])
        self.bad_bodies(self.admin, "POST", p)

    def test_duplicate_name_is_409(self):
        self.year("Dup year", f"{Y(2033)}-08-20", f"{Y(2034)}-06-30")
        res = self.admin.post("/api/v1/academic-years", json={"name": "Dup year", "startDate": f"{Y(2034)}-08-20",
                                                               "endDate": f"{Y(2035)}-06-30"})
        self.assertProblem(res, 409, fields=["name"])
        # another school's names are its own
        self.year("Dup year", f"{Y(2033)}-08-20", f"{Y(2034)}-06-30", client=self.other)

    def test_update_rules(self):
        y = self.year(f"{Y(2035)}-{Y(2036)}", f"{Y(2035)}-08-20", f"{Y(2036)}-06-30")
        path = f"/api/v1/academic-years/{y['id']}"
        self.admin.post("/api/v1/terms", json={"academicYearId": y["id"], "name": "Spring",
                                               "startDate": f"{Y(2036)}-01-05",
                                               "endDate": f"{Y(2036)}-03-31"}, expect=201)
        self.if_match_rules(self.admin, path, {"name": "Renamed"}, '"1"')
        tag = {"If-Match": '"1"'}
        res = self.admin.patch(path, json={"endDate": f"{Y(2036)}-02-28"}, headers=tag)
        p = self.assertProblem(res, 409)
        self.assertIn("Spring", p["detail"])
        self.assertProblem(self.admin.patch(path, json={"startDate": f"{Y(2036)}-08-20"}, headers=tag), 422,
                           fields=["startDate"])
        self.assertProblem(self.admin.patch(path, json={"isCurrent": "no", "academicYearId": y["id"]}, headers=tag),
                           422, fields=["isCurrent", "academicYearId"])
        self.bad_bodies(self.admin, "PATCH", path, headers=tag)
        res = self.admin.patch(path, json={"name": "Renamed", "endDate": f"{Y(2036)}-07-15"}, headers=tag)
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.headers["etag"], '"2"')
        self.assertEqual((res.json["name"], res.json["endDate"], res.json["startDate"]),
                         ("Renamed", f"{Y(2036)}-07-15", f"{Y(2035)}-08-20"))
        self.assertProblem(self.admin.patch(path, json={"name": "Again"}, headers=tag), 412)
        self.year("Taken", f"{Y(2037)}-08-20", f"{Y(2038)}-06-30")
        self.assertProblem(self.admin.patch(path, json={"name": "Taken"}, headers={"If-Match": '"2"'}), 409,
                           fields=["name"])

    def test_delete_in_use_is_409(self):
        y = self.year(f"{Y(2038)}-{Y(2039)}", f"{Y(2038)}-08-20", f"{Y(2039)}-06-30")
        self.admin.post("/api/v1/terms", json={"academicYearId": y["id"], "name": "Only",
                                               "startDate": f"{Y(2038)}-09-01",
                                               "endDate": f"{Y(2038)}-12-20"}, expect=201)
        p = self.assertProblem(self.admin.delete(f"/api/v1/academic-years/{y['id']}", headers=ANY), 409)
        self.assertIn("1 term", p["detail"])
        current = self.demo.current_year()
        p = self.assertProblem(self.admin.delete(f"/api/v1/academic-years/{current['id']}", headers=ANY), 409)
        self.assertIn("class", p["detail"])
        empty = self.year(f"{Y(2039)}-{Y(2040)}", f"{Y(2039)}-08-20", f"{Y(2040)}-06-30")
        self.assertEqual(self.admin.delete(f"/api/v1/academic-years/{empty['id']}", headers=ANY).status, 204)
        self.assertProblem(self.admin.get(f"/api/v1/academic-years/{empty['id']}"), 404)
        self.assertProblem(self.admin.delete(f"/api/v1/academic-years/{empty['id']}", headers=ANY), 404)

    def test_roles_and_other_schools(self):
        y = self.demo.current_year()
        staff = self.demo.add_staff("staff-years")
        for key in ("teacher1", "parent1", "student7"):
            c = self.demo.client(key)
            self.assertIn(y["id"], [i["id"] for i in c.get("/api/v1/academic-years", expect=200).json["items"]])
            self.assertEqual(c.get("/api/v1/academic-years/current", expect=200).json["id"], y["id"])
            self.assertProblem(c.post("/api/v1/academic-years", json={"name": "N", "startDate": f"{Y(2040)}-01-01",
                                                                      "endDate": f"{Y(2040)}-02-01"}), 403)
        self.assertProblem(staff.patch(f"/api/v1/academic-years/{y['id']}", json={"name": "N"},
                                       headers={"If-Match": '"1"'}), 403)
        self.assertProblem(staff.delete(f"/api/v1/academic-years/{y['id']}", headers=ANY), 403)
        path = f"/api/v1/academic-years/{y['id']}"
        before = self.admin.get(path, expect=200).json
        self.assertProblem(self.other.get(path), 404)
        self.assertProblem(self.other.patch(path, json={"name": "Mine"}, headers={"If-Match": '"1"'}), 404)
        self.assertProblem(self.other.delete(path, headers=ANY), 404)
        self.assertEqual(self.admin.get(path, expect=200).json, before)
        self.assertProblem(self.admin.get("/api/v1/academic-years/not-an-id"), 404)
        self.assertProblem(self.admin.get(f"/api/v1/academic-years/{uuid.uuid4()}"), 404)


class TestTermsHolidaysAndSchoolDays(AcademicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.y = cls.admin.post("/api/v1/academic-years", json={"name": f"{Y(2030)}-{Y(2031)}",
                                                               "startDate": f"{Y(2030)}-08-20",
                                                               "endDate": f"{Y(2031)}-06-30"}, expect=201).json

    def term(self, name, start, end, weekdays=None, year=None, expect=201):
        body = {"academicYearId": year or self.y["id"], "name": name, "startDate": start, "endDate": end}
        if weekdays is not None:
            body["weekdays"] = weekdays
        return self.admin.post("/api/v1/terms", json=body, expect=expect)

    def test_create_inside_its_year_with_default_weekdays(self):
        res = self.term("Autumn", f"{Y(2030)}-09-02", f"{Y(2030)}-12-20")
        t = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/terms/{t['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual(t["weekdays"], ["monday", "tuesday", "wednesday", "thursday", "friday"])
        self.assertEqual((t["academicYearId"], t["startDate"], t["endDate"]), (self.y["id"], f"{Y(2030)}-09-02",
                                                                               f"{Y(2030)}-12-20"))
        self.assertEqual(self.demo.client("student7").get(f"/api/v1/terms/{t['id']}", expect=200).json, t)

    def test_dates_outside_the_year_are_422(self):
        res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "Early",
                                                     "startDate": f"{Y(2030)}-08-01", "endDate": f"{Y(2030)}-09-01"})
        self.assertProblem(res, 422, fields=["startDate"])
        res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "Late",
                                                     "startDate": f"{Y(2031)}-06-01", "endDate": f"{Y(2031)}-07-01"})
        self.assertProblem(res, 422, fields=["endDate"])
        res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "Backwards",
                                                     "startDate": f"{Y(2031)}-03-01", "endDate": f"{Y(2031)}-02-01"})
        self.assertProblem(res, 422, fields=["endDate"])
        self.term("One day", f"{Y(2031)}-06-30", f"{Y(2031)}-06-30")

    def test_overlap_is_409_naming_the_other_term(self):
        self.term("Winter", f"{Y(2031)}-01-05", f"{Y(2031)}-02-15")
        res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "Clash",
                                                     "startDate": f"{Y(2031)}-02-15", "endDate": f"{Y(2031)}-03-01"})
        p = self.assertProblem(res, 409)
        self.assertIn("Winter", p["detail"])
        t = self.term("Late winter", f"{Y(2031)}-02-16", f"{Y(2031)}-03-01").json  # the day after is fine
        path = f"/api/v1/terms/{t['id']}"
        p = self.assertProblem(self.admin.patch(path, json={"startDate": f"{Y(2031)}-02-01"},
                                                headers={"If-Match": '"1"'}), 409)
        self.assertIn("Winter", p["detail"])
        # a term may be moved over its own old dates
        res = self.admin.patch(path, json={"startDate": f"{Y(2031)}-02-20", "weekdays": ["saturday"]},
                               headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["startDate"], res.json["weekdays"], res.json["version"]),
                         (f"{Y(2031)}-02-20", ["saturday"], 2))
        self.if_match_rules(self.admin, path, {"name": "x"}, res.headers["etag"])
        self.bad_bodies(self.admin, "PATCH", path, headers={"If-Match": res.headers["etag"]})
        self.assertProblem(self.admin.patch(path, json={"academicYearId": self.y["id"], "weekdays": []},
                                            headers={"If-Match": res.headers["etag"]}), 422,
                           fields=["academicYearId", "weekdays"])
        # terms of other years do not clash
        y2 = self.year(f"{Y(2031)} short", f"{Y(2031)}-01-01", f"{Y(2031)}-12-31")
        self.term("Winter", f"{Y(2031)}-01-05", f"{Y(2031)}-02-15", year=y2["id"])

    def test_weekdays_and_other_validation(self):
        for bad in (["monday", "monday"], [], ["Monday"], "monday", [1], ["funday"], ["monday"] * 8):
            res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "W",
                                                         "startDate": f"{Y(2030)}-09-01", "endDate": f"{Y(2030)}-09-02",
                                                         "weekdays": bad})
            self.assertProblem(res, 422, fields=["weekdays"])
        self.assertProblem(self.admin.post("/api/v1/terms", json={}), 422,
                           fields=["academicYearId", "name", "startDate", "endDate"])
        self.assertProblem(self.admin.post("/api/v1/terms", json={"academicYearId": "x", "name": 1,
                                                                  "startDate": f"{Y(2030)}-9-1", "endDate": None}), 422,
                           fields=["academicYearId", "name", "startDate", "endDate"])
        self.bad_bodies(self.admin, "POST", "/api/v1/terms")
        # another school's year, like a missing one, is 404 naming the field
        for year in (self.demo.current_year(school=2)["id"], str(uuid.uuid4())):
            res = self.admin.post("/api/v1/terms", json={"academicYearId": year, "name": "X",
                                                         "startDate": f"{Y(2030)}-09-01",
                                                         "endDate": f"{Y(2030)}-09-02"})
            p = self.assertProblem(res, 404)
            self.assertIn("academicYearId", p["detail"])

    def test_duplicate_name_is_409(self):
        self.term("Twice", f"{Y(2031)}-04-01", f"{Y(2031)}-04-10")
        res = self.admin.post("/api/v1/terms", json={"academicYearId": self.y["id"], "name": "Twice",
                                                     "startDate": f"{Y(2031)}-04-20", "endDate": f"{Y(2031)}-04-30"})
        self.assertProblem(res, 409, fields=["name"])

    def test_list_by_year(self):
        y = self.year(f"{Y(2045)}-{Y(2046)}", f"{Y(2045)}-08-20", f"{Y(2046)}-06-30")
        b = self.term("B", f"{Y(2046)}-01-05", f"{Y(2046)}-03-01", year=y["id"]).json
        a = self.term("A", f"{Y(2045)}-09-01", f"{Y(2045)}-12-20", year=y["id"]).json
        items = self.admin.get(f"/api/v1/terms?academicYearId={y['id']}", expect=200).json["items"]
        self.assertEqual([i["id"] for i in items], [a["id"], b["id"]])
        items = self.admin.get(f"/api/v1/terms?academicYearId={y['id']}&sort=-name", expect=200).json["items"]
        self.assertEqual([i["id"] for i in items], [b["id"], a["id"]])
        doc = self.demo.client("parent1").get(f"/api/v1/terms?academicYearId={y['id']}&limit=1", expect=200).json
        self.assertEqual(len(doc["items"]), 1)
        doc = self.admin.get(f"/api/v1/terms?academicYearId={y['id']}&limit=1&cursor={doc['nextCursor']}",
                             expect=200).json
        self.assertEqual(([i["id"] for i in doc["items"]], doc["nextCursor"]), ([b["id"]], None))
        p = self.assertProblem(self.admin.get(f"/api/v1/terms?academicYearId={self.demo.current_year(2)['id']}"), 404)
        self.assertIn("academicYearId", p["detail"])
        self.assertProblem(self.admin.get("/api/v1/terms?academicYearId=nope"), 422, fields=["academicYearId"])

    def test_delete(self):
        # a term holding attendance stays
        marked_term = self.marked_enrollment("term", self.demo.roster("1-A")[0]["studentId"])[0]
        p = self.assertProblem(self.admin.delete(f"/api/v1/terms/{marked_term['id']}", headers=ANY), 409)
        self.assertIn("Registers were marked", p["detail"])
        t = self.term("Doomed", f"{Y(2031)}-05-01", f"{Y(2031)}-05-10").json
        self.assertProblem(self.demo.client("teacher1").delete(f"/api/v1/terms/{t['id']}", headers=ANY), 403)
        self.assertProblem(self.other.delete(f"/api/v1/terms/{t['id']}", headers=ANY), 404)
        self.assertEqual(self.admin.delete(f"/api/v1/terms/{t['id']}", headers=ANY).status, 204)
        self.assertProblem(self.admin.get(f"/api/v1/terms/{t['id']}"), 404)
        self.assertProblem(self.admin.delete(f"/api/v1/terms/{t['id']}", headers=ANY), 404)

    def test_holidays(self):
        res = self.admin.post("/api/v1/holidays", json={"date": f"{Y(2030)}-10-14", "name": "Harvest day"})
        self.assertEqual(res.status, 201, res)
        self.assertEqual(res.headers["location"], f"/api/v1/holidays/{Y(2030)}-10-14")
        self.assertEqual((res.json["date"], res.json["name"]), (f"{Y(2030)}-10-14", "Harvest day"))
        self.assertProblem(self.admin.post("/api/v1/holidays", json={"date": f"{Y(2030)}-10-14", "name": "Again"}), 409,
                           fields=["date"])
        self.assertProblem(self.admin.post("/api/v1/holidays", json={"date": f"{Y(2030)}-02-30", "name": ""}), 422,
                           fields=["date", "name"])
        self.bad_bodies(self.admin, "POST", "/api/v1/holidays")
        self.other.post("/api/v1/holidays", json={"date": f"{Y(2030)}-10-14", "name": "Theirs"}, expect=201)
        self.admin.post("/api/v1/holidays", json={"date": f"{Y(2030)}-10-15", "name": "Harvest day 2"}, expect=201)
        self.admin.post("/api/v1/holidays", json={"date": f"{Y(2030)}-12-25", "name": "Winter day"}, expect=201)
        student = self.demo.client("student7")
        doc = student.get(f"/api/v1/holidays?from={Y(2030)}-10-01&to={Y(2030)}-10-31", expect=200).json
        self.assertEqual([(h["date"], h["name"]) for h in doc["items"]],
                         [(f"{Y(2030)}-10-14", "Harvest day"), (f"{Y(2030)}-10-15", "Harvest day 2")])
        # (the demo's holidays come later: to= ends the range before them)
        doc = student.get(f"/api/v1/holidays?from={Y(2030)}-10-01&to={Y(2030)}-12-31&limit=2", expect=200).json
        self.assertEqual([h["date"] for h in doc["items"]], [f"{Y(2030)}-10-14", f"{Y(2030)}-10-15"])
        doc = student.get(f"/api/v1/holidays?from={Y(2030)}-10-01&to={Y(2030)}-12-31&limit=2&cursor={doc['nextCursor']}",
                          expect=200).json
        self.assertEqual([h["date"] for h in doc["items"]], [f"{Y(2030)}-12-25"])
        self.assertProblem(student.get(f"/api/v1/holidays?from={Y(2030)}-13-01"), 422, fields=["from"])
        self.assertProblem(student.get(f"/api/v1/holidays?from={Y(2030)}-10-02&to={Y(2030)}-10-01"), 422, fields=["to"])
        self.assertEqual(student.get(f"/api/v1/holidays/{Y(2030)}-10-14", expect=200).json["name"], "Harvest day")
        self.assertProblem(student.get(f"/api/v1/holidays/{Y(2030)}-10-16"), 404)
        self.assertProblem(student.get("/api/v1/holidays/tomorrow"), 404)
        self.assertProblem(student.delete(f"/api/v1/holidays/{Y(2030)}-10-15"), 403)
        self.assertProblem(student.post("/api/v1/holidays", json={"date": f"{Y(2030)}-10-16", "name": "Mine"}), 403)
        self.assertEqual(self.admin.delete(f"/api/v1/holidays/{Y(2030)}-10-15").status, 204)
        self.assertProblem(self.admin.get(f"/api/v1/holidays/{Y(2030)}-10-15"), 404)
        self.assertProblem(self.admin.delete(f"/api/v1/holidays/{Y(2030)}-10-15"), 404)
        self.assertProblem(self.admin.delete("/api/v1/holidays/not-a-date"), 404)
        # deleting one school's holiday leaves the other's
        self.assertEqual(self.admin.delete(f"/api/v1/holidays/{Y(2030)}-10-14").status, 204)
        self.assertEqual(self.other.get(f"/api/v1/holidays/{Y(2030)}-10-14", expect=200).json["name"], "Theirs")

    def test_school_days(self):
        y = self.year(f"{Y(2050)}-{Y(2051)}", f"{Y(2050)}-08-20", f"{Y(2051)}-06-30")
        self.term("Short", f"{Y(2050)}-09-05", f"{Y(2050)}-09-18", weekdays=["monday", "wednesday", "saturday"],
                  year=y["id"])
        self.term("Next", f"{Y(2050)}-09-21", f"{Y(2050)}-09-30", year=y["id"])
        self.admin.post("/api/v1/holidays", json={"date": f"{Y(2050)}-09-07", "name": "Mid-week"}, expect=201)
        self.admin.post("/api/v1/holidays", json={"date": f"{Y(2050)}-09-22", "name": "Day off"}, expect=201)
        want = []
        for d in days(f"{Y(2050)}-09-01", f"{Y(2050)}-09-25"):
            ds = d.isoformat()
            if ds in (f"{Y(2050)}-09-07", f"{Y(2050)}-09-22"):
                continue
            if f"{Y(2050)}-09-05" <= ds <= f"{Y(2050)}-09-18" and d.isoweekday() in (1, 3, 6):
                want.append(ds)
            elif f"{Y(2050)}-09-21" <= ds <= f"{Y(2050)}-09-30" and d.isoweekday() <= 5:
                want.append(ds)
        doc = self.demo.client("parent1").get(f"/api/v1/calendar/school-days?from={Y(2050)}-09-01&to={Y(2050)}-09-25",
                                              expect=200).json
        self.assertEqual(doc, {"from": f"{Y(2050)}-09-01", "to": f"{Y(2050)}-09-25", "count": len(want), "days": want})
        self.assertEqual(want[:3], [f"{Y(2050)}-09-05", f"{Y(2050)}-09-10", f"{Y(2050)}-09-12"])
        # another school's calendar is its own
        other = self.other.get(f"/api/v1/calendar/school-days?from={Y(2050)}-09-01&to={Y(2050)}-09-25", expect=200).json
        self.assertEqual(other["days"], [])
        # the demo's calendar: its terms' weekdays without its holidays, here the week of its first holiday
        # that falls on a weekday of a term
        cal = self.demo.calendar
        holiday = min(d for d in cal.holidays if d.weekday() < 5 and any(s <= d <= e for _, s, e in cal.terms))
        week = monday_of(holiday)
        doc = self.admin.get(f"/api/v1/calendar/school-days?from={iso(week)}&to={iso(week + DAY * 6)}",
                             expect=200).json
        want = [iso(week + DAY * i) for i in range(5) if week + DAY * i not in cal.holidays]
        self.assertEqual(doc["days"], want)
        self.assertEqual(want, [iso(d) for d in cal.school_days(week, week + DAY * 6)])
        self.assertNotIn(iso(holiday), doc["days"])

    def test_school_days_validation(self):
        p = "/api/v1/calendar/school-days"
        self.assertProblem(self.admin.get(p), 422, fields=["from", "to"])
        self.assertProblem(self.admin.get(p + f"?from={Y(2030)}-01-01&to={Y(2030)}-1-2"), 422, fields=["to"])
        self.assertProblem(self.admin.get(p + f"?from={Y(2030)}-01-02&to={Y(2030)}-01-01"), 422, fields=["to"])
        # 401 days, then 400
        self.assertProblem(self.admin.get(p + f"?from={Y(2030)}-01-01&to={Y(2031)}-02-05"), 422, fields=["to"])
        self.assertEqual(self.admin.get(p + f"?from={Y(2030)}-01-01&to={Y(2031)}-02-04", expect=200).json["to"],
                         f"{Y(2031)}-02-04")
        self.assertEqual(self.admin.get(p + f"?from={Y(2030)}-01-01&to={Y(2030)}-01-01", expect=200).json["count"], 0)


class TestSubjects(AcademicCase):
    def test_create_list_update_delete(self):
        res = self.admin.post("/api/v1/subjects", json={"code": "ROB-1", "name": "Robotics",
                                                        "description": "Building robots"})
        self.assertEqual(res.status, 201, res)
        s = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/subjects/{s['id']}")
        self.assertEqual((s["code"], s["name"], s["description"], s["version"]),
                         ("ROB-1", "Robotics", "Building robots", 1))
        self.assertProblem(self.admin.post("/api/v1/subjects", json={"code": "ROB-1", "name": "Again"}), 409,
                           fields=["code"])
        self.other.post("/api/v1/subjects", json={"code": "ROB-1", "name": "Theirs"}, expect=201)
        teacher = self.demo.client("teacher1")
        doc = teacher.get("/api/v1/subjects?q=robot", expect=200).json
        self.assertEqual([i["id"] for i in doc["items"]], [s["id"]])
        codes = [i["code"] for i in teacher.get("/api/v1/subjects", expect=200).json["items"]]
        self.assertEqual(codes, sorted(codes))
        self.assertIn("MATH", codes)
        names = [i["name"] for i in teacher.get("/api/v1/subjects?sort=-name", expect=200).json["items"]]
        self.assertEqual(names, sorted(names, reverse=True))
        doc = teacher.get("/api/v1/subjects?limit=4", expect=200).json
        doc2 = teacher.get(f"/api/v1/subjects?limit=4&cursor={doc['nextCursor']}", expect=200).json
        self.assertEqual([i["code"] for i in doc["items"] + doc2["items"]], codes[:8])
        self.assertProblem(teacher.get("/api/v1/subjects?q="), 422, fields=["q"])
        path = f"/api/v1/subjects/{s['id']}"
        self.assertEqual(self.demo.client("parent1").get(path, expect=200).json, s)
        self.if_match_rules(self.admin, path, {"name": "x"}, '"1"')
        self.bad_bodies(self.admin, "PATCH", path, headers={"If-Match": '"1"'})
        self.assertProblem(self.admin.patch(path, json={"code": "a b", "name": ""}, headers={"If-Match": '"1"'}), 422,
                           fields=["code", "name"])
        res = self.admin.patch(path, json={"description": None, "name": "Robotics I"}, headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["description"], res.json["name"], res.json["code"]), (None, "Robotics I", "ROB-1"))
        self.assertProblem(self.admin.patch(path, json={"code": "MATH"}, headers={"If-Match": '"2"'}), 409,
                           fields=["code"])
        self.assertProblem(teacher.patch(path, json={"name": "x"}, headers={"If-Match": '"2"'}), 403)
        self.assertProblem(self.other.get(path), 404)
        self.assertProblem(self.other.delete(path, headers=ANY), 404)
        self.assertEqual(self.admin.delete(path, headers=ANY).status, 204)
        self.assertProblem(self.admin.get(path), 404)

    def test_validation(self):
        for code in ("M A", "-X", "", "x" * 21, "É1"):
            self.assertProblem(self.admin.post("/api/v1/subjects", json={"code": code, "name": "N"}), 422,
                               fields=["code"])
        self.assertProblem(self.admin.post("/api/v1/subjects", json={}), 422, fields=["code", "name"])
        self.assertProblem(self.admin.post("/api/v1/subjects", json={"code": "OK", "name": "N", "description": 3}),
                           422, fields=["description"])
        self.bad_bodies(self.admin, "POST", "/api/v1/subjects")

    def test_delete_while_assigned_is_409(self):
        math = next(i for i in self.admin.get("/api/v1/subjects?q=MATH", expect=200).json["items"]
                    if i["code"] == "MATH")
        p = self.assertProblem(self.admin.delete(f"/api/v1/subjects/{math['id']}", headers=ANY), 409)
        self.assertIn("class", p["detail"])


class TestClasses(AcademicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.y = cls.admin.post("/api/v1/academic-years", json={"name": f"{Y(2031)}-{Y(2032)}",
                                                               "startDate": f"{Y(2031)}-08-20",
                                                               "endDate": f"{Y(2032)}-06-30"}, expect=201).json
        cls.t1 = cls.demo.teacher_id("teacher1")
        cls.t2 = cls.demo.teacher_id("teacher2")
        cls.foreign_teacher = cls.demo.teacher_id("teacher1", school=2)
        cls.subject = cls.admin.post("/api/v1/subjects", json={"code": "CLS", "name": "Class studies"},
                                     expect=201).json

    def new_class(self, grade, section, **kw):
        body = {"academicYearId": self.y["id"], "gradeLevel": grade, "section": section}
        body.update(kw)
        return self.admin.post("/api/v1/classes", json=body, expect=201).json

    def test_create_with_defaults_and_unique_section(self):
        res = self.admin.post("/api/v1/classes", json={"academicYearId": self.y["id"], "gradeLevel": 5,
                                                       "section": "B"})
        self.assertEqual(res.status, 201, res)
        c = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/classes/{c['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((c["name"], c["classTeacherId"], c["room"], c["capacity"], c["enrolledCount"]),
                         ("5-B", None, None, None, 0))
        res = self.admin.post("/api/v1/classes", json={"academicYearId": self.y["id"], "gradeLevel": 5,
                                                       "section": "B", "name": "Other name"})
        self.assertProblem(res, 409, fields=["section"])
        full = self.new_class(0, "K", name="Kindergarten", classTeacherId=self.t1, room="K1", capacity=20)
        self.assertEqual((full["name"], full["gradeLevel"], full["classTeacherId"], full["room"], full["capacity"]),
                         ("Kindergarten", 0, self.t1, "K1", 20))
        self.assertEqual(self.admin.get(f"/api/v1/classes/{full['id']}", expect=200).json, full)

    def test_validation_and_references(self):
        p = "/api/v1/classes"
        self.assertProblem(self.admin.post(p, json={}), 422, fields=["academicYearId", "gradeLevel", "section"])
        self.assertProblem(self.admin.post(p, json={"academicYearId": self.y["id"], "gradeLevel": 14, "section": "",
                                                    "capacity": 0, "room": 5, "classTeacherId": "t1"}), 422,
                           fields=["gradeLevel", "section", "capacity", "room", "classTeacherId"])
        self.assertProblem(self.admin.post(p, json={"academicYearId": self.y["id"], "gradeLevel": 2.5,
                                                    "section": "A"}), 422, fields=["gradeLevel"])
        self.bad_bodies(self.admin, "POST", p)
        for field, body in (("classTeacherId", {"academicYearId": self.y["id"], "classTeacherId": self.foreign_teacher}),
                            ("academicYearId", {"academicYearId": self.demo.current_year(2)["id"]})):
            res = self.admin.post(p, json=dict(body, gradeLevel=9, section="Q"))
            self.assertIn(field, self.assertProblem(res, 404)["detail"])

    def test_lists_refuse_cursors_they_did_not_make_and_bad_limits(self):
        c = self.new_class(4, "Q")
        for path in ("/api/v1/academic-years", "/api/v1/terms", "/api/v1/holidays", "/api/v1/subjects",
                     "/api/v1/classes", f"/api/v1/classes/{c['id']}/subjects", "/api/v1/enrollments",
                     f"/api/v1/classes/{c['id']}/students"):
            with self.subTest(path=path):
                self.assertProblem(self.admin.get(f"{path}?cursor=not-a-cursor"), 400)
                self.assertProblem(self.admin.get(f"{path}?limit=0"), 422, fields=["limit"])
                self.assertProblem(self.admin.get(f"{path}?limit=501"), 422, fields=["limit"])
                self.admin.get(f"{path}?limit=500", expect=200)

    def test_inactive_teachers_are_422(self):
        t = self.admin.post("/api/v1/teachers", json={"employeeNo": "ACAD-INACTIVE", "firstName": "Ina",
                                                      "lastName": "Ctive", "status": "inactive"}, expect=201).json
        res = self.admin.post("/api/v1/classes", json={"academicYearId": self.y["id"], "gradeLevel": 11, "section": "I",
                                                       "classTeacherId": t["id"]})
        self.assertProblem(res, 422, fields=["classTeacherId"])
        c = self.new_class(11, "I")
        res = self.admin.post(f"/api/v1/classes/{c['id']}/subjects", json={"subjectId": self.subject["id"],
                                                                          "teacherId": t["id"]})
        self.assertProblem(res, 422, fields=["teacherId"])

    def test_list_filters_sort_and_pages(self):
        y = self.year(f"{Y(2041)}-{Y(2042)}", f"{Y(2041)}-08-20", f"{Y(2042)}-06-30")
        made = [self.admin.post("/api/v1/classes", json={"academicYearId": y["id"], "gradeLevel": g, "section": s,
                                                         **({"classTeacherId": self.t2} if g == 2 else {})},
                                expect=201).json for g, s in ((3, "A"), (1, "B"), (2, "A"), (1, "A"))]
        base = f"/api/v1/classes?academicYearId={y['id']}"
        items = self.admin.get(base, expect=200).json["items"]
        self.assertEqual([c["name"] for c in items], ["1-A", "1-B", "2-A", "3-A"])
        items = self.admin.get(base + "&sort=-gradeLevel", expect=200).json["items"]
        self.assertEqual([c["name"] for c in items], ["3-A", "2-A", "1-B", "1-A"])
        paged, cursor = [], None
        while True:
            doc = self.admin.get(base + "&sort=gradeLevel&limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                 expect=200).json
            paged += [c["name"] for c in doc["items"]]
            cursor = doc["nextCursor"]
            if not cursor:
                break
        self.assertEqual(paged, ["1-A", "1-B", "2-A", "3-A"])
        self.assertEqual([c["name"] for c in self.admin.get(base + "&gradeLevel=1", expect=200).json["items"]],
                         ["1-A", "1-B"])
        self.assertEqual([c["id"] for c in self.admin.get(base + f"&teacherId={self.t2}", expect=200).json["items"]],
                         [made[2]["id"]])
        self.assertProblem(self.admin.get(base + "&gradeLevel=14"), 422, fields=["gradeLevel"])
        self.assertProblem(self.admin.get(base + "&sort=room"), 422, fields=["sort"])
        self.assertProblem(self.admin.get(f"/api/v1/classes?teacherId={self.foreign_teacher}"), 404)
        # the demo's classes, with today's enrollment: its 60 students while its year runs, nobody outside it
        current = self.demo.classes()
        self.assertEqual(len(current), 12)
        in_session = self.demo.calendar.enrolled_on(datetime.date.fromisoformat(school_today(DEMO_TIME_ZONE)))
        self.assertEqual(sum(c["enrolledCount"] for c in current.values()), 60 if in_session else 0)

    def test_teachers_see_the_classes_they_teach(self):
        y = self.year(f"{Y(2042)}-{Y(2043)}", f"{Y(2042)}-08-20", f"{Y(2043)}-06-30")
        led = self.admin.post("/api/v1/classes", json={"academicYearId": y["id"], "gradeLevel": 4, "section": "A",
                                                       "classTeacherId": self.t2}, expect=201).json
        taught = self.admin.post("/api/v1/classes", json={"academicYearId": y["id"], "gradeLevel": 4, "section": "B"},
                                 expect=201).json
        alone = self.admin.post("/api/v1/classes", json={"academicYearId": y["id"], "gradeLevel": 4, "section": "C"},
                                expect=201).json
        self.admin.post(f"/api/v1/classes/{taught['id']}/subjects", json={"subjectId": self.subject["id"],
                                                                          "teacherId": self.t2}, expect=201)
        t2, t1 = self.demo.client("teacher2"), self.demo.client("teacher1")
        names = [c["name"] for c in t2.get(f"/api/v1/classes?academicYearId={y['id']}", expect=200).json["items"]]
        self.assertEqual(names, ["4-A", "4-B"])
        self.assertEqual(t1.get(f"/api/v1/classes?academicYearId={y['id']}", expect=200).json["items"], [])
        self.assertEqual(t2.get(f"/api/v1/classes/{taught['id']}", expect=200).json["id"], taught["id"])
        self.assertEqual(t2.get(f"/api/v1/classes/{led['id']}/subjects", expect=200).json["items"], [])
        for path in (f"/api/v1/classes/{alone['id']}", f"/api/v1/classes/{alone['id']}/subjects",
                     f"/api/v1/classes/{alone['id']}/students"):
            self.assertProblem(t1.get(path), 404)
            self.assertProblem(t2.get(path), 404)
        staff = self.demo.add_staff("staff-classes")
        self.assertEqual(len(staff.get(f"/api/v1/classes?academicYearId={y['id']}", expect=200).json["items"]), 3)

    def test_students_and_parents_read_their_own_classes(self):
        classes = self.demo.classes()
        student, parent = self.demo.client("student7"), self.demo.client("parent1")
        self.assertEqual(student.get(f"/api/v1/classes/{classes['7-A']['id']}", expect=200).json["name"], "7-A")
        self.assertProblem(student.get(f"/api/v1/classes/{classes['8-A']['id']}"), 404)
        self.assertProblem(student.get("/api/v1/classes"), 403)
        roster = student.get(f"/api/v1/classes/{classes['7-A']['id']}/students", expect=200).json["items"]
        in_session = self.demo.calendar.enrolled_on(datetime.date.fromisoformat(school_today(DEMO_TIME_ZONE)))
        self.assertEqual(len(roster), 5 if in_session else 0, "today's roster")
        roster = student.get(f"/api/v1/classes/{classes['7-A']['id']}/students?date={self.demo.calendar.open_day()}",
                             expect=200).json["items"]
        self.assertEqual(len(roster), 5)
        # parent1 is linked to the demo's first two students, in 1-A and 2-A
        for name in ("1-A", "2-A"):
            self.assertEqual(parent.get(f"/api/v1/classes/{classes[name]['id']}/subjects", expect=200).status, 200)
        self.assertProblem(parent.get(f"/api/v1/classes/{classes['3-A']['id']}"), 404)
        self.assertProblem(self.other.get(f"/api/v1/classes/{classes['1-A']['id']}"), 404)

    def test_update(self):
        c = self.new_class(6, "A", classTeacherId=self.t1, room="R6", capacity=30)
        path = f"/api/v1/classes/{c['id']}"
        self.if_match_rules(self.admin, path, {"room": "x"}, '"1"')
        res = self.admin.patch(path, json={"section": "C"}, headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["name"], res.json["section"], res.json["version"]), ("6-C", "C", 2))
        res = self.admin.patch(path, json={"classTeacherId": None, "room": None, "capacity": None, "name": "Sixth"},
                               headers={"If-Match": '"2"'}, expect=200)
        self.assertEqual((res.json["classTeacherId"], res.json["room"], res.json["capacity"], res.json["name"]),
                         (None, None, None, "Sixth"))
        res = self.admin.patch(path, json={"gradeLevel": 7}, headers={"If-Match": '"3"'}, expect=200)
        self.assertEqual(res.json["name"], "Sixth", "a name of its own stays")
        res = self.admin.patch(path, json={"classTeacherId": self.t2, "capacity": 12}, headers={"If-Match": '"4"'},
                               expect=200)
        self.assertEqual((res.json["classTeacherId"], res.json["capacity"], res.json["room"]), (self.t2, 12, None))
        self.assertProblem(self.admin.patch(path, json={"academicYearId": self.y["id"]}, headers={"If-Match": '"5"'}),
                           422, fields=["academicYearId"])
        self.assertIn("classTeacherId", self.assertProblem(
            self.admin.patch(path, json={"classTeacherId": self.foreign_teacher}, headers={"If-Match": '"5"'}),
            404)["detail"])
        self.bad_bodies(self.admin, "PATCH", path, headers={"If-Match": '"5"'})
        self.new_class(7, "B")
        self.assertProblem(self.admin.patch(path, json={"section": "B"}, headers={"If-Match": '"5"'}), 409,
                           fields=["section"])
        # the capacity cannot fall below today's enrollment: a class of a year holding today, three enrolled
        today = datetime.date.fromisoformat(school_today(DEMO_TIME_ZONE))
        now = self.year("Holding today", iso(today - DAY * 30), iso(today + DAY * 300))
        full = self.admin.post("/api/v1/classes", json={"academicYearId": now["id"], "gradeLevel": 1, "section": "T",
                                                        "capacity": 10}, expect=201).json
        for i in range(3):  # students of their own: the demo's are on a roster of the demo year already
            s = self.admin.post("/api/v1/students", json={"admissionNo": f"CAP-{i}", "firstName": "Cap",
                                                          "lastName": f"Acity {i}", "dateOfBirth": "2019-03-04"},
                                expect=201).json
            self.admin.post("/api/v1/enrollments", json={"studentId": s["id"], "classId": full["id"],
                                                         "startDate": now["startDate"]}, expect=201)
        full_path = f"/api/v1/classes/{full['id']}"
        self.assertEqual(self.admin.get(full_path, expect=200).json["enrolledCount"], 3)
        res = self.admin.patch(full_path, json={"capacity": 2}, headers={"If-Match": etag(self.admin, full_path)})
        self.assertIn("3 students", self.assertProblem(res, 409)["detail"])
        self.admin.patch(full_path, json={"capacity": 3}, headers={"If-Match": etag(self.admin, full_path)},
                         expect=200)
        self.assertProblem(self.demo.client("teacher1").patch(path, json={"room": "x"}, headers={"If-Match": '"5"'}),
                           403)

    def test_delete(self):
        demo_class = self.demo.classes()["1-A"]
        p = self.assertProblem(self.admin.delete(f"/api/v1/classes/{demo_class['id']}", headers=ANY), 409)
        self.assertIn("enrollment", p["detail"])
        c = self.new_class(8, "Z")
        self.admin.post(f"/api/v1/classes/{c['id']}/subjects", json={"subjectId": self.subject["id"],
                                                                    "teacherId": self.t1}, expect=201)
        self.assertProblem(self.other.delete(f"/api/v1/classes/{c['id']}", headers=ANY), 404)
        self.assertEqual(self.admin.delete(f"/api/v1/classes/{c['id']}", headers=ANY).status, 204)
        self.assertProblem(self.admin.get(f"/api/v1/classes/{c['id']}"), 404)
        self.assertProblem(self.admin.get(f"/api/v1/classes/{c['id']}/subjects"), 404)

    def test_teaching_assignments(self):
        c = self.new_class(9, "A")
        base = f"/api/v1/classes/{c['id']}/subjects"
        res = self.admin.post(base, json={"subjectId": self.subject["id"], "teacherId": self.t1, "periodsPerWeek": 4})
        self.assertEqual(res.status, 201, res)
        a = res.json
        self.assertEqual(res.headers["location"], f"{base}/{a['id']}")
        self.assertEqual((a["classId"], a["subjectId"], a["subjectCode"], a["teacherId"], a["periodsPerWeek"]),
                         (c["id"], self.subject["id"], "CLS", self.t1, 4))
        self.assertEqual(full_name(a["teacher"]), self.demo.login("teacher1")["user"]["displayName"])
        self.assertProblem(self.admin.post(base, json={"subjectId": self.subject["id"], "teacherId": self.t2}), 409,
                           fields=["subjectId"])
        self.assertProblem(self.admin.post(base, json={"subjectId": "x", "periodsPerWeek": 61}), 422,
                           fields=["subjectId", "teacherId", "periodsPerWeek"])
        self.bad_bodies(self.admin, "POST", base)
        foreign_subject = self.other.get("/api/v1/subjects?q=MATH", expect=200).json["items"][0]["id"]
        for field, body in (("subjectId", {"subjectId": foreign_subject, "teacherId": self.t1}),
                            ("teacherId", {"subjectId": self.subject["id"], "teacherId": self.foreign_teacher})):
            self.assertIn(field, self.assertProblem(self.admin.post(base, json=body), 404)["detail"])
        # subject in use
        self.assertIn("class", self.assertProblem(self.admin.delete(f"/api/v1/subjects/{self.subject['id']}", headers=ANY),
                                                  409)["detail"])
        t1, t2 = self.demo.client("teacher1"), self.demo.client("teacher2")
        self.assertEqual([i["id"] for i in t1.get(base, expect=200).json["items"]], [a["id"]])
        self.assertProblem(t2.get(base), 404)
        path = f"{base}/{a['id']}"
        # one assignment: whoever may read the class, with its ETag
        got = t1.get(path, expect=200)
        self.assertEqual((got.json, got.headers["etag"]), (a, '"1"'))
        self.assertProblem(t2.get(path), 404)
        self.assertProblem(self.admin.get(f"{base}/{uuid.uuid4()}"), 404)
        self.if_match_rules(self.admin, path, {"teacherId": self.t2}, '"1"')
        self.bad_bodies(self.admin, "PATCH", path, headers={"If-Match": '"1"'})
        self.assertProblem(self.admin.patch(path, json={"teacherId": 7, "periodsPerWeek": 0},
                                            headers={"If-Match": '"1"'}), 422, fields=["teacherId", "periodsPerWeek"])
        res = self.admin.patch(path, json={"teacherId": self.t2, "periodsPerWeek": None}, headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["teacherId"], res.json["periodsPerWeek"], res.json["version"]), (self.t2, None, 2))
        self.assertEqual(t2.get(base, expect=200).json["items"][0]["id"], a["id"])
        self.assertProblem(t1.get(base), 404)
        self.assertProblem(self.admin.patch(path, json={"subjectId": self.subject["id"]}, headers={"If-Match": '"2"'}),
                           422, fields=["subjectId"])
        self.assertProblem(t2.patch(path, json={"periodsPerWeek": 3}, headers={"If-Match": '"2"'}), 403)
        self.assertProblem(t2.delete(path, headers=ANY), 403)
        self.assertProblem(self.admin.delete(f"/api/v1/classes/{uuid.uuid4()}/subjects/{a['id']}", headers=ANY), 404)
        self.assertEqual(self.admin.delete(path, headers=ANY).status, 204)
        self.assertProblem(self.admin.delete(path, headers=ANY), 404)
        self.assertProblem(self.admin.patch(path, json={"periodsPerWeek": 3}, headers={"If-Match": '"2"'}), 404)
        self.assertEqual(self.admin.get(base, expect=200).json["items"], [])


class TestEnrollments(AcademicCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.y = cls.admin.post("/api/v1/academic-years", json={"name": f"{Y(2032)}-{Y(2033)}",
                                                               "startDate": f"{Y(2032)}-08-20",
                                                               "endDate": f"{Y(2033)}-06-30"}, expect=201).json
        cls.cls = {}
        for section, capacity in (("A", None), ("B", None), ("C", 2), ("D", None), ("E", None)):
            body = {"academicYearId": cls.y["id"], "gradeLevel": 10, "section": section}
            if capacity:
                body["capacity"] = capacity
            cls.cls[section] = cls.admin.post("/api/v1/classes", json=body, expect=201).json
        # the demo's 60 students, by class
        cls.students = [s["studentId"] for name in sorted(cls.demo.classes()) for s in cls.demo.roster(name)]
        cls.next_student = 0
        cls.staff = cls.demo.add_staff()

    def student(self):
        """A student not yet enrolled in the test year."""
        sid = self.students[type(self).next_student]
        type(self).next_student += 1
        return sid

    def enroll(self, student, section, start=f"{Y(2032)}-09-01", client=None, expect=201):
        return (client or self.admin).post("/api/v1/enrollments", json={
            "studentId": student, "classId": self.cls[section]["id"], "startDate": start}, expect=expect)

    def roster_ids(self, section, date):
        items = self.admin.get(f"/api/v1/classes/{self.cls[section]['id']}/students?date={date}",
                               expect=200).json["items"]
        return {i["studentId"] for i in items}

    def test_enroll_read_and_audit(self):
        s = self.student()
        res = self.enroll(s, "A", client=self.staff)
        e = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/enrollments/{e['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((e["studentId"], e["classId"], e["className"], e["academicYearId"], e["startDate"],
                          e["endDate"], e["endReason"]),
                         (s, self.cls["A"]["id"], "10-A", self.y["id"], f"{Y(2032)}-09-01", None, None))
        self.assertEqual(self.staff.get(f"/api/v1/enrollments/{e['id']}", expect=200).json, e)
        events = self.admin.get(f"/api/v1/audit-events?subjectId={s}", expect=200).json["items"]
        actions = {ev["action"] for ev in events}
        self.assertLessEqual({"student.update", "student.read"}, actions)
        self.assertIn(s, {ev["subjectId"] for ev in events})
        self.assertIn(s, self.roster_ids("A", f"{Y(2032)}-09-01"))
        self.assertNotIn(s, self.roster_ids("A", f"{Y(2032)}-08-31"))
        self.assertEqual(self.admin.get(f"/api/v1/classes/{self.cls['A']['id']}", expect=200).json["enrolledCount"],
                         0, f"enrolled from {Y(2032)}, not today")

    def test_validation_and_references(self):
        p = "/api/v1/enrollments"
        self.assertProblem(self.admin.post(p, json={}), 422, fields=["studentId", "classId", "startDate"])
        self.assertProblem(self.admin.post(p, json={"studentId": 5, "classId": "x", "startDate": f"{Y(2032)}-13-01"}),
                           422,
                           fields=["studentId", "classId", "startDate"])
        self.bad_bodies(self.admin, "POST", p)
        s = self.student()
        p_ = self.assertProblem(self.enroll(s, "A", start=f"{Y(2033)}-07-01", expect=None), 422, fields=["startDate"])
        self.assertIn(f"{Y(2033)}-06-30", p_["errors"][0]["message"])
        foreign = self.demo.roster("1-A", school=2)[0]["studentId"]
        res = self.admin.post(p, json={"studentId": foreign, "classId": self.cls["A"]["id"],
                                       "startDate": f"{Y(2032)}-09-01"})
        self.assertIn("studentId", self.assertProblem(res, 404)["detail"])
        foreign_class = self.demo.classes(school=2)["1-A"]["id"]
        res = self.admin.post(p, json={"studentId": s, "classId": foreign_class, "startDate": f"{Y(2032)}-09-01"})
        self.assertIn("classId", self.assertProblem(res, 404)["detail"])
        for key in ("teacher1", "student7", "parent1"):
            self.assertProblem(self.enroll(s, "A", client=self.demo.client(key), expect=None), 403)

    def test_one_class_per_year_is_409_naming_the_enrollment(self):
        s = self.student()
        first = self.enroll(s, "A").json
        p = self.assertProblem(self.enroll(s, "B", start=f"{Y(2032)}-10-01", expect=None), 409)
        self.assertIn("10-A", p["detail"])
        self.assertIn(first["id"], p["detail"])
        self.assertProblem(self.enroll(s, "A", start=f"{Y(2032)}-08-25", expect=None), 409)  # before it, open-ended

    def test_capacity(self):
        self.enroll(self.student(), "C")
        self.enroll(self.student(), "C")
        p = self.assertProblem(self.enroll(self.student(), "C", expect=None), 409)
        self.assertIn("full", p["detail"])

    def test_transfer_keeps_history(self):
        s = self.student()
        e = self.enroll(s, "A").json
        res = self.staff.post(f"/api/v1/enrollments/{e['id']}/transfer", json={
            "classId": self.cls["B"]["id"], "date": f"{Y(2032)}-10-15", "reason": "parents' request"},
            headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 201, res)
        prev, cur = res.json["previous"], res.json["current"]
        self.assertEqual(res.headers["location"], f"/api/v1/enrollments/{cur['id']}")
        self.assertEqual((prev["id"], prev["endDate"], prev["endReason"], prev["version"]),
                         (e["id"], f"{Y(2032)}-10-14", "transferred: parents' request", 2))
        self.assertEqual((cur["classId"], cur["startDate"], cur["endDate"]),
                         (self.cls["B"]["id"], f"{Y(2032)}-10-15", None))
        self.assertIn(s, self.roster_ids("A", f"{Y(2032)}-10-14"))
        self.assertNotIn(s, self.roster_ids("B", f"{Y(2032)}-10-14"))
        self.assertNotIn(s, self.roster_ids("A", f"{Y(2032)}-10-15"))
        self.assertIn(s, self.roster_ids("B", f"{Y(2032)}-10-15"))
        history = self.admin.get(f"/api/v1/enrollments?studentId={s}&academicYearId={self.y['id']}",
                                 expect=200).json["items"]
        self.assertEqual([(h["className"], h["startDate"], h["endDate"]) for h in history],
                         [("10-A", f"{Y(2032)}-09-01", f"{Y(2032)}-10-14"), ("10-B", f"{Y(2032)}-10-15", None)])
        on = self.admin.get(f"/api/v1/enrollments?studentId={s}&activeOn={Y(2032)}-10-14", expect=200).json["items"]
        self.assertEqual([h["id"] for h in on], [e["id"]])
        # the ended one cannot be transferred or ended again
        self.assertProblem(self.admin.post(f"/api/v1/enrollments/{e['id']}/transfer", json={
            "classId": self.cls["D"]["id"], "date": f"{Y(2032)}-11-01"}, headers=ANY), 409)
        self.assertProblem(self.admin.post(f"/api/v1/enrollments/{e['id']}/end", json={
            "endDate": f"{Y(2032)}-11-01", "reason": "withdrawn"}, headers=ANY), 409)
        # and the history is kept when the current one moves on
        self.admin.post(f"/api/v1/enrollments/{cur['id']}/transfer", json={
            "classId": self.cls["D"]["id"], "date": f"{Y(2033)}-01-09"}, expect=201, headers=ANY)
        history = self.admin.get(f"/api/v1/enrollments?studentId={s}&academicYearId={self.y['id']}&sort=-startDate",
                                 expect=200).json["items"]
        self.assertEqual([(h["className"], h["endReason"]) for h in history],
                         [("10-D", None), ("10-B", "transferred"), ("10-A", "transferred: parents' request")])

    def test_transfer_rules(self):
        s = self.student()
        e = self.enroll(s, "A").json
        path = f"/api/v1/enrollments/{e['id']}/transfer"
        other_year_class = self.demo.classes()["1-A"]["id"]
        cases = [({"classId": self.cls["A"]["id"], "date": f"{Y(2032)}-10-01"}, 422, ["classId"]),
                 ({"classId": other_year_class, "date": f"{Y(2032)}-10-01"}, 422, ["classId"]),
                 ({"classId": self.cls["B"]["id"], "date": f"{Y(2032)}-09-01"}, 422, ["date"]),
                 ({"classId": self.cls["B"]["id"], "date": f"{Y(2033)}-07-01"}, 422, ["date"]),
                 ({}, 422, ["classId", "date"]),
                 ({"classId": self.cls["B"]["id"], "date": f"{Y(2032)}-10-01", "reason": ""}, 422, ["reason"])]
        for body, status, fields in cases:
            with self.subTest(body=body):
                self.assertProblem(self.admin.post(path, json=body, headers=ANY), status, fields=fields)
        self.bad_bodies(self.admin, "POST", path, headers=ANY)
        res = self.admin.post(path, json={"classId": self.demo.classes(school=2)["1-A"]["id"],
                                          "date": f"{Y(2032)}-10-01"}, headers=ANY)
        self.assertIn("classId", self.assertProblem(res, 404)["detail"])
        self.assertProblem(self.admin.post(f"/api/v1/enrollments/{uuid.uuid4()}/transfer", json={
            "classId": self.cls["B"]["id"], "date": f"{Y(2032)}-10-01"}, headers=ANY), 404)
        self.assertProblem(self.demo.client("teacher1").post(path, json={"classId": self.cls["B"]["id"],
                                                                         "date": f"{Y(2032)}-10-01"}, headers=ANY), 403)
        # nothing changed
        self.assertEqual(self.admin.get(f"/api/v1/enrollments/{e['id']}", expect=200).json["version"], 1)

    def test_end_and_enroll_again(self):
        s = self.student()
        e = self.enroll(s, "A").json
        path = f"/api/v1/enrollments/{e['id']}/end"
        self.assertProblem(self.admin.post(path, json={"endDate": f"{Y(2032)}-08-31", "reason": "withdrawn"}, headers=ANY), 422,
                           fields=["endDate"])
        self.assertProblem(self.admin.post(path, json={"endDate": f"{Y(2033)}-07-01", "reason": "withdrawn"}, headers=ANY), 422,
                           fields=["endDate"])
        self.assertProblem(self.admin.post(path, json={"endDate": f"{Y(2032)}-12-20"}, headers=ANY), 422, fields=["reason"])
        self.bad_bodies(self.admin, "POST", path, headers=ANY)
        res = self.staff.post(path, json={"endDate": f"{Y(2032)}-12-20", "reason": "withdrawn"}, headers=ANY)
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["endDate"], res.json["endReason"], res.json["version"]),
                         (f"{Y(2032)}-12-20", "withdrawn", 2))
        self.assertEqual(res.headers["etag"], '"2"')
        self.assertIn("already ended", self.assertProblem(
            self.admin.post(path, json={"endDate": f"{Y(2032)}-12-21", "reason": "again"}, headers=ANY), 409)["detail"])
        p = self.assertProblem(self.enroll(s, "B", start=f"{Y(2032)}-12-20", expect=None), 409)
        self.assertIn(f"{Y(2032)}-12-20", p["detail"])
        self.enroll(s, "B", start=f"{Y(2032)}-12-21")
        self.assertEqual(len(self.admin.get(f"/api/v1/enrollments?studentId={s}&academicYearId={self.y['id']}",
                                            expect=200).json["items"]), 2)

    def test_attendance_keeps_an_enrollment(self):
        # a student marked in a class: the enrollment cannot be undone, nor cut short before the mark
        _, classes, e, marked = self.marked_enrollment("kept", self.student())
        self.assertIn("Attendance", self.assertProblem(self.admin.delete(f"/api/v1/enrollments/{e['id']}", headers=ANY),
                                                       409)["detail"])
        self.assertProblem(self.admin.post(f"/api/v1/enrollments/{e['id']}/end", json={
            "endDate": iso(marked - DAY), "reason": "withdrawn"}, headers=ANY), 409)
        self.assertProblem(self.admin.post(f"/api/v1/enrollments/{e['id']}/transfer", json={
            "classId": classes[1]["id"], "date": iso(marked)}, headers=ANY), 409)
        self.assertEqual(self.admin.get(f"/api/v1/enrollments/{e['id']}", expect=200).json["version"], 1)
        # after the mark it may end
        self.admin.post(f"/api/v1/enrollments/{e['id']}/end", json={"endDate": iso(marked), "reason": "withdrawn"},
                        expect=200, headers=ANY)

    def test_deleted_students_leave_rosters(self):
        st = self.admin.post("/api/v1/students", json={"admissionNo": "ACAD-GONE", "firstName": "Gone",
                                                       "lastName": "Away", "dateOfBirth": "2016-02-03"},
                             expect=201).json
        self.enroll(st["id"], "D")
        self.assertIn(st["id"], self.roster_ids("D", f"{Y(2032)}-09-01"))
        self.assertEqual(self.admin.delete(f"/api/v1/students/{st['id']}", headers=ANY).status, 204)
        self.assertNotIn(st["id"], self.roster_ids("D", f"{Y(2032)}-09-01"))
        res = self.admin.post("/api/v1/enrollments", json={"studentId": st["id"], "classId": self.cls["E"]["id"],
                                                           "startDate": f"{Y(2033)}-01-10"})
        self.assertIn("studentId", self.assertProblem(res, 404)["detail"])

    def test_delete_a_mistake(self):
        s = self.student()
        e = self.enroll(s, "E").json
        path = f"/api/v1/enrollments/{e['id']}"
        self.assertProblem(self.staff.delete(path, headers=ANY), 403)
        self.assertProblem(self.other.delete(path, headers=ANY), 404)
        self.assertEqual(self.admin.delete(path, headers=ANY).status, 204)
        self.assertProblem(self.admin.get(path), 404)
        self.assertProblem(self.admin.delete(path, headers=ANY), 404)
        self.assertNotIn(s, self.roster_ids("E", f"{Y(2032)}-09-01"))
        self.enroll(s, "E")  # free to enroll again

    def test_who_may_list_and_read(self):
        classes = self.demo.classes()
        t1 = self.demo.client("teacher1")
        t1_id = self.demo.teacher_id("teacher1")
        taught = {c["id"] for c in t1.get("/api/v1/classes?limit=500", expect=200).json["items"]}
        self.assertTrue(taught)
        seen = t1.get("/api/v1/enrollments?limit=500", expect=200).json["items"]
        self.assertTrue(seen)
        self.assertLessEqual({e["classId"] for e in seen}, taught)
        # a class of the test year that teacher1 does not teach
        e = self.enroll(self.student(), "A").json
        self.assertProblem(t1.get(f"/api/v1/enrollments/{e['id']}"), 404)
        self.assertIn("classId", self.assertProblem(t1.get(f"/api/v1/enrollments?classId={self.cls['A']['id']}"),
                                                    404)["detail"])
        self.admin.post(f"/api/v1/classes/{self.cls['A']['id']}/subjects", json={
            "subjectId": self.admin.get("/api/v1/subjects?q=ART", expect=200).json["items"][0]["id"],
            "teacherId": t1_id}, expect=201)
        self.assertEqual(t1.get(f"/api/v1/enrollments/{e['id']}", expect=200).json["id"], e["id"])
        for key in ("student7", "parent1"):
            self.assertProblem(self.demo.client(key).get("/api/v1/enrollments"), 403)
            self.assertProblem(self.demo.client(key).get(f"/api/v1/enrollments/{e['id']}"), 403)
        self.assertProblem(self.other.get(f"/api/v1/enrollments/{e['id']}"), 404)
        for q in ("studentId=x", f"activeOn={Y(2032)}-02-30", "sort=className"):
            self.assertProblem(self.admin.get(f"/api/v1/enrollments?{q}"), 422)
        self.assertIn("academicYearId", self.assertProblem(self.admin.get(
            f"/api/v1/enrollments?academicYearId={self.demo.current_year(2)['id']}"), 404)["detail"])
        page = self.admin.get(f"/api/v1/enrollments?classId={classes['1-A']['id']}&limit=2", expect=200).json
        rest = self.admin.get(f"/api/v1/enrollments?classId={classes['1-A']['id']}&limit=2&cursor={page['nextCursor']}",
                              expect=200).json
        self.assertEqual(len(page["items"] + rest["items"]), 4)

    def test_rosters(self):
        classes = self.demo.classes()
        cid = classes["7-A"]["id"]
        cal = self.demo.calendar
        # today's by default: the demo's five students of 7-A while its year runs, nobody outside it
        doc = self.demo.client("teacher1").get(f"/api/v1/classes/{cid}/students", expect=200).json
        self.assertEqual((doc["classId"], doc["date"]), (cid, school_today(DEMO_TIME_ZONE)))
        self.assertEqual(len(doc["items"]), 5 if cal.enrolled_on(datetime.date.fromisoformat(doc["date"])) else 0)
        # on a day of the year
        day = iso(cal.open_day())
        base = f"/api/v1/classes/{cid}/students?date={day}"
        doc = self.demo.client("teacher1").get(base, expect=200).json
        self.assertEqual((doc["classId"], doc["date"]), (cid, day))
        keys = [(i["lastName"], i["firstName"]) for i in doc["items"]]
        self.assertEqual(len(keys), 5)
        self.assertEqual(keys, sorted(keys))
        desc = self.admin.get(f"{base}&sort=-lastName", expect=200).json["items"]
        self.assertEqual([(i["lastName"], i["firstName"]) for i in desc], keys[::-1])
        page = self.admin.get(f"{base}&limit=2", expect=200).json
        pages = page["items"]
        while page["nextCursor"]:
            page = self.admin.get(f"{base}&limit=2&cursor={page['nextCursor']}", expect=200).json
            pages += page["items"]
        self.assertEqual([i["studentId"] for i in pages], [i["studentId"] for i in doc["items"]])
        self.assertEqual(self.admin.get(f"/api/v1/classes/{cid}/students?date={iso(cal.start - DAY)}",
                                        expect=200).json["items"], [], "before the year began")
        self.assertEqual(self.admin.get(f"/api/v1/classes/{cid}/students?date={iso(cal.end + DAY)}",
                                        expect=200).json["items"], [], "after the year ended")
        bad = f"{cal.start.year}-{cal.start.month}-{cal.start.day - 1}"  # not zero-padded
        self.assertProblem(self.admin.get(f"/api/v1/classes/{cid}/students?date={bad}"), 422, fields=["date"])
        self.assertProblem(self.admin.get(f"/api/v1/classes/{cid}/students?cursor=abc"), 400)
        self.assertProblem(self.other.get(f"/api/v1/classes/{cid}/students"), 404)
        self.assertProblem(self.demo.client("student7").get(f"/api/v1/classes/{classes['8-A']['id']}/students"), 404)
        events = self.admin.get(f"/api/v1/audit-events?subjectId={cid}&action=student.list", expect=200).json
        self.assertTrue(events["items"])

    def test_concurrent_enrollment_of_one_student(self):
        """Two enrollments of one student at the same moment: exactly one 201 and one 409, on both engines."""
        for attempt in range(8):
            s = self.student()
            barrier = threading.Barrier(2)
            results = [None, None]

            def go(i, section):
                with self.demo.client("admin", keep_alive=True) as client:
                    client.get("/api/v1/academic-years/current", expect=200)  # connected before the start
                    barrier.wait()
                    results[i] = self.enroll(s, section, client=client, expect=None)

            threads = [threading.Thread(target=go, args=(i, sec)) for i, sec in enumerate(("A", "B"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            with self.subTest(attempt=attempt):
                self.assertEqual(sorted(r.status for r in results), [201, 409], results)
                # the loser waited for the winner's lock and then saw its enrollment (not a bare constraint error)
                p = self.assertProblem(next(r for r in results if r.status == 409), 409)
                self.assertIn("already enrolled", p["detail"])
                listed = self.admin.get(f"/api/v1/enrollments?studentId={s}&academicYearId={self.y['id']}",
                                        expect=200).json["items"]
                self.assertEqual(len(listed), 1)


class TestZZAcademicCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every academic operation answered its success status."""

    def test_every_operation_answered_its_success_status(self):
        if RAN != {c.__name__ for c in AcademicCase.__subclasses__()}:
            skip_allowed("only after the whole module")
        ops = [(m, t, op) for m, t, op in Contract(OPENAPI[0]).operations() if set(op.get("tags", [])) & TAGS]
        self.assertGreater(len(ops), 30)
        missing = []
        for method, template, op in ops:
            success = sorted(int(c) for c in op["responses"] if c.isdigit() and int(c) < 400)
            if not COVERAGE[(method, template, success[0])]:
                missing.append(f"{method} {template} {success[0]}")
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
