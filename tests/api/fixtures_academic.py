"""
fixtures_academic.py - fixture data of the academic suite (test_academic.py) and
the academic routes' entries in the isolation registry (isolation.py).

Demo: the schools `school-erp demo` builds (teachers, students, parents with
accounts linked to their records, classes, enrollments, a term of attendance),
the academic suite's realistic school:

    demo = Demo(server, students=60, tenants=3)
    demo.client("admin")                 # admin@demo.school
    demo.client("teacher1", school=2)    # teacher1@demo2.school
    demo.teacher_id("teacher1")          # the teacher record of that account
    demo.classes()                       # the current year's classes of school 1, by name
    demo.roster("7-A")                   # the students of class 7-A on a day its enrollments are open
    demo.calendar                        # dates.DemoCalendar: the demo's year, terms, holidays by the clock

build_world (isolation.WORLD_BUILDERS) makes in schools A and B of the World an
academic year holding today, a term, a holiday, a subject, two classes, a
teacher teaching the subject in the first class and a student enrolled in it
(w.A.academic, w.B.academic), through the API, on dates relative to today.
"""

import re

import isolation
from dates import DAY, DemoCalendar, iso, today
from harness import Client, full_name, run
from world import PASSWORD, login

STUDENTS = 60


class Demo:
    """The demo schools ("demo", "demo-2", …) of one server, with logged-in accounts."""

    def __init__(self, server, students=STUDENTS, tenants=1):
        self.server = server
        r = run([server.binary, "demo", "--students", str(students), "--tenants", str(tenants)],
                env=server.environment(), timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"school-erp demo failed ({r.returncode}): {r.stderr}")
        self.password = re.search(r"admin login:\s+\S+ / (\S+)", r.stdout).group(1)
        self._login = {}
        self.calendar = DemoCalendar()

    @staticmethod
    def slug(school):
        return "demo" if school == 1 else f"demo-{school}"

    @staticmethod
    def email(key, school=1):
        return f"{key}@{'demo' if school == 1 else f'demo{school}'}.school"

    def login(self, key, school=1):
        """The token pair of an account (teacher1, parent1, student7, admin; staff once made)."""
        k = (key, school)
        if k not in self._login:
            password = PASSWORD if key.startswith("staff") else self.password
            self._login[k] = login(self.server, self.slug(school), self.email(key, school), password)
        return self._login[k]

    def client(self, key, school=1, **kw):
        return Client(self.server, token=self.login(key, school)["accessToken"], **kw)

    def add_staff(self, key="staff", school=1):
        self.client("admin", school).post("/api/v1/users", json={
            "email": self.email(key, school), "displayName": key.title(), "roles": ["staff"], "password": PASSWORD},
            expect=201)
        return self.client(key, school)

    def current_year(self, school=1):
        return self.client("admin", school).get("/api/v1/academic-years/current", expect=200).json

    def classes(self, school=1, year=None):
        """{name: class} of the current year (or another year)."""
        year = year or self.current_year(school)["id"]
        items = self.client("admin", school).get(f"/api/v1/classes?academicYearId={year}&limit=500",
                                                 expect=200).json["items"]
        return {c["name"]: c for c in items}

    def roster(self, class_name, school=1, date=None):
        """The students of a class on a date (default: a day the demo's enrollments are open, whatever today is)."""
        cid = self.classes(school)[class_name]["id"]
        date = date or self.calendar.open_day().isoformat()
        return self.client("admin", school).get(f"/api/v1/classes/{cid}/students?date={date}",
                                                expect=200).json["items"]

    def assignments(self, class_name, school=1):
        cid = self.classes(school)[class_name]["id"]
        return self.client("admin", school).get(f"/api/v1/classes/{cid}/subjects", expect=200).json["items"]

    def teacher_id(self, key, school=1):
        """The teacher record of a teacher account (the demo names both alike)."""
        name = self.login(key, school)["user"]["displayName"]
        for c in self.classes(school):
            for a in self.assignments(c, school):
                if full_name(a["teacher"]) == name:
                    return a["teacherId"]
        raise AssertionError(f"no teacher record named {name}")

    def student(self, key, class_name, school=1):
        """The roster entry of a student account in its class (the demo names both alike)."""
        name = self.login(key, school)["user"]["displayName"]
        return next(s for s in self.roster(class_name, school) if f"{s['firstName']} {s['lastName']}" == name)


# ---- the isolation registry

