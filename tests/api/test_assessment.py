"""
Assessment: grading scales, category weights, assessments, bulk marks, a student's term grades and the
publication of a term's grades. Runs on both engines (ERP_TEST_ENGINE).

The school is school A of a World (tests/api/world.py) with its people (fixtures_people): a class of a past
year's autumn term with five enrolled students and one who joined late, MATH taught by the "teacher" account and
SCI by "teacher2" (also the class teacher), a default letter scale. Each test makes its own assessments; the
publication tests use a term of their own. Expected grades are computed by hand in the comments, never by the
server's own arithmetic.
"""

import json
import unittest
import uuid

import fixtures_people
from fixtures_assessment import taught_class
from fixtures_daily import uncovered
from harness import Client, Contract, ServerTestCase, skip_allowed
from world import World

V1 = "/api/v1"
BANDS = [{"minPercent": 90, "label": "A", "descriptor": "Excellent", "gradePoint": 4},
         {"minPercent": 80, "label": "B", "gradePoint": 3}, {"minPercent": 70, "label": "C", "gradePoint": 2},
         {"minPercent": 60, "label": "D", "gradePoint": 1}, {"minPercent": 0, "label": "F", "gradePoint": 0}]
T1 = ("2024-09-02", "2024-12-20")
T2 = ("2025-01-06", "2025-03-28")
T3 = ("2025-04-07", "2025-06-27")


DOC = []  # the OpenAPI document, once a server ran
RAN = set()  # test classes that ran


class AssessmentCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        DOC[:] = [cls.server.openapi]
        cls.world = World(cls.server)
        school = cls.school = cls.world.A
        fixtures_people.build_school(school, "A")
        admin = cls.admin = school.client("admin")
        year = admin.post(f"{V1}/academic-years", json={"name": "Assessment year", "startDate": "2024-09-01",
                                                        "endDate": "2025-07-31"}, expect=201).json
        cls.terms = [admin.post(f"{V1}/terms", json={"academicYearId": year["id"], "name": f"Term {i + 1}",
                                                     "startDate": s, "endDate": e}, expect=201).json
                     for i, (s, e) in enumerate((T1, T2, T3))]
        cls.term, cls.term2, cls.term3 = (t["id"] for t in cls.terms)
        cls.cls, cls.math, cls.sci = taught_class(school, year["id"], "AS", 5)
        cls.art = admin.post(f"{V1}/subjects", json={"code": "AS-ART", "name": "Art"}, expect=201).json["id"]
        cls.student = school.students["student"]["id"]
        cls.students = [cls.student, school.students["other"]["id"]]
        for i in range(3):
            cls.students.append(admin.post(f"{V1}/students", json={
                "admissionNo": f"AS-{i}", "firstName": f"Kid{i}", "lastName": "Assess", "dateOfBirth": "2014-01-02"},
                expect=201).json["id"])
        for sid in cls.students:
            admin.post(f"{V1}/enrollments", json={"studentId": sid, "classId": cls.cls, "startDate": T1[0]},
                       expect=201)
        cls.late = admin.post(f"{V1}/students", json={"admissionNo": "AS-LATE", "firstName": "Lee", "lastName": "Late",
                                                      "dateOfBirth": "2014-03-04"}, expect=201).json["id"]
        admin.post(f"{V1}/enrollments", json={"studentId": cls.late, "classId": cls.cls, "startDate": "2024-11-01"},
                   expect=201)
        cls.outsider = admin.post(f"{V1}/students", json={"admissionNo": "AS-OUT", "firstName": "Otto",
                                                          "lastName": "Outside", "dateOfBirth": "2014-03-04"},
                                  expect=201).json["id"]
        cls.scale = admin.post(f"{V1}/grading-scales", json={"name": "Letters", "isDefault": True, "bands": BANDS},
                               expect=201).json

    def assessment(self, client=None, expect=201, **kw):
        body = {"classId": self.cls, "subjectId": self.math, "termId": self.term, "name": f"A {uuid.uuid4().hex[:6]}",
                "category": "test", "date": "2024-10-01", "maxMarks": 20}
        body.update(kw)
        return (client or self.admin).post(f"{V1}/assessments", json=body, expect=expect).json

    def marks(self, aid, marks, client=None, expect=200):
        return (client or self.admin).put(f"{V1}/assessments/{aid}/marks", json={"marks": marks}, expect=expect).json

    def sheet(self, aid):
        return {i["studentId"]: i["result"] for i in self.admin.get(f"{V1}/assessments/{aid}/marks", expect=200)
                .json["items"]}

    def grades(self, term, student=None, client=None):
        return (client or self.admin).get(f"{V1}/students/{student or self.student}/grades?termId={term}",
                                          expect=200).json


