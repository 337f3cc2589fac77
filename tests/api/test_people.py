"""
People: teachers, students, guardians and the links between students and
guardians (issue: people). Runs on both engines.

Who sees which student is checked against the demo school (`school-erp demo
--students 60`): what a teacher, a parent and a student may list is compared
with the enrollments, teaching assignments and guardian links in its
database, read directly (read only) as an independent oracle.
"""

import itertools
import os
import re
import sqlite3
import subprocess
import threading
import uuid
from urllib.parse import quote

import unittest

import dates
import fixtures_people
from dates import DemoCalendar
from fixtures_daily import uncovered
from harness import Client, ServerTestCase, db_rows, known_bug, pg_url, run, skip_allowed
from world import DEMO_TIME_ZONE, PASSWORD, World, login, school_today

TEACHERS, STUDENTS, GUARDIANS = "/api/v1/teachers", "/api/v1/students", "/api/v1/guardians"
_seq = itertools.count(1)
# two requests making different guardians primary at once: one may lose the race (test_concurrent_primary_…)
UNREACHABLE = {("PUT", "/api/v1/students/{id}/guardians/{guardianId}", 409)}
DOC = []  # the OpenAPI document, once a server ran
RAN = set()  # test classes that ran


def seq():
    return next(_seq)


def all_pages(client, path, limit=3):
    """Every item of a list, following nextCursor; also returns the number of pages."""
    sep = "&" if "?" in path else "?"
    items, cursor, pages = [], None, 0
    while True:
        res = client.get(f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), expect=200).json
        items += res["items"]
        pages += 1
        cursor = res["nextCursor"]
        if cursor is None:
            return items, pages


class PeopleCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        DOC[:] = [cls.server.openapi]
        cls.world = World(cls.server)
        fixtures_people.build_people(cls.world)
        cls.A, cls.B = cls.world.A, cls.world.B

    def admin(self, school="A"):
        return getattr(self.world, school).client("admin")

    def new_student(self, client=None, **fields):
        n = seq()
        body = {"admissionNo": f"ADM-{n:05d}", "firstName": f"First{n}", "lastName": f"Last{n}",
                "dateOfBirth": "2014-05-06"}
        body.update(fields)
        return (client or self.admin()).post(STUDENTS, json=body, expect=201).json

    def new_teacher(self, **fields):
        n = seq()
        body = {"employeeNo": f"EMP-{n:05d}", "firstName": f"Tfirst{n}", "lastName": f"Tlast{n}"}
        body.update(fields)
        return self.admin().post(TEACHERS, json=body, expect=201).json

    def new_guardian(self, **fields):
        n = seq()
        body = {"firstName": f"Gfirst{n}", "lastName": f"Glast{n}"}
        body.update(fields)
        return self.admin().post(GUARDIANS, json=body, expect=201).json

    def audit(self, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return self.admin().get(f"/api/v1/audit-events?limit=500&{q}", expect=200).json["items"]


class BodyChecks:
    """Malformed JSON, wrong content type, oversized bodies and a body that is no object on a write route."""

    def check_body_errors(self, client, method, path, headers=None):
        h = dict(headers or {})
        self.assertProblem(client.request(method, path, body='{"firstName":', content_type="application/json",
                                          headers=h), 400)
        self.assertProblem(client.request(method, path, body="firstName=x", content_type="text/plain", headers=h),
                           415)
        self.assertProblem(client.request(method, path, json={"firstName": "x" * (1100 * 1024)}, headers=h), 413)
        self.assertProblem(client.request(method, path, json=["not", "an", "object"], headers=h), 400)


# ---------------------------------------------------------------- teachers


class TestTeachers(PeopleCase, BodyChecks):
    def test_create_read_and_location(self):
        res = self.admin().post(TEACHERS, json={
            "employeeNo": "T-9001", "firstName": "Ana", "lastName": "Lopez", "email": "Ana.Lopez@School.example",
            "phone": "+1 (555) 010-2030 x12", "status": "active", "hiredOn": "2019-08-15"})
        self.assertEqual(res.status, 201, res)
        t = res.json
        self.assertEqual(res.headers["location"], f"{TEACHERS}/{t['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((t["email"], t["hiredOn"], t["userId"], t["version"]),
                         ("ana.lopez@school.example", "2019-08-15", None, 1))
        for role in ("admin", "staff", "teacher"):
            self.assertEqual(self.A.client(role).get(f"{TEACHERS}/{t['id']}", expect=200).json, t)

    def test_defaults_and_missing_fields(self):
        t = self.new_teacher()
        self.assertEqual((t["status"], t["email"], t["phone"], t["hiredOn"]), ("active", None, None, None))
        self.assertProblem(self.admin().post(TEACHERS, json={}), 422, "validation",
                           fields=["employeeNo", "firstName", "lastName"])
        self.assertProblem(self.admin().post(TEACHERS, json={"employeeNo": None, "firstName": "A", "lastName": "B"}),
                           422, fields=["employeeNo"])

    def test_validation_names_every_bad_field(self):
        res = self.admin().post(TEACHERS, json={
            "employeeNo": "no spaces!", "firstName": "", "lastName": 5, "email": "nope", "phone": "call me",
            "status": "retired", "hiredOn": "2020-13-01", "userId": "not-an-id", "tenantId": self.A.id,
            "id": str(uuid.uuid4()), "version": 3, "createdAt": "2020-01-01T00:00:00Z"})
        self.assertProblem(res, 422, "validation", fields=[
            "employeeNo", "firstName", "lastName", "email", "phone", "status", "hiredOn", "userId", "tenantId", "id",
            "version", "createdAt"])
        res = self.admin().post(TEACHERS, json={"employeeNo": "T-CTRL", "firstName": "A\u0001", "lastName": " B"})
        self.assertProblem(res, 422, fields=["firstName", "lastName"])

    def test_malformed_wrong_type_and_oversized_bodies(self):
        self.check_body_errors(self.admin(), "POST", TEACHERS)
        t = self.new_teacher()
        self.check_body_errors(self.admin(), "PATCH", f"{TEACHERS}/{t['id']}", {"If-Match": '"1"'})

    def test_employee_number_is_unique_per_school(self):
        self.new_teacher(employeeNo="DUP-1")
        res = self.admin().post(TEACHERS, json={"employeeNo": "DUP-1", "firstName": "X", "lastName": "Y"})
        self.assertProblem(res, 409, "conflict", fields=["employeeNo"])
        self.admin("B").post(TEACHERS, json={"employeeNo": "DUP-1", "firstName": "X", "lastName": "Y"}, expect=201)
        other = self.new_teacher()
        res = self.admin().patch(f"{TEACHERS}/{other['id']}", json={"employeeNo": "DUP-1"},
                                 headers={"If-Match": '"1"'})
        self.assertProblem(res, 409, fields=["employeeNo"])

    def test_account_link_rules(self):
        admin = self.admin()
        body = {"employeeNo": f"LNK-{seq()}", "firstName": "L", "lastName": "K"}
        # an account without the teacher role: 422 naming userId
        res = admin.post(TEACHERS, json=dict(body, userId=self.A.users["staff"]["id"]))
        self.assertProblem(res, 422, fields=["userId"])
        # another school's account, or none at all: 404 naming userId
        for uid in (self.B.users["teacher"]["id"], str(uuid.uuid4())):
            p = self.assertProblem(admin.post(TEACHERS, json=dict(body, userId=uid)), 404)
            self.assertIn("userId", p["detail"])
        # an account already linked to a teacher: 409 naming userId
        res = admin.post(TEACHERS, json=dict(body, userId=self.A.users["teacher"]["id"]))
        self.assertProblem(res, 409, fields=["userId"])
        # link, unlink with null, link another account (ids in any case)
        extra = self.A.add_user(f"teacher-extra-{seq()}", "teacher")
        t = admin.post(TEACHERS, json=dict(body, userId=extra["id"].upper()), expect=201).json
        self.assertEqual(t["userId"], extra["id"])
        t = admin.patch(f"{TEACHERS}/{t['id']}", json={"userId": None}, headers={"If-Match": '"1"'}, expect=200).json
        self.assertIsNone(t["userId"])
        t = admin.patch(f"{TEACHERS}/{t['id']}", json={"userId": extra["id"]}, headers={"If-Match": '"2"'},
                        expect=200).json
        self.assertEqual(t["userId"], extra["id"])

    def test_update_needs_if_match_and_refuses_stale_versions(self):
        t = self.new_teacher(phone="555-0100")
        path = f"{TEACHERS}/{t['id']}"
        admin = self.admin()
        self.assertProblem(admin.patch(path, json={"lastName": "New"}), 428)
        self.assertProblem(admin.patch(path, json={"lastName": "New"}, headers={"If-Match": "1"}), 400)
        res = admin.patch(path, json={"lastName": "New", "phone": None, "status": "inactive"},
                          headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["lastName"], res.json["phone"], res.json["status"], res.json["version"]),
                         ("New", None, "inactive", 2))
        self.assertEqual(res.headers["etag"], '"2"')
        self.assertProblem(admin.patch(path, json={"lastName": "Stale"}, headers={"If-Match": '"1"'}), 412)
        self.assertProblem(admin.patch(path, json={"firstName": None}, headers={"If-Match": '"2"'}), 422,
                           fields=["firstName"])
        self.assertEqual(admin.get(path, expect=200).json["lastName"], "New")
        self.assertProblem(admin.patch(f"{TEACHERS}/{uuid.uuid4()}", json={"lastName": "X"},
                                       headers={"If-Match": '"1"'}), 404)
        self.assertProblem(admin.get(f"{TEACHERS}/not-an-id"), 404)

    def test_list_filters_sorts_and_pages(self):
        tag = f"Roster{seq()}"
        made = [self.new_teacher(lastName=f"{tag}{c}", firstName=f"F{i}", employeeNo=f"{tag}-{i}",
                                 email=f"{tag.lower()}{i}@mail.example")
                for i, c in enumerate("CABED")]
        self.admin().patch(f"{TEACHERS}/{made[0]['id']}", json={"status": "inactive"}, headers={"If-Match": '"1"'},
                           expect=200)
        teacher = self.A.client("teacher")
        items, pages = all_pages(teacher, f"{TEACHERS}?q={tag.upper()}", limit=2)
        self.assertEqual([t["lastName"] for t in items], [f"{tag}{c}" for c in "ABCDE"])
        self.assertEqual(pages, 3)
        items, _ = all_pages(self.admin(), f"{TEACHERS}?q={tag}&sort=-employeeNo", limit=2)
        self.assertEqual([t["employeeNo"] for t in items], [f"{tag}-{i}" for i in (4, 3, 2, 1, 0)])
        items, _ = all_pages(self.admin(), f"{TEACHERS}?q={tag}&sort=createdAt", limit=4)
        self.assertEqual([t["id"] for t in items], [t["id"] for t in made])
        active = self.A.client("staff").get(f"{TEACHERS}?q={tag}&status=active", expect=200).json["items"]
        self.assertEqual(len(active), 4)
        by_mail = self.admin().get(f"{TEACHERS}?q={tag.lower()}3@mail", expect=200).json["items"]
        self.assertEqual([t["id"] for t in by_mail], [made[3]["id"]])
        self.assertProblem(self.admin().get(f"{TEACHERS}?sort=firstName"), 422, fields=["sort"])
        self.assertProblem(self.admin().get(f"{TEACHERS}?status=retired&q="), 422, fields=["status", "q"])
        self.assertProblem(self.admin().get(f"{TEACHERS}?cursor=garbage"), 400)
        # a cursor of one order is refused by another
        first = self.admin().get(f"{TEACHERS}?q={tag}&limit=1", expect=200).json["nextCursor"]
        self.assertProblem(self.admin().get(f"{TEACHERS}?q={tag}&sort=createdAt&cursor={first}"), 400)

    def test_roles(self):
        t = self.new_teacher()
        for role in ("student", "parent"):
            self.assertProblem(self.A.client(role).get(TEACHERS), 403)
            self.assertProblem(self.A.client(role).get(f"{TEACHERS}/{t['id']}"), 403)
        for role in ("staff", "teacher"):
            self.assertProblem(self.A.client(role).post(TEACHERS, json={"employeeNo": "R1", "firstName": "A",
                                                                        "lastName": "B"}), 403)
            self.assertProblem(self.A.client(role).patch(f"{TEACHERS}/{t['id']}", json={"lastName": "X"},
                                                         headers={"If-Match": '"1"'}), 403)

    def test_other_schools_teachers_are_404(self):
        tid = self.B.teachers["teacher"]["id"]
        self.assertProblem(self.admin().get(f"{TEACHERS}/{tid}"), 404)
        self.assertProblem(self.admin().patch(f"{TEACHERS}/{tid}", json={"lastName": "X"},
                                              headers={"If-Match": '"1"'}), 404)
        self.assertEqual(self.admin("B").get(f"{TEACHERS}/{tid}", expect=200).json["version"], 1)
        names = [t["id"] for t in all_pages(self.admin(), TEACHERS, limit=200)[0]]
        self.assertNotIn(tid, names)


