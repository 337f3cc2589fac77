"""
Report cards as PDF: POST /report-cards {termId, classId} starts a job whose result names one PDF with a page per
student of the class in the term; GET /students/{id}/report-cards/{termId}/pdf answers one student's page at once.
Both are drawn from the report card JSON (GET /students/{id}/report-cards/{termId}), and read back here with
poppler's tools (pdfinfo, pdftotext, pdftoppm, pdffonts). The paper is the school's paperSize (A4 or Letter, set
by the platform on PATCH /tenants/{id}). Runs on both engines (ERP_TEST_ENGINE).

School A of a World with its people (fixtures_people): a class (teacher2 its class teacher, MATH taught by
"teacher", SCI by teacher2) of five students, a default letter scale, and two terms: "Draft term" never
published and "Final term" published in setUpClass after its marks, remarks and attendance were written.
"""

import json
import os
import shutil
import struct
import tempfile
import time
import uuid

import fixtures_people
from fixtures_assessment import taught_class
import test_register
from harness import ServerTestCase, wait_until
from world import World

tool = test_register.pdf_tool

V1 = "/api/v1"
CARDS, JOBS, FILES = f"{V1}/report-cards", f"{V1}/jobs", f"{V1}/files"
BANDS = [{"minPercent": 90, "label": "A", "gradePoint": 4}, {"minPercent": 80, "label": "B", "gradePoint": 3},
         {"minPercent": 70, "label": "C", "gradePoint": 2}, {"minPercent": 60, "label": "D", "gradePoint": 1},
         {"minPercent": 0, "label": "F", "gradePoint": 0}]
DRAFT = ("2024-09-02", "2024-12-20")
FINAL = ("2025-01-06", "2025-03-28")
A4, LETTER = (595.28, 841.89), (612.0, 792.0)


def number(v):
    return "\u2014" if v is None else f"{v:.2f}"