class TestScalesAndWeights(AssessmentCase):
    def test_scales(self):
        items = self.admin.get(f"{V1}/grading-scales", expect=200).json["items"]
        self.assertEqual([s["name"] for s in items], ["Letters"])
        self.assertTrue(items[0]["isDefault"])
        self.assertEqual([b["label"] for b in items[0]["bands"]], ["A", "B", "C", "D", "F"])
        self.assertEqual(items[0]["bands"][0], {"minPercent": 90, "label": "A", "descriptor": "Excellent",
                                                "gradePoint": 4})
        # every role of the school reads them
        self.school.client("parent").get(f"{V1}/grading-scales", expect=200)
        # a descriptors-only scale
        primary = self.admin.post(f"{V1}/grading-scales", json={"name": "Primary", "bands": [
            {"minPercent": 0, "label": "Working towards"}, {"minPercent": 50, "label": "Meeting"},
            {"minPercent": 85.5, "label": "Exceeding"}]}, expect=201).json
        self.assertFalse(primary["isDefault"])
        self.assertEqual([(b["minPercent"], b["gradePoint"]) for b in primary["bands"]],
                         [(85.5, None), (50, None), (0, None)])
        self.assertProblem(self.admin.post(f"{V1}/grading-scales", json={"name": "Primary", "bands": BANDS}), 409,
                           fields=["name"])
        self.assertProblem(self.admin.post(f"{V1}/grading-scales", json={"name": "No zero", "bands": BANDS[:4]}),
                           422, fields=["bands"])
        self.assertProblem(self.admin.post(f"{V1}/grading-scales", json={"name": "Twice", "bands": [
            {"minPercent": 0, "label": "X"}, {"minPercent": 0, "label": "Y"}]}), 422, fields=["bands[1].minPercent"])
        self.assertProblem(self.admin.post(f"{V1}/grading-scales", json={"name": "Bad", "bands": [
            {"minPercent": 100.001, "label": "X", "gradePoint": "4"}]}), 422,
            fields=["bands[0].minPercent", "bands[0].gradePoint"])
        self.assertProblem(self.admin.post(f"{V1}/grading-scales", json={"bands": "none", "extra": 1}), 422,
                           fields=["name", "bands", "extra"])
        self.assertProblem(self.admin.get(f"{V1}/grading-scales?cursor=not-a-cursor"), 400)
        self.assertProblem(self.admin.get(f"{V1}/grading-scales?limit=0"), 422, fields=["limit"])
        self.assertProblem(self.school.client("teacher").post(f"{V1}/grading-scales",
                                                              json={"name": "T", "bands": BANDS}), 403)
        # paging
        page = self.admin.get(f"{V1}/grading-scales?limit=1", expect=200).json
        self.assertEqual(len(page["items"]), 1)
        rest = self.admin.get(f"{V1}/grading-scales?limit=1&cursor={page['nextCursor']}", expect=200).json
        self.assertNotEqual(rest["items"][0]["id"], page["items"][0]["id"])

    def test_weights_must_add_up_to_100(self):
        path = f"{V1}/subjects/{self.art}/grade-weights"
        p = self.assertProblem(self.admin.put(path, json={"termId": self.term3, "weights": [
            {"category": "exam", "weight": 60}, {"category": "coursework", "weight": 30}]}), 422, fields=["weights"])
        self.assertIn("add up to 90", p["errors"][0]["message"])
        self.assertProblem(self.admin.put(path, json={"termId": self.term3, "weights": [
            {"category": "exam", "weight": 0}, {"category": "exam", "weight": 100}, {"weight": "x"}]}), 422,
            fields=["weights[0].weight", "weights[1].category", "weights[2].category", "weights[2].weight"])
        self.assertProblem(self.admin.put(path, json={"weights": [1]}), 422, fields=["termId", "weights[0]"])
        ok = self.admin.put(path, json={"termId": self.term3, "weights": [
            {"category": "exam", "weight": 60}, {"category": "coursework", "weight": 40}]}, expect=200).json
        self.assertEqual(ok["weights"], [{"category": "exam", "weight": 60}, {"category": "coursework", "weight": 40}])
        # an assessment's category must be weighted; a weighted category in use cannot be left out
        self.admin.post(f"{V1}/classes/{self.cls}/subjects", json={
            "subjectId": self.art, "teacherId": self.school.teachers["teacher"]["id"]}, expect=201)
        self.assertProblem(self.admin.post(f"{V1}/assessments", json={
            "classId": self.cls, "subjectId": self.art, "termId": self.term3, "name": "Sketch", "category": "test",
            "date": "2025-04-10", "maxMarks": 10}), 422, fields=["category"])
        self.assessment(subjectId=self.art, termId=self.term3, category="exam", date="2025-04-10")
        self.assertProblem(self.admin.put(path, json={"termId": self.term3, "weights": [
            {"category": "coursework", "weight": 100}]}), 422, fields=["weights"])
        self.assertProblem(self.admin.put(f"{V1}/subjects/{uuid.uuid4()}/grade-weights", json={
            "termId": self.term3, "weights": []}), 404)
        self.assertProblem(self.school.client("teacher").put(path, json={"termId": self.term3, "weights": []}), 403)
        events = self.admin.get(f"{V1}/audit-events?action=gradeWeights.update&subjectId={self.art}",
                                expect=200).json["items"]
        self.assertIn("[] -> [exam 60, coursework 40]", events[-1]["detail"])


class TestGrades(AssessmentCase):
    def test_weighted_grades_rounded_once_half_up(self):
        # MATH: exam 60 %, coursework 40 %
        self.admin.put(f"{V1}/subjects/{self.math}/grade-weights", json={"termId": self.term2, "weights": [
            {"category": "exam", "weight": 60}, {"category": "coursework", "weight": 40}]}, expect=200)
        kw = {"termId": self.term2, "date": "2025-02-03"}
        exam = self.assessment(category="exam", maxMarks=80, **kw)["id"]
        cw1 = self.assessment(category="coursework", maxMarks=20, **kw)["id"]
        cw2 = self.assessment(category="coursework", maxMarks=10, **kw)["id"]
        draft = self.assessment(category="exam", maxMarks=10, state="draft", **kw)["id"]
        other = self.students[1]
        self.marks(exam, [{"studentId": self.student, "mark": 69.7}, {"studentId": other, "status": "absent"}])
        self.marks(cw1, [{"studentId": self.student, "mark": 17.5}, {"studentId": other, "mark": 20}])
        self.marks(cw2, [{"studentId": self.student, "mark": 7}, {"studentId": other, "status": "excused"}])
        self.marks(draft, [{"studentId": self.student, "mark": 0}])
        # SCI: no weights, one pool: 45 of 50 = 90 %
        sci = self.assessment(subjectId=self.sci, category="test", maxMarks=50, **kw)["id"]
        self.marks(sci, [{"studentId": self.student, "mark": 45}])
        g = self.grades(self.term2)
        by = {s["subjectCode"]: s for s in g["subjects"]}
        # exam 69.7/80 = 0.87125; coursework (0.875 + 0.7) / 2 = 0.7875; 0.6 * 0.87125 + 0.4 * 0.7875 = 0.83775
        # -> 83.775 % -> 83.78 % (half up, once); the draft does not count
        self.assertEqual(by["AS-MATH"]["percentage"], 83.78)
        self.assertEqual((by["AS-MATH"]["grade"], by["AS-MATH"]["gradePoint"]), ("B", 3))
        self.assertEqual(by["AS-MATH"]["assessments"], 3)
        self.assertEqual((by["AS-SCI"]["percentage"], by["AS-SCI"]["grade"], by["AS-SCI"]["descriptor"],
                          by["AS-SCI"]["gradePoint"]), (90, "A", "Excellent", 4))
        # (83.78 + 90) / 2 = 86.89; (3 + 4) / 2 = 3.5
        self.assertEqual((g["averagePercentage"], g["gpa"]), (86.89, 3.5))
        self.assertFalse(g["published"])
        # the other student: absent counts 0, excused not: exam 0; coursework 20/20 = 1: 0.6 * 0 + 0.4 * 1 = 40 %
        g2 = self.grades(self.term2, other)
        self.assertEqual({s["subjectCode"]: (s["percentage"], s["grade"]) for s in g2["subjects"]},
                         {"AS-MATH": (40, "F"), "AS-SCI": (None, None)})
        self.assertEqual((g2["averagePercentage"], g2["gpa"]), (40, 0))
        # the gradebook of MATH: the same figures, per category too
        book = self.school.client("teacher").get(
            f"{V1}/classes/{self.cls}/gradebook?subjectId={self.math}&termId={self.term2}", expect=200).json
        self.assertEqual([a["id"] for a in book["assessments"]], [exam, cw1, cw2, draft])
        self.assertEqual(book["categories"], [{"category": "coursework", "weight": 40},
                                              {"category": "exam", "weight": 60}])
        rows = {row["studentId"]: row for row in book["items"]}
        self.assertEqual(set(rows), set(self.students) | {self.late})
        me = rows[self.student]
        self.assertEqual([x and x["mark"] for x in me["results"]], [69.7, 17.5, 7, 0])
        # exam 0.87125 -> 87.13; coursework 0.7875 -> 78.75
        self.assertEqual(me["categories"], [{"category": "coursework", "percentage": 78.75},
                                            {"category": "exam", "percentage": 87.13}])
        self.assertEqual((me["percentage"], me["grade"]), (83.78, "B"))
        self.assertEqual((rows[other]["categories"], rows[other]["percentage"]),
                         ([{"category": "coursework", "percentage": 100}, {"category": "exam", "percentage": 0}], 40))
        self.assertEqual(rows[other]["results"][0], {"status": "absent", "mark": None})
        self.assertEqual((rows[self.late]["percentage"], rows[self.late]["results"]), (None, [None] * 4))
        # SCI has no weights: one pool
        sci_book = self.admin.get(f"{V1}/classes/{self.cls}/gradebook?subjectId={self.sci}&termId={self.term2}",
                                  expect=200).json
        self.assertEqual(sci_book["categories"], [])
        self.assertEqual({r["studentId"]: r["percentage"] for r in sci_book["items"]}[self.student], 90)

    def test_gradebook_arguments_and_roles(self):
        path = f"{V1}/classes/{self.cls}/gradebook"
        self.assertProblem(self.admin.get(path), 422, fields=["subjectId", "termId"])
        self.assertProblem(self.admin.get(f"{path}?subjectId={uuid.uuid4()}&termId={self.term}"), 404)
        self.assertProblem(self.admin.get(f"{V1}/classes/{uuid.uuid4()}/gradebook?subjectId={self.math}"
                                          f"&termId={self.term}"), 404)
        self.assertProblem(self.school.client("student").get(f"{path}?subjectId={self.math}&termId={self.term}"),
                           403)
        empty = self.admin.get(f"{path}?subjectId={self.art}&termId={self.term}", expect=200).json
        self.assertEqual(empty["assessments"], [])

    def test_who_reads_grades(self):
        sid = self.student
        # the student and their parent read their own (unpublished: no grades yet); others' are 404
        for role in ("student", "parent"):
            g = self.grades(self.term3, client=self.school.client(role))
            self.assertEqual((g["published"], g["subjects"]), (False, []))
            self.assertProblem(self.school.client(role).get(f"{V1}/students/{self.students[2]}/grades"
                                                            f"?termId={self.term3}"), 404)
        self.assertProblem(self.admin.get(f"{V1}/students/{sid}/grades"), 422, fields=["termId"])
        self.assertProblem(self.admin.get(f"{V1}/students/{sid}/grades?termId={uuid.uuid4()}"), 404)
        self.assertProblem(self.admin.get(f"{V1}/students/{uuid.uuid4()}/grades?termId={self.term}"), 404)


