"""
test_imports.py - the CSV imports and exports (src/imports/), run with the command line
(`school-erp import`, `school-erp export`) on the server's own database, and checked
through the HTTP API: what was imported is what the API shows, a second import changes
nothing, a wrong file imports nothing and names every wrong record by line and column,
an export imports again unchanged, and 10,000 students import in well under a minute.
Runs on SQLite, and on PostgreSQL with ERP_TEST_ENGINE=postgres (the api-pg stage).
"""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from harness import ServerTestCase, db_rows
from world import School, create_platform_admin, login, PLATFORM_EMAIL, school_today
from harness import Client

HEADER = ("admissionNo,firstName,middleName,lastName,dateOfBirth,gender,email,phone,address,admittedOn,status,"
          "className,guardian1FirstName,guardian1LastName,guardian1Email,guardian1Phone,guardian1Relationship,"
          "guardian2FirstName,guardian2LastName,guardian2Email,guardian2Phone,guardian2Relationship")


COLUMNS = HEADER.split(",")


def row(**fields):
    """A students record with the given columns (by name) and the others empty, quoted as needed."""
    assert set(fields) <= set(COLUMNS), set(fields) - set(COLUMNS)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([fields.get(c, "") for c in COLUMNS])
    return out.getvalue()


def student(n, first, last, dob, **more):
    return row(admissionNo=n, firstName=first, lastName=last, dateOfBirth=dob, **more)