# ---------------------------------------------------------------- students


class TestStudents(PeopleCase, BodyChecks):
    def test_create_with_every_field_and_read_back(self):
        res = self.admin().post(STUDENTS, json={
            "admissionNo": "2026/07-001", "firstName": "Zoë", "middleName": "Maria", "lastName": "Álvarez",
            "dateOfBirth": "2014-02-28", "gender": "female", "email": "Zoe@Family.example", "phone": "+34 600 123 456",
            "address": "Calle Mayor 1, Madrid", "admittedOn": "2020-09-01", "status": "active",
            "userId": None})
        self.assertEqual(res.status, 201, res)
        s = res.json
        self.assertEqual(res.headers["location"], f"{STUDENTS}/{s['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((s["firstName"], s["middleName"], s["lastName"], s["email"], s["gender"]),
                         ("Zoë", "Maria", "Álvarez", "zoe@family.example", "female"))
        self.assertEqual((s["currentClass"], s["guardians"], s["deletedAt"], s["version"]), (None, [], None, 1))
        got = self.admin().get(f"{STUDENTS}/{s['id']}", expect=200)
        self.assertEqual(got.json, s)
        self.assertEqual(got.headers["etag"], '"1"')

    def test_defaults_and_staff_may_admit(self):
        s = self.new_student(client=self.A.client("staff"))
        self.assertEqual((s["gender"], s["status"], s["middleName"], s["admittedOn"], s["userId"]),
                         ("unspecified", "active", None, None, None))

    def test_validation_names_every_bad_field(self):
        res = self.admin().post(STUDENTS, json={
            "admissionNo": "A 1", "firstName": "", "middleName": "X\nY", "lastName": ["L"], "dateOfBirth": "2014-02-30",
            "gender": "f", "email": "a@", "phone": "12", "address": "x" * 501, "admittedOn": 20200901,
            "status": "expelled", "userId": 7, "tenantId": self.A.id, "id": str(uuid.uuid4()), "version": 1,
            "createdAt": "2020-01-01T00:00:00.000Z", "deletedAt": None, "searchText": "x"})
        self.assertProblem(res, 422, "validation", fields=[
            "admissionNo", "firstName", "middleName", "lastName", "dateOfBirth", "gender", "email", "phone", "address",
            "admittedOn", "status", "userId", "tenantId", "id", "version", "createdAt", "deletedAt", "searchText"])
        self.assertProblem(self.admin().post(STUDENTS, json={}), 422,
                           fields=["admissionNo", "firstName", "lastName", "dateOfBirth"])

    def test_dates_of_a_life_at_school(self):
        for dob in ("2999-01-01", "1899-12-31"):
            res = self.admin().post(STUDENTS, json={"admissionNo": f"D-{seq()}", "firstName": "A", "lastName": "B",
                                                    "dateOfBirth": dob})
            self.assertProblem(res, 422, fields=["dateOfBirth"])
        res = self.admin().post(STUDENTS, json={"admissionNo": f"D-{seq()}", "firstName": "A", "lastName": "B",
                                                "dateOfBirth": "2015-06-01", "admittedOn": "2015-05-31"})
        self.assertProblem(res, 422, fields=["admittedOn"])
        s = self.new_student(dateOfBirth="2015-06-01", admittedOn="2015-06-01")
        # the merged record is checked on update too
        res = self.admin().patch(f"{STUDENTS}/{s['id']}", json={"dateOfBirth": "2016-01-01"},
                                 headers={"If-Match": '"1"'})
        self.assertProblem(res, 422, fields=["admittedOn"])

    def test_malformed_wrong_type_and_oversized_bodies(self):
        self.check_body_errors(self.admin(), "POST", STUDENTS)
        s = self.new_student()
        self.check_body_errors(self.admin(), "PATCH", f"{STUDENTS}/{s['id']}", {"If-Match": '"1"'})

    def test_admission_number_is_unique_per_school(self):
        self.new_student(admissionNo="SAME-1")
        res = self.admin().post(STUDENTS, json={"admissionNo": "SAME-1", "firstName": "A", "lastName": "B",
                                                "dateOfBirth": "2012-01-01"})
        self.assertProblem(res, 409, "conflict", fields=["admissionNo"])
        self.new_student(client=self.admin("B"), admissionNo="SAME-1")
        # a change to a number in use is refused the same way, and changes nothing
        other = self.new_student(admissionNo="SAME-2")
        path = f"{STUDENTS}/{other['id']}"
        self.assertProblem(self.admin().patch(path, json={"admissionNo": "SAME-1"}, headers={"If-Match": '"1"'}), 409,
                           "conflict", fields=["admissionNo"])
        self.assertEqual(self.admin().get(path, expect=200).json["admissionNo"], "SAME-2")

    def test_account_link_must_be_a_student_account_of_the_school(self):
        body = {"admissionNo": f"U-{seq()}", "firstName": "A", "lastName": "B", "dateOfBirth": "2012-01-01"}
        self.assertProblem(self.admin().post(STUDENTS, json=dict(body, userId=self.A.users["parent"]["id"])), 422,
                           fields=["userId"])
        p = self.assertProblem(self.admin().post(STUDENTS, json=dict(body, userId=self.B.users["student"]["id"])),
                               404)
        self.assertIn("userId", p["detail"])
        self.assertProblem(self.admin().post(STUDENTS, json=dict(body, userId=self.A.users["student"]["id"])), 409,
                           fields=["userId"])

    def test_search_by_partial_name_and_admission_number(self):
        s = self.new_student(admissionNo="ZQ-77815", firstName="Bartholomew", middleName="Quincy",
                             lastName="Xylander")
        staff = self.A.client("staff")
        for q in ("tholo", "BARTH", "quin", "xylANDER", "zq-778", "77815", "quincy xyl", "xylander zq"):
            items = staff.get(f"{STUDENTS}?q={quote(q)}", expect=200).json["items"]
            self.assertEqual([x["id"] for x in items], [s["id"]], q)
        for q in ("bartholomewx", "%", "_", "q%y", "b_rth"):
            self.assertEqual(staff.get(f"{STUDENTS}?q={quote(q)}", expect=200).json["items"], [], q)
        # the search text follows renames
        self.admin().patch(f"{STUDENTS}/{s['id']}", json={"firstName": "Ptolemy", "middleName": None},
                           headers={"If-Match": '"1"'}, expect=200)
        self.assertEqual(staff.get(f"{STUDENTS}?q=barth", expect=200).json["items"], [])
        self.assertEqual(staff.get(f"{STUDENTS}?q=quin", expect=200).json["items"], [])
        self.assertEqual([x["id"] for x in staff.get(f"{STUDENTS}?q=ptolemy%20xyl", expect=200).json["items"]],
                         [s["id"]])

    def test_sorts_filters_and_paging(self):
        tag = f"Sortie{seq()}"
        spec = [("Cara", "B", "2013-01-05"), ("Abel", "A", "2011-03-01"), ("Bea", "A", "2012-07-09"),
                ("Abel", "B", "2014-11-30"), ("Dan", "A", "2010-02-02"), ("Abel", "A", "2015-01-01")]
        made = [self.new_student(firstName=f, lastName=f"{tag}{l}", admissionNo=f"{tag}-{i}", dateOfBirth=d)
                for i, (f, l, d) in enumerate(spec)]
        admin = self.admin()
        key = {x["id"]: x for x in made}

        def ids(items):
            return [x["id"] for x in items]

        def expect(sort_key, reverse=False):
            return [x["id"] for x in sorted(made, key=lambda x: (sort_key(x), x["id"]), reverse=reverse)]

        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}")[0]),
                         expect(lambda x: (x["lastName"], x["firstName"])))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=-lastName", limit=2)[0]),
                         expect(lambda x: (x["lastName"], x["firstName"]), True))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=firstName", limit=4)[0]),
                         expect(lambda x: (x["firstName"], x["lastName"])))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=-admissionNo")[0]),
                         expect(lambda x: x["admissionNo"], True))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=dateOfBirth", limit=5)[0]),
                         expect(lambda x: x["dateOfBirth"]))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=createdAt", limit=2)[0]), ids(made))
        self.assertEqual(ids(all_pages(admin, f"{STUDENTS}?q={tag}&sort=-createdAt", limit=2)[0]),
                         list(reversed(ids(made))))
        self.assertEqual(len(key), 6)
        admin.patch(f"{STUDENTS}/{made[2]['id']}", json={"status": "graduated"}, headers={"If-Match": '"1"'},
                    expect=200)
        grads = admin.get(f"{STUDENTS}?q={tag}&status=graduated", expect=200).json["items"]
        self.assertEqual(ids(grads), [made[2]["id"]])
        self.assertEqual(len(admin.get(f"{STUDENTS}?q={tag}&status=active", expect=200).json["items"]), 5)
        # no enrollment today: no class, no grade
        self.assertEqual(admin.get(f"{STUDENTS}?q={tag}&gradeLevel=5", expect=200).json["items"], [])
        self.assertProblem(admin.get(f"{STUDENTS}?sort=name"), 422, fields=["sort"])
        self.assertProblem(admin.get(f"{STUDENTS}?status=x&gradeLevel=14"), 422, fields=["status", "gradeLevel"])
        self.assertProblem(admin.get(f"{STUDENTS}?classId=nope"), 422, fields=["classId"])
        self.assertProblem(admin.get(f"{STUDENTS}?includeDeleted=yes"), 422, fields=["includeDeleted"])
        self.assertProblem(admin.get(f"{STUDENTS}?limit=501"), 422, fields=["limit"])
        self.assertProblem(admin.get(f"{STUDENTS}?cursor=garbage"), 400)
        self.assertProblem(admin.get(f"{STUDENTS}/{made[0]['id']}?includeDeleted=1"), 422, fields=["includeDeleted"])
        self.assertProblem(self.A.client("parent").get("/api/v1/me/students?cursor=garbage"), 400)
        self.assertProblem(self.A.client("student").get("/api/v1/me/students?sort=age"), 422, fields=["sort"])
        p = self.assertProblem(admin.get(f"{STUDENTS}?classId={uuid.uuid4()}"), 404)
        self.assertIn("classId", p["detail"])

    def test_names_in_any_script_page_through(self):
        tag = "\u738b" * 98  # a 98-character last name of 3-byte characters: cursors carry both name parts
        made = [self.new_student(lastName=tag + c, firstName="\u5c0f\u660e" * 45) for c in "\u4e00\u4e8c\u4e09"]
        items, pages = all_pages(self.admin(), f"{STUDENTS}?q={quote(tag)}", limit=1)
        self.assertEqual([x["id"] for x in items], [x["id"] for x in sorted(made, key=lambda x: x["lastName"])])
        self.assertEqual(pages, 3)

    def test_update_needs_if_match_and_refuses_stale_versions(self):
        s = self.new_student(middleName="Mid", phone="555-0101")
        path = f"{STUDENTS}/{s['id']}"
        staff = self.A.client("staff")
        self.assertProblem(staff.patch(path, json={"status": "withdrawn"}), 428)
        self.assertProblem(staff.patch(path, json={"status": "withdrawn"}, headers={"If-Match": "W/x"}), 400)
        res = staff.patch(path, json={"status": "withdrawn", "middleName": None, "phone": None},
                          headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["status"], res.json["middleName"], res.json["phone"], res.json["version"]),
                         ("withdrawn", None, None, 2))
        self.assertEqual(res.headers["etag"], '"2"')
        self.assertProblem(staff.patch(path, json={"status": "active"}, headers={"If-Match": '"1"'}), 412)
        self.assertProblem(staff.patch(path, json={"lastName": None, "gender": None}, headers={"If-Match": '"2"'}),
                           422, fields=["lastName", "gender"])
        self.assertProblem(staff.patch(path, json={"id": str(uuid.uuid4())}, headers={"If-Match": '"2"'}), 422,
                           fields=["id"])

    def test_concurrent_patches_with_the_same_if_match(self):
        for _ in range(3):
            s = self.new_student()
            path = f"{STUDENTS}/{s['id']}"
            barrier = threading.Barrier(2)
            statuses = []

            def patch(name):
                c = Client(self.server, token=self.A.token("admin"))
                barrier.wait()
                statuses.append(c.patch(path, json={"firstName": name}, headers={"If-Match": '"1"'}).status)

            threads = [threading.Thread(target=patch, args=(n,)) for n in ("One", "Two")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(statuses), [200, 412])
            self.assertEqual(self.admin().get(path, expect=200).json["version"], 2)

    def test_soft_delete_hides_the_student_but_keeps_the_record(self):
        s = self.new_student(lastName=f"Gone{seq()}")
        g = self.new_guardian()
        admin = self.admin()
        admin.put(f"{STUDENTS}/{s['id']}/guardians/{g['id']}", json={"relationship": "father"}, expect=200)
        path = f"{STUDENTS}/{s['id']}"
        self.assertProblem(self.A.client("staff").delete(path), 403)
        self.assertProblem(admin.delete(path), 428)
        self.assertProblem(admin.delete(path, headers={"If-Match": '"7"'}), 412)
        self.assertProblem(admin.delete(path, headers={"If-Match": "seven"}), 400)
        self.assertEqual(admin.delete(path, headers={"If-Match": '"1"'}).status, 204)
        self.assertProblem(admin.delete(path, headers={"If-Match": "*"}), 404)
        self.assertProblem(admin.get(path), 404)
        self.assertProblem(self.A.client("staff").get(path), 404)
        self.assertProblem(admin.patch(path, json={"firstName": "X"}, headers={"If-Match": '"2"'}), 404)
        self.assertProblem(admin.get(f"{path}/guardians"), 404)
        self.assertProblem(admin.put(f"{path}/guardians/{g['id']}", json={"relationship": "father"}), 404)
        self.assertEqual(admin.get(f"{STUDENTS}?q={s['lastName']}", expect=200).json["items"], [])
        self.assertEqual(admin.get(f"{GUARDIANS}/{g['id']}/students", expect=200).json["items"], [])
        # admins still see it, with its history
        got = admin.get(f"{path}?includeDeleted=true", expect=200).json
        self.assertIsNotNone(got["deletedAt"])
        self.assertEqual([x["guardianId"] for x in got["guardians"]], [g["id"]])
        listed = admin.get(f"{STUDENTS}?q={s['lastName']}&includeDeleted=true", expect=200).json["items"]
        self.assertEqual([x["id"] for x in listed], [s["id"]])
        self.assertEqual(listed[0]["deletedAt"], got["deletedAt"])
        for role in ("staff", "teacher"):
            self.assertProblem(self.A.client(role).get(f"{path}?includeDeleted=true"), 403)
            self.assertProblem(self.A.client(role).get(f"{STUDENTS}?includeDeleted=true"), 403)
        # the admission number stays taken
        self.assertProblem(admin.post(STUDENTS, json={"admissionNo": s["admissionNo"], "firstName": "A",
                                                      "lastName": "B", "dateOfBirth": "2012-01-01"}), 409,
                           fields=["admissionNo"])

    def test_the_worlds_accounts_see_their_own(self):
        mine, other = self.A.students["student"], self.A.students["other"]
        parent, student, teacher = (self.A.client(k) for k in ("parent", "student", "teacher"))
        for c in (parent, student):
            self.assertEqual([x["id"] for x in c.get(STUDENTS, expect=200).json["items"]], [mine["id"]])
            self.assertEqual([x["id"] for x in c.get("/api/v1/me/students", expect=200).json["items"]], [mine["id"]])
            self.assertEqual(c.get(f"{STUDENTS}/{mine['id']}", expect=200).json["id"], mine["id"])
            self.assertProblem(c.get(f"{STUDENTS}/{other['id']}"), 404)
            self.assertProblem(c.get(f"{STUDENTS}/{other['id']}/guardians"), 404)
        links = parent.get(f"{STUDENTS}/{mine['id']}/guardians", expect=200).json["items"]
        self.assertEqual([(x["guardianId"], x["relationship"], x["isPrimary"]) for x in links],
                         [(self.A.guardians["parent"]["id"], "mother", True)])
        # a teacher who teaches no class sees no student
        self.assertEqual(teacher.get(STUDENTS, expect=200).json["items"], [])
        self.assertProblem(teacher.get(f"{STUDENTS}/{mine['id']}"), 404)
        for role in ("admin", "staff", "teacher"):
            self.assertProblem(self.A.client(role).get("/api/v1/me/students"), 403)

    def test_teachers_see_students_ever_enrolled_in_their_classes(self):
        admin = self.admin()
        today = dates.today(self.A.tenant["timeZone"])
        day = lambda n: dates.iso(today + dates.DAY * n)  # noqa: E731
        year = admin.post("/api/v1/academic-years", json={"name": f"Year {seq()}", "startDate": day(-120),
                                                          "endDate": day(200)}, expect=201).json
        cls = admin.post("/api/v1/classes", json={
            "academicYearId": year["id"], "gradeLevel": 4, "section": f"P{seq()}",
            "classTeacherId": self.A.teachers["teacher2"]["id"]}, expect=201).json
        s, g = self.new_student(), self.new_guardian()
        admin.put(f"{STUDENTS}/{s['id']}/guardians/{g['id']}", json={"relationship": "father"}, expect=200)
        enrollment = admin.post("/api/v1/enrollments", json={"studentId": s["id"], "classId": cls["id"],
                                                              "startDate": day(-100)}, expect=201).json
        teacher2, teacher = self.A.client("teacher2"), self.A.client("teacher")
        self.assertEqual([x["id"] for x in teacher2.get(STUDENTS, expect=200).json["items"]], [s["id"]])
        doc = teacher2.get(f"{STUDENTS}/{s['id']}", expect=200).json
        self.assertEqual(doc["currentClass"], {"id": cls["id"], "name": cls["name"], "gradeLevel": 4})
        self.assertEqual(teacher2.get(f"{GUARDIANS}/{g['id']}", expect=200).json["id"], g["id"])
        self.assertProblem(teacher.get(f"{STUDENTS}/{s['id']}"), 404)
        self.assertProblem(teacher.get(f"{GUARDIANS}/{g['id']}"), 404)
        self.assertEqual([x["id"] for x in admin.get(f"{STUDENTS}?classId={cls['id']}", expect=200).json["items"]],
                         [s["id"]])
        self.assertIn(s["id"], [x["id"] for x in all_pages(admin, f"{STUDENTS}?gradeLevel=4", 100)[0]])
        # the enrollment ends: not in the class today, still a student the teacher taught
        admin.post(f"/api/v1/enrollments/{enrollment['id']}/end", json={"endDate": day(-1), "reason": "moved"},
                   headers={"If-Match": f'"{enrollment["version"]}"'}, expect=200)
        self.assertEqual(admin.get(f"{STUDENTS}?classId={cls['id']}", expect=200).json["items"], [])
        self.assertNotIn(s["id"], [x["id"] for x in all_pages(admin, f"{STUDENTS}?gradeLevel=4", 100)[0]])
        self.assertIsNone(admin.get(f"{STUDENTS}/{s['id']}", expect=200).json["currentClass"])
        self.assertEqual([x["id"] for x in teacher2.get(STUDENTS, expect=200).json["items"]], [s["id"]])
        self.assertEqual(teacher2.get(f"{STUDENTS}/{s['id']}", expect=200).json["id"], s["id"])

    def test_writes_by_teachers_students_and_parents_are_403(self):
        s = self.A.students["other"]
        g = self.A.guardians["parent"]
        for role in ("teacher", "student", "parent"):
            c = self.A.client(role)
            self.assertProblem(c.post(STUDENTS, json={"admissionNo": "X", "firstName": "A", "lastName": "B",
                                                      "dateOfBirth": "2012-01-01"}), 403)
            self.assertProblem(c.patch(f"{STUDENTS}/{s['id']}", json={"firstName": "X"},
                                       headers={"If-Match": '"1"'}), 403)
            self.assertProblem(c.delete(f"{STUDENTS}/{s['id']}"), 403)
            self.assertProblem(c.put(f"{STUDENTS}/{s['id']}/guardians/{g['id']}", json={"relationship": "other"}),
                               403)
            self.assertProblem(c.delete(f"{STUDENTS}/{s['id']}/guardians/{g['id']}"), 403)
            self.assertProblem(c.post(GUARDIANS, json={"firstName": "A", "lastName": "B"}), 403)

    def test_other_schools_students_are_404(self):
        sid = self.B.students["student"]["id"]
        for role in ("admin", "staff", "teacher", "student", "parent"):
            self.assertProblem(self.A.client(role).get(f"{STUDENTS}/{sid}"), 404)
        self.assertProblem(self.admin().delete(f"{STUDENTS}/{sid}", headers={"If-Match": '"1"'}), 404)
        self.assertProblem(self.admin().patch(f"{STUDENTS}/{sid}", json={"firstName": "X"},
                                              headers={"If-Match": '"1"'}), 404)
        self.assertIsNone(self.admin("B").get(f"{STUDENTS}/{sid}", expect=200).json["deletedAt"])

    def test_every_read_and_write_is_audited(self):
        admin = self.admin()
        s = self.new_student(client=self.A.client("staff"), lastName=f"Audited{seq()}")
        sid = s["id"]
        admin.get(f"{STUDENTS}/{sid}", expect=200)
        self.A.client("staff").get(f"{STUDENTS}/{sid}/guardians", expect=200)
        admin.patch(f"{STUDENTS}/{sid}", json={"firstName": "Renamed", "phone": "555-0199"},
                    headers={"If-Match": '"1"'}, expect=200)
        self.A.client("parent").get(f"{STUDENTS}/{sid}")  # not their child: 404, recorded as denied
        admin.delete(f"{STUDENTS}/{sid}", headers={"If-Match": '"2"'}, expect=204)
        events = self.audit(subjectId=sid)
        # as a set: events of one millisecond have no order among them
        got = sorted((e["action"], e["outcome"], e["actorId"], e["detail"] or "") for e in events)
        staff_id, admin_id, parent_id = (self.A.users[k]["id"] for k in ("staff", "admin", "parent"))
        self.assertEqual(got, sorted([
            ("student.create", "ok", staff_id, ""),
            ("student.read", "ok", admin_id, ""),
            ("student.read", "ok", staff_id, "guardians"),
            ("student.update", "ok", admin_id, "fields: firstName, phone"),
            ("student.read", "denied", parent_id, ""),
            ("student.delete", "ok", admin_id, ""),
        ]))
        self.assertTrue(all(e["subjectType"] == "student" and e["requestId"] for e in events))
        # one student.list event per page, by whoever lists
        parent_id = self.A.users["parent"]["id"]
        before = len(self.audit(action="student.list", actorId=parent_id))
        parent = self.A.client("parent")
        parent.get(f"{STUDENTS}?limit=1", expect=200)
        parent.get("/api/v1/me/students", expect=200)
        lists = self.audit(action="student.list", actorId=parent_id)
        self.assertEqual(len(lists) - before, 2)
        self.assertEqual(lists[0]["detail"], "items=1")


