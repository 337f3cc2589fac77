"""
Fee setup: fee items, fee structures (frozen once they have invoiced), students' discounts and scholarships, bulk
invoicing as a job (idempotent), and the list of invoices with computed statuses. Runs on both engines
(ERP_TEST_ENGINE); the job runs on the server's own job threads (ERP_SERVE_WORKERS).

Every expected figure is computed by hand in the comments (the rounding rule: src/domain/fees.h): shares of
3334/3333/3333 basis points take, of an amount, what the cumulative shares take rounded half up less what the
previous ones took.
"""

import csv
import datetime
import io
import json
import threading
import unittest
import uuid

import fixtures_people
from fixtures_daily import uncovered
from harness import Contract, ServerTestCase, db_rows, skip_allowed, test_now, wait_until
from world import World

V1 = "/api/v1"
DOC = []
RAN = set()


def day(offset):
    return (test_now().date() + datetime.timedelta(days=offset)).isoformat()


class SetupCase(ServerTestCase):
    SERVER_ENV = {"ERP_SERVE_WORKERS": "2", "ERP_WORKER_POLL_MS": "20", "ERP_QUEUE_BACKOFF_MS": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        DOC[:] = [cls.server.openapi]
        cls.world = World(cls.server)
        school = cls.school = cls.world.A
        fixtures_people.build_school(school, "A")
        cls.admin = school.client("admin")
        cls.bursar = school.client("bursar")
        cls.year = cls.admin.post(f"{V1}/academic-years", json={
            "name": f"Fees year {uuid.uuid4().hex[:6]}", "startDate": day(-100), "endDate": day(250)},
            expect=201).json["id"]

    def item(self, name, amount, **extra):
        return self.bursar.post(f"{V1}/fee-items", json=dict({"name": name, "amount": amount}, **extra),
                                expect=201).json

    def klass(self, grade, section):
        return self.admin.post(f"{V1}/classes", json={"academicYearId": self.year, "gradeLevel": grade,
                                                      "section": section}, expect=201).json["id"]

    def student(self, class_id=None):
        n = uuid.uuid4().hex[:8]
        sid = self.admin.post(f"{V1}/students", json={"admissionNo": f"FS-{n}", "firstName": "Fee",
                                                      "lastName": f"Setup {n}", "dateOfBirth": "2014-01-01"},
                              expect=201).json["id"]
        if class_id:
            self.enrol(sid, class_id)
        return sid

    def enrol(self, sid, class_id):
        return self.admin.post(f"{V1}/enrollments", json={"studentId": sid, "classId": class_id,
                                                          "startDate": day(-90)}, expect=201).json

    def structure(self, items, instalments=None, **scope):
        body = dict({"name": f"Structure {uuid.uuid4().hex[:6]}", "academicYearId": self.year,
                     "items": [{"itemId": i} if isinstance(i, str) else i for i in items],
                     "instalments": instalments or [{"label": "Year", "dueDate": day(30), "shareBp": 10000}]},
                    **scope)
        return self.bursar.post(f"{V1}/fee-structures", json=body, expect=201).json

    def run_invoicing(self, structure_id, client=None):
        c = client or self.bursar
        res = c.post(f"{V1}/fee-structures/{structure_id}/invoice", expect=202)
        jid = res.json["jobId"]
        self.assertEqual(res.headers["location"], f"{V1}/jobs/{jid}")
        job = wait_until(lambda: (lambda j: j if j["state"] in ("completed", "failed", "cancelled") else None)(
            c.get(f"{V1}/jobs/{jid}", expect=200).json), timeout=60, message=f"job {jid} finished")
        self.assertEqual(job["state"], "completed", job)
        return job["result"]

    def invoices(self, client=None, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return (client or self.bursar).get(f"{V1}/invoices?{q}", expect=200).json["items"]


class TestFeeItems(SetupCase):
    def test_create_read_list_and_update_with_if_match(self):
        item = self.item("Tuition", 125000, description="Teaching, a year")
        self.assertEqual((item["amount"], item["currency"], item["description"], item["version"]),
                         (125000, "EUR", "Teaching, a year", 1))
        got = self.bursar.get(f"{V1}/fee-items/{item['id']}", expect=200)
        self.assertEqual(got.json, item)
        etag = got.headers["etag"]
        self.assertProblem(self.bursar.post(f"{V1}/fee-items", json={"name": "Tuition", "amount": 1}), 409,
                           fields=["name"])
        self.assertProblem(self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={"amount": 1}), 428)
        self.assertProblem(self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={"amount": 1},
                                             headers={"If-Match": '"7"'}), 412)
        new = self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={"amount": 130000, "description": None},
                                headers={"If-Match": etag}, expect=200).json
        self.assertEqual((new["amount"], new["description"], new["version"], new["name"]),
                         (130000, None, 2, "Tuition"))
        self.item("Transport", 0)
        self.assertProblem(self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={"name": "Transport"},
                                             headers={"If-Match": "*"}), 409, fields=["name"])
        same = self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={}, headers={"If-Match": "*"}, expect=200).json
        self.assertEqual(same["version"], 2)
        self.bursar.get(f"{V1}/fee-items/{uuid.uuid4()}", expect=404)
        self.bursar.patch(f"{V1}/fee-items/{uuid.uuid4()}", json={"amount": 1}, headers={"If-Match": "*"},
                          expect=404)
        # paged by name
        first = self.admin.get(f"{V1}/fee-items?limit=1", expect=200).json
        self.assertEqual(len(first["items"]), 1)
        rest = self.admin.get(f"{V1}/fee-items?limit=500&cursor={first['nextCursor']}", expect=200).json
        names = [i["name"] for i in first["items"] + rest["items"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("Tuition", names)
        self.assertProblem(self.admin.get(f"{V1}/fee-items?limit=0"), 422)
        self.assertProblem(self.admin.get(f"{V1}/fee-items?cursor=zzz"), 400)
        self.assertProblem(self.bursar.patch(f"{V1}/fee-items/{item['id']}", json={"amount": -1},
                                             headers={"If-Match": "*"}), 422, fields=["amount"])
        audit = db_rows(self.server, "SELECT action FROM audit_events WHERE subject_id = '%s' ORDER BY at"
                        % item["id"])
        self.assertEqual([a for (a,) in audit], ["fee_item.create", "fee_item.update"])

    def test_bad_input_roles_and_bodies(self):
        for body, field in (({"name": "x", "amount": -1}, "amount"), ({"name": "x", "amount": 1.5}, "amount"),
                            ({"name": "x", "amount": "12"}, "amount"), ({"amount": 1}, "name"),
                            ({"name": "", "amount": 1}, "name"), ({"name": "x"}, "amount"),
                            ({"name": "x", "amount": 1, "currency": "EUR"}, "currency"),
                            ({"name": "x", "amount": 10 ** 15 + 1}, "amount")):
            with self.subTest(body=body):
                self.assertProblem(self.bursar.post(f"{V1}/fee-items", json=body), 422, fields=[field])
        item = self.item("Meals", 4500)
        for path, method in ((f"{V1}/fee-items", "POST"), (f"{V1}/fee-items/{item['id']}", "PATCH")):
            h = {"If-Match": "*"}
            self.assertProblem(self.bursar.request(method, path, body=b'{"name": ', content_type="application/json",
                                                   headers=h), 400)
            self.assertProblem(self.bursar.request(method, path, body=b"name", content_type="text/plain",
                                                   headers=h), 415)
            self.assertProblem(self.bursar.request(method, path, body=json.dumps({"name": "x" * (2 << 20)}).encode(),
                                                   content_type="application/json", headers=h), 413)
            for role in ("teacher", "staff", "parent", "student"):
                self.assertProblem(self.school.client(role).request(method, path, json={"amount": 1}, headers=h), 403)
        for role in ("teacher", "parent"):
            self.assertProblem(self.school.client(role).get(f"{V1}/fee-items"), 403)
            self.assertProblem(self.school.client(role).get(f"{V1}/fee-items/{item['id']}"), 403)
        self.assertEqual(self.bursar.get(f"{V1}/fee-items/{item['id']}", expect=200).json["amount"], 4500)


class TestFeeStructures(SetupCase):
    def test_create_by_grade_or_class_and_validation(self):
        tuition, bus = self.item("Tuition S", 100000)["id"], self.item("Bus S", 20000)["id"]
        s = self.structure([tuition, {"itemId": bus, "amount": 15000}],
                           [{"label": "Term 1", "dueDate": day(10), "shareBp": 5000},
                            {"label": "Term 2", "dueDate": day(100), "shareBp": 5000}], gradeLevel=4)
        self.assertEqual(s["total"], 115000)  # 100 000 + 15 000 (the bus item's own amount replaced)
        self.assertEqual([(i["name"], i["amount"]) for i in s["items"]], [("Tuition S", 100000), ("Bus S", 15000)])
        self.assertEqual([(i["seq"], i["shareBp"]) for i in s["instalments"]], [(1, 5000), (2, 5000)])
        self.assertEqual((s["gradeLevel"], s["classId"], s["invoiced"], s["currency"]), (4, None, False, "EUR"))
        cls = self.klass(4, "S1")
        c = self.structure([tuition], classId=cls)
        self.assertEqual((c["gradeLevel"], c["classId"]), (None, cls))
        other_year = self.admin.post(f"{V1}/academic-years", json={"name": f"Other {uuid.uuid4().hex[:6]}",
                                                                   "startDate": day(300), "endDate": day(600)},
                                     expect=201).json["id"]
        base = {"name": "Bad", "academicYearId": self.year, "gradeLevel": 4, "items": [{"itemId": tuition}],
                "instalments": [{"label": "All", "dueDate": day(5), "shareBp": 10000}]}
        for change, field in (({"instalments": [{"label": "A", "dueDate": day(5), "shareBp": 6000},
                                                {"label": "B", "dueDate": day(6), "shareBp": 3000}]}, "instalments"),
                              ({"classId": cls}, "gradeLevel"), ({"gradeLevel": 14}, "gradeLevel"),
                              ({"items": []}, "items"), ({"items": [{"itemId": tuition}, {"itemId": tuition}]},
                                                         "items[1].itemId"),
                              ({"instalments": [{"label": "A", "dueDate": "2026-02-30", "shareBp": 10000}]},
                               "instalments[0].dueDate"),
                              ({"items": [{"itemId": tuition, "amount": -1}]}, "items[0].amount"),
                              ({"academicYearId": "nope"}, "academicYearId")):
            with self.subTest(change=change):
                self.assertProblem(self.bursar.post(f"{V1}/fee-structures", json=dict(base, **change)), 422,
                                   fields=[field])
        no_scope = {k: v for k, v in base.items() if k != "gradeLevel"}
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures", json=no_scope), 422, fields=["classId"])
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures", json=dict(
            no_scope, academicYearId=other_year, classId=cls)), 422, fields=["classId"])
        for change in ({"items": [{"itemId": str(uuid.uuid4())}]}, {"academicYearId": str(uuid.uuid4())},
                       {"gradeLevel": None, "classId": str(uuid.uuid4())}):
            body = {k: v for k, v in dict(base, **change).items() if v is not None}
            self.assertProblem(self.bursar.post(f"{V1}/fee-structures", json=body), 404)
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures", json=dict(base, name=s["name"])), 409,
                           fields=["name"])
        listed = self.bursar.get(f"{V1}/fee-structures?academicYearId={self.year}&limit=500", expect=200).json
        self.assertEqual({x["id"] for x in listed["items"]} >= {s["id"], c["id"]}, True)
        self.assertEqual(self.bursar.get(f"{V1}/fee-structures?academicYearId={other_year}", expect=200).json,
                         {"items": [], "nextCursor": None})
        self.assertProblem(self.bursar.get(f"{V1}/fee-structures?academicYearId=x"), 422)
        self.assertProblem(self.bursar.get(f"{V1}/fee-structures?cursor=zzz"), 400)
        self.assertProblem(self.school.client("teacher").get(f"{V1}/fee-structures"), 403)
        self.assertProblem(self.school.client("parent").patch(f"{V1}/fee-structures/{s['id']}", json={"name": "x"},
                                                              headers={"If-Match": "*"}), 403)
        self.bursar.get(f"{V1}/fee-structures/{uuid.uuid4()}", expect=404)
        self.assertProblem(self.school.client("teacher").get(f"{V1}/fee-structures/{s['id']}"), 403)
        self.assertProblem(self.school.client("parent").post(f"{V1}/fee-structures", json=base), 403)
        for path in (f"{V1}/fee-structures", f"{V1}/fee-structures/{s['id']}"):
            method = "POST" if path.endswith("structures") else "PATCH"
            self.assertProblem(self.bursar.request(method, path, body=b"{", content_type="application/json",
                                                   headers={"If-Match": "*"}), 400)
            self.assertProblem(self.bursar.request(method, path, body=b"x", content_type="text/plain",
                                                   headers={"If-Match": "*"}), 415)
            self.assertProblem(self.bursar.request(method, path, body=json.dumps({"name": "x" * (2 << 20)}).encode(),
                                                   content_type="application/json", headers={"If-Match": "*"}), 413)

    def test_patch_until_it_has_invoiced_then_frozen(self):
        tuition, meals = self.item("Tuition P", 90000)["id"], self.item("Meals P", 10000)["id"]
        cls = self.klass(7, "P1")
        sid = self.student(cls)
        s = self.structure([tuition], classId=cls)
        etag = self.bursar.get(f"{V1}/fee-structures/{s['id']}", expect=200).headers["etag"]
        new = self.bursar.patch(f"{V1}/fee-structures/{s['id']}", json={
            "items": [{"itemId": tuition}, {"itemId": meals, "amount": 12000}],
            "instalments": [{"label": "One", "dueDate": day(20), "shareBp": 2500},
                            {"label": "Two", "dueDate": day(50), "shareBp": 7500}]},
            headers={"If-Match": etag}, expect=200).json
        self.assertEqual((new["total"], new["version"], len(new["instalments"])), (102000, 2, 2))
        self.assertProblem(self.bursar.patch(f"{V1}/fee-structures/{s['id']}", json={"name": "Old"},
                                             headers={"If-Match": etag}), 412)
        self.assertProblem(self.bursar.patch(f"{V1}/fee-structures/{s['id']}", json={
            "items": [{"itemId": str(uuid.uuid4())}]}, headers={"If-Match": "*"}), 404)
        self.assertProblem(self.bursar.patch(f"{V1}/fee-structures/{s['id']}", json={
            "instalments": [{"label": "x", "dueDate": day(1), "shareBp": 9999}]}, headers={"If-Match": "*"}), 422)
        self.bursar.patch(f"{V1}/fee-structures/{uuid.uuid4()}", json={"name": "x"}, headers={"If-Match": "*"},
                          expect=404)
        self.assertEqual(self.run_invoicing(s["id"]), {"structureId": s["id"], "students": 1, "created": 2,
                                                       "existing": 0})
        got = self.bursar.get(f"{V1}/fee-structures/{s['id']}", expect=200).json
        self.assertTrue(got["invoiced"])
        p = self.assertProblem(self.bursar.patch(f"{V1}/fee-structures/{s['id']}", json={"name": "Changed"},
                                                 headers={"If-Match": "*"}), 409)
        self.assertIn("frozen", p["detail"])
        self.assertEqual(self.bursar.get(f"{V1}/fee-structures/{s['id']}", expect=200).json, got)
        # 25 % / 75 % of 90 000 and of 12 000: 22 500 + 3 000, then 67 500 + 9 000
        self.assertEqual([i["total"] for i in self.invoices(studentId=sid)], [25500, 76500])


