"""
The monthly attendance register (`school-erp register`, src/reports/register.h):
a school made through the API, attendance marked through the API, then the
command run on the server's database (SQLite, or PostgreSQL with
ERP_TEST_ENGINE=postgres), its PDF read back with poppler's tools (pdftotext,
pdftoppm, pdffonts, pdfinfo).

The month is the last one before today (so every day of it has happened,
whatever the clock); the term covers all of it, Monday to Friday, less one
holiday (a Wednesday). Class 5-A has seven students: five all month, one who
joins mid-month and one who leaves mid-month, marked on every school day with
a pattern of statuses, one mark left out. Class 5-B has 60 students (two
pages). What the register must show is computed here from what was sent.
"""

import datetime
import os
import re
import struct
import subprocess
import tempfile
import uuid

import dates
from harness import ServerTestCase, run
from world import World

STATUSES = ("present", "absent", "late", "excused")
CODES = {"present": "P", "absent": "A", "late": "L", "excused": "E"}
PATTERN = ("present", "present", "absent", "present", "late", "present", "excused")
FIRST = ["Aino", "Bruno", "Chloë", "Дмитрий", "Edda", "Femi", "Greta", "Hugo", "Ines", "Jun"]
LAST = ["Abbott", "Berg", "Costa", "Dahl", "Egan", "Foley", "Gil", "Holm", "Ito", "Jarvis"]
PAGE_PT = (842, 595)  # A4 landscape, rounded to whole points


def pdf_tool(*args):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", head
    return struct.unpack(">II", head[16:24])


def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert m, data[:20]
    return int(m.group(1)), int(m.group(2)), data[m.end():]


class RegisterTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="erp-register-")
        world = World(cls.server)
        cls.school, cls.other = world.A, world.B
        cls.admin = cls.school.client("admin")
        today = dates.today(cls.school.tenant["timeZone"])
        cls.last = today.replace(day=1) - dates.DAY
        cls.first = cls.last.replace(day=1)
        cls.month = cls.first.strftime("%Y-%m")
        cls.holiday = dates.on_or_after(cls.first + dates.DAY * 7, dates.WEDNESDAY)
        cls.days = dates.school_days(cls.first, cls.last, holidays=[cls.holiday])
        cls._calendar()
        cls.small = cls._class("A", 7, teacher=True)
        cls.big = cls._class("B", 60)
        cls._mark_small()
        cls._mark_big()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        super().tearDownClass()

    # ---------------------------------------------------------------- the fixture

    @classmethod
    def _calendar(cls):
        t = dates.iso
        cls.year_start = cls.first - dates.DAY * 60
        year = cls.admin.post("/api/v1/academic-years", json={
            "name": "Register year", "startDate": t(cls.year_start), "endDate": t(cls.last + dates.DAY * 200),
            "isCurrent": True}, expect=201).json
        cls.year = year
        cls.admin.post("/api/v1/terms", json={"academicYearId": year["id"], "name": "Register term",
                                              "startDate": t(cls.first - dates.DAY * 30),
                                              "endDate": t(cls.last + dates.DAY * 30)}, expect=201)
        cls.admin.post("/api/v1/holidays", json={"date": t(cls.holiday), "name": "Register holiday"}, expect=201)

    @classmethod
    def _class(cls, section, n, teacher=False):
        body = {"academicYearId": cls.year["id"], "gradeLevel": 5, "section": section}
        if teacher:
            cls.teacher = cls.admin.post("/api/v1/teachers", json={
                "employeeNo": "REG-T1", "firstName": "Ada", "lastName": "Lovelace"}, expect=201).json
            body["classTeacherId"] = cls.teacher["id"]
        c = cls.admin.post("/api/v1/classes", json=body, expect=201).json
        c["students"] = []
        for i in range(n):
            # distinct one-word names, sorted by last name as created
            last = f"{LAST[i // 10 % 10]}{chr(ord('a') + i % 10)}{section.lower()}"
            s = cls.admin.post("/api/v1/students", json={
                "admissionNo": f"REG-{section}-{i:03d}", "firstName": FIRST[i % 10], "lastName": last,
                "dateOfBirth": "2014-03-04"}, expect=201).json
            c["students"].append(s)
        return c

    @classmethod
    def _enroll(cls, student, klass, start):
        res = cls.admin.post("/api/v1/enrollments", json={"studentId": student["id"], "classId": klass["id"],
                                                          "startDate": dates.iso(start)}, expect=201)
        return res.json, res.headers["etag"]

    @classmethod
    def _mark_small(cls):
        """Enrolls and marks 5-A; cls.expected[name] = (cells of the month's days, P, A, L, E, days enrolled)."""
        students = cls.small["students"]
        cls.join_day, cls.leave_day = cls.days[10], cls.days[5]
        spans = {}
        for i, s in enumerate(students):
            start = cls.join_day if i == 5 else cls.year_start
            e, etag = cls._enroll(s, cls.small, start)
            end = None
            if i == 6:
                end = cls.leave_day
                cls.admin.post(f"/api/v1/enrollments/{e['id']}/end", json={"endDate": dates.iso(end),
                                                                           "reason": "moved away"},
                               headers={"If-Match": etag}, expect=200)
            spans[s["id"]] = (start, end or datetime.date.max)
        marks = {s["id"]: {} for s in students}
        for k, d in enumerate(cls.days):
            sheet = []
            for i, s in enumerate(students):
                start, end = spans[s["id"]]
                if not start <= d <= end or (i == 4 and k == 2):  # 5th student's third day left unmarked
                    continue
                status = PATTERN[(k * 3 + i) % len(PATTERN)]
                sheet.append({"studentId": s["id"], "status": status})
                marks[s["id"]][d] = status
            cls.admin.put(f"/api/v1/classes/{cls.small['id']}/attendance/{dates.iso(d)}", json={"marks": sheet},
                          expect=200)
        cls.expected = {}
        for s in students:
            start, end = spans[s["id"]]
            cells = []
            for d in dates.between(cls.first, cls.last):
                if d in marks[s["id"]]:
                    cells.append(CODES[marks[s["id"]][d]])
                elif d in cls.days and not start <= d <= end:
                    cells.append("-")
            counts = [sum(1 for v in marks[s["id"]].values() if v == st) for st in STATUSES]
            enrolled = sum(1 for d in cls.days if start <= d <= end)
            cls.expected[f"{s['lastName']}, {s['firstName']}"] = (cells, counts + [enrolled])

    @classmethod
    def _mark_big(cls):
        for s in cls.big["students"]:
            cls._enroll(s, cls.big, cls.year_start)
        for d in cls.days[:2]:
            cls.admin.put(f"/api/v1/classes/{cls.big['id']}/attendance/{dates.iso(d)}", json={
                "marks": [{"studentId": s["id"], "status": "present"} for s in cls.big["students"]]}, expect=200)

    # ---------------------------------------------------------------- running the command

    def register(self, *args, school=None):
        """Runs `school-erp register` on the server's database; (CompletedProcess, output path)."""
        out = os.path.join(self.tmp.name, f"{uuid.uuid4().hex}.pdf")
        cmd = [self.server.binary, "register", "--school", school or self.school.id, *args, "-o", out]
        return run(cmd, env=self.server.environment(), timeout=120), out

    def pdf_of(self, *args):
        r, out = self.register(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.getsize(out) > 1000, out)
        return out

    def small_pdf(self):
        if not hasattr(type(self), "_small_pdf"):
            type(self)._small_pdf = self.pdf_of("--class", self.small["id"], "--month", self.month)
        return self._small_pdf

    def pages(self, pdf):
        return int(re.search(r"^Pages:\s+(\d+)", pdf_tool("pdfinfo", pdf), re.M).group(1))

    # ---------------------------------------------------------------- the tests

    def test_every_student_with_marks_and_totals(self):
        text = pdf_tool("pdftotext", "-layout", self.small_pdf(), "-")
        self.assertIn(self.school.tenant["name"], text)
        self.assertIn(f"Attendance register \u2014 {self.first.strftime('%B %Y')}", text)
        self.assertIn(f"Class {self.small['name']}", text)
        self.assertIn("Class teacher: Ada Lovelace", text)
        self.assertIn("Page 1 of 1", text)
        for n, (name, (cells, totals)) in enumerate(sorted(self.expected.items()), start=1):
            line = next((ln for ln in text.splitlines() if name in ln), None)
            self.assertIsNotNone(line, f"{name} not in the register:\n{text}")
            words = line.split()
            self.assertEqual(words[0], str(n), line)  # numbered in roster order
            after = words[3:]  # "n", "Last,", "First", then the cells and the totals
            self.assertEqual(after[:-6], cells, f"cells of {name}: {line}")
            self.assertEqual([int(w) for w in after[-6:-1]], totals, f"totals of {name}: {line}")

    def test_joined_and_left_mid_month(self):
        students = self.small["students"]
        joiner, leaver = self.expected[f"{students[5]['lastName']}, {students[5]['firstName']}"], \
            self.expected[f"{students[6]['lastName']}, {students[6]['firstName']}"]
        self.assertEqual(joiner[0][:10], ["-"] * 10)
        self.assertNotIn("-", joiner[0][10:])
        self.assertEqual(leaver[0][6:], ["-"] * (len(self.days) - 6))
        self.assertEqual(joiner[1][-1], len(self.days) - 10)
        self.assertEqual(leaver[1][-1], 6)
        # and the register says so (the cells are checked against these in the test above)
        text = pdf_tool("pdftotext", "-layout", self.small_pdf(), "-")
        self.assertIn(students[5]["lastName"], text)
        self.assertIn(students[6]["lastName"], text)

    def test_page_one_renders(self):
        prefix = os.path.join(self.tmp.name, "page")
        pdf_tool("pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", self.small_pdf(), prefix)
        png = prefix + "-1.png"
        self.assertGreater(os.path.getsize(png), 5000)
        w, h = png_size(png)
        self.assertTrue(abs(w - PAGE_PT[0]) <= 1 and abs(h - PAGE_PT[1]) <= 1, (w, h))

    def test_fonts_are_embedded(self):
        rows = pdf_tool("pdffonts", self.small_pdf()).splitlines()[2:]
        self.assertTrue(rows, "no fonts")
        for row in rows:
            cols = row.split()
            # name type… encoding emb sub uni object ID: emb is the fifth field from the end
            self.assertEqual(cols[-5], "yes", row)
        self.assertTrue(any("DejaVuSans" in row for row in rows), rows)

    def test_the_holiday_is_shaded_and_unmarked(self):
        pdf = self.small_pdf()
        bbox = pdf_tool("pdftotext", "-bbox", "-f", "1", "-l", "1", pdf, "-")
        words = [(float(x0), float(y0), float(x1), float(y1), w) for x0, y0, x1, y1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox)]
        heads = [w for w in words if w[4] in (str(self.holiday.day), str(self.days[0].day)) and 80 < w[1] < 105]
        first_student = next(w for w in words if w[4] == str(1) and w[0] < 60 and w[1] > 100)
        row_y = (first_student[1] + first_student[3]) / 2

        def column_x(day):
            return next((w[0] + w[2]) / 2 for w in heads if w[4] == str(day.day))

        prefix = os.path.join(self.tmp.name, "shade")
        pdf_tool("pdftoppm", "-r", "72", "-f", "1", "-l", "1", pdf, prefix)
        width, _, rgb = read_ppm(prefix + "-1.ppm")

        def grey_at(x, y):
            # the lightest pixel around (x, y), away from the mark's glyph: the cell's background
            return max(rgb[(int(y) + dy) * width * 3 + (int(x) + dx) * 3] for dx in (-5, 5) for dy in (-3, 3))

        self.assertLess(grey_at(column_x(self.holiday), row_y), 235, "the holiday's cell is not shaded")
        self.assertGreater(grey_at(column_x(self.days[0]), row_y), 245, "a school day's cell is shaded")
        # no marks on the holiday: each row's cells (checked above) are the school days only; the day totals too
        text = pdf_tool("pdftotext", "-layout", pdf, "-")
        present = next(ln for ln in text.splitlines() if ln.split()[:1] == ["Present"])
        self.assertEqual(len(present.split()) - 1, len(self.days), present)

    def test_sixty_students_take_pages_with_the_header_repeated(self):
        pdf = self.pdf_of("--class", self.big["id"], "--month", self.month)
        n = self.pages(pdf)
        self.assertGreaterEqual(n, 2)
        seen = []
        for p in range(1, n + 1):
            text = pdf_tool("pdftotext", "-layout", "-f", str(p), "-l", str(p), pdf, "-")
            self.assertIn(self.school.tenant["name"], text, f"page {p}")
            self.assertIn(f"Class {self.big['name']}", text, f"page {p}")
            self.assertIn(self.first.strftime("%B %Y"), text, f"page {p}")
            self.assertIn(f"Page {p} of {n}", text)
            seen += [s for s in self.big["students"] if f"{s['lastName']}, {s['firstName']}" in text]
        self.assertEqual(sorted(s["id"] for s in seen), sorted(s["id"] for s in self.big["students"]))
        self.assertEqual(len(seen), 60)  # each once

    def test_a_grade_prints_its_classes_one_after_another(self):
        pdf = self.pdf_of("--grade", "5", "--month", self.month)
        text = pdf_tool("pdftotext", "-layout", pdf, "-")
        self.assertLess(text.index(f"Class {self.small['name']}"), text.index(f"Class {self.big['name']}"))
        big = self.pdf_of("--class", self.big["id"], "--month", self.month)
        self.assertEqual(self.pages(pdf), 1 + self.pages(big))

    def test_bad_arguments_are_refused_with_a_reason(self):
        cases = [
            (["--class", "not-a-uuid", "--month", self.month], 2, "class id must be a UUID"),
            (["--class", str(uuid.uuid4()), "--month", self.month], 4, "no class"),
            (["--class", self.small["id"], "--month", "2024-13"], 2, "--month must be YYYY-MM"),
            (["--class", self.small["id"], "--month", "2024-1"], 2, "--month must be YYYY-MM"),
            (["--class", self.small["id"], "--month", "last"], 2, "--month must be YYYY-MM"),
            (["--class", self.small["id"], "--month", "1999-12"], 2, "years 2000-2099"),
            (["--class", self.small["id"]], 2, "usage:"),
            (["--month", self.month], 2, "usage:"),
            (["--grade", "14", "--month", self.month], 2, "--grade must be 0-13"),
            (["--grade", "9", "--month", self.month], 4, "no class of grade 9"),
        ]
        for args, status, message in cases:
            with self.subTest(args=args):
                r, out = self.register(*args)
                self.assertEqual(r.returncode, status, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertFalse(os.path.exists(out))
        # another school's class is no class of this school; an unknown school is no school
        r, out = self.register("--class", self.small["id"], "--month", self.month, school=self.other.id)
        self.assertEqual((r.returncode, os.path.exists(out)), (4, False), r.stderr)
        self.assertIn("no class", r.stderr)
        r, out = self.register("--class", self.small["id"], "--month", self.month, school=str(uuid.uuid4()))
        self.assertEqual((r.returncode, os.path.exists(out)), (4, False), r.stderr)
        self.assertIn("no school", r.stderr)

    def test_the_current_month_counts_up_to_today_in_the_school_time_zone(self):
        today = dates.today(self.school.tenant["timeZone"])
        first, term_end = today.replace(day=1), self.last + dates.DAY * 30
        passed = dates.school_days(first, min(today, term_end))
        pdf = self.pdf_of("--class", self.small["id"], "--month", first.strftime("%Y-%m"))
        text = pdf_tool("pdftotext", "-layout", pdf, "-")
        s = self.small["students"][0]  # enrolled all month, nothing marked yet this month
        line = next(ln for ln in text.splitlines() if f"{s['lastName']}, {s['firstName']}" in ln)
        self.assertEqual(line.split()[3:], ["0", "0", "0", "0", str(len(passed)), "\u2014"], line)
        present = next(ln for ln in text.splitlines() if ln.split()[:1] == ["Present"])
        self.assertEqual(present.split()[1:], ["0"] * len(passed), present)  # no counts for the days to come

    def test_to_standard_output(self):
        cmd = [self.server.binary, "register", "--school", self.school.id, "--class", self.small["id"],
               "--month", self.month, "-o", "-"]
        r = subprocess.run(cmd, env=self.server.environment(), capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b"%PDF-") and r.stdout.rstrip().endswith(b"%%EOF"), r.stdout[:20])
        with open(self.small_pdf(), "rb") as f:
            self.assertEqual(len(r.stdout), len(f.read()))

    def test_the_class_id_is_read_in_any_case(self):
        pdf = self.pdf_of("--class", self.small["id"].upper(), "--month", self.month)
        self.assertIn("Class teacher: Ada Lovelace", pdf_tool("pdftotext", pdf, "-"))