class TestMarks(AssessmentCase):
    def test_bulk_marks_validation_names_student_and_field(self):
        aid = self.assessment()["id"]
        s = self.students
        p = self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": s[0], "mark": 20.5},
            {"studentId": s[1], "mark": -1},
            {"studentId": s[2], "mark": 17.555},
            {"studentId": s[3], "mark": 5, "status": "absent"},
            {"studentId": s[4]},
            {"studentId": s[4], "status": "sick"},
            {"studentId": "nope", "mark": "ten", "extra": True},
            "x"]}), 422)
        self.assertEqual(sorted(e["field"] for e in p["errors"]), sorted([
            "marks[0].mark", "marks[1].mark", "marks[2].mark", "marks[3].mark", "marks[4].mark",
            "marks[5].status", "marks[6].studentId", "marks[6].mark", "marks[6].extra", "marks[7]"]))
        self.assertIn("at most 20", next(e for e in p["errors"] if e["field"] == "marks[0].mark")["message"])
        self.assertEqual(self.sheet(aid), {sid: None for sid in s})  # nothing saved
        self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": s[0], "mark": 1}, {"studentId": s[0], "mark": 2}]}), 422, fields=["marks[1].studentId"])
        self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": []}), 422,
                           fields=["marks"])
        self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={}), 422, fields=["marks"])
        # only students enrolled in the class on the assessment's date, each named; nothing is saved
        p = self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": s[0], "mark": 10}, {"studentId": self.late, "mark": 10},
            {"studentId": self.outsider, "mark": 10}]}), 422, fields=["marks[1].studentId", "marks[2].studentId"])
        self.assertIn(self.late, p["errors"][0]["message"] + p["errors"][1]["message"])
        self.assertEqual(self.sheet(aid)[s[0]], None)
        # another school's student is no student of this class either (its existence is not revealed)
        b_student = self.world.B.client("admin").post(f"{V1}/students", json={
            "admissionNo": "B-1", "firstName": "Bea", "lastName": "Other", "dateOfBirth": "2014-01-02"},
            expect=201).json["id"]
        p = self.assertProblem(self.admin.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": b_student, "mark": 1}]}), 422, fields=["marks[0].studentId"])
        self.assertIn("not enrolled in this class", p["errors"][0]["message"])
        # the late student is on the sheet of a later assessment, not on this one
        later = self.assessment(date="2024-11-15")["id"]
        self.assertIn(self.late, self.sheet(later))
        self.assertNotIn(self.late, self.sheet(aid))

    def test_marks_saved_idempotent_and_audited(self):
        aid = self.assessment(maxMarks=12.5)["id"]
        s = self.students
        body = [{"studentId": s[0], "mark": 12.5, "comment": "Full marks"}, {"studentId": s[1], "status": "exempt"},
                {"studentId": s[2], "mark": 0}]
        doc = self.marks(aid, body)
        self.assertEqual(doc["maxMarks"], 12.5)
        by = {i["studentId"]: i["result"] for i in doc["items"]}
        self.assertEqual((by[s[0]]["mark"], by[s[0]]["status"], by[s[0]]["comment"]), (12.5, "mark", "Full marks"))
        self.assertEqual((by[s[1]]["mark"], by[s[1]]["status"]), (None, "exempt"))
        self.assertIsNone(by[s[3]])
        self.assertEqual(self.marks(aid, body), doc)  # the same sheet again changes nothing
        self.marks(aid, [{"studentId": s[2], "mark": 3.25}])
        events = self.admin.get(f"{V1}/audit-events?action=assessment.marks&subjectId={aid}", expect=200).json["items"]
        self.assertEqual(len(events), 2, events)
        details = " | ".join(e["detail"] for e in events)
        self.assertIn(f"{s[0]}: - -> 12.50", details)
        self.assertIn(f"{s[1]}: - -> exempt", details)
        self.assertIn(f"{s[2]}: 0.00 -> 3.25", details)

    def test_last_writer_wins_per_student(self):
        aid = self.assessment()["id"]
        s = self.students
        teacher = self.school.client("teacher")
        self.marks(aid, [{"studentId": s[0], "mark": 10}], client=teacher)
        self.marks(aid, [{"studentId": s[1], "mark": 11}])
        self.marks(aid, [{"studentId": s[0], "mark": 12}])
        sheet = self.sheet(aid)
        self.assertEqual((sheet[s[0]]["mark"], sheet[s[1]]["mark"]), (12, 11))

    def test_only_the_subjects_teachers(self):
        aid = self.assessment()["id"]  # MATH: "teacher"
        s = self.students
        self.marks(aid, [{"studentId": s[0], "mark": 1}], client=self.school.client("teacher"))
        # teacher2 teaches the class (SCI, class teacher) but not MATH
        t2 = self.school.client("teacher2")
        self.assertProblem(t2.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": s[0], "mark": 2}]}), 403)
        self.assertEqual(self.sheet(aid)[s[0]]["mark"], 1)
        t2.get(f"{V1}/assessments/{aid}/marks", expect=200)  # but reads the class's sheets
        t2.get(f"{V1}/assessments/{aid}", expect=200)
        self.assertProblem(t2.post(f"{V1}/assessments", json={
            "classId": self.cls, "subjectId": self.math, "termId": self.term, "name": "Not mine", "category": "test",
            "date": "2024-10-01", "maxMarks": 10}), 403)
        self.assessment(client=t2, subjectId=self.sci)
        for role in ("student", "parent", "staff"):
            self.assertProblem(self.school.client(role).put(f"{V1}/assessments/{aid}/marks", json={"marks": [
                {"studentId": s[0], "mark": 2}]}), 403)
        self.assertProblem(self.admin.get(f"{V1}/assessments/{uuid.uuid4()}"), 404)
        self.assertProblem(self.school.client("student").get(f"{V1}/assessments/{aid}"), 403)
        self.assertProblem(self.school.client("parent").get(f"{V1}/assessments/{aid}/marks"), 403)
        self.assertProblem(self.admin.get(f"{V1}/assessments/{uuid.uuid4()}/marks"), 404)
        self.assertProblem(self.admin.put(f"{V1}/assessments/{uuid.uuid4()}/marks", json={"marks": [
            {"studentId": s[0], "mark": 2}]}), 404)

    def test_closed_assessment_takes_admin_marks_only(self):
        aid = self.assessment(state="closed")["id"]
        self.assertProblem(self.school.client("teacher").put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": self.students[0], "mark": 2}]}), 409)
        self.marks(aid, [{"studentId": self.students[0], "mark": 2}])

    def test_create_validation(self):
        self.assertProblem(self.admin.post(f"{V1}/assessments", json={}), 422, fields=[
            "classId", "subjectId", "termId", "name", "category", "date", "maxMarks"])
        self.assertProblem(self.admin.post(f"{V1}/assessments", json={
            "classId": self.cls, "subjectId": self.math, "termId": self.term, "name": 5, "category": "test",
            "date": "2024-13-01", "maxMarks": 0, "weight": 101, "state": "shut"}), 422,
            fields=["name", "date", "maxMarks", "weight", "state"])
        self.assertProblem(self.admin.post(f"{V1}/assessments", json={
            "classId": self.cls, "subjectId": self.art, "termId": self.term, "name": "Outside", "category": "test",
            "date": "2025-05-01", "maxMarks": 10}), 422, fields=["date", "subjectId"])
        self.assertProblem(self.admin.post(f"{V1}/assessments", json={
            "classId": str(uuid.uuid4()), "subjectId": self.math, "termId": self.term, "name": "X", "category": "t",
            "date": "2024-10-01", "maxMarks": 10}), 404)
        a = self.assessment(weight=3, maxMarks=7.5)
        self.assertEqual((a["weight"], a["maxMarks"], a["state"]), (3, 7.5, "open"))
        self.assertEqual(self.admin.get(f"{V1}/assessments/{a['id']}", expect=200).json, a)

    def test_changing_an_assessment(self):
        a = self.assessment(maxMarks=20)
        path = f"{V1}/assessments/{a['id']}"
        self.marks(a["id"], [{"studentId": self.students[0], "mark": 15}])
        res = self.admin.get(path, expect=200)
        etag = res.headers["etag"]
        self.assertProblem(self.admin.patch(path, json={"maxMarks": 10}, headers={"If-Match": etag}), 422,
                           fields=["maxMarks"])
        self.assertProblem(self.admin.patch(path, json={"date": "2025-08-01", "state": "gone", "x": 1},
                                            headers={"If-Match": etag}), 422, fields=["state", "x"])
        self.assertProblem(self.admin.patch(path, json={"date": "2025-08-01"}, headers={"If-Match": etag}), 422,
                           fields=["date"])
        teacher = self.school.client("teacher")
        doc = teacher.patch(path, json={"maxMarks": 15, "state": "closed", "name": "Renamed"},
                            headers={"If-Match": etag}, expect=200).json
        self.assertEqual((doc["maxMarks"], doc["state"], doc["name"], doc["version"]), (15, "closed", "Renamed", 2))
        self.assertProblem(teacher.patch(path, json={"name": "Stale"}, headers={"If-Match": etag}), 412)
        self.assertProblem(self.school.client("teacher2").patch(path, json={"name": "Not mine"},
                                                                headers={"If-Match": "*"}), 403)
        self.assertProblem(self.admin.patch(f"{V1}/assessments/{uuid.uuid4()}", json={"name": "x"},
                                            headers={"If-Match": "*"}), 404)
        events = self.admin.get(f"{V1}/audit-events?action=assessment.update&subjectId={a['id']}",
                                expect=200).json["items"]
        self.assertIn("max 2000 weight 1 open -> Renamed test 2024-10-01 max 1500 weight 1 closed",
                      events[0]["detail"])

    def test_malformed_bodies(self):
        aid = self.assessment()["id"]
        for method, path in (("PUT", f"{V1}/assessments/{aid}/marks"), ("POST", f"{V1}/assessments"),
                             ("POST", f"{V1}/grading-scales"), ("PUT", f"{V1}/subjects/{self.math}/grade-weights"),
                             ("PUT", f"{V1}/students/{self.student}/remarks/{self.term}"),
                             ("PATCH", f"{V1}/assessments/{aid}")):
            with self.subTest(path=path):
                h = {"If-Match": "*"}
                self.assertProblem(self.admin.request(method, path, body=b'{"marks": [', content_type="application/json",
                                                      headers=h), 400)
                self.assertProblem(self.admin.request(method, path, body=b"marks", content_type="text/plain",
                                                      headers=h), 415)
                huge = json.dumps({"marks": ["x" * 1024] * 1100}).encode()
                self.assertProblem(self.admin.request(method, path, body=huge, content_type="application/json",
                                                      headers=h), 413)
                self.assertProblem(self.admin.request(method, path, json=[1, 2], headers=h), 400)  # not an object


class TestGradebookCache(AssessmentCase):
    """A gradebook is cached per class, subject and term: each write of what it shows is read back at once."""
    SERVER_ENV = {"ERP_CACHE": "on"}  # one instance: cached on PostgreSQL without Redis too

    def book(self, client=None):
        return (client or self.admin).get(f"{V1}/classes/{self.cls}/gradebook?subjectId={self.math}"
                                          f"&termId={self.term3}", expect=200).json

    def row(self, sid=None):
        return {r["studentId"]: r for r in self.book()["items"]}[sid or self.student]

    def loop_answers(self):
        return self.server.metrics().value("school_erp_loop_answered_total") or 0

    def test_every_write_it_shows_is_read_back(self):
        a = self.assessment(termId=self.term3, date="2025-04-10", category="exam", maxMarks=10)["id"]
        self.marks(a, [{"studentId": self.student, "mark": 9}])
        first = self.book()
        before = self.loop_answers()
        self.assertEqual(self.book(), first)
        self.assertEqual(self.loop_answers(), before + 1)  # the admin's second read: from the cache, on the loop
        teacher = self.school.client("teacher")  # teaches MATH here: the policy's lookup, then the cache
        self.assertEqual(self.book(teacher), first)
        self.assertEqual(self.loop_answers(), before + 1)
        self.assertEqual((self.row()["results"][0]["mark"], self.row()["grade"]), (9, "A"))
        # marks, weights, the assessment itself, another assessment
        self.marks(a, [{"studentId": self.student, "mark": 7}], client=teacher)
        self.assertEqual((self.row()["results"][0]["mark"], self.row()["grade"]), (7, "C"))
        self.admin.put(f"{V1}/subjects/{self.math}/grade-weights", json={"termId": self.term3, "weights": [
            {"category": "exam", "weight": 100}]}, expect=200)
        self.assertEqual(self.book()["categories"], [{"category": "exam", "weight": 100}])
        self.admin.patch(f"{V1}/assessments/{a}", json={"name": "Renamed exam"}, headers={"If-Match": "*"},
                         expect=200)
        self.assertEqual(self.book()["assessments"][0]["name"], "Renamed exam")
        b = self.assessment(termId=self.term3, date="2025-04-11", category="exam", maxMarks=10)["id"]
        self.assertEqual([x["id"] for x in self.book()["assessments"]], [a, b])
        # the grading scale: its bands, then a new default
        bands = [dict(x, label=x["label"] + "+") for x in BANDS]
        self.admin.patch(f"{V1}/grading-scales/{self.scale['id']}", json={"bands": bands},
                         headers={"If-Match": "*"}, expect=200)
        self.assertEqual(self.row()["grade"], "C+")
        self.admin.post(f"{V1}/grading-scales", json={"name": "Pass or not", "isDefault": True, "bands": [
            {"minPercent": 50, "label": "Pass"}, {"minPercent": 0, "label": "Not yet"}]}, expect=201)
        self.assertEqual(self.row()["grade"], "Pass")
        # the roster: a student's name, a new enrollment, the term's dates
        self.admin.patch(f"{V1}/students/{self.student}", json={"firstName": "Renamed"}, headers={"If-Match": "*"},
                         expect=200)
        self.assertEqual(self.row()["firstName"], "Renamed")
        new = self.admin.post(f"{V1}/students", json={"admissionNo": "AS-NEW", "firstName": "Nina", "lastName": "New",
                                                      "dateOfBirth": "2014-05-06"}, expect=201).json["id"]
        self.admin.post(f"{V1}/enrollments", json={"studentId": new, "classId": self.cls, "startDate": "2025-06-02"},
                        expect=201)
        self.assertIn(new, [r["studentId"] for r in self.book()["items"]])
        self.admin.patch(f"{V1}/terms/{self.term3}", json={"endDate": "2025-05-30"}, headers={"If-Match": "*"},
                         expect=200)
        self.assertNotIn(new, [r["studentId"] for r in self.book()["items"]])  # enrolled after the term's end now

    def test_the_policy_runs_before_a_warm_entry(self):
        first = self.book()
        self.assertEqual(self.book(), first)
        stranger = Client(self.server, token=self.school.add_user(f"t-{uuid.uuid4().hex[:6]}", "teacher")["token"])
        path = f"{V1}/classes/{self.cls}/gradebook?subjectId={self.math}&termId={self.term3}"
        self.assertProblem(stranger.get(path), 404)  # a teacher who does not teach the class
        self.assertProblem(self.world.B.client("admin").get(path), 404)  # another school
        self.assertProblem(self.school.client("student").get(path), 403)
        # ids in another case name the same entry; a malformed one is checked as before
        self.assertEqual(self.admin.get(path.replace(self.math, self.math.upper()), expect=200).json, first)
        self.assertProblem(self.admin.get(path.replace(self.math, "not-an-id")), 422, fields=["subjectId"])


class TestPublication(AssessmentCase):
    def test_publication_locks_marks_and_opens_grades(self):
        term = self.term3
        aid = self.assessment(termId=term, date="2025-05-05", subjectId=self.sci, maxMarks=10)["id"]
        self.marks(aid, [{"studentId": self.student, "mark": 8}])
        student, parent, teacher2 = (self.school.client(k) for k in ("student", "parent", "teacher2"))
        self.assertEqual(self.grades(term, client=student)["subjects"], [])
        self.assertProblem(self.admin.post(f"{V1}/terms/{term}/publish-grades",
                                           headers={"Idempotency-Key": "has space"}), 400)
        self.assertProblem(self.school.client("teacher").post(f"{V1}/terms/{term}/publish-grades"), 403)
        pub = self.admin.post(f"{V1}/terms/{term}/publish-grades", expect=200).json
        self.assertEqual(pub["scaleId"], self.scale["id"])
        self.assertProblem(self.admin.post(f"{V1}/terms/{term}/publish-grades"), 409)
        self.assertProblem(self.admin.post(f"{V1}/terms/{uuid.uuid4()}/publish-grades"), 404)
        self.assertProblem(self.admin.post(f"{V1}/terms/{term}/publish-grades?dryRun=1"), 422, fields=["dryRun"])
        # students and parents see them now: 8/10 = 80 % -> B
        for c in (student, parent):
            g = self.grades(term, client=c)
            self.assertTrue(g["published"])
            self.assertEqual([(s["subjectCode"], s["percentage"], s["grade"]) for s in g["subjects"]],
                             [("AS-SCI", 80, "B")])
        # marks are locked for teachers; an admin's change is audited as after publication
        self.assertProblem(teacher2.put(f"{V1}/assessments/{aid}/marks", json={"marks": [
            {"studentId": self.student, "mark": 9}]}), 409)
        self.assertProblem(teacher2.post(f"{V1}/assessments", json={
            "classId": self.cls, "subjectId": self.sci, "termId": term, "name": "Late", "category": "test",
            "date": "2025-05-06", "maxMarks": 10}), 409)
        self.assertProblem(teacher2.patch(f"{V1}/assessments/{aid}", json={"name": "Late"}, headers={"If-Match": "*"}),
                           409)
        doc = self.marks(aid, [{"studentId": self.student, "mark": 9}])
        self.assertTrue(doc["published"])
        events = self.admin.get(f"{V1}/audit-events?action=assessment.marks.afterPublication&subjectId={aid}",
                                expect=200).json["items"]
        self.assertEqual(len(events), 1)
        self.assertIn(f"{self.student}: 8.00 -> 9.00", events[0]["detail"])
        self.assertEqual(self.grades(term, client=student)["subjects"][0]["percentage"], 90)

    def test_remarks_and_report_card(self):
        term = self.terms[1]  # its own: publication locks it
        tid, sid = term["id"], self.student
        aid = self.assessment(termId=tid, date="2025-02-10", maxMarks=40)["id"]  # MATH
        self.marks(aid, [{"studentId": sid, "mark": 33}])  # 82.5 % -> B, 3
        for day, status in (("2025-02-10", "present"), ("2025-02-11", "absent"), ("2025-02-12", "late")):
            self.admin.put(f"{V1}/classes/{self.cls}/attendance/{day}", json={"marks": [
                {"studentId": sid, "status": status}]}, expect=200)
        path = f"{V1}/students/{sid}/remarks/{tid}"
        teacher, teacher2 = self.school.client("teacher"), self.school.client("teacher2")
        # the class teacher (teacher2) writes the class remark, the MATH teacher MATH's; not the other way round
        self.assertProblem(teacher.put(path, json={"remark": "Not my class"}), 403)
        self.assertProblem(teacher.put(path, json={"remark": "Not my subject", "subjectId": self.sci}), 403)
        teacher2.put(path, json={"remark": "A steady term."}, expect=200)
        doc = teacher.put(path, json={"remark": "Strong in algebra.", "subjectId": self.math}, expect=200).json
        self.assertEqual((doc["subjectId"], doc["remark"]), (self.math, "Strong in algebra."))
        self.assertProblem(self.admin.put(path, json={"remark": ""}), 422, fields=["remark"])
        self.assertProblem(self.admin.put(path, json={"remark": "x", "subjectId": str(uuid.uuid4())}), 404)
        self.assertProblem(self.admin.put(f"{V1}/students/{sid}/remarks/{uuid.uuid4()}", json={"remark": "x"}), 404)
        card_path = f"{V1}/students/{sid}/report-cards/{tid}"
        student, parent = self.school.client("student"), self.school.client("parent")
        self.assertProblem(student.get(card_path), 404)  # not published yet
        self.assertProblem(student.get(card_path + "/pdf"), 404)  # nor its page (test_report_cards reads the PDFs)
        self.assertFalse(self.admin.get(card_path, expect=200).json["published"])
        self.admin.post(f"{V1}/terms/{tid}/publish-grades", expect=200)
        self.assertProblem(teacher2.put(path, json={"remark": "Changed after"}), 409)
        self.admin.put(path, json={"remark": "A steady, hard-working term."}, expect=200)
        events = self.admin.get(f"{V1}/audit-events?action=remark.update&subjectId={sid}", expect=200).json["items"]
        self.assertIn("A steady term. -> A steady, hard-working term.", " | ".join(e["detail"] for e in events))
        for c in (student, parent):
            card = c.get(card_path, expect=200).json
            self.assertEqual(card["school"], {"name": "School A"})
            self.assertEqual(card["student"]["id"], sid)
            self.assertEqual(card["class"]["id"], self.cls)
            self.assertEqual(card["class"]["classTeacher"], "Teacher2 School A")
            self.assertEqual((card["term"]["name"], card["published"]), ("Term 2", True))
            self.assertEqual([(x["subjectCode"], x["percentage"], x["grade"], x["gradePoint"], x["remark"])
                              for x in card["subjects"]], [("AS-MATH", 82.5, "B", 3, "Strong in algebra.")])
            self.assertEqual((card["averagePercentage"], card["gpa"]), (82.5, 3))
            self.assertEqual(card["classTeacherRemark"], "A steady, hard-working term.")
            # marked days of the term: present, absent, late -> (1 + 1) / 3
            self.assertEqual(card["attendance"], {"present": 1, "absent": 1, "late": 1, "excused": 0, "marked": 3,
                                                  "rate": 0.6667})
        self.assertProblem(student.get(f"{V1}/students/{self.students[2]}/report-cards/{tid}"), 404)
        self.assertTrue(parent.get(card_path + "/pdf", expect=200).body.startswith(b"%PDF-"))
        self.assertProblem(self.school.client("student").put(path, json={"remark": "me"}), 403)

    def test_publishing_needs_a_default_scale(self):
        other = self.world.B.client("admin")
        year = other.post(f"{V1}/academic-years", json={"name": "Y", "startDate": "2024-09-01",
                                                        "endDate": "2025-07-31"}, expect=201).json
        term = other.post(f"{V1}/terms", json={"academicYearId": year["id"], "name": "T", "startDate": T1[0],
                                               "endDate": T1[1]}, expect=201).json
        self.assertProblem(other.post(f"{V1}/terms/{term['id']}/publish-grades"), 409)


class TestScaleChanges(AssessmentCase):
    """Reading, changing and deleting a grading scale: versioned, admins only, bands locked by a publication."""

    PASS_FAIL = [{"minPercent": 50, "label": "Pass"}, {"minPercent": 0, "label": "Fail", "descriptor": "Not yet"}]

    def new_scale(self, name, bands=None, **kw):
        r = self.admin.post(f"{V1}/grading-scales", json={"name": name, "bands": bands or self.PASS_FAIL, **kw},
                            expect=201)
        self.assertEqual(r.headers["etag"], f'"{r.json["version"]}"')
        self.assertEqual(r.headers["location"], f"{V1}/grading-scales/{r.json['id']}")
        return r.json

    def etag(self, sid):
        return self.admin.get(f"{V1}/grading-scales/{sid}", expect=200).headers["etag"]

    def default_ids(self):
        return [s["id"] for s in self.admin.get(f"{V1}/grading-scales?limit=500", expect=200).json["items"]
                if s["isDefault"]]

    def test_read_rename_and_replace_bands(self):
        doc = self.new_scale("Edit me")
        path = f"{V1}/grading-scales/{doc['id']}"
        for role in ("parent", "student", "teacher", "staff", "bursar"):
            self.assertEqual(self.school.client(role).get(path, expect=200).json, doc)
        got = self.admin.get(path, expect=200)
        self.assertEqual(self.admin.get(path, headers={"If-None-Match": got.headers["etag"]}).status, 304)
        # nothing changes without the version it is based on
        self.assertProblem(self.admin.patch(path, json={"name": "No version"}), 428)
        self.assertProblem(self.admin.patch(path, json={"name": "Bad tag"}, headers={"If-Match": "one"}), 400)
        self.assertProblem(self.admin.patch(path, json={"name": "Old"}, headers={"If-Match": '"99"'}), 412)
        same = self.admin.patch(path, json={}, headers={"If-Match": got.headers["etag"]}, expect=200).json
        self.assertEqual(same, doc)
        bands = [{"minPercent": 75.5, "label": "Merit", "gradePoint": 2.5}, {"minPercent": 40, "label": "Pass"},
                 {"minPercent": 0, "label": "Fail"}]
        r = self.admin.patch(path, json={"name": "Edited", "bands": bands}, headers={"If-Match": got.headers["etag"]},
                             expect=200)
        new = r.json
        self.assertEqual((new["name"], new["version"], new["isDefault"]), ("Edited", 2, False))
        self.assertEqual(r.headers["etag"], '"2"')
        self.assertEqual([(b["minPercent"], b["label"], b["descriptor"], b["gradePoint"]) for b in new["bands"]],
                         [(75.5, "Merit", None, 2.5), (40, "Pass", None, None), (0, "Fail", None, None)])
        self.assertEqual(self.admin.get(path, expect=200).json, new)
        self.assertProblem(self.admin.patch(path, json={"name": "Stale"}, headers={"If-Match": got.headers["etag"]}),
                           412)
        # another scale's name is taken
        self.assertProblem(self.admin.patch(path, json={"name": "Letters"}, headers={"If-Match": '"2"'}), 409,
                           fields=["name"])
        events = self.admin.get(f"{V1}/audit-events?action=gradingScale.update&subjectId={doc['id']}",
                                expect=200).json["items"]
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["detail"], "Edit me [50.00 Pass, 0.00 Fail Not yet] -> "
                                              "Edited [75.50 Merit 2.50, 40.00 Pass, 0.00 Fail]")

    def test_the_default_moves_in_one_step(self):
        before = self.default_ids()
        self.assertEqual(len(before), 1)
        old = self.admin.get(f"{V1}/grading-scales/{before[0]}", expect=200).json
        doc = self.new_scale("Next default")
        path = f"{V1}/grading-scales/{doc['id']}"
        moved = self.admin.patch(path, json={"isDefault": True}, headers={"If-Match": self.etag(doc["id"])},
                                 expect=200).json
        self.assertTrue(moved["isDefault"])
        self.assertEqual(self.default_ids(), [doc["id"]])
        # the previous default's document changed: so did its version
        was = self.admin.get(f"{V1}/grading-scales/{old['id']}", expect=200).json
        self.assertEqual((was["isDefault"], was["version"]), (False, old["version"] + 1))
        # the default is never just switched off
        self.assertProblem(self.admin.patch(path, json={"isDefault": False}, headers={"If-Match": "*"}), 422,
                           fields=["isDefault"])
        self.assertEqual(self.default_ids(), [doc["id"]])
        # false on another scale changes nothing of it; true back on the first moves it back
        self.admin.patch(f"{V1}/grading-scales/{old['id']}", json={"isDefault": False}, headers={"If-Match": "*"},
                         expect=200)
        self.admin.patch(f"{V1}/grading-scales/{old['id']}", json={"isDefault": True}, headers={"If-Match": "*"},
                         expect=200)
        self.assertEqual(self.default_ids(), [old["id"]])
        # creating a default scale moves it too
        made = self.new_scale("Made default", isDefault=True)
        self.assertEqual(self.default_ids(), [made["id"]])
        self.admin.patch(f"{V1}/grading-scales/{old['id']}", json={"isDefault": True}, headers={"If-Match": "*"},
                         expect=200)
        events = self.admin.get(f"{V1}/audit-events?action=gradingScale.update&subjectId={doc['id']}",
                                expect=200).json["items"]
        self.assertIn(" -> Next default (default) [", " | ".join(e["detail"] for e in events))

    def test_a_publication_locks_the_bands(self):
        term = self.term  # this class's server: no other test publishes it
        aid = self.assessment(termId=term, date="2024-10-07", maxMarks=10)["id"]
        self.marks(aid, [{"studentId": self.student, "mark": 6}])  # 60 %
        default = self.default_ids()[0]
        scale = self.new_scale("Pass or fail", isDefault=True)
        path = f"{V1}/grading-scales/{scale['id']}"
        self.assertEqual(self.admin.post(f"{V1}/terms/{term}/publish-grades", expect=200).json["scaleId"], scale["id"])
        graded = self.grades(term)
        self.assertEqual([(s["percentage"], s["grade"]) for s in graded["subjects"]], [(60, "Pass")])
        p = self.assertProblem(self.admin.patch(path, json={"bands": [{"minPercent": 0, "label": "All pass"}]},
                                                headers={"If-Match": self.etag(scale["id"])}), 409)
        self.assertIn('term "Term 1" (2024-09-02 to 2024-12-20)', p["detail"])
        # a new name, or another default, leaves the published grades as they were
        renamed = self.admin.patch(path, json={"name": "Pass/fail (2024)"},
                                   headers={"If-Match": self.etag(scale["id"])}, expect=200).json
        self.assertEqual(([b["label"] for b in renamed["bands"]], renamed["version"]), (["Pass", "Fail"], 2))
        self.admin.patch(f"{V1}/grading-scales/{default}", json={"isDefault": True}, headers={"If-Match": "*"},
                         expect=200)
        self.assertEqual(self.grades(term), graded)
        p = self.assertProblem(self.admin.delete(path, headers={"If-Match": self.etag(scale["id"])}), 409)
        self.assertIn("Term 1", p["detail"])
        self.assertEqual(self.grades(term), graded)
        self.assertEqual(self.admin.get(path, expect=200).json["bands"], renamed["bands"])
        # an unpublished term's grades follow the default scale (the letters): 60 % -> D
        aid2 = self.assessment(termId=self.term2, date="2025-01-13", maxMarks=10)["id"]
        self.marks(aid2, [{"studentId": self.student, "mark": 6}])
        self.assertEqual([s["grade"] for s in self.grades(self.term2)["subjects"]], ["D"])

    def test_deleting(self):
        default = self.default_ids()[0]
        self.assertProblem(self.admin.delete(f"{V1}/grading-scales/{default}", headers={"If-Match": "*"}), 409)
        doc = self.new_scale("Unused")
        path = f"{V1}/grading-scales/{doc['id']}"
        self.assertProblem(self.admin.delete(path), 428)
        self.assertProblem(self.admin.delete(path, headers={"If-Match": '"7"'}), 412)
        self.assertProblem(self.school.client("teacher").delete(path, headers={"If-Match": "*"}), 403)
        self.assertProblem(self.school.client("parent").delete(path, headers={"If-Match": "*"}), 403)
        self.assertEqual(self.admin.delete(path, headers={"If-Match": '"1"'}).status, 204)
        self.assertProblem(self.admin.get(path), 404)
        self.assertProblem(self.admin.delete(path, headers={"If-Match": "*"}), 404)
        self.assertNotIn(doc["id"], [s["id"] for s in self.admin.get(f"{V1}/grading-scales?limit=500",
                                                                     expect=200).json["items"]])
        events = self.admin.get(f"{V1}/audit-events?action=gradingScale.delete&subjectId={doc['id']}",
                                expect=200).json["items"]
        self.assertEqual([e["detail"] for e in events], ["Unused [50.00 Pass, 0.00 Fail Not yet]"])
        # the name is free again
        self.new_scale("Unused")

    def test_bad_requests_change_nothing(self):
        doc = self.new_scale("Kept as is")
        path = f"{V1}/grading-scales/{doc['id']}"
        h = {"If-Match": '"1"'}
        for body, fields in (({"name": 5, "isDefault": "yes", "bands": "x"}, ["name", "isDefault", "bands"]),
                             ({"name": "", "colour": "red"}, ["name", "colour"]),
                             ({"bands": []}, ["bands"]),
                             ({"bands": [{"minPercent": 50, "label": "Half"}]}, ["bands"]),
                             ({"bands": [{"label": "No start"}, {"minPercent": 0}]},
                              ["bands[0].minPercent", "bands[1].label"]),
                             ({"bands": [{"minPercent": 0, "label": "A"}, {"minPercent": 0, "label": "B"}]},
                              ["bands[1].minPercent"]),
                             ({"bands": [{"minPercent": 0, "label": "A", "gradePoint": -1, "x": 1}, 3]},
                              ["bands[0].gradePoint", "bands[0].x", "bands[1]"]),
                             ({"bands": None}, ["bands"])):
            with self.subTest(body=body):
                self.assertProblem(self.admin.patch(path, json=body, headers=h), 422, fields=fields)
        self.assertProblem(self.admin.request("PATCH", path, body=b'{"name": ', content_type="application/json",
                                              headers=h), 400)
        self.assertProblem(self.admin.request("PATCH", path, json=["name"], headers=h), 400)
        self.assertProblem(self.admin.request("PATCH", path, body=b"name=x", content_type="text/plain", headers=h), 415)
        huge = json.dumps({"name": "x", "bands": [{"minPercent": 0, "label": "y" * 1024}] * 1100}).encode()
        self.assertProblem(self.admin.request("PATCH", path, body=huge, content_type="application/json", headers=h),
                           413)
        # roles: the school reads, only admins write
        for role in ("teacher", "parent", "staff", "student", "bursar"):
            self.assertProblem(self.school.client(role).patch(path, json={"name": "Mine"}, headers=h), 403)
        # ids of no scale of the school: another school's, unknown, not an id
        other = self.world.B.client("admin").post(f"{V1}/grading-scales", json={
            "name": "B's scale", "bands": self.PASS_FAIL}, expect=201).json
        for sid in (other["id"], str(uuid.uuid4()), "not-an-id"):
            with self.subTest(id=sid):
                self.assertProblem(self.admin.get(f"{V1}/grading-scales/{sid}"), 404)
                self.assertProblem(self.admin.patch(f"{V1}/grading-scales/{sid}", json={"name": "Taken over"},
                                                    headers={"If-Match": "*"}), 404)
                self.assertProblem(self.admin.delete(f"{V1}/grading-scales/{sid}", headers={"If-Match": "*"}), 404)
        self.assertEqual(self.world.B.client("admin").get(f"{V1}/grading-scales/{other['id']}", expect=200).json,
                         other)
        self.assertEqual(self.admin.get(path, expect=200).json, doc)


class TestDemo(ServerTestCase):
    def test_the_demo_has_a_term_of_assessments_with_marks(self):
        from fixtures_daily import DemoSchool
        demo = DemoSchool(self.server, students=240, tenants=1)
        admin = demo.client("admin")
        year = admin.get(f"{V1}/academic-years/current", expect=200).json["id"]
        today = admin.get(f"{V1}/terms?academicYearId={year}", expect=200).json["items"]
        cls = demo.classes[0]["classId"]
        taught = admin.get(f"{V1}/classes/{cls}/subjects", expect=200).json["items"]
        self.assertEqual(len(taught), 7)
        books = [admin.get(f"{V1}/classes/{cls}/gradebook?subjectId={taught[0]['subjectId']}&termId={t['id']}",
                           expect=200).json for t in today]
        book = next(b for b in books if b["assessments"])
        self.assertEqual([a["name"] for a in book["assessments"]], ["Test 1", "Test 2", "Midterm exam"])
        self.assertEqual(book["categories"], [{"category": "exam", "weight": 60}, {"category": "test", "weight": 40}])
        pcts = [row["percentage"] for row in book["items"]]
        self.assertGreater(len(pcts), 10)
        self.assertTrue(all(p is not None and 0 <= p <= 100 for p in pcts), pcts)
        self.assertGreater(len({row["grade"] for row in book["items"]}), 1)  # not everyone gets the same
        student = book["items"][0]["studentId"]
        grades = admin.get(f"{V1}/students/{student}/grades?termId={book['termId']}", expect=200).json
        self.assertEqual(len(grades["subjects"]), 7)
        self.assertIsNotNone(grades["gpa"])
        scales = admin.get(f"{V1}/grading-scales", expect=200).json["items"]
        self.assertEqual([(s["name"], s["isDefault"]) for s in scales], [("Letter grades", True)])


class TestZZAssessmentCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every assessment operation answered its statuses."""

    def test_every_operation_answered_its_statuses(self):
        if not DOC or not {c.__name__ for c in AssessmentCase.__subclasses__()} <= RAN:
            skip_allowed("only after the whole module")
        ops = [m for m, _, op in Contract(DOC[0]).operations() if "assessment" in op.get("tags", [])]
        self.assertEqual(len(ops), 17)
        self.assertEqual(uncovered(DOC[0], "assessment"), [])