class ReportCardsTest(ServerTestCase):
    SERVER_ENV = {"ERP_SERVE_WORKERS": "2", "ERP_WORKER_POLL_MS": "20", "ERP_QUEUE_BACKOFF_MS": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="erp-cards-")
        cls.world = World(cls.server)
        school = cls.school = cls.world.A
        fixtures_people.build_school(school, "A")
        admin = cls.admin = school.client("admin")
        year = admin.post(f"{V1}/academic-years", json={"name": "Cards year", "startDate": "2024-09-01",
                                                        "endDate": "2025-07-31"}, expect=201).json
        cls.draft, cls.final = (admin.post(f"{V1}/terms", json={"academicYearId": year["id"], "name": name,
                                                                "startDate": s, "endDate": e}, expect=201).json["id"]
                                for name, (s, e) in (("Draft term", DRAFT), ("Final term", FINAL)))
        cls.cls, cls.math, cls.sci = taught_class(school, year["id"], "RC", 6)
        cls.students = [school.students["student"]["id"], school.students["other"]["id"]]
        for i, (first, last) in enumerate((("Chloë", "Åberg"), ("Femi", "Okafor"), ("Jun", "Ito"))):
            cls.students.append(admin.post(f"{V1}/students", json={
                "admissionNo": f"RC-{i}", "firstName": first, "lastName": last, "dateOfBirth": "2013-01-02"},
                expect=201).json["id"])
        for sid in cls.students:
            admin.post(f"{V1}/enrollments", json={"studentId": sid, "classId": cls.cls, "startDate": DRAFT[0]},
                       expect=201)
        admin.post(f"{V1}/grading-scales", json={"name": "Letters", "isDefault": True, "bands": BANDS}, expect=201)
        for term, day in ((cls.draft, "2024-10-07"), (cls.final, "2025-02-10")):
            cls._term_data(term, day)
        admin.post(f"{V1}/terms/{cls.final}/publish-grades", expect=200)

    @classmethod
    def _term_data(cls, term, day):
        admin, n = cls.admin, len(cls.students)
        for subject, top, teacher, name in ((cls.math, 40, "teacher", "maths"), (cls.sci, 20, "teacher2", "science")):
            aid = admin.post(f"{V1}/assessments", json={"classId": cls.cls, "subjectId": subject, "termId": term,
                                                        "name": f"Test {name}", "category": "test",
                                                        "date": day, "maxMarks": top}, expect=201).json["id"]
            marks = [{"studentId": sid, "mark": top - 3 * i - (1 if subject == cls.sci else 0) * 0.5}
                     for i, sid in enumerate(cls.students)]
            admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": marks}, expect=200)
            for i, sid in enumerate(cls.students[:3]):
                cls.school.client(teacher).put(f"{V1}/students/{sid}/remarks/{term}", json={
                    "subjectId": subject, "remark": f"Remark {i} on {name}: steady work and good questions "
                                                    f"in class, keeps notes tidy and helps others."}, expect=200)
        for i, sid in enumerate(cls.students):
            cls.school.client("teacher2").put(f"{V1}/students/{sid}/remarks/{term}",
                                              json={"remark": f"Class remark {i}: a good term."}, expect=200)
        for k, status in enumerate(("present", "absent", "late")):
            d = day[:-2] + f"{int(day[-2:]) + k:02d}"
            admin.put(f"{V1}/classes/{cls.cls}/attendance/{d}", json={"marks": [
                {"studentId": sid, "status": status} for sid in cls.students]}, expect=200)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("ERP_KEEP_PDF"):  # a folder to keep the PDFs in, to look at them
            shutil.copytree(cls.tmp.name, os.environ["ERP_KEEP_PDF"], dirs_exist_ok=True)
        cls.tmp.cleanup()
        super().tearDownClass()

    # ---- helpers

    def save(self, data, name):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def job_pdf(self, client, term, expect_pages=None):
        res = client.post(CARDS, json={"termId": term, "classId": self.cls})
        self.assertEqual(res.status, 202, res)
        jid = res.json["jobId"]
        self.assertEqual(res.headers["location"], f"{JOBS}/{jid}")
        job = wait_until(lambda: (lambda j: j if j["state"] in ("completed", "failed", "cancelled") else None)(
            client.get(f"{JOBS}/{jid}", expect=200).json), timeout=60, message=f"job {jid} finished")
        self.assertEqual(job["state"], "completed", job)
        result = job["result"]
        self.assertEqual((result["contentType"], result["classId"], result["termId"]),
                         ("application/pdf", self.cls, term))
        pdf = client.get(f"{FILES}/{result['fileId']}/content", expect=200).body
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:10])
        return self.save(pdf, f"{jid}.pdf"), result

    def info(self, path):
        out = {}
        for line in tool("pdfinfo", path).splitlines():
            k, _, v = line.partition(":")
            out[k.strip()] = v.strip()
        return out

    def page_size(self, path):
        w, _, h = self.info(path)["Page size"].split()[:3]
        return float(w), float(h)

    def page_text(self, path, page):
        return tool("pdftotext", "-layout", "-f", str(page), "-l", str(page), path, "-")

    def card(self, sid, term):
        return self.admin.get(f"{V1}/students/{sid}/report-cards/{term}", expect=200).json

    def assert_page_matches(self, text, card, draft):
        """The page shows what the JSON card says."""
        flat = " ".join(text.split())
        st = card["student"]
        self.assertIn(f"{st['firstName']} {st['lastName']}", flat)
        self.assertIn(st["admissionNo"], flat)
        self.assertIn(card["school"]["name"], flat)
        self.assertIn(card["term"]["name"], flat)
        self.assertIn(f"Class teacher: {card['class']['classTeacher']}", flat)
        for s in card["subjects"]:
            line = next((ln for ln in text.splitlines() if s["subjectName"] in ln), None)
            self.assertIsNotNone(line, (s["subjectName"], text))
            cells = line.split()
            self.assertIn(number(s["percentage"]), cells, line)
            self.assertIn(s["grade"], cells, line)
            self.assertIn(number(s["gradePoint"]), cells, line)
            if s["remark"]:
                self.assertIn(" ".join(s["remark"].split()[:4]), " ".join(cells))  # its first words on its line
                self.assertIn(s["remark"].split()[-1], flat)
        self.assertIn(f"Overall average: {number(card['averagePercentage'])} % · GPA: {number(card['gpa'])}", flat)
        a = card["attendance"]
        self.assertIn(f"present {a['present']} · absent {a['absent']} · late {a['late']} · excused {a['excused']}"
                      f" · marked days {a['marked']}", flat)
        self.assertIn(card["classTeacherRemark"], flat)
        self.assertEqual("Draft: the term’s grades are not published" in flat, draft, flat)

    # ---- the class's job

    def test_the_class_job_prints_a_page_per_student_matching_the_json_cards(self):
        path, result = self.job_pdf(self.admin, self.final)
        self.assertEqual(result["filename"], "report-cards.pdf")
        self.assertEqual(int(self.info(path)["Pages"]), len(self.students))
        self.assertEqual(self.page_size(path), A4)
        # pages follow the class list (last name, first name)
        cards = sorted((self.card(sid, self.final) for sid in self.students),
                       key=lambda c: (c["student"]["lastName"], c["student"]["firstName"]))
        self.assertTrue(all(c["published"] for c in cards))
        for page, card in enumerate(cards, start=1):
            self.assert_page_matches(self.page_text(path, page), card, draft=False)
        fonts = tool("pdffonts", path)
        self.assertIn("DejaVuSans", fonts)
        for line in fonts.splitlines()[2:]:
            self.assertEqual(line.split()[-5], "yes", f"font not embedded: {line}")  # the "emb" column
        prefix = os.path.join(self.tmp.name, "page")
        tool("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", path, prefix)
        png = [f for f in os.listdir(self.tmp.name) if f.startswith("page") and f.endswith(".png")]
        self.assertEqual(len(png), 1, png)
        with open(os.path.join(self.tmp.name, png[0]), "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        w, h = struct.unpack(">II", head[16:24])
        self.assertLessEqual(abs(w - A4[0] * 50 / 72), 1, w)  # pdftoppm rounds up
        self.assertLessEqual(abs(h - A4[1] * 50 / 72), 1, h)
        # the file is the asker's (and the office's), nobody else's
        self.school.client("staff").get(f"{FILES}/{result['fileId']}/content", expect=200)
        self.school.client("teacher2").get(f"{FILES}/{result['fileId']}/content", expect=404)

    def test_a_draft_term_prints_watermarked_for_the_office_and_class_teacher(self):
        for who in ("staff", "teacher2"):
            path, _ = self.job_pdf(self.school.client(who), self.draft)
            self.assertEqual(int(self.info(path)["Pages"]), len(self.students))
            card = self.card(self.students[0], self.draft)
            self.assertFalse(card["published"])
            text = tool("pdftotext", "-layout", path, "-")
            self.assertIn("Draft: the term’s grades are not published", " ".join(text.split()))

    # ---- one student's page

    def test_one_students_page_for_parents_only_after_publication(self):
        mine, theirs = self.students[0], self.students[1]
        parent, student, teacher = (self.school.client(k) for k in ("parent", "student", "teacher"))
        draft_path = f"{V1}/students/{mine}/report-cards/{self.draft}/pdf"
        self.assertProblem(parent.get(draft_path), 404)
        self.assertProblem(student.get(draft_path), 404)
        for c in (self.admin, teacher):
            res = c.get(draft_path, expect=200)
            self.assertTrue(res.headers["content-type"].startswith("application/pdf"), res.headers)
            path = self.save(res.body, f"draft-{uuid.uuid4().hex}.pdf")
            self.assertEqual(int(self.info(path)["Pages"]), 1)
            self.assert_page_matches(self.page_text(path, 1), self.card(mine, self.draft), draft=True)
        final_path = f"{V1}/students/{mine}/report-cards/{self.final}/pdf"
        for c in (parent, student):
            started = time.monotonic()
            res = c.get(final_path, expect=200)
            took = time.monotonic() - started
            self.assertLess(took, 5, "one page is drawn while the caller waits")
            self.assertTrue(res.headers["content-type"].startswith("application/pdf"), res.headers)
            path = self.save(res.body, f"final-{uuid.uuid4().hex}.pdf")
            self.assertEqual(int(self.info(path)["Pages"]), 1)
            self.assert_page_matches(self.page_text(path, 1), self.card(mine, self.final), draft=False)
        # another child, another school's child, no such term
        self.assertProblem(parent.get(f"{V1}/students/{theirs}/report-cards/{self.final}/pdf"), 404)
        self.assertProblem(student.get(f"{V1}/students/{theirs}/report-cards/{self.final}/pdf"), 404)
        b_child = self.world.B.students["student"]["id"] if getattr(self.world.B, "students", None) else uuid.uuid4()
        self.assertProblem(parent.get(f"{V1}/students/{b_child}/report-cards/{self.final}/pdf"), 404)
        self.assertProblem(self.admin.get(f"{V1}/students/{mine}/report-cards/{uuid.uuid4()}/pdf"), 404)
        self.assertProblem(self.admin.get(f"{V1}/students/not-a-uuid/report-cards/{self.final}/pdf"), 404)

    # ---- the paper

    def test_letter_or_a4_by_the_schools_setting(self):
        platform, path = self.world.platform, f"{V1}/tenants/{self.school.id}"

        def set_paper(paper):
            etag = platform.get(path, expect=200).headers["etag"]
            doc = platform.patch(path, json={"paperSize": paper}, headers={"If-Match": etag}, expect=200).json
            self.assertEqual(doc["paperSize"], paper)

        self.assertEqual(platform.get(path, expect=200).json["paperSize"], "A4")
        etag = platform.get(path, expect=200).headers["etag"]
        self.assertProblem(platform.patch(path, json={"paperSize": "A5"}, headers={"If-Match": etag}), 422,
                           fields=["paperSize"])
        set_paper("Letter")
        self.addCleanup(set_paper, "A4")
        one = self.admin.get(f"{V1}/students/{self.students[0]}/report-cards/{self.final}/pdf", expect=200).body
        self.assertEqual(self.page_size(self.save(one, "letter-one.pdf")), LETTER)
        path_job, _ = self.job_pdf(self.admin, self.final)
        self.assertEqual(self.page_size(path_job), LETTER)
        self.assertEqual(int(self.info(path_job)["Pages"]), len(self.students))
        set_paper("A4")
        one = self.admin.get(f"{V1}/students/{self.students[0]}/report-cards/{self.final}/pdf", expect=200).body
        self.assertEqual(self.page_size(self.save(one, "a4-one.pdf")), A4)

    # ---- who may ask, and what

    def test_roles_and_validation(self):
        body = {"termId": self.final, "classId": self.cls}
        teacher = self.school.client("teacher")  # teaches MATH in the class, is not its class teacher
        self.assertProblem(teacher.post(CARDS, json=body), 404)
        for role in ("parent", "student"):
            self.assertProblem(self.school.client(role).post(CARDS, json=body), 403)
        self.assertProblem(self.admin.post(CARDS, json={}), 422, fields=["termId", "classId"])
        self.assertProblem(self.admin.post(CARDS, json={"termId": "x", "classId": self.cls, "extra": 1}), 422,
                           fields=["termId", "extra"])
        self.assertProblem(self.admin.post(CARDS, json={"termId": 5, "classId": None}), 422,
                           fields=["termId", "classId"])
        self.assertProblem(self.admin.post(CARDS, body="{", content_type="application/json"), 400)
        self.assertProblem(self.admin.post(CARDS, json=[body]), 400)
        self.assertProblem(self.admin.post(CARDS, body=b"termId", content_type="text/plain"), 415)
        self.assertProblem(self.admin.post(CARDS, body=json.dumps({"termId": "x" * (2 << 20)}),
                                           content_type="application/json"), 413)
        self.assertProblem(self.admin.post(CARDS, json=dict(body, classId=str(uuid.uuid4()))), 404)
        self.assertProblem(self.admin.post(CARDS, json=dict(body, termId=str(uuid.uuid4()))), 404)
        other = self.world.B.client("admin")
        self.assertProblem(other.post(CARDS, json=body), 404)  # school A's class and term, from school B