def build_school(school, tag, holiday_offset):
    """
    An academic year (current, holding today: from 60 days ago), a term (from its 13th day, holding today), a
    holiday (on the year's day holiday_offset), a subject, two classes, a teacher teaching the subject in the
    first class and a student enrolled in it from the term's first day; school.academic["on"](n) is the year's
    day n (YYYY-MM-DD).
    """
    admin = school.client("admin")
    start = today(school.tenant["timeZone"]) - DAY * 60

    def on(n):
        return iso(start + DAY * n)

    year = admin.post("/api/v1/academic-years", json={
        "name": f"Academic fixtures {tag}", "startDate": on(0), "endDate": on(360), "isCurrent": True},
        expect=201).json
    term = admin.post("/api/v1/terms", json={"academicYearId": year["id"], "name": "Autumn", "startDate": on(12),
                                             "endDate": on(130)}, expect=201).json
    holiday = on(holiday_offset)
    admin.post("/api/v1/holidays", json={"date": holiday, "name": f"Holiday {tag}"}, expect=201)
    subject = admin.post("/api/v1/subjects", json={"code": f"S{tag}", "name": f"Subject {tag}"}, expect=201).json
    classes = [admin.post("/api/v1/classes", json={"academicYearId": year["id"], "gradeLevel": 5, "section": s},
                          expect=201).json for s in ("A", "B")]
    teacher = admin.post("/api/v1/teachers", json={"employeeNo": f"ACAD-T-{tag}", "firstName": "Ada",
                                                   "lastName": f"Teacher {tag}"}, expect=201).json
    student = admin.post("/api/v1/students", json={"admissionNo": f"ACAD-S-{tag}", "firstName": "Abe",
                                                   "lastName": f"Student {tag}", "dateOfBirth": "2015-05-01"},
                         expect=201).json
    assignment = admin.post(f"/api/v1/classes/{classes[0]['id']}/subjects", json={
        "subjectId": subject["id"], "teacherId": teacher["id"]}, expect=201).json
    enrollment = admin.post("/api/v1/enrollments", json={"studentId": student["id"], "classId": classes[0]["id"],
                                                         "startDate": on(12)}, expect=201).json
    school.academic = {"year": year, "term": term, "holiday": holiday, "subject": subject, "classes": classes,
                       "teacher": teacher, "student": student, "assignment": assignment, "enrollment": enrollment,
                       "on": on}


def build_world(w):
    # distinct holidays: school A has none on school B's (the path fixture of a holiday is B's date)
    build_school(w.A, "A", 40)
    build_school(w.B, "B", 41)


isolation.WORLD_BUILDERS.append(build_world)


def _b(w, key):
    return w.B.academic[key]


def _register(method, template, fn, body=None, if_match=False, snapshot=True):
    """A path fixture of another school's record: fn(w) -> (params, snapshot path); body may be fn(w) too."""
    def fixture(w):
        params, path = fn(w)
        return {"params": params, "body": body(w) if callable(body) else body, "if_match": if_match,
                "snapshot": path if snapshot else None}
    isolation.PATH_FIXTURES[(method, template)] = fixture


def _year(w):
    y = _b(w, "year")["id"]
    return {"id": y}, f"/api/v1/academic-years/{y}"


def _term(w):
    t = _b(w, "term")["id"]
    return {"id": t}, f"/api/v1/terms/{t}"


def _holiday(w):
    d = _b(w, "holiday")
    return {"date": d}, f"/api/v1/holidays/{d}"


def _subject(w):
    s = _b(w, "subject")["id"]
    return {"id": s}, f"/api/v1/subjects/{s}"


def _class(w):
    c = _b(w, "classes")[0]["id"]
    return {"id": c}, f"/api/v1/classes/{c}"


def _assignment(w):
    c, a = _b(w, "classes")[0]["id"], _b(w, "assignment")["id"]
    return {"id": c, "assignmentId": a}, f"/api/v1/classes/{c}/subjects"


def _enrollment(w):
    e = _b(w, "enrollment")["id"]
    return {"id": e}, f"/api/v1/enrollments/{e}"


Y, T, H, S, C = ("/api/v1/academic-years/{id}", "/api/v1/terms/{id}", "/api/v1/holidays/{date}",
                 "/api/v1/subjects/{id}", "/api/v1/classes/{id}")
for _m in ("GET", "PATCH", "DELETE"):
    _body = {"name": "Changed by another school"} if _m == "PATCH" else None
    _register(_m, Y, _year, _body, _m == "PATCH")
    _register(_m, T, _term, _body, _m == "PATCH")
    _register(_m, S, _subject, _body, _m == "PATCH")
    _register(_m, C, _class, {"room": "Changed by another school"} if _m == "PATCH" else None, _m == "PATCH")
for _m in ("GET", "DELETE"):
    _register(_m, H, _holiday)
_register("GET", C + "/subjects", _class)
_register("POST", C + "/subjects", _class,
          lambda w: {"subjectId": _b(w, "subject")["id"], "teacherId": _b(w, "teacher")["id"]})
