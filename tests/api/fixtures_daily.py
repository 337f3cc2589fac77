"""
fixtures_daily.py - fixture data of the attendance and timetable suites, and their
entries in the isolation registry (see isolation.py).

DemoSchool: the demo school (`school-erp demo`) as fixture data for the
timetable suite (realistic size, a clash-free Monday-Friday timetable):

    demo = DemoSchool(server, students=240, tenants=2)
    demo.client("admin")                     # admin@demo.school, logged in
    demo.client("teacher3")                  # teacher3@demo.school
    demo.client("admin", school=2)           # admin@demo2.school (another school)
    demo.classes                             # [{classId, className, gradeLevel}] of its current year, by grade

The demo gives each school terms, holidays, classes with enrolled students,
teachers with accounts (teacherN@…), parents (parentN@…, each linked to two
students), student accounts from grade 7 and a timetable. Accounts of other
roles the demo has not (staff) are made through /users. Nothing here depends
on where today falls in the demo's calendar.

AttendanceSchool: the attendance suite's schools, made through the API on a
calendar relative to today (dates.py), so that they have the school days a
test needs whatever the date: a current year whose term began seven weeks
before this week, with two holidays since, three classes of 20 students
marked on every school day up to today, teachers, a parent and a student with
accounts; and another school with its own marked class (see the class).

build_world (isolation.WORLD_BUILDERS) gives schools A and B of the World,
through the API, a past academic year of their own with a term, a subject, a
teacher, a class with one enrolled student marked on DAY, and a timetable
slot (school.daily[...]); the attendance and timetable routes' isolation
entries use school B's.
"""

import re

import dates
import isolation
from harness import COVERAGE, Client, Contract, run
from world import PASSWORD, SCHOOL_ROLES, World, login


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
        self.classes = self.year_classes()
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

    def year_classes(self, school=1):
        """[{classId, className, gradeLevel}] of the school's current year, by grade and name (whatever today is)."""
        year = self.admin_get("/api/v1/academic-years/current", school)["id"]
        items = self.admin_get(f"/api/v1/classes?academicYearId={year}&limit=500", school)["items"]
        return sorted(({"classId": c["id"], "className": c["name"], "gradeLevel": c["gradeLevel"]} for c in items),
                      key=lambda c: (c["gradeLevel"], c["className"]))

    def class_named(self, name, school=1):
        classes = self.classes if school == 1 else self.year_classes(school)
        return next(c for c in classes if c["className"] == name)

    def sheet(self, class_id, date, school=1):
        return self.admin_get(f"/api/v1/classes/{class_id}/attendance/{date}", school)

    def teacher_logins(self, school=1):
        """{displayName: key} of the demo's teachers (teacher1 … teacherN)."""
        return {self.user(f"teacher{i}", school)["displayName"]: f"teacher{i}" for i in range(1, self.nteachers + 1)}


FIRST_NAMES = ["Aisha", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Keira",
               "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar"]
