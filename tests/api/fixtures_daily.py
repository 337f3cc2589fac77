"""
fixtures_daily.py - fixture data of the attendance and timetable suites, and their
entries in the isolation registry (see isolation.py).

DemoSchool: the demo school (`school-erp demo`) as fixture data for the
attendance and timetable suites (realistic size, a term of attendance):

    demo = DemoSchool(server, students=240, tenants=2)
    demo.client("admin")                     # admin@demo.school, logged in
    demo.client("teacher3")                  # teacher3@demo.school
    demo.client("admin", school=2)           # admin@demo2.school (another school)
    demo.classes                             # [{id, name, ...}] of "demo", by grade
    demo.school_days()                       # the current term's school days up to today

The demo gives each school terms, holidays, classes with enrolled students,
teachers with accounts (teacherN@…), parents (parentN@…, each linked to two
students), student accounts from grade 7, a clash-free Monday-Friday
timetable and attendance for every school day of the current term up to today.
Accounts of other roles the demo has not (staff) are made through /users.

build_world (isolation.WORLD_BUILDERS) gives schools A and B of the World,
through the API, a past academic year of their own with a term, a subject, a
teacher, a class with one enrolled student marked on DAY, and a timetable
slot (school.daily[...]); the attendance and timetable routes' isolation
entries use school B's.
"""

import re

import isolation
from harness import COVERAGE, Client, Contract, run
from world import PASSWORD, SCHOOL_ROLES, login