# ---------------------------------------------------------------- guardians and links


class TestGuardiansAndLinks(PeopleCase, BodyChecks):
    def test_create_read_update(self):
        res = self.A.client("staff").post(GUARDIANS, json={
            "firstName": "Mia", "lastName": "Okafor", "email": "MIA@home.example", "phone": "0044 20 7946 0958",
            "address": "1 High St", "occupation": "Nurse"})
        self.assertEqual(res.status, 201, res)
        g = res.json
        self.assertEqual(res.headers["location"], f"{GUARDIANS}/{g['id']}")
        self.assertEqual((g["email"], g["userId"], g["version"]), ("mia@home.example", None, 1))
        self.assertEqual(self.admin().get(f"{GUARDIANS}/{g['id']}", expect=200).json, g)
        path = f"{GUARDIANS}/{g['id']}"
        self.assertProblem(self.admin().patch(path, json={"occupation": None}), 428)
        upd = self.A.client("staff").patch(path, json={"occupation": None, "lastName": "Okafor-Smith"},
                                           headers={"If-Match": '"1"'}, expect=200).json
        self.assertEqual((upd["occupation"], upd["lastName"], upd["version"]), (None, "Okafor-Smith", 2))
        self.assertProblem(self.admin().patch(path, json={"lastName": "X"}, headers={"If-Match": '"1"'}), 412)
        self.check_body_errors(self.admin(), "PATCH", path, {"If-Match": '"2"'})
        self.assertProblem(self.admin().patch(path, json={"phone": "x"}, headers={"If-Match": '"2"'}), 422,
                           fields=["phone"])
        self.assertProblem(self.admin().patch(f"{GUARDIANS}/{uuid.uuid4()}", json={"phone": None},
                                              headers={"If-Match": '"1"'}), 404)

    def test_validation_and_bodies(self):
        res = self.admin().post(GUARDIANS, json={"firstName": "", "lastName": None, "email": "x", "phone": "x",
                                                 "address": "", "occupation": 3, "userId": "u", "studentIds": []})
        self.assertProblem(res, 422, fields=["firstName", "lastName", "email", "phone", "address", "occupation",
                                             "userId", "studentIds"])
        self.check_body_errors(self.admin(), "POST", GUARDIANS)

    def test_account_link_must_be_a_parent_account_of_the_school(self):
        body = {"firstName": "A", "lastName": "B"}
        self.assertProblem(self.admin().post(GUARDIANS, json=dict(body, userId=self.A.users["student"]["id"])), 422,
                           fields=["userId"])
        self.assertProblem(self.admin().post(GUARDIANS, json=dict(body, userId=self.B.users["parent"]["id"])), 404)
        self.assertProblem(self.admin().post(GUARDIANS, json=dict(body, userId=self.A.users["parent"]["id"])), 409,
                           fields=["userId"])
        # linking another guardian to the account in use: 409 as well, nothing changed
        g = self.new_guardian()
        path = f"{GUARDIANS}/{g['id']}"
        self.assertProblem(self.admin().patch(path, json={"userId": self.A.users["parent"]["id"]},
                                              headers={"If-Match": '"1"'}), 409, fields=["userId"])
        self.assertIsNone(self.admin().get(path, expect=200).json["userId"])

    def test_list_search_sort_pages(self):
        tag = f"Kin{seq()}"
        made = [self.new_guardian(lastName=f"{tag}{c}", phone=f"+1 555 {i}{i}{i}{i}") for i, c in enumerate("BCA")]
        items, pages = all_pages(self.A.client("staff"), f"{GUARDIANS}?q={tag.lower()}", limit=2)
        self.assertEqual([x["lastName"] for x in items], [f"{tag}A", f"{tag}B", f"{tag}C"])
        self.assertEqual(pages, 2)
        items, _ = all_pages(self.admin(), f"{GUARDIANS}?q={tag}&sort=-createdAt", limit=2)
        self.assertEqual([x["id"] for x in items], [x["id"] for x in reversed(made)])
        self.assertEqual([x["id"] for x in self.admin().get(f"{GUARDIANS}?q=555%202222", expect=200).json["items"]],
                         [made[2]["id"]])
        self.assertProblem(self.admin().get(f"{GUARDIANS}?sort=firstName"), 422, fields=["sort"])
        self.assertProblem(self.admin().get(f"{GUARDIANS}?cursor=garbage"), 400)
        for role in ("teacher", "student", "parent"):
            self.assertProblem(self.A.client(role).get(GUARDIANS), 403)

    def test_links_upsert_and_one_primary_guardian(self):
        s = self.new_student()
        g1, g2 = self.new_guardian(lastName="Aaa"), self.new_guardian(lastName="Bbb")
        staff = self.A.client("staff")
        link = f"{STUDENTS}/{s['id']}/guardians"
        l1 = staff.put(f"{link}/{g1['id']}", json={"relationship": "mother", "isPrimary": True}, expect=200).json
        self.assertEqual((l1["isPrimary"], l1["canPickUp"], l1["guardian"]["lastName"], l1["student"]["admissionNo"]),
                         (True, True, "Aaa", s["admissionNo"]))
        staff.put(f"{link}/{g2['id']}", json={"relationship": "father", "isPrimary": True, "canPickUp": False},
                  expect=200)
        items = staff.get(link, expect=200).json["items"]
        self.assertEqual([(x["guardianId"], x["isPrimary"], x["canPickUp"]) for x in items],
                         [(g2["id"], True, False), (g1["id"], False, True)])
        # PUT again changes the link (upsert), and making g1 primary clears g2
        l1 = staff.put(f"{link}/{g1['id']}", json={"relationship": "grandparent", "isPrimary": True}, expect=200).json
        self.assertEqual((l1["relationship"], l1["isPrimary"]), ("grandparent", True))
        detail = staff.get(f"{STUDENTS}/{s['id']}", expect=200).json
        self.assertEqual([(x["guardianId"], x["relationship"], x["isPrimary"]) for x in detail["guardians"]],
                         [(g1["id"], "grandparent", True), (g2["id"], "father", False)])
        self.assertEqual(sum(x["isPrimary"] for x in detail["guardians"]), 1)
        # a guardian is named the same way wherever a link shows it: the student's record and the link itself
        by_link = {x["guardianId"]: x["guardian"] for x in staff.get(link, expect=200).json["items"]}
        self.assertEqual([x["guardian"] for x in detail["guardians"]],
                         [{"id": g1["id"], "firstName": g1["firstName"], "lastName": "Aaa"},
                          {"id": g2["id"], "firstName": g2["firstName"], "lastName": "Bbb"}])
        self.assertEqual([by_link[x["guardianId"]] for x in detail["guardians"]],
                         [x["guardian"] for x in detail["guardians"]])
        students = self.admin().get(f"{GUARDIANS}/{g2['id']}/students", expect=200).json["items"]
        self.assertEqual([x["studentId"] for x in students], [s["id"]])
        # unlink
        self.assertEqual(staff.delete(f"{link}/{g2['id']}").status, 204)
        self.assertProblem(staff.delete(f"{link}/{g2['id']}"), 404)
        self.assertEqual([x["guardianId"] for x in staff.get(link, expect=200).json["items"]], [g1["id"]])
        # audited as changes of the student's record
        details = [e["detail"] for e in self.audit(subjectId=s["id"], action="student.update")]
        self.assertIn(f"guardian {g2['id']} unlinked", details)
        self.assertIn(f"guardian {g1['id']} linked as grandparent, primary, may pick up", details)

    def test_concurrent_primary_guardians_leave_one(self):
        s = self.new_student()
        gs = [self.new_guardian() for _ in range(4)]
        barrier = threading.Barrier(len(gs))
        statuses = []

        def put(g):
            c = Client(self.server, token=self.A.token("admin"))
            barrier.wait()
            statuses.append(c.put(f"{STUDENTS}/{s['id']}/guardians/{g['id']}",
                                  json={"relationship": "guardian", "isPrimary": True}).status)

        threads = [threading.Thread(target=put, args=(g,)) for g in gs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(set(statuses) <= {200, 409}, statuses)
        self.assertIn(200, statuses)
        items = self.admin().get(f"{STUDENTS}/{s['id']}/guardians", expect=200).json["items"]
        self.assertEqual(sum(x["isPrimary"] for x in items), 1)

    def test_link_validation_and_missing_records(self):
        s, g = self.new_student(), self.new_guardian()
        path = f"{STUDENTS}/{s['id']}/guardians/{g['id']}"
        admin = self.admin()
        self.assertProblem(admin.put(path, json={}), 422, fields=["relationship"])
        self.assertProblem(admin.put(path, json={"relationship": "aunt", "isPrimary": "yes", "canPickUp": 1,
                                                 "since": "2020-01-01"}), 422,
                           fields=["relationship", "isPrimary", "canPickUp", "since"])
        self.check_body_errors(admin, "PUT", path)
        self.assertProblem(admin.put(f"{STUDENTS}/{s['id']}/guardians/{uuid.uuid4()}", json={"relationship": "other"}),
                           404)
        self.assertProblem(admin.put(f"{STUDENTS}/{uuid.uuid4()}/guardians/{g['id']}", json={"relationship": "other"}),
                           404)
        self.assertProblem(admin.put(f"{STUDENTS}/{s['id']}/guardians/bad-id", json={"relationship": "other"}), 404)
        self.assertProblem(admin.delete(path), 404)

    def test_parents_read_their_own_guardian_record_only(self):
        own, other = self.A.guardians["parent"], self.new_guardian()
        parent = self.A.client("parent")
        self.assertEqual(parent.get(f"{GUARDIANS}/{own['id']}", expect=200).json["id"], own["id"])
        self.assertProblem(parent.get(f"{GUARDIANS}/{other['id']}"), 404)
        kids = parent.get(f"{GUARDIANS}/{own['id']}/students", expect=200).json["items"]
        self.assertEqual([x["studentId"] for x in kids], [self.A.students["student"]["id"]])
        self.assertProblem(parent.get(f"{GUARDIANS}/{other['id']}/students"), 404)
        self.assertProblem(parent.patch(f"{GUARDIANS}/{own['id']}", json={"phone": None},
                                        headers={"If-Match": '"1"'}), 403)
        # teachers read the guardians of students they teach only (this World teacher teaches nobody)
        self.assertProblem(self.A.client("teacher").get(f"{GUARDIANS}/{own['id']}"), 404)
        for role in ("teacher", "student"):
            self.assertProblem(self.A.client(role).get(f"{GUARDIANS}/{own['id']}/students"), 403)
        self.assertProblem(self.A.client("student").get(f"{GUARDIANS}/{own['id']}"), 403)

    def test_other_schools_guardians_are_404(self):
        gid, sid = self.B.guardians["parent"]["id"], self.B.students["student"]["id"]
        admin = self.admin()
        self.assertProblem(admin.get(f"{GUARDIANS}/{gid}"), 404)
        self.assertProblem(admin.get(f"{GUARDIANS}/{gid}/students"), 404)
        self.assertProblem(admin.put(f"{STUDENTS}/{self.A.students['other']['id']}/guardians/{gid}",
                                     json={"relationship": "other"}), 404)
        self.assertProblem(admin.delete(f"{STUDENTS}/{sid}/guardians/{gid}"), 404)
        links = self.admin("B").get(f"{STUDENTS}/{sid}/guardians", expect=200).json["items"]
        self.assertEqual([x["guardianId"] for x in links], [gid])


# ---------------------------------------------------------------- who sees whom, on the demo school


class TestVisibilityInTheDemoSchool(ServerTestCase):
    """
    `school-erp demo --students 240`: 12 teachers, 12 classes with 7 subjects each (so a teacher teaches some
    classes, not all; with 60 students, 3 teachers share every class), 120 parents of two children each.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        r = run([cls.server.binary, "demo", "--students", "240"], env=cls.server.environment(), timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"school-erp demo failed: {r.stderr}")
        cls.password = re.search(r"admin login:\s+\S+ / (\S+)", r.stdout).group(1)
        cls.tenant = db_rows(cls.server, "SELECT id FROM tenants WHERE slug = 'demo'")[0][0]
        cls.tokens = {}

    def client(self, key):
        if key not in self.tokens:
            self.tokens[key] = login(self.server, "demo", f"{key}@demo.school", self.password)["accessToken"]
        return Client(self.server, token=self.tokens[key])

    def rows(self, sql):
        return db_rows(self.server, sql.replace("$T", f"'{self.tenant}'"))

    def record_of(self, table, key):
        return self.rows(f"SELECT x.id FROM {table} x JOIN users u ON u.tenant_id = x.tenant_id AND u.id = x.user_id"
                         f" WHERE x.tenant_id = $T AND u.email = '{key}@demo.school'")[0][0]

    def taught(self, teacher_id):
        """Oracle: students ever enrolled in a class the teacher teaches (class teacher or a subject)."""
        return {r[0] for r in self.rows(
            "SELECT DISTINCT e.student_id FROM enrollments e JOIN classes c ON c.tenant_id = e.tenant_id"
            " AND c.id = e.class_id JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
            f" WHERE e.tenant_id = $T AND s.deleted_at IS NULL AND (c.class_teacher_id = '{teacher_id}' OR EXISTS"
            " (SELECT 1 FROM class_subjects cs WHERE cs.tenant_id = c.tenant_id AND cs.class_id = c.id"
            f" AND cs.teacher_id = '{teacher_id}'))")}

    def children(self, guardian_id):
        return {r[0] for r in self.rows(
            "SELECT l.student_id FROM student_guardians l JOIN students s ON s.tenant_id = l.tenant_id"
            f" AND s.id = l.student_id WHERE l.tenant_id = $T AND l.guardian_id = '{guardian_id}'"
            " AND s.deleted_at IS NULL")}

    def listed(self, key, path=STUDENTS, limit=7):
        return {x["id"] for x in all_pages(self.client(key), path, limit=limit)[0]}

    def all_students(self):
        return {r[0] for r in self.rows("SELECT id FROM students WHERE tenant_id = $T AND deleted_at IS NULL")}

    def test_teachers_see_exactly_the_students_of_the_classes_they_teach(self):
        everyone = self.all_students()
        for key in ("teacher1", "teacher2", "teacher3"):
            expected = self.taught(self.record_of("teachers", key))
            self.assertTrue(0 < len(expected) < len(everyone), key)
            self.assertEqual(self.listed(key), expected, key)
            mine, other = sorted(expected)[0], sorted(everyone - expected)[0]
            c = self.client(key)
            self.assertEqual(c.get(f"{STUDENTS}/{mine}", expect=200).json["id"], mine)
            self.assertProblem(c.get(f"{STUDENTS}/{other}"), 404)
            self.assertProblem(c.get(f"{STUDENTS}/{other}/guardians"), 404)
            # the guardians of their students, and no others
            g_mine = self.rows(f"SELECT guardian_id FROM student_guardians WHERE tenant_id = $T AND student_id = '{mine}'")
            g_other = self.rows(f"SELECT guardian_id FROM student_guardians WHERE tenant_id = $T"
                                f" AND student_id = '{other}'")
            self.assertEqual(c.get(f"{GUARDIANS}/{g_mine[0][0]}", expect=200).json["id"], g_mine[0][0])
            if not {g[0] for g in g_other} & {r[0] for r in self.rows(
                    "SELECT guardian_id FROM student_guardians WHERE tenant_id = $T AND student_id IN ("
                    + ",".join(f"'{s}'" for s in expected) + ")")}:
                self.assertProblem(c.get(f"{GUARDIANS}/{g_other[0][0]}"), 404)
            # filters and orders apply within what they may see
            by_dob = [x["id"] for x in all_pages(c, f"{STUDENTS}?sort=-dateOfBirth", limit=5)[0]]
            self.assertEqual(set(by_dob), expected)
            self.assertEqual(len(by_dob), len(expected))

    def test_parents_see_exactly_their_children(self):
        for key in ("parent1", "parent2", "parent17"):
            gid = self.record_of("guardians", key)
            expected = self.children(gid)
            self.assertEqual(len(expected), 2, key)
            self.assertEqual(self.listed(key), expected)
            self.assertEqual(self.listed(key, "/api/v1/me/students"), expected)
            kids = self.client(key).get(f"{GUARDIANS}/{gid}/students", expect=200).json["items"]
            self.assertEqual({x["studentId"] for x in kids}, expected)
            other = sorted(self.all_students() - expected)[0]
            self.assertProblem(self.client(key).get(f"{STUDENTS}/{other}"), 404)

    def test_students_see_only_themselves(self):
        key = self.rows("SELECT u.email FROM students s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
                        " WHERE s.tenant_id = $T ORDER BY u.email LIMIT 1")[0][0].split("@")[0]
        own = self.record_of("students", key)
        self.assertEqual(self.listed(key), {own})
        self.assertEqual(self.listed(key, "/api/v1/me/students"), {own})
        doc = self.client(key).get(f"{STUDENTS}/{own}", expect=200).json
        self.assertEqual(doc["currentClass"], self.admin().get(f"{STUDENTS}/{own}", expect=200).json["currentClass"])
        self.assertEqual(len(doc["guardians"]), 1)

    def admin(self):
        return self.client("admin")

    # Enrolled today: from the enrollment's first day to its last, an open one to its year's last day (the
    # roster and the class's enrolledCount say so too), in the school's time zone.
    ENROLLED_TODAY = ("e.start_date <= '{today}' AND (e.end_date IS NULL OR e.end_date >= '{today}')"
                      " AND EXISTS (SELECT 1 FROM academic_years y WHERE y.tenant_id = e.tenant_id"
                      " AND y.id = e.academic_year_id AND y.end_date >= '{today}')")

    def test_class_and_grade_filters_and_the_current_class(self):
        cls_id, name, grade = self.rows("SELECT id, name, grade_level FROM classes WHERE tenant_id = $T"
                                        " ORDER BY name LIMIT 1")[0]
        enrolled_today = self.ENROLLED_TODAY.format(today=school_today(DEMO_TIME_ZONE))
        expected = {r[0] for r in self.rows(f"SELECT e.student_id FROM enrollments e WHERE e.tenant_id = $T"
                                            f" AND e.class_id = '{cls_id}' AND {enrolled_today}")}
        # the demo's 20 students of the class while its year runs; nobody before or after
        in_session = DemoCalendar().enrolled_on(dates.day(school_today(DEMO_TIME_ZONE)))
        self.assertEqual(len(expected), 20 if in_session else 0)
        self.assertEqual({x["id"] for x in all_pages(self.admin(), f"{STUDENTS}?classId={cls_id.upper()}", 50)[0]},
                         expected)
        in_grade = {r[0] for r in self.rows(
            "SELECT e.student_id FROM enrollments e JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
            f" WHERE e.tenant_id = $T AND c.grade_level = {grade} AND {enrolled_today}")}
        self.assertEqual({x["id"] for x in all_pages(self.admin(), f"{STUDENTS}?gradeLevel={grade}", 50)[0]},
                         in_grade)
        sid = sorted(r[0] for r in self.rows(f"SELECT student_id FROM enrollments WHERE tenant_id = $T"
                                             f" AND class_id = '{cls_id}'"))[0]
        doc = self.admin().get(f"{STUDENTS}/{sid}", expect=200).json
        self.assertEqual(doc["currentClass"],
                         {"id": cls_id, "name": name, "gradeLevel": int(grade)} if sid in expected else None)
        self.assertEqual(len(doc["guardians"]), 1)
        self.assertTrue(doc["guardians"][0]["isPrimary"])

    def test_soft_delete_keeps_enrollments_attendance_and_links(self):
        sid = sorted(self.all_students())[0]
        # attendance of its own, whatever the demo marked so far: a year of the school ended before the demo's
        # (a student is on one roster a day), one class, one mark
        admin, start = self.admin(), dates.monday_of(DemoCalendar().start - dates.DAY * 250)
        year = admin.post("/api/v1/academic-years", json={"name": "Soft delete", "startDate": dates.iso(start),
                                                          "endDate": dates.iso(start + dates.DAY * 200)},
                          expect=201).json["id"]
        admin.post("/api/v1/terms", json={"academicYearId": year, "name": "Soft delete", "startDate": dates.iso(start),
                                          "endDate": dates.iso(start + dates.DAY * 100)}, expect=201)
        cls = admin.post("/api/v1/classes", json={"academicYearId": year, "gradeLevel": 3, "section": "SD"},
                         expect=201).json["id"]
        admin.post("/api/v1/enrollments", json={"studentId": sid, "classId": cls, "startDate": dates.iso(start)},
                   expect=201)
        admin.put(f"/api/v1/classes/{cls}/attendance/{dates.iso(start + dates.DAY)}",
                  json={"marks": [{"studentId": sid, "status": "present"}]}, expect=200)
        current_class = admin.get(f"{STUDENTS}/{sid}", expect=200).json["currentClass"]

        def history():
            return tuple(self.rows(f"SELECT count(*) FROM {t} WHERE tenant_id = $T AND student_id = '{sid}'")[0][0]
                         for t in ("enrollments", "attendance", "student_guardians"))

        before = history()
        self.assertTrue(all(int(n) > 0 for n in before), before)
        guardian = self.rows(f"SELECT u.email FROM student_guardians l JOIN guardians g ON g.tenant_id = l.tenant_id"
                             f" AND g.id = l.guardian_id JOIN users u ON u.tenant_id = g.tenant_id AND u.id = g.user_id"
                             f" WHERE l.tenant_id = $T AND l.student_id = '{sid}'")[0][0].split("@")[0]
        self.assertIn(sid, self.listed(guardian))
        self.assertEqual(self.admin().delete(f"{STUDENTS}/{sid}", headers={"If-Match": "*"}).status, 204)
        self.assertEqual(history(), before)
        self.assertNotIn(sid, self.listed(guardian))
        self.assertNotIn(sid, self.listed("admin", limit=100))
        self.assertProblem(self.client(guardian).get(f"{STUDENTS}/{sid}"), 404)
        doc = self.admin().get(f"{STUDENTS}/{sid}?includeDeleted=true", expect=200).json
        self.assertIsNotNone(doc["deletedAt"])
        self.assertEqual(doc["currentClass"], current_class)

    def test_teacher_reads_are_audited(self):
        tid = self.record_of("teachers", "teacher2")
        sid = sorted(self.taught(tid))[0]
        self.client("teacher2").get(f"{STUDENTS}/{sid}", expect=200)
        events = self.admin().get(f"/api/v1/audit-events?subjectId={sid}&action=student.read",
                                  expect=200).json["items"]
        teacher_user = self.rows("SELECT id FROM users WHERE tenant_id = $T AND email = 'teacher2@demo.school'")[0][0]
        self.assertEqual(events[0]["actorId"], teacher_user)
        self.assertEqual(events[0]["actorRoles"], ["teacher"])


class TestZZPeopleCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every people operation answered each status it documents."""

    def test_every_operation_answered_its_statuses(self):
        classes = {c.__name__ for c in PeopleCase.__subclasses__()} | {"TestVisibilityInTheDemoSchool"}
        if not DOC or not classes <= RAN:
            skip_allowed("only after the whole module")
        missing = []
        for tag in ("teachers", "students", "guardians"):
            missing += uncovered(DOC[0], tag, UNREACHABLE)
        self.assertEqual(missing, [])