LAST_NAMES = ["Adams", "Bauer", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ibrahim", "Jensen",
              "Kowalski", "Lopez", "Mensah", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Sato", "Tanaka"]


class AttendanceSchool:
    """
    Schools A and B of a World (tests/api/world.py) with the calendar and classes of the attendance suite,
    all through the API, on dates relative to today in their time zone (Europe/Paris):

        school = AttendanceSchool(server)
        school.today                        # datetime.date
        school.year                         # school A's current year (as the API returned it)
        school.term_start, school.term_end  # the current term: from the Monday seven weeks before this week's,
                                            # to 45 days from today (a year around it, marked current)
        school.holidays                     # {date: name}: two weekdays of the term before today
        school.days                         # its school days up to today, computed here (dates.school_days):
                                            # Monday to Friday, less the holidays (at least 33 of them)
        school.classes                      # {"7-A": class, "8-A": …, "9-A": …} of school A, 20 students each,
                                            # enrolled from the year's first day, marked on every one of those days
        school.client(key), school.user(key)
            admin, staff
            teacher     class teacher of 7-A             teacher3   teaches a subject in 7-A
            teacher2    class teacher of 8-A and 9-A
            student     a student of 7-A                 parent     their parent, and of a student of 8-A
        school.client("admin", school=2)    school B: the same calendar, a class "7-A" of 20 students, marked
        school.class_named(name, school), school.sheet(class_id, date, school)

    The marks: mostly present, by the class teacher; a few absent, late or excused (with a note).
    """

    CLASSES = ("7-A", "8-A", "9-A")
    STUDENTS_PER_CLASS = 20
    TEACHING = {"7-A": ("teacher", "teacher3"), "8-A": ("teacher2",), "9-A": ("teacher2",)}

    def __init__(self, server):
        self.server = server
        self.world = World(server)
        a = self.world.A
        for school in (a, self.world.B):
            school.add_user("teacher3", "teacher")
        self.today = dates.today(a.tenant["timeZone"])
        self.term_start = dates.monday_of(self.today) - dates.WEEK * 7
        self.term_end = self.today + dates.DAY * 45
        self.holidays = {self.term_start + dates.DAY * 9: "Fixture holiday (a Wednesday)",
                         self.term_start + dates.DAY * 22: "Fixture holiday (a Tuesday)"}
        self.days = dates.school_days(self.term_start, self.today, holidays=self.holidays)
        self.classes = self._build(a, "A", self.CLASSES)
        self._build(self.world.B, "B", ("7-A",))
        # the student account's record is the first student of 7-A; the parent account's guardian has them and
        # the first student of 8-A
        admin = a.client("admin")
        self.child = self.roster["A"]["7-A"][0]
        path = f"/api/v1/students/{self.child['id']}"
        admin.patch(path, json={"userId": a.users["student"]["id"]},
                    headers={"If-Match": admin.get(path, expect=200).headers["etag"]}, expect=200)
        guardian = admin.post("/api/v1/guardians", json={"firstName": "Pat", "lastName": "Parent",
                                                         "userId": a.users["parent"]["id"]}, expect=201).json
        for kid in (self.child, self.roster["A"]["8-A"][0]):
            admin.put(f"/api/v1/students/{kid['id']}/guardians/{guardian['id']}", json={"relationship": "mother"},
                      expect=200)

    def _build(self, school, tag, names):
        admin = school.client("admin")
        t = dates.iso
        year = admin.post("/api/v1/academic-years", json={
            "name": f"Attendance {tag}", "startDate": t(self.term_start - dates.DAY * 14),
            "endDate": t(self.term_end + dates.DAY * 60), "isCurrent": True}, expect=201).json
        self.year = getattr(self, "year", year)  # school A's (built first)
        admin.post("/api/v1/terms", json={"academicYearId": year["id"], "name": "This term",
                                          "startDate": t(self.term_start), "endDate": t(self.term_end)}, expect=201)
        for d, name in self.holidays.items():
            admin.post("/api/v1/holidays", json={"date": t(d), "name": name}, expect=201)
        teachers = {}
        for key in sorted({k for n in names for k in self.TEACHING[n]}):
            teachers[key] = admin.post("/api/v1/teachers", json={
                "employeeNo": f"ATT-{tag}-{key}", "firstName": key.title(), "lastName": f"School {tag}",
                "userId": school.users[key]["id"]}, expect=201).json
        subject = admin.post("/api/v1/subjects", json={"code": f"ATT-{tag}", "name": "Attendance studies"},
                             expect=201).json
        classes, rosters = {}, {}
        for c, name in enumerate(names):
            grade, section = name.split("-")
            who = self.TEACHING[name]
            cls = admin.post("/api/v1/classes", json={"academicYearId": year["id"], "gradeLevel": int(grade),
                                                      "section": section, "classTeacherId": teachers[who[0]]["id"]},
                             expect=201).json
            for key in who[1:]:
                admin.post(f"/api/v1/classes/{cls['id']}/subjects", json={
                    "subjectId": subject["id"], "teacherId": teachers[key]["id"]}, expect=201)
            students = []
            for i in range(self.STUDENTS_PER_CLASS):
                n = c * self.STUDENTS_PER_CLASS + i
                st = admin.post("/api/v1/students", json={
                    "admissionNo": f"ATT-{tag}-{n:03d}", "firstName": FIRST_NAMES[n % len(FIRST_NAMES)],
                    "lastName": LAST_NAMES[(n * 7) % len(LAST_NAMES)], "dateOfBirth": "2014-03-04"},
                    expect=201).json
                admin.post("/api/v1/enrollments", json={"studentId": st["id"], "classId": cls["id"],
                                                        "startDate": year["startDate"]}, expect=201)
                students.append(st)
            marker = school.client(who[0])
            for i, d in enumerate(self.days):
                marks = []
                for j, st in enumerate(students):
                    roll = (i * 7 + j * 13 + c * 5) % 25
                    status = ("absent", "late", "excused")[roll] if roll < 3 else "present"
                    marks.append({"studentId": st["id"], "status": status,
                                  "note": "doctor's appointment" if status == "excused" else None})
                marker.put(f"/api/v1/classes/{cls['id']}/attendance/{t(d)}", json={"marks": marks}, expect=200)
            classes[name] = cls
            rosters[name] = students
        self.roster = getattr(self, "roster", {})
        self.roster[tag] = rosters
        return classes

    def school(self, school=1):
        return self.world.A if school == 1 else self.world.B

    def client(self, key, school=1, **kw):
        return self.school(school).client(key, **kw)

    def user(self, key, school=1):
        """The account (id, email) of a key."""
        return self.school(school).users[key]

    def admin_get(self, path, school=1):
        return self.client("admin", school).get(path, expect=200).json

    def class_named(self, name, school=1):
        """{classId, className}: the class of that name of school A (1) or B (2)."""
        c = self.classes[name] if school == 1 else self._b_class(name)
        return {"classId": c["id"], "className": c["name"]}

    def _b_class(self, name):
        items = self.admin_get("/api/v1/classes?limit=500", school=2)["items"]
        return next(c for c in items if c["name"] == name)

    def sheet(self, class_id, date, school=1):
        return self.admin_get(f"/api/v1/classes/{class_id}/attendance/{date}", school)


def uncovered(doc, tag, unreachable=()):
    """
    The statuses of the operations tagged tag that no response of this process
    had, as "METHOD template status" (all but 401, 431, 500 and 503, those in
    unreachable, the 403 of operations every school role may call, which only
    the platform's operators get: test_isolation asks for those, and the
    statuses of conditional requests, which test_conditional asks of every
    versioned operation: 304, 412, 428, and the 400 of a malformed If-Match or
    If-None-Match on an operation without a body; and the 422 of an operation
    with neither body nor query parameters, answered only to an undeclared
    parameter, which test_isolation asks of every operation).
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
            if code == 422 and method != "POST" and "requestBody" not in op and not any(
                    p.get("in") == "query" for p in op.get("parameters", [])):
                continue
            if not COVERAGE[(method, template, code)]:
                missing.append(f"{method} {template} {code}")
    return missing


# ---------------------------------------------------------------- the isolation registry

# The fixtures' own past year: its term begins on the Monday of the week two years ago; DAY is its Tuesday.
TERM_START = dates.monday_of(dates.today() - dates.DAY * 730)
DAY = dates.iso(TERM_START + dates.DAY)


def build_school(school, tag):
    """
    An academic year of the past (not current) with a term, a subject, a teacher, a class with one student
    enrolled and marked on DAY, and one timetable slot: school.daily[...] holds each record as the API returned it.
    """
    admin = school.client("admin")
    d = {}
    d["year"] = admin.post("/api/v1/academic-years", json={
        "name": f"Daily fixtures {tag}", "startDate": dates.iso(TERM_START - dates.DAY),
        "endDate": dates.iso(TERM_START + dates.DAY * 300)}, expect=201).json
    year = d["year"]["id"]
    admin.post("/api/v1/terms", json={"academicYearId": year, "name": "Daily fixtures term",
                                      "startDate": dates.iso(TERM_START),
                                      "endDate": dates.iso(TERM_START + dates.DAY * 109)}, expect=201)
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
                                            "startDate": dates.iso(TERM_START)}, expect=201)
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
    return {"params": {"id": sid}, "snapshot": f"/api/v1/students/{sid}/attendance?from={dates.iso(TERM_START)}"
                                               f"&to={dates.iso(TERM_START + dates.DAY * 29)}"}


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


# ---- collections and reports: each school's own (test_isolation lists them as every allowed role of school A)

isolation.collection("/api/v1/timetable-slots")
isolation.lists("/api/v1/classes/{id}/timetable")(lambda school: {"id": school.academic["classes"][0]["id"]})
isolation.lists("/api/v1/teachers/{id}/timetable")(lambda school: {"id": school.teachers["teacher"]["id"]})
isolation.lists("/api/v1/students/{id}/attendance")(lambda school: {"id": school.students["student"]["id"]})


@isolation.report("/api/v1/reports/attendance")
def _class_report(school):
    return {"classId": school.academic["classes"][0]["id"]}  # the current term, by default


@isolation.report("/api/v1/reports/attendance/daily")
def _daily_report(school):
    return {"date": school.links["day"]}  # a day both schools marked (fixtures_people.link_school)