class DemoSchool:
    def __init__(self, server, students=240, tenants=2):
        self.server = server
        r = run([server.binary, "demo", "--students", str(students), "--tenants", str(tenants)],
                env=server.environment(), timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"school-erp demo failed ({r.returncode}): {r.stderr}")
        m = re.search(r"admin login:\s+\S+ / (\S+)", r.stdout)
        self.password = m.group(1)
        self.output = r.stdout
        self._tokens = {}
        self._users = {}
        admin = self.client("admin")
        self.nteachers = max(students // 20, 1)
        self.classes = self.admin_get("/api/v1/reports/attendance/daily")["classes"]
        for key in ("staff",):
            admin.post("/api/v1/users", json={"email": f"{key}@demo.school", "displayName": key.title(),
                                              "roles": [key], "password": PASSWORD}, expect=201)

    @staticmethod
    def domain(school):
        return "demo.school" if school == 1 else f"demo{school}.school"

    def email(self, key, school=1):
        return f"{key}@{self.domain(school)}"

    def token(self, key, school=1):
        k = (key, school)
        if k not in self._tokens:
            password = PASSWORD if key == "staff" else self.password
            doc = login(self.server, "demo" if school == 1 else f"demo-{school}", self.email(key, school), password)
            self._tokens[k] = doc["accessToken"]
            self._users[k] = doc["user"]
        return self._tokens[k]

    def user(self, key, school=1):
        self.token(key, school)
        return self._users[(key, school)]

    def client(self, key, school=1, **kw):
        return Client(self.server, token=self.token(key, school), **kw)

    def admin_get(self, path, school=1):
        return self.client("admin", school).get(path, expect=200).json

    def class_named(self, name, school=1):
        classes = self.classes if school == 1 else self.admin_get("/api/v1/reports/attendance/daily", school)["classes"]
        return next(c for c in classes if c["className"] == name)

    def sheet(self, class_id, date, school=1):
        return self.admin_get(f"/api/v1/classes/{class_id}/attendance/{date}", school)

    def school_days(self, class_id=None):
        """The school days of the current term up to today (by the class report)."""
        cid = class_id or self.classes[0]["classId"]
        return [d["date"] for d in self.admin_get(f"/api/v1/reports/attendance?classId={cid}")["days"]]

    def teacher_logins(self, school=1):
        """{displayName: key} of the demo's teachers (teacher1 … teacherN)."""
        return {self.user(f"teacher{i}", school)["displayName"]: f"teacher{i}" for i in range(1, self.nteachers + 1)}


def uncovered(doc, tag, unreachable=()):
    """
    The statuses of the operations tagged tag that no response of this process
    had, as "METHOD template status" (all but 401, 431, 500 and 503, those in
    unreachable, the 403 of operations every school role may call, which only
    the platform's operators get: test_isolation asks for those, and the
    statuses of conditional requests, which test_conditional asks of every
    versioned operation: 304, 412, 428, and the 400 of a malformed If-Match or
    If-None-Match on an operation without a body).
    """
    missing = []
    for method, template, op in Contract(doc).operations():
        if tag not in op.get("tags", []):
            continue
        headers = {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}
        conditional = {304, 412, 428} | ({400} if headers and "requestBody" not in op else set())
        for code in sorted(int(c) for c in op["responses"] if c.isdigit()):
            if code in (401, 431, 500, 503) or (method, template, code) in unreachable:
                continue
            if headers & {"If-Match", "If-None-Match"} and code in conditional:
                continue
            if code == 403 and set(SCHOOL_ROLES) <= set(op["x-roles"]):
                continue
            if not COVERAGE[(method, template, code)]:
                missing.append(f"{method} {template} {code}")
    return missing


# ---------------------------------------------------------------- the isolation registry

DAY = "2019-09-03"  # a Tuesday of the fixtures' own term


def build_school(school, tag):
    """
    An academic year of the past (not current) with a term, a subject, a teacher, a class with one student
    enrolled and marked on DAY, and one timetable slot: school.daily[...] holds each record as the API returned it.
    """
    admin = school.client("admin")
    d = {}
    d["year"] = admin.post("/api/v1/academic-years", json={
        "name": f"Daily fixtures 2019-2020 {tag}", "startDate": "2019-09-01", "endDate": "2020-06-30"},
        expect=201).json
    year = d["year"]["id"]
    admin.post("/api/v1/terms", json={"academicYearId": year, "name": "Daily fixtures term", "startDate": "2019-09-02",
                                      "endDate": "2019-12-20"}, expect=201)
    d["subject"] = admin.post("/api/v1/subjects", json={"code": f"DAILY-{tag}", "name": f"Daily subject {tag}"},
                              expect=201).json
    d["teacher"] = admin.post("/api/v1/teachers", json={"employeeNo": f"DAILY-T-{tag}", "firstName": "Dana",
                                                        "lastName": f"Daily {tag}"}, expect=201).json
    d["class"] = admin.post("/api/v1/classes", json={"academicYearId": year, "gradeLevel": 3, "section": "DX",
                                                     "classTeacherId": d["teacher"]["id"]}, expect=201).json
    d["student"] = admin.post("/api/v1/students", json={"admissionNo": f"DAILY-S-{tag}", "firstName": "Devi",
                                                        "lastName": f"Daily {tag}", "dateOfBirth": "2011-02-03"},
                              expect=201).json
    admin.post("/api/v1/enrollments", json={"studentId": d["student"]["id"], "classId": d["class"]["id"],
                                            "startDate": "2019-09-02"}, expect=201)
    admin.put(f"/api/v1/classes/{d['class']['id']}/attendance/{DAY}",
              json={"marks": [{"studentId": d["student"]["id"], "status": "late", "note": "fixture"}]}, expect=200)
    admin.post(f"/api/v1/classes/{d['class']['id']}/subjects", json={"subjectId": d["subject"]["id"],
                                                                     "teacherId": d["teacher"]["id"]}, expect=201)
    d["slot"] = admin.post("/api/v1/timetable-slots", json={
        "classId": d["class"]["id"], "subjectId": d["subject"]["id"], "teacherId": d["teacher"]["id"],
        "weekday": "monday", "startTime": "08:00", "endTime": "08:45", "room": f"DX-{tag}"}, expect=201).json
    school.daily = d


def build_world(w):
    build_school(w.A, "A")
    build_school(w.B, "B")


isolation.WORLD_BUILDERS.append(build_world)


def _b(w, key):
    return w.B.daily[key]["id"]


def _sheet(w):
    return f"/api/v1/classes/{_b(w, 'class')}/attendance/{DAY}"


@isolation.path_fixture("PUT", "/api/v1/classes/{id}/attendance/{date}")
def _mark(w):
    return {"params": {"id": _b(w, "class"), "date": DAY}, "snapshot": _sheet(w),
            "body": {"marks": [{"studentId": _b(w, "student"), "status": "absent", "note": "another school"}]}}


@isolation.path_fixture("GET", "/api/v1/classes/{id}/attendance/{date}")
def _sheet_get(w):
    return {"params": {"id": _b(w, "class"), "date": DAY}, "snapshot": _sheet(w)}


@isolation.path_fixture("GET", "/api/v1/students/{id}/attendance")
def _history(w):
    sid = _b(w, "student")
    return {"params": {"id": sid}, "snapshot": f"/api/v1/students/{sid}/attendance?from=2019-09-01&to=2019-09-30"}


def _slot_fixture(method, body=None, if_match=False):
    @isolation.path_fixture(method, "/api/v1/timetable-slots/{id}")
    def make(w):
        sid = _b(w, "slot")
        return {"params": {"id": sid}, "body": body, "if_match": if_match,
                "snapshot": f"/api/v1/timetable-slots/{sid}"}


_slot_fixture("GET")
_slot_fixture("PATCH", body={"room": "Taken by another school", "weekday": 2}, if_match=True)
_slot_fixture("DELETE")


@isolation.path_fixture("GET", "/api/v1/classes/{id}/timetable")
def _class_week(w):
    return {"params": {"id": _b(w, "class")}, "snapshot": f"/api/v1/classes/{_b(w, 'class')}/timetable"}


@isolation.path_fixture("GET", "/api/v1/teachers/{id}/timetable")
def _teacher_week(w):
    tid = _b(w, "teacher")
    return {"params": {"id": tid}, "snapshot": f"/api/v1/teachers/{tid}/timetable?academicYearId={_b(w, 'year')}"}


@isolation.references("GET", "/api/v1/reports/attendance")
def _report_refs(w):
    return [{"query": {"classId": _b(w, "class")}}, {"query": {"classId": _b(w, "class")}, "role": "teacher"}]


@isolation.references("GET", "/api/v1/timetable-slots")
def _list_refs(w):
    return [{"query": {"classId": _b(w, "class")}}, {"query": {"teacherId": _b(w, "teacher")}},
            {"query": {"academicYearId": _b(w, "year")}}, {"query": {"teacherId": _b(w, "teacher")}, "role": "staff"}]


def _slot_body(w):
    a = w.A.daily
    return {"classId": a["class"]["id"], "subjectId": a["subject"]["id"], "teacherId": a["teacher"]["id"],
            "weekday": 3, "startTime": "12:00", "endTime": "12:45", "room": "DX-ref"}


@isolation.references("POST", "/api/v1/timetable-slots")
def _create_refs(w):
    snap = f"/api/v1/classes/{_b(w, 'class')}/timetable"
    return [{"body": dict(_slot_body(w), **{field: _b(w, key)}), "snapshot": snap}
            for field, key in (("classId", "class"), ("subjectId", "subject"), ("teacherId", "teacher"))]


@isolation.references("PATCH", "/api/v1/timetable-slots/{id}")
def _update_refs(w):
    mine = w.A.daily["slot"]["id"]
    return [{"params": {"id": mine}, "headers": {"If-Match": '"1"'}, "body": {field: _b(w, key)}}
            for field, key in (("classId", "class"), ("subjectId", "subject"), ("teacherId", "teacher"))]


@isolation.references("GET", "/api/v1/teachers/{id}/timetable")
def _week_refs(w):
    return [{"params": {"id": w.A.daily["teacher"]["id"]}, "query": {"academicYearId": _b(w, "year")}}]
