"""
test_oneroster_csv.py - OneRoster 1.1 CSV import and export (`school-erp oneroster`), on the server's own
database (SQLite, or PostgreSQL with ERP_TEST_ENGINE=postgres), checked through the HTTP API.

The input is the real sample in shared/data/oneroster-1.1-sample (one district, one high school, 8 students,
2 teachers, 2 scheduled classes of 2 courses over 2 semesters, 24 enrollments).
"""

import json
import os
import shutil
import tempfile
import unittest
import zipfile

from fixtures_academic import Demo
from harness import SANITIZER_RE, ServerTestCase, run, skip_allowed
from world import World

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE_DIRS = [
    os.environ.get("ERP_TEST_ONEROSTER_SAMPLE", ""),
    os.path.join(ROOT, "..", "shared", "data", "oneroster-1.1-sample"),
    "/work/shared/data/oneroster-1.1-sample",
]
SAMPLE = next((d for d in SAMPLE_DIRS if d and os.path.isfile(os.path.join(d, "manifest.csv"))), None)


def read_text(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def read_csv_files(folder):
    return {n: read_text(os.path.join(folder, n)) for n in os.listdir(folder) if n.endswith(".csv")}


def write_set(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return folder


class OneRosterCase(ServerTestCase):
    SERVER_ENV = {"ERP_CACHE": "off"}  # the command writes behind the server's back

    @classmethod
    def setUpClass(cls):
        if SAMPLE is None:
            skip_allowed("the OneRoster sample (shared/data/oneroster-1.1-sample) is not on this machine")
        super().setUpClass()
        cls.world = World(cls.server)
        cls.tmp = tempfile.mkdtemp(prefix="erp-oneroster-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", None) or "/nonexistent", ignore_errors=True)
        super().tearDownClass()

    # -- helpers

    def new_school(self, name):
        from world import School
        return School(self.server, self.world.platform, name)

    def cli(self, *args):
        r = run([self.server.binary, "oneroster", *args], env=self.server.environment(), timeout=120)
        self.assertIsNone(SANITIZER_RE.search(r.stderr), r.stderr[-5000:])
        return r

    def import_path(self, school, path, expect_rc=0):
        r = self.cli("import", path, "--school", school.slug)
        self.assertEqual(r.returncode, expect_rc, r.stdout[-3000:] + r.stderr[-2000:])
        return json.loads(r.stdout)

    def all_items(self, client, path):
        items, cursor = [], None
        sep = "&" if "?" in path else "?"
        while True:
            doc = client.get(path + sep + "limit=100" + (f"&cursor={cursor}" if cursor else ""), expect=200).json
            items += doc["items"]
            cursor = doc.get("nextCursor")
            if not cursor:
                return items

    def counts(self, school):
        admin = school.client("admin")
        years = self.all_items(admin, "/api/v1/academic-years")
        classes = self.all_items(admin, "/api/v1/classes")
        terms = sum(len(self.all_items(admin, f"/api/v1/terms?academicYearId={y['id']}")) for y in years)
        assignments = sum(len(admin.get(f"/api/v1/classes/{c['id']}/subjects", expect=200).json["items"])
                          for c in classes)
        enrollments = sum(len(self.all_items(admin, f"/api/v1/enrollments?classId={c['id']}")) for c in classes)
        return {
            "students": len(self.all_items(admin, "/api/v1/students")),
            "teachers": len(self.all_items(admin, "/api/v1/teachers")),
            "classes": len(classes), "years": len(years), "terms": terms,
            "subjects": len(self.all_items(admin, "/api/v1/subjects")),
            "assignments": assignments, "enrollments": enrollments,
        }

    def assert_nothing_changed(self, report):
        for kind, c in report["counts"].items():
            self.assertEqual((kind, c["created"], c["updated"], c["deleted"]), (kind, 0, 0, 0), report)

    def sample(self):
        return read_csv_files(SAMPLE)

    # -- tests

    SAMPLE_COUNTS = {"students": 8, "teachers": 2, "classes": 2, "years": 1, "terms": 2, "subjects": 2,
                     "assignments": 2, "enrollments": 20}

    def test_sample_imports_once(self):
        school = self.new_school("Sample")
        report = self.import_path(school, SAMPLE)
        self.assertEqual(report["errorCount"], 0, report)
        self.assertEqual(report["school"], "255901001")
        self.assertEqual(report["counts"]["students"]["created"], 8)
        self.assertEqual(report["counts"]["accounts"]["created"], 10)
        self.assertEqual(self.counts(school), self.SAMPLE_COUNTS)
        admin = school.client("admin")
        mary = [s for s in self.all_items(admin, "/api/v1/students") if s["lastName"] == "Archer"][0]
        self.assertEqual((mary["firstName"], mary["dateOfBirth"], mary["gender"], mary["admissionNo"]),
                         ("Mary", "1997-05-30", "female", "604863"))
        classes = {c["name"]: c for c in self.all_items(admin, "/api/v1/classes")}
        self.assertEqual(set(classes), {"ENG-1", "ALG-1"})
        self.assertEqual((classes["ENG-1"]["gradeLevel"], classes["ENG-1"]["section"]), (9, "English I"))
        teachers = {t["id"]: t["lastName"] for t in self.all_items(admin, "/api/v1/teachers")}
        subj = admin.get(f"/api/v1/classes/{classes['ALG-1']['id']}/subjects", expect=200).json["items"]
        self.assertEqual([teachers[s["teacherId"]] for s in subj], ["Christian"])
        users = {u["email"] for u in self.all_items(admin, "/api/v1/users")}
        self.assertIn("mary.archer@studentgps.org", users)

        again = self.import_path(school, SAMPLE)
        self.assert_nothing_changed(again)
        self.assertEqual(self.counts(school), self.SAMPLE_COUNTS)

        # a delta file of classes alone: its terms were imported before
        delta = {"manifest.csv": "propertyName,value\noneroster.version,1.1\nfile.classes,delta\n",
                 "classes.csv": self.sample()["classes.csv"].replace(",ALG-1,09,", ",Algebra 1 (9th),09,")}
        report = self.import_path(school, write_set(os.path.join(self.tmp, "delta-classes"), delta))
        self.assertEqual(report["counts"]["classes"], {"created": 0, "updated": 1, "unchanged": 1, "deleted": 0})
        self.assertIn("Algebra 1 (9th)", {c["name"] for c in self.all_items(admin, "/api/v1/classes")})
        classes["ALG-1"] = admin.get(f"/api/v1/classes/{classes['ALG-1']['id']}", expect=200).json

        # a change the database refuses (ALG-1 taking ENG-1's section) is a row error and nothing is written
        files = self.sample()
        files["classes.csv"] = files["classes.csv"].replace(",Algebra I,scheduled,220,", ",English I,scheduled,221,")
        files["courses.csv"] = files["courses.csv"].replace(",Algebra I,ALG-1,", ",Algebra One,ALG-1,")  # written first
        report = self.import_path(school, write_set(os.path.join(self.tmp, "taken"), files), expect_rc=1)
        self.assertEqual([(e["file"], e["line"]) for e in report["errors"]], [("classes.csv", 3)], report)
        self.assertIn("already taken", report["errors"][0]["reason"])
        self.assertEqual(classes["ALG-1"]["section"], admin.get(f"/api/v1/classes/{classes['ALG-1']['id']}",
                                                                expect=200).json["section"])
        self.assertEqual(sorted(s["name"] for s in self.all_items(admin, "/api/v1/subjects")),
                         ["Algebra I", "English I"])

    def test_zip_from_memory_path(self):
        school = self.new_school("Zip")
        path = os.path.join(self.tmp, "sample.zip")
        with zipfile.ZipFile(path, "w") as z:  # in a folder inside the zip, as exporters often do
            for name, text in self.sample().items():
                z.writestr("OneRoster/" + name, text)
        report = self.import_path(school, path)
        self.assertEqual(report["errorCount"], 0, report)
        self.assertEqual(self.counts(school), self.SAMPLE_COUNTS)
        self.assert_nothing_changed(self.import_path(school, path))

    def test_broken_files_import_nothing(self):
        school = self.new_school("Broken")
        files = self.sample()
        files["academicSessions.csv"] = files["academicSessions.csv"].replace("2020-12-18", "2020-12-32", 1)
        lines = files["enrollments.csv"].split("\n")
        lines[3] = lines[3].replace("25590100102Trad220ALG112011", "NO-SUCH-CLASS")
        files["enrollments.csv"] = "\n".join(lines)
        report = self.import_path(school, write_set(os.path.join(self.tmp, "broken"), files), expect_rc=1)
        errors = {(e["file"], e["line"], e["column"]) for e in report["errors"]}
        self.assertEqual(errors, {("academicSessions.csv", 3, "endDate"), ("enrollments.csv", 4, "classSourcedId")},
                         report)
        self.assertEqual(self.counts(school), {k: 0 for k in self.SAMPLE_COUNTS})

        files = self.sample()
        files["courses.csv"] = files["courses.csv"].replace("sourcedId,", "id,", 1)
        report = self.import_path(school, write_set(os.path.join(self.tmp, "nocolumn"), files), expect_rc=1)
        self.assertEqual([(e["file"], e["line"], e["column"]) for e in report["errors"]],
                         [("courses.csv", 1, "sourcedId")], report)
        self.assertEqual(self.counts(school), {k: 0 for k in self.SAMPLE_COUNTS})

        files = self.sample()
        files["manifest.csv"] = files["manifest.csv"].replace("file.users,bulk", "file.users,sometimes")
        report = self.import_path(school, write_set(os.path.join(self.tmp, "badmanifest"), files), expect_rc=1)
        self.assertEqual([(e["file"], e["line"], e["column"]) for e in report["errors"]],
                         [("manifest.csv", 10, "value")], report)
        # a conflict found while writing (two classes of one grade and year with one section) rolls back everything
        files = self.sample()
        files["classes.csv"] = files["classes.csv"].replace(",Algebra I,scheduled,", ",English I,scheduled,")
        report = self.import_path(school, write_set(os.path.join(self.tmp, "conflict"), files), expect_rc=1)
        self.assertEqual([(e["file"], e["line"]) for e in report["errors"]], [("classes.csv", 3)], report)
        self.assertIn("25590100101Trad120ENG112011", report["errors"][0]["reason"])
        self.assertEqual(self.counts(school), {k: 0 for k in self.SAMPLE_COUNTS})

        bad_zip = os.path.join(self.tmp, "not-a.zip")
        with open(bad_zip, "wb") as f:
            f.write(b"PK\x03\x04 this is not a zip archive")
        report = self.import_path(school, bad_zip, expect_rc=1)
        self.assertIn("not a readable zip", report["error"])

        files = self.sample()
        del files["manifest.csv"]
        report = self.import_path(school, write_set(os.path.join(self.tmp, "nomanifest"), files), expect_rc=1)
        self.assertEqual(report["errors"][0]["file"], "manifest.csv")
        files = self.sample()
        files["users.csv"] = files["users.csv"].replace(",student,Mary Archer", ",pupil,Mary Archer")
        report = self.import_path(school, write_set(os.path.join(self.tmp, "badrole"), files), expect_rc=1)
        self.assertIn(("users.csv", 2, "role"), {(e["file"], e["line"], e["column"]) for e in report["errors"]})
        self.assertEqual(self.counts(school), {k: 0 for k in self.SAMPLE_COUNTS})

    def test_export_reimport_round_trips(self):
        source = self.new_school("Source")
        self.import_path(source, SAMPLE)
        before = self.counts(source)
        out = os.path.join(self.tmp, "export.zip")
        r = self.cli("export", "--school", source.slug, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            users = z.read("users.csv").decode()
        self.assertTrue({"manifest.csv", "orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv",
                         "users.csv", "enrollments.csv", "demographics.csv"} <= names, names)
        self.assertTrue(users.startswith("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,"))
        self.assertIn("\r\n604863,", users, "imported records keep their sourcedIds")

        target = self.new_school("Target")
        report = self.import_path(target, out)
        self.assertEqual(report["errorCount"], 0, report)
        self.assertEqual(self.counts(target), before)
        self.assert_nothing_changed(self.import_path(target, out))
        folder = os.path.join(self.tmp, "export-dir")
        self.assertEqual(self.cli("export", "--school", target.slug, "-o", folder).returncode, 0)
        self.assert_nothing_changed(self.import_path(target, folder))

        # a school's own records (made through the API) export with our ids as sourcedIds
        admin = target.client("admin")
        t = admin.post("/api/v1/teachers", json={"employeeNo": "T-NEW", "firstName": "Nia", "lastName": "Okafor"},
                       expect=201).json
        self.assertEqual(self.cli("export", "--school", target.slug, "-o", folder).returncode, 0)
        self.assertIn(f"\r\n{t['id']},", read_text(os.path.join(folder, "users.csv")))

    def test_guardians_and_audit(self):
        school = self.new_school("Family")
        files = self.sample()
        files["users.csv"] = files["users.csv"].rstrip("\n") + (
            "\nP-1,,,true,255901001,parent,Ann Archer,,Ann,Archer,,,Ann.Archer@example.org,,555-0100,604863,,"
            "\nR-1,,,true,255901001,relative,Bob Hughes,,Bob,Hughes,,,,,,604874,,"
            "\nA-1,,,true,255901001,aide,Cy Aide,,Cy,Aide,,,cy@example.org,,,,,\n")
        folder = write_set(os.path.join(self.tmp, "family"), files)
        report = self.import_path(school, folder)
        self.assertEqual(report["counts"]["guardians"]["created"], 2, report)
        self.assertEqual(report["counts"]["accounts"]["created"], 11, "the parent has an account, the aide none")
        self.assertEqual(report["skipped"], 1, "the aide")
        admin = school.client("admin")
        students = {s["lastName"]: s for s in self.all_items(admin, "/api/v1/students")}
        mary = admin.get(f"/api/v1/students/{students['Archer']['id']}", expect=200).json
        kyle = admin.get(f"/api/v1/students/{students['Hughes']['id']}", expect=200).json
        self.assertEqual([g["relationship"] for g in mary["guardians"]], ["guardian"])
        self.assertEqual([g["relationship"] for g in kyle["guardians"]], ["other"])
        parent = [u for u in self.all_items(admin, "/api/v1/users") if u["email"] == "ann.archer@example.org"]
        self.assertEqual(parent[0]["roles"], ["parent"])
        created = self.all_items(admin, "/api/v1/audit-events?action=student.create")
        self.assertEqual(len(created), 8)
        self.assertTrue(all(e["detail"] == "oneroster import" for e in created), created[:1])
        self.assertEqual(len(self.all_items(admin, "/api/v1/audit-events?action=import.oneroster")), 1)
        again = self.import_path(school, folder)
        self.assert_nothing_changed(again)
        self.assertEqual(len(self.all_items(admin, "/api/v1/audit-events?action=student.create")), 8)

    def test_bulk_files_are_complete(self):
        """In a bulk file, a record imported before and left out is deleted as if marked tobedeleted."""
        school = self.new_school("Bulk")
        self.import_path(school, SAMPLE)
        files = self.sample()
        files["users.csv"] = "".join(l for l in files["users.csv"].splitlines(True) if not l.startswith("604969,"))
        files["enrollments.csv"] = "".join(
            l for l in files["enrollments.csv"].splitlines(True)
            if ",604969,student," not in l and not l.startswith("0F465D5B-"))  # Stephen; a teacher's Fall row
        folder = write_set(os.path.join(self.tmp, "bulk"), files)
        report = self.import_path(school, folder)
        counts = {k: (c["created"], c["updated"], c["deleted"]) for k, c in report["counts"].items()}
        self.assertEqual(counts["students"], (0, 0, 1), report)
        self.assertEqual(counts["enrollments"], (0, 0, 2), report)
        self.assertEqual(counts["teachingAssignments"], (0, 0, 0), "the Spring row still names the assignment")
        self.assertEqual(self.counts(school), dict(self.SAMPLE_COUNTS, students=7, enrollments=18))
        self.assert_nothing_changed(self.import_path(school, folder))

    def test_demo_school_round_trips(self):
        """A school made with the API (classes taught several subjects, class teachers, guardians) round-trips."""
        demo = Demo(self.server, students=30)
        before = self.counts(demo)
        self.assertGreater(before["assignments"], before["classes"], "the demo's classes are taught several subjects")
        out = os.path.join(self.tmp, "demo.zip")
        self.assertEqual(self.cli("export", "--school", "demo", "-o", out).returncode, 0)
        target = self.new_school("DemoCopy")
        report = self.import_path(target, out)
        self.assertEqual(report["errorCount"], 0, report)
        self.assertEqual(self.counts(target), before)
        admin, source = target.client("admin"), demo.client("admin")
        self.assertEqual(len(self.all_items(admin, "/api/v1/guardians")), len(self.all_items(source, "/api/v1/guardians")))
        teachers = lambda c: sorted((x["name"], x["classTeacherId"] is not None) for x in self.all_items(c, "/api/v1/classes"))
        self.assertEqual(teachers(admin), teachers(source))
        self.assert_nothing_changed(self.import_path(target, out))
        again = os.path.join(self.tmp, "demo-copy")
        self.assertEqual(self.cli("export", "--school", target.slug, "-o", again).returncode, 0)
        self.assert_nothing_changed(self.import_path(target, again))

    def test_tobedeleted(self):
        school = self.new_school("Delta")
        self.import_path(school, SAMPLE)
        admin = school.client("admin")
        files = self.sample()
        files["manifest.csv"] = ("propertyName,value\noneroster.version,1.1\nfile.users,delta\n"
                                 "file.enrollments,delta\n")
        files["users.csv"] = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,"
                              "familyName\n604863,tobedeleted,2021-02-01,,,,,,\n")
        files["enrollments.csv"] = ("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
                                    "userSourcedId,role\n"
                                    "D43AAE29-B248-4CF1-AE68-9F326DBCC7E8,tobedeleted,2021-02-01,,,,\n")
        for n in ["orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv", "demographics.csv"]:
            del files[n]
        report = self.import_path(school, write_set(os.path.join(self.tmp, "delta"), files))
        self.assertEqual(report["counts"]["students"]["deleted"], 1, report)
        self.assertEqual(report["counts"]["enrollments"]["deleted"], 1, report)
        names = {s["lastName"] for s in self.all_items(admin, "/api/v1/students")}
        self.assertNotIn("Archer", names)
        self.assertEqual(len(names), 7)
        self.assertEqual(self.counts(school)["enrollments"], 19)
        mary = [u for u in self.all_items(admin, "/api/v1/users") if u["email"] == "mary.archer@studentgps.org"]
        self.assertEqual(mary[0]["status"], "disabled")
        again = self.import_path(school, os.path.join(self.tmp, "delta"))
        self.assert_nothing_changed(again)


if __name__ == "__main__":
    unittest.main()