_register("GET", C + "/students", _class)
_register("GET", C + "/subjects/{assignmentId}", _assignment)
_register("PATCH", C + "/subjects/{assignmentId}", _assignment, {"periodsPerWeek": 9}, True)
_register("DELETE", C + "/subjects/{assignmentId}", _assignment)
_register("GET", "/api/v1/enrollments/{id}", _enrollment)
_register("DELETE", "/api/v1/enrollments/{id}", _enrollment)
_register("POST", "/api/v1/enrollments/{id}/transfer", _enrollment,
          lambda w: {"classId": _b(w, "classes")[1]["id"], "date": _b(w, "on")(40)})
_register("POST", "/api/v1/enrollments/{id}/end", _enrollment,
          lambda w: {"endDate": _b(w, "on")(40), "reason": "withdrawn"})


@isolation.references("POST", "/api/v1/terms")
def _term_refs(w):
    return [{"body": {"academicYearId": _b(w, "year")["id"], "name": "X", "startDate": _b(w, "on")(12),
                      "endDate": _b(w, "on")(41)}}]


@isolation.references("GET", "/api/v1/terms")
def _terms_refs(w):
    return [{"query": {"academicYearId": _b(w, "year")["id"]}}]


@isolation.references("POST", "/api/v1/classes")
def _class_refs(w):
    return [{"body": {"academicYearId": _b(w, "year")["id"], "gradeLevel": 6, "section": "Z"}},
            {"body": {"academicYearId": w.A.academic["year"]["id"], "gradeLevel": 6, "section": "Z",
                      "classTeacherId": _b(w, "teacher")["id"]}}]


@isolation.references("GET", "/api/v1/classes")
def _classes_refs(w):
    return [{"query": {"academicYearId": _b(w, "year")["id"]}},
            {"query": {"teacherId": _b(w, "teacher")["id"]}}]


@isolation.references("PATCH", "/api/v1/classes/{id}")
def _class_patch_refs(w):
    c = w.A.academic["classes"][0]
    return [{"params": {"id": c["id"]}, "body": {"classTeacherId": _b(w, "teacher")["id"]},
             "headers": {"If-Match": '"1"'}, "snapshot": None}]


@isolation.references("POST", "/api/v1/classes/{id}/subjects")
def _assignment_refs(w):
    c = w.A.academic["classes"][0]
    return [{"params": {"id": c["id"]}, "body": {"subjectId": _b(w, "subject")["id"],
                                                 "teacherId": _b(w, "teacher")["id"]}},
            {"params": {"id": c["id"]}, "body": {"subjectId": w.A.academic["subject"]["id"],
                                                 "teacherId": _b(w, "teacher")["id"]}}]


@isolation.references("POST", "/api/v1/enrollments")
def _enrollment_refs(w):
    return [{"body": {"studentId": _b(w, "student")["id"], "classId": w.A.academic["classes"][1]["id"],
                      "startDate": _b(w, "on")(12)}},
            {"body": {"studentId": w.A.academic["student"]["id"], "classId": _b(w, "classes")[1]["id"],
                      "startDate": _b(w, "on")(12)}}]


@isolation.references("POST", "/api/v1/enrollments/{id}/transfer")
def _transfer_refs(w):
    e = w.A.academic["enrollment"]["id"]
    return [{"params": {"id": e}, "body": {"classId": _b(w, "classes")[1]["id"], "date": _b(w, "on")(40)},
             "snapshot": None}]


@isolation.references("PATCH", "/api/v1/classes/{id}/subjects/{assignmentId}")
def _assignment_patch_refs(w):
    c, a = w.A.academic["classes"][0]["id"], w.A.academic["assignment"]["id"]
    return [{"params": {"id": c, "assignmentId": a}, "body": {"teacherId": _b(w, "teacher")["id"]},
             "headers": {"If-Match": '"1"'}}]


@isolation.references("GET", "/api/v1/enrollments")
def _enrollments_refs(w):
    return [{"query": {"studentId": _b(w, "student")["id"]}},
            {"query": {"classId": _b(w, "classes")[0]["id"]}},
            {"query": {"academicYearId": _b(w, "year")["id"]}}]


# ---- collections: each school's own (test_isolation lists them as every allowed role of school A)

for _t in ("/api/v1/academic-years", "/api/v1/academic-years/current", "/api/v1/terms", "/api/v1/holidays",
           "/api/v1/subjects", "/api/v1/classes", "/api/v1/enrollments"):
    isolation.collection(_t)
for _t in (C + "/subjects", C + "/students"):
    isolation.lists(_t)(lambda school: {"id": school.academic["classes"][0]["id"]})
for _t in ("/api/v1/academic-years", "/api/v1/holidays", "/api/v1/subjects"):
    isolation.EXEMPT[("POST", _t)] = "creates a record of the caller's school from values; refers to no record"
isolation.EXEMPT[("GET", "/api/v1/calendar/school-days")] = (
    "dates of the caller's school's calendar, no ids (test_academic compares two schools' calendars)")