class TestDiscountsAndBulkInvoicing(SetupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        self = cls
        cls.tuition = cls.bursar.post(f"{V1}/fee-items", json={"name": "Tuition B", "amount": 120000},
                                      expect=201).json["id"]
        cls.transport = cls.bursar.post(f"{V1}/fee-items", json={"name": "Transport B", "amount": 30001},
                                        expect=201).json["id"]
        cls.c1 = SetupCase.klass(self, 5, "B1")
        cls.c2 = SetupCase.klass(self, 5, "B2")
        cls.c6 = SetupCase.klass(self, 6, "B3")

    def discount(self, sid, **body):
        return self.bursar.post(f"{V1}/students/{sid}/fee-discounts", json=body, expect=201).json

    def test_discounts_are_audited_listed_and_ended(self):
        sid = self.student(self.c6)
        d = self.discount(sid, itemId=self.tuition, kind="percentage", value=1250, reason="Sibling",
                          academicYearId=self.year)
        self.assertEqual((d["kind"], d["value"], d["reason"], d["endedAt"], d["itemId"]),
                         ("percentage", 1250, "Sibling", None, self.tuition))
        f = self.discount(sid, kind="fixed", value=5000, reason="Scholarship")
        self.assertIsNone(f["itemId"])
        for role in ("admin", "bursar", "parent", "student"):
            child = self.school.students["student"]["id"]
            target = sid if role in ("admin", "bursar") else child
            self.school.client(role).get(f"{V1}/students/{target}/fee-discounts", expect=200)
        listed = self.bursar.get(f"{V1}/students/{sid}/fee-discounts", expect=200).json
        self.assertEqual([x["id"] for x in listed["items"]], [d["id"], f["id"]])
        self.school.client("parent").get(f"{V1}/students/{sid}/fee-discounts", expect=404)
        self.assertProblem(self.school.client("teacher").get(f"{V1}/students/{sid}/fee-discounts"), 403)
        ended = self.bursar.post(f"{V1}/fee-discounts/{d['id']}/end", json={"reason": "Left"}, expect=200).json
        self.assertIsNotNone(ended["endedAt"])
        self.assertProblem(self.bursar.post(f"{V1}/fee-discounts/{d['id']}/end", json={"reason": "Again"}), 409)
        self.bursar.post(f"{V1}/fee-discounts/{uuid.uuid4()}/end", json={"reason": "x"}, expect=404)
        self.assertProblem(self.bursar.post(f"{V1}/fee-discounts/{f['id']}/end", json={}), 422, fields=["reason"])
        self.assertProblem(self.school.client("parent").post(f"{V1}/fee-discounts/{f['id']}/end",
                                                             json={"reason": "x"}), 403)
        for body, field in (({"kind": "percentage", "value": 10001, "reason": "x"}, "value"),
                            ({"kind": "half", "value": 1, "reason": "x"}, "kind"),
                            ({"kind": "fixed", "value": -1, "reason": "x"}, "value"),
                            ({"kind": "fixed", "value": 1}, "reason"),
                            ({"kind": "fixed", "value": 1, "reason": "x", "itemId": "no"}, "itemId"),
                            ({"kind": "fixed", "value": 1.5, "reason": "x"}, "value")):
            with self.subTest(body=body):
                self.assertProblem(self.bursar.post(f"{V1}/students/{sid}/fee-discounts", json=body), 422,
                                   fields=[field])
        ok = {"kind": "fixed", "value": 1, "reason": "x"}
        self.bursar.post(f"{V1}/students/{uuid.uuid4()}/fee-discounts", json=ok, expect=404)
        self.bursar.post(f"{V1}/students/{sid}/fee-discounts", json=dict(ok, itemId=str(uuid.uuid4())), expect=404)
        self.bursar.get(f"{V1}/students/{uuid.uuid4()}/fee-discounts", expect=404)
        self.assertProblem(self.school.client("parent").post(f"{V1}/students/{sid}/fee-discounts", json=ok), 403)
        for path in (f"{V1}/students/{sid}/fee-discounts", f"{V1}/fee-discounts/{f['id']}/end"):
            self.assertProblem(self.bursar.request("POST", path, body=b"{", content_type="application/json"), 400)
            self.assertProblem(self.bursar.request("POST", path, body=b"x", content_type="text/plain"), 415)
            self.assertProblem(self.bursar.request("POST", path, body=json.dumps({"reason": "x" * (2 << 20)}).encode(),
                                                   content_type="application/json"), 413)
        audit = db_rows(self.server, "SELECT action FROM audit_events WHERE subject_id = '%s' AND action LIKE "
                        "'fee_discount.%%' ORDER BY at" % sid)
        self.assertEqual([a for (a,) in audit], ["fee_discount.create", "fee_discount.create", "fee_discount.end"])
        self.assertEqual(len(self.bursar.get(f"{V1}/students/{sid}/fee-discounts", expect=200).json["items"]), 2)

    def test_bulk_invoicing_applies_discounts_and_runs_once(self):
        plain, s1, s2, s3 = (self.student(self.c1) for _ in range(4))
        s4 = self.student(self.c2)  # same grade, other class: invoiced, its discount ended
        grade6 = self.student(self.c6)  # not of the grade
        gone = self.student(self.c1)
        enr = self.admin.get(f"{V1}/enrollments?studentId={gone}", expect=200).json["items"][0]
        self.admin.post(f"{V1}/enrollments/{enr['id']}/end", json={"endDate": day(-1), "reason": "withdrawn"},
                        headers={"If-Match": "*"}, expect=200)
        self.discount(s1, itemId=self.tuition, kind="percentage", value=1000, reason="Sibling")
        self.discount(s2, kind="fixed", value=5000, reason="Bursary")
        self.discount(s3, itemId=self.tuition, kind="percentage", value=1000, reason="Sibling")
        self.discount(s3, kind="fixed", value=5000, reason="Bursary")
        d4 = self.discount(s4, kind="percentage", value=10000, reason="Full scholarship")
        self.bursar.post(f"{V1}/fee-discounts/{d4['id']}/end", json={"reason": "Ended"}, expect=200)
        dues = [day(-40), day(40), day(140)]
        s = self.structure([self.tuition, self.transport],
                           [{"label": "Autumn", "dueDate": dues[0], "shareBp": 3334},
                            {"label": "Winter", "dueDate": dues[1], "shareBp": 3333},
                            {"label": "Spring", "dueDate": dues[2], "shareBp": 3333}], gradeLevel=5)
        self.assertEqual(self.run_invoicing(s["id"]), {"structureId": s["id"], "students": 5, "created": 15,
                                                       "existing": 0})
        # twice, and twice at once: nothing new
        results = []
        threads = [threading.Thread(target=lambda: results.append(self.run_invoicing(s["id"]))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([(r["created"], r["existing"]) for r in results], [(0, 15), (0, 15)])
        # Tuition 120 000 in thirds: 40 008 (0.3334), 80 004 - 40 008 = 39 996, 39 996; Transport 30 001: 10 002
        # (10 002.33), 20 002 (20 001.67) - 10 002 = 10 000, 9 999
        expect = {
            plain: [50010, 49996, 49995],
            s4: [50010, 49996, 49995],  # the ended discount does not apply
            # 10 % of tuition = 12 000 in thirds: 4 001 (4 000.8), 8 000 - 4 001 = 3 999, 4 000
            s1: [40008 - 4001 + 10002, 39996 - 3999 + 10000, 39996 - 4000 + 9999],
            # 5 000 off each item in thirds: 1 667 (1 667.0), 3 334 (3 333.5) - 1 667 = 1 667, 1 666
            s2: [40008 - 1667 + 10002 - 1667, 39996 - 1667 + 10000 - 1667, 39996 - 1666 + 9999 - 1666],
            # tuition: 10 % then 5 000 = 17 000 in thirds: 5 668 (5 667.8), 11 334 (11 333.9) - 5 668 = 5 666,
            # 5 666; transport as s2
            s3: [40008 - 5668 + 10002 - 1667, 39996 - 5666 + 10000 - 1667, 39996 - 5666 + 9999 - 1666],
        }
        for sid, totals in expect.items():
            with self.subTest(student=sid):
                got = self.invoices(studentId=sid)
                self.assertEqual([i["total"] for i in got], totals)
                self.assertEqual([i["dueDate"] for i in got], dues)
                self.assertEqual([i["status"] for i in got], ["overdue", "issued", "issued"])
        self.assertEqual(sum(expect[s1]), 150001 - 12000)
        self.assertEqual(sum(expect[s3]), 150001 - 22000)
        for sid in (grade6, gone):
            self.assertEqual(self.invoices(studentId=sid), [])
        inv = self.bursar.get(f"{V1}/invoices/{self.invoices(studentId=s3)[0]['id']}", expect=200).json
        self.assertEqual([(ln["description"], ln["amount"], ln["discount"], ln["net"]) for ln in inv["lines"]],
                         [("Tuition B, Autumn (less Sibling; Bursary)", 40008, 5668, 34340),
                          ("Transport B, Autumn (less Bursary)", 10002, 1667, 8335)])
        bal = self.bursar.get(f"{V1}/students/{s3}/balance", expect=200).json
        self.assertEqual(bal["balance"], 128001)
        # a student enrolled since: a run again invoices only them
        late = self.student(self.c2)
        self.assertEqual(self.run_invoicing(s["id"]), {"structureId": s["id"], "students": 6, "created": 3,
                                                       "existing": 15})
        self.assertEqual(len(self.invoices(studentId=late)), 3)
        self.assertEqual(db_rows(self.server, "SELECT count(*) FROM invoices WHERE structure_id = '%s'" % s["id"]),
                         [("18",)])
        self.assertEqual(db_rows(self.server, "SELECT count(*) FROM fee_ledger l JOIN invoices i ON"
                                 " i.tenant_id = l.tenant_id AND i.id = l.invoice_id WHERE i.structure_id = '%s'"
                                 % s["id"]), [("18",)])

    def test_invoicing_routes_refuse(self):
        self.bursar.post(f"{V1}/fee-structures/{uuid.uuid4()}/invoice", expect=404)
        s = self.structure([self.tuition], gradeLevel=6)
        for role in ("teacher", "staff", "parent", "student"):
            self.assertProblem(self.school.client(role).post(f"{V1}/fee-structures/{s['id']}/invoice"), 403)
        self.assertEqual(self.run_invoicing(s["id"], client=self.admin)["structureId"], s["id"])
        # Idempotency-Key: malformed (400); one key for two structures (422); a retry answers the first job
        other = self.structure([self.tuition], gradeLevel=6)
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures/{s['id']}/invoice",
                                            headers={"Idempotency-Key": "x" * 300}), 400)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.bursar.post(f"{V1}/fee-structures/{s['id']}/invoice", headers=key, expect=202).json
        self.assertEqual(self.bursar.post(f"{V1}/fee-structures/{s['id']}/invoice", headers=key,
                                          expect=202).json["jobId"], first["jobId"])
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures/{other['id']}/invoice", headers=key), 422)
        self.assertProblem(self.bursar.post(f"{V1}/fee-structures/{s['id']}/invoice?x=1"), 422)


class TestInvoiceList(SetupCase):
    def test_filters_statuses_paging_and_who_sees_what(self):
        child = self.school.students["student"]["id"]
        other = self.school.students["other"]["id"]
        cls = self.klass(8, "L1")
        self.enrol(child, cls)
        mk = lambda sid, due, amount, issue=True: self.bursar.post(f"{V1}/invoices", json=dict(
            {"studentId": sid, "dueDate": due, "lines": [{"description": "Fee", "amount": amount}]},
            **({} if issue else {"issue": False})), expect=201).json
        draft = mk(child, day(10), 100, issue=False)
        overdue = mk(child, day(-5), 1000)
        partial = mk(child, day(20), 1000)
        paid = mk(child, day(30), 500)
        void = mk(child, day(40), 700)
        issued = mk(child, day(50), 900)
        theirs = mk(other, day(-5), 300)
        pay = lambda inv, amount: self.bursar.post(f"{V1}/payments", json={
            "studentId": child, "amount": amount, "method": "cash", "paidOn": day(0), "invoiceIds": [inv["id"]]},
            headers={"Idempotency-Key": str(uuid.uuid4())}, expect=201)
        pay(partial, 400)
        pay(paid, 500)
        self.bursar.post(f"{V1}/invoices/{void['id']}/void", json={"reason": "mistake"}, expect=200)
        mine = self.invoices(studentId=child)
        self.assertEqual([(i["id"], i["status"]) for i in mine],
                         [(overdue["id"], "overdue"), (draft["id"], "draft"), (partial["id"], "partially_paid"),
                          (paid["id"], "paid"), (void["id"], "void"), (issued["id"], "issued")])
        self.assertNotIn("lines", mine[0])
        for status, inv in (("overdue", overdue), ("draft", draft), ("partially_paid", partial), ("paid", paid),
                            ("void", void), ("issued", issued)):
            self.assertEqual([i["id"] for i in self.invoices(studentId=child, status=status)], [inv["id"]])
        self.assertEqual([i["id"] for i in self.invoices(classId=cls)], [i["id"] for i in mine])
        self.assertEqual([i["id"] for i in self.invoices(studentId=child, dueAfter=day(20), dueBefore=day(40))],
                         [partial["id"], paid["id"], void["id"]])
        # every page once, in order
        ids, cursor = [], None
        while True:
            q = f"?studentId={child}&limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = self.bursar.get(f"{V1}/invoices{q}", expect=200).json
            ids += [i["id"] for i in page["items"]]
            cursor = page["nextCursor"]
            if not cursor:
                break
        self.assertEqual(ids, [i["id"] for i in mine])
        # parents their children's, students their own; teachers and staff nothing
        for role in ("parent", "student"):
            seen = {i["studentId"] for i in self.invoices(client=self.school.client(role), limit=500)}
            self.assertEqual(seen, {child})
            self.school.client(role).get(f"{V1}/invoices?studentId={other}", expect=404)
        self.assertIn(theirs["id"], [i["id"] for i in self.invoices(limit=500)])
        for role in ("teacher", "staff"):
            self.assertProblem(self.school.client(role).get(f"{V1}/invoices"), 403)
        for q in ("status=late", "dueBefore=2026-02-30", "studentId=x", "limit=0", "cursor=zzz"):
            with self.subTest(q=q):
                res = self.bursar.get(f"{V1}/invoices?{q}")
                self.assertIn(res.status, (400, 422), res)
        self.assertProblem(self.bursar.get(f"{V1}/invoices?status=late"), 422)
        self.bursar.get(f"{V1}/invoices?studentId={uuid.uuid4()}", expect=404)
        self.bursar.get(f"{V1}/invoices?classId={uuid.uuid4()}", expect=404)


class TestExports(SetupCase):
    def export(self, client, kind):
        res = client.get(f"{V1}/exports/{kind}", expect=202)
        jid = res.json["jobId"]
        job = wait_until(lambda: (lambda j: j if j["state"] in ("completed", "failed", "cancelled") else None)(
            client.get(f"{V1}/jobs/{jid}", expect=200).json), timeout=60, message=f"job {jid} finished")
        self.assertEqual(job["state"], "completed", job)
        self.assertEqual(job["result"]["contentType"], "text/csv")
        body = client.get(f"{V1}/files/{job['result']['fileId']}/content", expect=200).body.decode()
        return list(csv.reader(io.StringIO(body)))

    def test_invoices_and_payments_export_as_csv_for_the_money_keepers(self):
        child = self.school.students["student"]
        inv = self.bursar.post(f"{V1}/invoices", json={"studentId": child["id"], "dueDate": day(10), "lines": [
            {"description": "Tuition, \"autumn\"", "amount": 123456}]}, expect=201).json
        pay = self.bursar.post(f"{V1}/payments", json={"studentId": child["id"], "amount": 200000,
                                                       "method": "card", "paidOn": day(0), "reference": "a,b"},
                               headers={"Idempotency-Key": str(uuid.uuid4())}, expect=201).json
        rows = self.export(self.bursar, "invoices")
        self.assertEqual(rows[0][:8], ["invoiceId", "admissionNo", "firstName", "lastName", "state", "dueDate",
                                       "currency", "total"])
        mine = [r for r in rows[1:] if r[0] == inv["id"]]
        # 123 456 paid in full by 200 000, the rest (76 544) credit
        self.assertEqual(mine, [[inv["id"], child["admissionNo"], child["firstName"], child["lastName"], "issued",
                                 day(10), "EUR", "123456", "123456", "0", "0", "0", "", "", ""]])
        rows = self.export(self.admin, "payments")
        self.assertEqual(rows[0], ["receiptNumber", "paidOn", "admissionNo", "firstName", "lastName", "amount",
                                   "currency", "method", "reference", "credit", "refunded", "provider", "paymentId"])
        self.assertIn([pay["receiptNumber"], day(0), child["admissionNo"], child["firstName"], child["lastName"],
                       "200000", "EUR", "card", "a,b", "76544", "0", "", pay["id"]], rows[1:])
        for role in ("staff",):
            p = self.assertProblem(self.school.client(role).get(f"{V1}/exports/invoices"), 403)
            self.assertIn("bursar", p["detail"])
            self.assertProblem(self.school.client(role).get(f"{V1}/exports/payments"), 403)
        for role in ("teacher", "parent", "student"):
            self.assertProblem(self.school.client(role).get(f"{V1}/exports/payments"), 403)
        self.assertProblem(self.bursar.get(f"{V1}/exports/payments?from={day(0)}"), 422)
        # the bursar reads the school like the office: the office's exports too
        self.assertEqual(self.export(self.bursar, "enrollments")[0][0], "admissionNo")


class TestZZSetupCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every fee-setup operation answered its statuses."""

    def test_every_operation_answered_its_statuses(self):
        if not DOC or not {c.__name__ for c in SetupCase.__subclasses__()} <= RAN:
            skip_allowed("only after the whole module")
        races = {("POST", f"{V1}/fee-structures/{{id}}/invoice", 409),  # see test_zz_coverage
                 ("POST", f"{V1}/students/{{id}}/fee-discounts", 409)}
        self.assertEqual(uncovered(DOC[0], "fee-setup", races), [])