class TestImports(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        create_platform_admin(cls.server)
        platform = Client(cls.server, token=login(cls.server, None, PLATFORM_EMAIL)["accessToken"])
        cls.school = School(cls.server, platform, "Imports")
        cls.other = School(cls.server, platform, "Bystander")
        cls.admin = cls.school.client("admin")
        cls.tmp = tempfile.mkdtemp(prefix="erp-imports-")
        # the current academic year (holding today) with classes 5-A, 5-B and a small 6-A
        today = datetime.date.fromisoformat(school_today(cls.school.tenant["timeZone"]))
        cls.year = cls.admin.post("/api/v1/academic-years", json={
            "name": "Imports year", "startDate": (today - datetime.timedelta(days=30)).isoformat(),
            "endDate": (today + datetime.timedelta(days=300)).isoformat(), "isCurrent": True}, expect=201).json
        cls.classes = {}
        for grade, section, capacity in ((5, "A", None), (5, "B", None), (6, "A", 2)):
            body = {"academicYearId": cls.year["id"], "gradeLevel": grade, "section": section}
            if capacity:
                body["capacity"] = capacity
            c = cls.admin.post("/api/v1/classes", json=body, expect=201).json
            cls.classes[c["name"]] = c

    # -- helpers

    def cli(self, *args, data=None, timeout=120):
        path = None
        if data is not None:
            path = os.path.join(self.tmp, f"in-{time.monotonic_ns()}.csv")
            with open(path, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
        argv = [self.server.binary] + [path if a == "FILE" else a for a in args]
        # bytes, decoded here: text mode would turn the CSV's CRLF into LF
        r = subprocess.run(argv, env=self.server.environment(), timeout=timeout, capture_output=True)
        out = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())
        for report in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(report, out.stderr)
        return out

    def import_csv(self, kind, data, school=None, expect_rc=0):
        r = self.cli("import", kind, "FILE", "--school", school or self.school.slug, data=data)
        self.assertEqual(r.returncode, expect_rc, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def export_csv(self, kind, *extra, school=None):
        r = self.cli("export", kind, "--school", school or self.school.id, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def all_items(self, path, client=None):
        client = client or self.admin
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            url = f"{path}{sep}limit=500" + (f"&cursor={cursor}" if cursor else "")
            doc = client.get(url, expect=200).json
            items += doc["items"]
            cursor = doc["nextCursor"]
            if cursor is None:
                return items

    def students_by_number(self, client=None):
        return {s["admissionNo"]: s for s in self.all_items("/api/v1/students", client)}

    def guardians_of(self, student_id):
        return self.admin.get(f"/api/v1/students/{student_id}/guardians", expect=200).json["items"]

    def assertCounts(self, report, created, updated, unchanged):
        self.assertEqual((report["created"], report["updated"], report["unchanged"], report["errorCount"]),
                         (created, updated, unchanged, 0), report)

    def assertErrors(self, report, expected):
        """expected: a set of (line, column) the report must list, exactly."""
        got = {(e["line"], e["column"]) for e in report["errors"]}
        self.assertEqual(got, set(expected), json.dumps(report["errors"], indent=1))
        self.assertEqual(report["errorCount"], len(report["errors"]))
        for e in report["errors"]:
            self.assertTrue(e["reason"], e)

    # -- students with guardians

    def test_students_with_guardians_import_once_then_change_nothing(self):
        marta = dict(guardian1FirstName="Marta", guardian1LastName="Ruiz", guardian1Phone="+1 555 0200",
                     guardian1Relationship="mother")
        data = (HEADER + "\n"
                + student("G-1", "Ana", "Ruiz", "2014-03-09", gender="female", address="12 Main St, Flat 2\nSpringfield",
                          admittedOn="2020-09-01", guardian1Email="Marta.Ruiz@Example.org", guardian2FirstName="Pedro",
                          guardian2LastName="Ruiz", guardian2Phone="+1 555 0201", guardian2Relationship="father",
                          **marta)
                + student("G-2", "Ben", "Ruiz", "2016-05-01", gender="male", guardian1Email="marta.ruiz@example.org",
                          **marta)
                + student("G-3", "Chen", "Zhang", "2013-11-30", middleName="Wei", email="chen@example.org",
                          status="transferred"))
        report = self.import_csv("students", data)
        self.assertCounts(report, 3, 0, 0)
        self.assertEqual(report["guardians"], {"created": 2, "updated": 0, "linked": 3})
        students = self.students_by_number()
        ana, ben, chen = students["G-1"], students["G-2"], students["G-3"]
        self.assertEqual((ana["firstName"], ana["lastName"], ana["dateOfBirth"], ana["gender"], ana["status"]),
                         ("Ana", "Ruiz", "2014-03-09", "female", "active"))
        self.assertEqual(ana["address"], "12 Main St, Flat 2\nSpringfield")
        self.assertEqual(ana["admittedOn"], "2020-09-01")
        self.assertEqual((chen["middleName"], chen["gender"], chen["status"], chen["email"]),
                         ("Wei", "unspecified", "transferred", "chen@example.org"))
        links = self.guardians_of(ana["id"])
        self.assertEqual([(g["relationship"], g["isPrimary"], g["guardian"]["firstName"]) for g in links],
                         [("mother", True, "Marta"), ("father", False, "Pedro")])
        mother = links[0]["guardianId"]
        self.assertEqual([g["guardianId"] for g in self.guardians_of(ben["id"])], [mother])  # siblings share her
        self.assertEqual(self.admin.get(f"/api/v1/guardians/{mother}", expect=200).json["email"],
                         "marta.ruiz@example.org")
        self.assertEqual(self.guardians_of(chen["id"]), [])
        events = self.admin.get(f"/api/v1/audit-events?subjectId={ana['id']}", expect=200).json["items"]
        self.assertIn("student.create", [e["action"] for e in events])

        again = self.import_csv("students", data)
        self.assertCounts(again, 0, 0, 3)
        self.assertEqual(again["guardians"], {"created": 0, "updated": 0, "linked": 0})
        after = self.students_by_number()
        for n in ("G-1", "G-2", "G-3"):
            self.assertEqual(after[n]["version"], students[n]["version"], n)
        self.assertEqual(len(self.guardians_of(ana["id"])), 2)

        # one changed value updates that record only; a column the file lacks keeps its value
        changed = ("admissionNo,firstName,lastName,dateOfBirth\n"
                   "g-3,Chen,Zhang-Li,2013-11-30\nG-2,Ben,Ruiz,2016-05-01\n")
        report = self.import_csv("students", changed)
        self.assertCounts(report, 0, 1, 1)
        chen2 = self.students_by_number()["g-3"]
        self.assertEqual((chen2["id"], chen2["lastName"], chen2["middleName"], chen2["email"], chen2["status"]),
                         (chen["id"], "Zhang-Li", "Wei", "chen@example.org", "transferred"))
        self.assertEqual(chen2["version"], chen["version"] + 1)
        # the other school saw nothing
        self.assertEqual(self.students_by_number(self.other.client("admin")), {})

    def test_a_wrong_file_names_every_wrong_record_and_imports_nothing(self):
        before = self.students_by_number()
        data = (HEADER + "\n"
                + student("W-1", "Ok", "Fine", "2014-01-01", address="Quoted, with comma\nand a line break")  # 2-3
                + student("W-2", "Bad", "Date", "2014-02-30")                                                  # 4
                + student("W-3", "Bad", "Email", "2014-01-01", email="not-an-email")                           # 5
                + student("W-1", "Dup", "Number", "2014-01-01")                                                # 6
                + student("W-5", "", "NoFirst", "2014-01-01", gender="robot")                                  # 7
                + student("W-6", "Kid", "Guard", "2014-01-01", guardian1FirstName="Pat", guardian1Email="pat@",
                          guardian1Phone="12", guardian1Relationship="uncle")                                  # 8
                + "W-7,Short,Row\n"                                                                            # 9
                + student("W-8", "Born", "Later", "2999-01-01", admittedOn="2998-01-01"))                      # 10
        report = self.import_csv("students", data, expect_rc=1)
        self.assertErrors(report, {
            (4, "dateOfBirth"), (5, "email"), (6, "admissionNo"), (7, "firstName"), (7, "gender"),
            (8, "guardian1LastName"), (8, "guardian1Email"), (8, "guardian1Phone"), (8, "guardian1Relationship"),
            (9, None), (10, "dateOfBirth"), (10, "admittedOn"),
        })
        dup = [e for e in report["errors"] if e["line"] == 6][0]
        self.assertIn("line 2", dup["reason"])
        self.assertEqual((report["created"], report["updated"], report["unchanged"]), (0, 0, 0))
        self.assertEqual(self.students_by_number().keys(), before.keys())

        # not UTF-8, and malformed quoting: also refused with their lines
        report = self.import_csv("students", (HEADER + "\nU-1,Jos\xe9,,X,2014-01-01" + "," * 16 + "\n")
                                 .encode("latin-1"), expect_rc=1)
        self.assertErrors(report, {(2, "firstName")})
        report = self.import_csv("students", HEADER + "\nQ-1,Ok,,X,2014-01-01" + "," * 16 + "\nQ-2,\"open,,X\n",
                                 expect_rc=1)
        self.assertErrors(report, {(3, None)})
        self.assertEqual(self.students_by_number().keys(), before.keys())

    def test_the_header_must_have_the_required_columns_and_no_unknown_ones(self):
        report = self.import_csv("students", "admissionNo,firstName,lastName,givenName\nH-1,A,B,C\n", expect_rc=1)
        self.assertErrors(report, {(1, "dateOfBirth"), (1, "givenName")})
        report = self.import_csv("students", "", expect_rc=1)
        self.assertErrors(report, {(1, None)})
        self.assertNotIn("H-1", self.students_by_number())

    def test_bom_and_crlf(self):
        data = ("\ufeffadmissionNo,firstName,lastName,dateOfBirth,guardian1FirstName,guardian1LastName,"
                "guardian1Phone\r\nB-1,Zo\u00eb,M\u00fcller,2012-07-14,Jo,M\u00fcller,555 0199\r\n"
                "B-2,\"Li\",\"Na\",2012-07-15,,,\r\n").encode()
        self.assertCounts(self.import_csv("students", data), 2, 0, 0)
        students = self.students_by_number()
        self.assertEqual((students["B-1"]["firstName"], students["B-1"]["lastName"]), ("Zo\u00eb", "M\u00fcller"))
        self.assertEqual(students["B-2"]["firstName"], "Li")
        g = self.guardians_of(students["B-1"]["id"])
        self.assertEqual((g[0]["relationship"], g[0]["guardian"]["lastName"]), ("guardian", "M\u00fcller"))
        self.assertCounts(self.import_csv("students", data), 0, 0, 2)

    def test_template_imports(self):
        r = self.cli("import", "students", "--template")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(HEADER + "\r\n"))
        report = self.import_csv("students", r.stdout)
        self.assertCounts(report, 1, 0, 0)
        self.assertEqual(report["guardians"]["linked"], 2)
        for kind in ("teachers", "staff"):
            t = self.cli("import", kind, "--template")
            self.assertEqual(t.returncode, 0)
            self.assertEqual(len(t.stdout.split("\r\n")), 3)
        self.assertEqual(self.cli("import", "parents", "--template").returncode, 2)

    def test_export_then_import_again_changes_nothing(self):
        self.import_csv("students", HEADER + "\n"
                        + student("E-1", 'Quote "Q" Mark', "Smith", "2011-01-01", address="Line 1\r\nLine 2, comma",
                                  guardian1FirstName="Sam", guardian1LastName="Smith",
                                  guardian1Email="sam.smith@example.org", guardian1Relationship="father")
                        + student("E-2", "Eve", "Smith", "2012-01-01", gender="female", status="graduated",
                                  guardian1FirstName="Sam", guardian1LastName="Smith",
                                  guardian1Email="sam.smith@example.org", guardian1Relationship="father",
                                  guardian2FirstName="Kim", guardian2LastName="Smith", guardian2Phone="555 0123",
                                  guardian2Relationship="mother"))
        # a student and links made with the API (no primary guardian, a guardian without email) export and
        # import again unchanged as well
        st = self.admin.post("/api/v1/students", json={"admissionNo": "E-3", "firstName": "Api", "lastName": "Made",
                                                       "dateOfBirth": "2012-02-02"}, expect=201).json
        for first, rel in (("Una", "other"), ("Ola", "grandparent")):
            g = self.admin.post("/api/v1/guardians", json={"firstName": first, "lastName": "Made"}, expect=201).json
            self.admin.put(f"/api/v1/students/{st['id']}/guardians/{g['id']}", json={"relationship": rel},
                           expect=200)
        exported = self.export_csv("students")
        self.assertTrue(exported.startswith(HEADER + "\r\n"))
        records = list(csv.reader(io.StringIO(exported, newline="")))
        numbers = self.students_by_number()
        self.assertEqual(sorted(r[0] for r in records[1:]), sorted(numbers))
        by_number = {r[0]: dict(zip(COLUMNS, r)) for r in records[1:]}
        self.assertEqual(by_number["E-1"]["address"], "Line 1\r\nLine 2, comma")
        self.assertEqual((by_number["E-2"]["guardian2FirstName"], by_number["E-2"]["guardian2Phone"]),
                         ("Kim", "555 0123"))
        report = self.import_csv("students", exported)
        self.assertCounts(report, 0, 0, len(numbers))
        self.assertEqual(report["guardians"], {"created": 0, "updated": 0, "linked": 0})
        self.assertEqual([(g["guardian"]["firstName"], g["isPrimary"]) for g in self.guardians_of(st["id"])],
                         [("Ola", False), ("Una", False)])
        e1 = numbers["E-1"]
        self.assertEqual(e1["firstName"], 'Quote "Q" Mark')
        self.assertEqual(e1["address"], "Line 1\r\nLine 2, comma")
        guardians = self.export_csv("guardians")
        self.assertTrue(guardians.startswith("firstName,lastName,email,phone,address,occupation,students,"
                                             "relationships\r\n"))
        self.assertIn("Sam,Smith,sam.smith@example.org,,,,E-1;E-2,father;father\r\n", guardians)
        self.assertTrue(self.export_csv("enrollments").startswith("admissionNo,firstName,lastName,academicYear,"))
        att = self.export_csv("attendance", "--from", "2026-01-01", "--to", "2026-01-31")
        self.assertEqual(att, "date,className,admissionNo,firstName,lastName,status,note\r\n")
        r = self.cli("export", "attendance", "--school", self.school.id)
        self.assertEqual(r.returncode, 1)
        self.assertIn("from and to", r.stderr)

    # -- classes

    def enrollments_of(self, class_name):
        items = self.all_items(f"/api/v1/enrollments?classId={self.classes[class_name]['id']}")
        return {e["studentId"]: e for e in items}

    def test_class_placement(self):
        data = (HEADER + "\n" + student("C-1", "Cara", "Class", "2015-01-01", className="5-A")
                + student("C-2", "Cole", "Class", "2015-01-01", className="5-b")
                + student("C-3", "Cleo", "Class", "2015-01-01"))
        report = self.import_csv("students", data)
        self.assertCounts(report, 3, 0, 0)
        self.assertEqual(report["enrolled"], 2)
        students = self.students_by_number()
        today = school_today(self.school.tenant["timeZone"])
        a = self.enrollments_of("5-A")
        self.assertEqual((a[students["C-1"]["id"]]["startDate"], a[students["C-1"]["id"]]["endDate"]), (today, None))
        self.assertIn(students["C-2"]["id"], self.enrollments_of("5-B"))
        events = self.admin.get(f"/api/v1/audit-events?subjectId={students['C-1']['id']}", expect=200).json["items"]
        self.assertTrue(any("enrolled in class 5-A" in (e.get("detail") or "") for e in events), events)
        again = self.import_csv("students", data)
        self.assertCounts(again, 0, 0, 3)
        self.assertEqual(again["enrolled"], 0)
        # an existing student without a class is enrolled; one in another class is an error (a transfer)
        report = self.import_csv("students", "admissionNo,firstName,lastName,dateOfBirth,className\n"
                                 "C-3,Cleo,Class,2015-01-01,5-A\nC-1,Cara,Class,2015-01-01,5-B\n"
                                 "C-9,New,Class,2015-01-01,7-Z\n", expect_rc=1)
        self.assertErrors(report, {(3, "className"), (4, "className")})
        self.assertIn("transfer", [e for e in report["errors"] if e["line"] == 3][0]["reason"])
        self.assertNotIn(students["C-3"]["id"], self.enrollments_of("5-A"))
        report = self.import_csv("students", "admissionNo,firstName,lastName,dateOfBirth,className\n"
                                 "C-3,Cleo,Class,2015-01-01,5-A\n")
        self.assertCounts(report, 0, 1, 0)
        self.assertIn(students["C-3"]["id"], self.enrollments_of("5-A"))

    def test_a_full_class_refuses_the_file_and_nothing_is_written(self):
        before = self.students_by_number()
        data = ("admissionNo,firstName,lastName,dateOfBirth,className\n"
                "F-1,Fay,Full,2014-01-01,6-A\nF-2,Fin,Full,2014-01-01,6-A\nF-3,Flo,Full,2014-01-01,6-A\n")
        report = self.import_csv("students", data, expect_rc=1)
        self.assertErrors(report, {(4, "className")})
        self.assertIn("full", report["errors"][0]["reason"])
        self.assertEqual(self.students_by_number().keys(), before.keys())
        self.assertEqual(self.enrollments_of("6-A"), {})
        self.assertCounts(self.import_csv("students", data.rsplit("F-3", 1)[0]), 2, 0, 0)
        self.assertEqual(len(self.enrollments_of("6-A")), 2)

    # -- teachers and staff accounts

    def test_teachers(self):
        data = ("employeeNo,firstName,lastName,email,phone,status,hiredOn\n"
                "T-100,Samir,Haddad,Samir@Example.org,+1 555 0142,,2019-08-15\n"
                "T-101,Ines,Costa,,,inactive,\n")
        self.assertCounts(self.import_csv("teachers", data), 2, 0, 0)
        teachers = {t["employeeNo"]: t for t in self.all_items("/api/v1/teachers")}
        self.assertEqual((teachers["T-100"]["email"], teachers["T-100"]["status"], teachers["T-100"]["hiredOn"]),
                         ("samir@example.org", "active", "2019-08-15"))
        self.assertEqual(teachers["T-101"]["status"], "inactive")
        self.assertCounts(self.import_csv("teachers", data), 0, 0, 2)
        report = self.import_csv("teachers", "employeeNo,firstName,lastName,hiredOn\nT-102,A,B,2019-13-01\n"
                                 "t-100,Dup,Case,\n", expect_rc=1)
        self.assertErrors(report, {(2, "hiredOn")})  # t-100 is T-100 again: an update, not an error
        report = self.import_csv("teachers", "employeeNo,firstName,lastName\nT-9,A,B\nt-9,A,B\n", expect_rc=1)
        self.assertErrors(report, {(3, "employeeNo")})

    def test_staff_accounts_can_log_in(self):
        data = ("email,displayName,roles,password\n"
                "Office@Imports.example,Front Office,staff,\n"
                "bursar@imports.example,Bursar,staff;teacher,correct-horse-battery-2\n")
        self.assertCounts(self.import_csv("staff", data), 2, 0, 0)
        users = {u["email"]: u for u in self.all_items("/api/v1/users")}
        self.assertEqual(sorted(users["bursar@imports.example"]["roles"]), ["staff", "teacher"])
        self.assertEqual(users["office@imports.example"]["roles"], ["staff"])
        login(self.server, self.school.slug, "bursar@imports.example", "correct-horse-battery-2")
        self.assertCounts(self.import_csv("staff", data), 0, 0, 2)
        report = self.import_csv("staff", "email,displayName,roles,password\nnot-an-email,,janitor,short\n", expect_rc=1)
        self.assertErrors(report, {(2, "email"), (2, "displayName"), (2, "roles"), (2, "password")})
        renamed = self.import_csv("staff", "email,displayName\noffice@imports.example,Reception\n")
        self.assertCounts(renamed, 0, 1, 0)
        users = {u["email"]: u for u in self.all_items("/api/v1/users")}
        self.assertEqual((users["office@imports.example"]["displayName"], users["office@imports.example"]["roles"]),
                         ("Reception", ["staff"]))

    def test_unknown_school_and_kind(self):
        r = self.cli("import", "students", "FILE", "--school", "no-such-school", data=HEADER + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such school", r.stderr)
        r = self.cli("import", "parents", "FILE", "--school", self.school.slug, data="x\n")
        self.assertEqual(r.returncode, 2)

    # -- volume

    def test_ten_thousand_students_in_well_under_a_minute(self):
        rows = [HEADER]
        for i in range(10000):
            rows.append(f"V-{i:05d},First{i},,Family{i % 700},201{i % 8}-0{1 + i % 9}-1{i % 9},"
                        f"{('female', 'male')[i % 2]},,,,,,,Parent{i},Family{i % 700},parent{i}@example.org,"
                        f"+1 555 {i:05d},mother,Other{i},Family{i % 700},,+1 666 {i:05d},father")
        data = "\n".join(rows) + "\n"
        t0 = time.monotonic()
        report = self.import_csv("students", data)
        elapsed = time.monotonic() - t0
        engine = os.environ.get("ERP_TEST_ENGINE", "sqlite")
        print(f"\n10,000 students with 20,000 guardians on {engine}: {elapsed:.1f} s "
              f"(the import itself {report['durationMs']} ms)", file=sys.stderr)
        self.assertCounts(report, 10000, 0, 0)
        self.assertEqual(report["guardians"], {"created": 20000, "updated": 0, "linked": 20000})
        self.assertLess(elapsed, 60)
        numbers = self.students_by_number()
        self.assertEqual(len([n for n in numbers if n.startswith("V-")]), 10000)
        t0 = time.monotonic()
        self.assertCounts(self.import_csv("students", data), 0, 0, 10000)
        self.assertLess(time.monotonic() - t0, 30)


class TestDemoSchoolExports(ServerTestCase):
    """The exports of the demo school (classes, enrollments, a marked register, guardians with parent accounts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([cls.server.binary, "demo", "--students", "120"], env=cls.server.environment(),
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"school-erp demo failed: {r.stderr}")
        cls.tenant = db_rows(cls.server, "SELECT id FROM tenants WHERE slug = 'demo'")[0][0]

    def cli(self, *args):
        r = subprocess.run([self.server.binary, *args], env=self.server.environment(), capture_output=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertNotIn(b"Sanitizer", r.stderr)
        return r.stdout.decode()

    def records(self, kind, *extra):
        text = self.cli("export", kind, "--school", "demo", *extra)
        self.assertTrue(text.endswith("\r\n") or text == "")
        return list(csv.reader(io.StringIO(text, newline="")))

    def count(self, sql):
        return int(db_rows(self.server, sql.replace("$T", f"'{self.tenant}'"))[0][0])

    def test_students_export_imports_again_unchanged(self):
        rows = self.records("students")
        self.assertEqual(rows[0], COLUMNS)
        self.assertEqual(len(rows) - 1, self.count("SELECT count(*) FROM students WHERE tenant_id = $T"
                                                   " AND deleted_at IS NULL"))
        self.assertTrue(any(r[COLUMNS.index("guardian1Email")] for r in rows[1:]))
        path = os.path.join(tempfile.mkdtemp(prefix="erp-demo-"), "students.csv")
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\r\n").writerows(rows)
        report = json.loads(self.cli("import", "students", path, "--school", "demo"))
        self.assertEqual((report["created"], report["updated"], report["unchanged"]), (0, 0, len(rows) - 1), report)
        self.assertEqual(report["guardians"], {"created": 0, "updated": 0, "linked": 0})

    def test_guardians_and_enrollments(self):
        guardians = self.records("guardians")
        self.assertEqual(len(guardians) - 1, self.count("SELECT count(*) FROM guardians WHERE tenant_id = $T"))
        linked = sum(len(r[6].split(";")) for r in guardians[1:] if r[6])
        self.assertEqual(linked, self.count("SELECT count(*) FROM student_guardians l JOIN students s"
                                            " ON s.tenant_id = l.tenant_id AND s.id = l.student_id"
                                            " WHERE l.tenant_id = $T AND s.deleted_at IS NULL"))
        enrollments = self.records("enrollments")
        self.assertEqual(enrollments[0][:4], ["admissionNo", "firstName", "lastName", "academicYear"])
        self.assertEqual(len(enrollments) - 1, self.count("SELECT count(*) FROM enrollments WHERE tenant_id = $T"))
        self.assertGreater(len(enrollments), 1)

    def test_attendance_for_a_date_range_and_a_class(self):
        first, last = db_rows(self.server, f"SELECT min(date), max(date) FROM attendance"
                                           f" WHERE tenant_id = '{self.tenant}'")[0]
        if first in ("", "None"):
            first = last = "2026-01-05"
        rows = self.records("attendance", "--from", first, "--to", last)
        self.assertEqual(rows[0] if rows else None, ["date", "className", "admissionNo", "firstName", "lastName",
                                                      "status", "note"])
        total = self.count(f"SELECT count(*) FROM attendance WHERE tenant_id = $T AND date >= '{first}'"
                           f" AND date <= '{last}'")
        self.assertEqual(len(rows) - 1, total)
        self.assertTrue(all(first <= r[0] <= last for r in rows[1:]))
        cls = db_rows(self.server, f"SELECT id, name FROM classes WHERE tenant_id = '{self.tenant}' ORDER BY name")[0]
        one_day = self.records("attendance", "--from", last, "--to", last, "--class", cls[0])
        self.assertEqual(len(one_day) - 1, self.count(f"SELECT count(*) FROM attendance WHERE tenant_id = $T"
                                                      f" AND date = '{last}' AND class_id = '{cls[0]}'"))
        self.assertTrue(all(r[0] == last and r[1] == cls[1] for r in one_day[1:]))


if __name__ == "__main__":
    unittest.main()
