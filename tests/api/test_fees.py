"""
Fees: invoices, payments (Idempotency-Key required) allocated oldest first with the rest as credit, gapless
receipt numbers, a student's balance. Runs on both engines (ERP_TEST_ENGINE).

The school is school A of a World (tests/api/world.py) with its people (fixtures_people): "student" (whose
guardian is the "parent" account, and who is the "student" account) and "other". Amounts are integer minor units;
every expected figure is computed by hand in the comments, never by the server's own arithmetic.
"""

import hashlib
import hmac
import json
import tempfile
import threading
import unittest
import uuid

import fixtures_people
from fixtures_daily import uncovered
from harness import Client, Contract, ServerTestCase, db_rows, skip_allowed, test_now
from world import World

from test_register import pdf_tool
from test_fees_setup import TestInvoiceList  # noqa: F401 (GET /invoices is a fees operation: run here too)

V1 = "/api/v1"
DOC = []  # the OpenAPI document, once a server ran
RAN = set()  # test classes that ran
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


def key():
    return {"Idempotency-Key": str(uuid.uuid4())}


class FeesCase(ServerTestCase):
    SERVER_ENV = {"ERP_PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET}

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

    def new_student(self):
        n = uuid.uuid4().hex[:8]
        return self.admin.post(f"{V1}/students", json={"admissionNo": f"F-{n}", "firstName": "Fee",
                                                       "lastName": f"Payer {n}", "dateOfBirth": "2012-01-01"},
                               expect=201).json["id"]

    def invoice(self, student, due, *amounts, issue=True, client=None):
        lines = [{"description": f"Item {i + 1}", "amount": a} for i, a in enumerate(amounts)]
        body = {"studentId": student, "dueDate": due, "lines": lines}
        if not issue:
            body["issue"] = False
        return (client or self.bursar).post(f"{V1}/invoices", json=body, expect=201).json

    def pay(self, student, amount, expect=201, headers=None, **extra):
        body = dict({"studentId": student, "amount": amount, "method": "cash", "paidOn": "2026-09-15"}, **extra)
        return self.bursar.post(f"{V1}/payments", json=body, headers=headers or key(), expect=expect)

    def get_invoice(self, inv):
        return self.admin.get(f"{V1}/invoices/{inv['id']}", expect=200).json

    def balance(self, student):
        return self.admin.get(f"{V1}/students/{student}/balance", expect=200).json


class TestArithmetic(FeesCase):
    def test_invoice_lines_add_up(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-10-01", 120000, 25000, 12050)
        # 1200.00 + 250.00 + 120.50 = 1570.50
        self.assertEqual(inv["total"], 157050)
        self.assertEqual(inv["balance"], 157050)
        self.assertEqual(inv["currency"], "EUR")
        self.assertEqual([ln["net"] for ln in inv["lines"]], [120000, 25000, 12050])
        self.assertIn(inv["status"], ("issued", "overdue"))
        draft = self.invoice(s, "2026-10-01", 500, issue=False)
        self.assertEqual(draft["status"], "draft")
        self.assertIsNone(draft["issuedAt"])
        # a draft is not owed
        self.assertEqual(self.balance(s)["owed"], 157050)

    def test_oldest_first_partial_and_credit(self):
        s = self.new_student()
        # created out of order: the due date decides
        c = self.invoice(s, "2026-12-01", 20000)
        a = self.invoice(s, "2026-09-01", 30000)
        b = self.invoice(s, "2026-10-01", 50000)
        # 650.00 pays a (300) and 350 of b; c untouched
        p = self.pay(s, 65000).json
        self.assertEqual(sorted((x["invoiceId"], x["amount"]) for x in p["allocations"]),
                         sorted([(a["id"], 30000), (b["id"], 35000)]))
        self.assertEqual(p["credit"], 0)
        self.assertEqual(self.get_invoice(a)["status"], "paid")
        got_b = self.get_invoice(b)
        self.assertEqual((got_b["allocated"], got_b["balance"]), (35000, 15000))
        self.assertIn(got_b["status"], ("partially_paid", "overdue"))
        self.assertEqual(self.balance(s), {"studentId": s, "currency": "EUR", "owed": 35000, "credit": 0,
                                           "balance": 35000})
        # 600.00 pays 150 of b, 200 of c, and 250 become credit: the school owes 250
        p = self.pay(s, 60000).json
        self.assertEqual(sorted((x["invoiceId"], x["amount"]) for x in p["allocations"]),
                         sorted([(b["id"], 15000), (c["id"], 20000)]))
        self.assertEqual(p["credit"], 25000)
        self.assertEqual(self.balance(s), {"studentId": s, "currency": "EUR", "owed": 0, "credit": 25000,
                                           "balance": -25000})
        # nothing open: all of it is credit
        p = self.pay(s, 100).json
        self.assertEqual((p["allocations"], p["credit"]), ([], 100))
        self.assertEqual(self.balance(s)["credit"], 25100)

    def test_named_invoices_in_the_order_named(self):
        s = self.new_student()
        a = self.invoice(s, "2026-09-01", 1000)
        b = self.invoice(s, "2026-10-01", 1000)
        p = self.pay(s, 1500, invoiceIds=[b["id"], a["id"]]).json
        self.assertEqual([(x["invoiceId"], x["amount"]) for x in sorted(p["allocations"], key=lambda x: x["amount"])],
                         [(a["id"], 500), (b["id"], 1000)])
        # a paid invoice is not open any more: 422, nothing recorded
        before = self.balance(s)
        res = self.pay(s, 10, expect=422, invoiceIds=[b["id"]])
        self.assertIn("invoiceIds[0]", res.text)
        self.assertEqual(self.balance(s), before)
        # a draft is not open either
        d = self.invoice(s, "2026-10-01", 1000, issue=False)
        self.pay(s, 10, expect=422, invoiceIds=[d["id"]])
        # another student's invoice is not this student's
        o = self.invoice(self.new_student(), "2026-10-01", 1000)
        self.pay(s, 10, expect=422, invoiceIds=[o["id"]])
        self.assertEqual(self.get_invoice(o)["balance"], 1000)


class TestCorrections(FeesCase):
    def test_credit_notes_and_voids(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 10000)
        base = f"{V1}/invoices/{inv['id']}"
        self.pay(s, 4000)
        # a credit note of 2500 on a balance of 6000: 3500 left
        got = self.bursar.post(f"{base}/credit-notes", json={"amount": 2500, "reason": "sibling discount"},
                               expect=200).json
        self.assertEqual((got["credited"], got["balance"], got["lines"][0]["amount"]), (2500, 3500, 10000))
        # more than the balance: 409, nothing changes
        self.bursar.post(f"{base}/credit-notes", json={"amount": 3501, "reason": "too much"}, expect=409)
        self.bursar.post(f"{base}/credit-notes", json={"amount": 0, "reason": "nothing"}, expect=422)
        self.bursar.post(f"{base}/credit-notes", json={"amount": 5}, expect=422)
        self.assertEqual(self.get_invoice(inv)["balance"], 3500)
        # a paid-into invoice is not voided
        self.bursar.post(f"{base}/void", json={"reason": "mistake"}, expect=409)
        self.bursar.post(f"{base}/void", json={}, expect=422)
        self.assertEqual(self.balance(s)["owed"], 3500)
        # an unpaid one is: owed no more
        other = self.invoice(s, "2026-10-01", 700)
        got = self.bursar.post(f"{V1}/invoices/{other['id']}/void", json={"reason": "billed twice"},
                               expect=200).json
        self.assertEqual(got["status"], "void")
        self.assertEqual(self.balance(s)["owed"], 3500)
        self.bursar.post(f"{V1}/invoices/{other['id']}/void", json={"reason": "again"}, expect=409)
        self.bursar.post(f"{V1}/invoices/{other['id']}/credit-notes", json={"amount": 1, "reason": "x"}, expect=409)
        rows = db_rows(self.server, f"SELECT kind, amount FROM fee_ledger WHERE student_id = '{s}' ORDER BY id")
        self.assertEqual(rows, [("invoice", "10000"), ("payment", "-4000"), ("credit_note", "-2500"),
                                ("invoice", "700"), ("void", "-700")])
        # the statement: the same entries with the running balance, ending at what is owed
        st = self.school.client("bursar").get(f"{V1}/students/{s}/statement", expect=200).json
        self.assertEqual([(ln["kind"], ln["amount"], ln["balance"]) for ln in st["lines"]],
                         [("invoice", 10000, 10000), ("payment", -4000, 6000), ("credit_note", -2500, 3500),
                          ("invoice", 700, 4200), ("void", -700, 3500)])
        self.assertEqual(st["balance"], 3500)
        self.school.client("teacher").get(f"{V1}/students/{s}/statement", expect=403)
        self.school.client("parent").get(f"{V1}/students/{s}/statement", expect=404)
        self.admin.get(f"{V1}/students/{uuid.uuid4()}/statement", expect=404)

    def test_issuing_a_draft(self):
        s = self.new_student()
        d = self.invoice(s, "2026-09-01", 900, issue=False)
        self.assertEqual(self.pay(s, 100).json["credit"], 100)  # a draft is not paid
        got = self.bursar.post(f"{V1}/invoices/{d['id']}/issue", expect=200).json
        self.assertIsNotNone(got["issuedAt"])
        self.assertEqual(self.balance(s), {"studentId": s, "currency": "EUR", "owed": 900, "credit": 100,
                                           "balance": 800})
        self.bursar.post(f"{V1}/invoices/{d['id']}/issue", expect=409)
        self.bursar.post(f"{V1}/invoices/{d['id']}/issue", headers={"Idempotency-Key": "not a key"}, expect=400)
        self.bursar.post(f"{V1}/invoices/{d['id']}/issue?now=1", expect=422)
        self.bursar.post(f"{V1}/invoices/{uuid.uuid4()}/issue", expect=404)
        self.bursar.post(f"{V1}/invoices/{uuid.uuid4()}/void", json={"reason": "x"}, expect=404)
        self.bursar.post(f"{V1}/invoices/{uuid.uuid4()}/credit-notes", json={"amount": 1, "reason": "x"}, expect=404)
        for action, body in (("issue", None), ("void", {"reason": "x"}), ("credit-notes", {"amount": 1, "reason": "x"})):
            self.school.client("teacher").post(f"{V1}/invoices/{d['id']}/{action}", json=body, expect=403)


class TestRefunds(FeesCase):
    def refund(self, payment, amount, expect=201, **extra):
        body = dict({"paymentId": payment["id"], "amount": amount, "method": "bank_transfer",
                     "reason": "left the school", "refundedOn": "2026-10-01"}, **extra)
        return self.bursar.post(f"{V1}/refunds", json=body, expect=expect)

    def test_refunds_come_out_of_credit_then_the_latest_invoice(self):
        s = self.new_student()
        a = self.invoice(s, "2026-09-01", 3000)
        b = self.invoice(s, "2026-10-01", 2000)
        p = self.pay(s, 6000).json  # pays a 3000, b 2000, 1000 credit
        self.assertEqual(p["credit"], 1000)
        # 1500: 1000 from credit, 500 back from b (due last)
        r = self.refund(p, 1500).json
        self.assertEqual((r["fromCredit"], r["allocations"]), (1000, [{"invoiceId": b["id"], "amount": 500}]))
        self.assertEqual(self.get_invoice(b)["balance"], 500)
        self.assertEqual(self.get_invoice(b)["refunded"], 500)
        self.assertEqual(self.balance(s), {"studentId": s, "currency": "EUR", "owed": 500, "credit": 0,
                                           "balance": 500})
        # 2000 more: 1500 from b, 500 from a
        r = self.refund(p, 2000).json
        self.assertEqual(r["allocations"], [{"invoiceId": b["id"], "amount": 1500},
                                            {"invoiceId": a["id"], "amount": 500}])
        self.assertEqual(self.balance(s)["owed"], 2500)
        # 6000 - 3500 = 2500 left to refund: 2501 is 409, nothing changes
        self.refund(p, 2501, expect=409)
        self.refund(p, 0, expect=422)
        self.refund(p, 5, method="cheque", expect=422)
        self.refund({"id": str(uuid.uuid4())}, 1, expect=404)
        self.school.client("teacher").post(f"{V1}/refunds", json={}, expect=403)
        self.assertEqual(self.balance(s)["owed"], 2500)
        st = self.admin.get(f"{V1}/students/{s}/statement", expect=200).json
        self.assertEqual([(ln["kind"], ln["amount"]) for ln in st["lines"]][-2:], [("refund", 1500), ("refund", 2000)])
        self.assertEqual(st["balance"], 2500)
        # the whole rest: the invoices are owed in full again
        self.refund(p, 2500)
        self.assertEqual(self.balance(s)["owed"], 5000)
        self.refund(p, 1, expect=409)


class TestOutstanding(FeesCase):
    def test_ageing_buckets_by_student(self):
        child, other = self.school.students["student"]["id"], self.school.students["other"]["id"]
        # as of 2026-12-31: 16 days late -> 0-30; 60 -> 31-60; 61 -> 61-90; 91 -> 90+; not yet due -> 0-30
        for due, amount in (("2026-12-15", 100), ("2026-11-01", 200), ("2026-10-31", 400), ("2026-10-01", 800),
                            ("2027-01-31", 1600)):
            self.invoice(child, due, amount)
        paid = self.invoice(other, "2026-12-30", 5000)
        self.pay(other, 4000, invoiceIds=[paid["id"]])  # 1000 left, 1 day late
        self.invoice(other, "2026-12-01", 7, issue=False)  # a draft is not owed
        rep = self.bursar.get(f"{V1}/reports/fees/outstanding?asOf=2026-12-31", expect=200).json
        by = {i["studentId"]: i for i in rep["items"]}
        self.assertEqual(by[child]["buckets"], {"0-30": 1700, "31-60": 200, "61-90": 400, "90+": 800})
        self.assertEqual(by[child]["total"], 3100)
        self.assertEqual(by[other]["buckets"], {"0-30": 1000, "31-60": 0, "61-90": 0, "90+": 0})
        self.assertEqual(rep["totals"], {"0-30": 2700, "31-60": 200, "61-90": 400, "90+": 800})
        self.assertEqual((rep["total"], rep["currency"], rep["asOf"]), (4100, "EUR", "2026-12-31"))
        # a month later: 12-15 is 47 days late (31-60), 11-01 91 and 10-31 92 (90+), 01-31 due today (0-30)
        later = self.bursar.get(f"{V1}/reports/fees/outstanding?asOf=2027-01-31", expect=200).json
        self.assertEqual({i["studentId"]: i for i in later["items"]}[child]["buckets"],
                         {"0-30": 1600, "31-60": 100, "61-90": 0, "90+": 1400})
        # a grade level nobody is enrolled in: nobody
        self.assertEqual(self.admin.get(f"{V1}/reports/fees/outstanding?gradeLevel=13", expect=200).json["items"], [])
        self.admin.get(f"{V1}/reports/fees/outstanding?gradeLevel=14", expect=422)
        self.admin.get(f"{V1}/reports/fees/outstanding?asOf=2026-13-01", expect=422)
        self.admin.get(f"{V1}/reports/fees/outstanding?classId={uuid.uuid4()}", expect=404)
        for role in ("teacher", "staff", "parent"):
            self.school.client(role).get(f"{V1}/reports/fees/outstanding", expect=403)


class TestCollections(FeesCase):
    def test_daily_collections_by_method(self):
        s = self.new_student()
        self.pay(s, 1000, paidOn="2030-03-01")
        self.pay(s, 250, paidOn="2030-03-01")
        p = self.pay(s, 400, paidOn="2030-03-02", method="card").json
        self.pay(s, 999, paidOn="2030-03-03")  # the day after the range
        self.bursar.post(f"{V1}/refunds", json={"paymentId": p["id"], "amount": 100, "method": "card",
                                                "reason": "overcharged", "refundedOn": "2030-03-02"}, expect=201)
        rep = self.bursar.get(f"{V1}/reports/fees/collections?from=2030-03-01&to=2030-03-02", expect=200).json
        self.assertEqual([(c["date"], c["method"], c["amount"], c["count"]) for c in rep["collected"]],
                         [("2030-03-01", "cash", 1250, 2), ("2030-03-02", "card", 400, 1)])
        self.assertEqual([(c["date"], c["amount"]) for c in rep["refunded"]], [("2030-03-02", 100)])
        self.assertEqual((rep["totalCollected"], rep["totalRefunded"]), (1650, 100))
        self.bursar.get(f"{V1}/reports/fees/collections?from=2030-03-02&to=2030-03-01", expect=422)
        self.bursar.get(f"{V1}/reports/fees/collections?from=2030-03-02", expect=422)
        self.school.client("teacher").get(f"{V1}/reports/fees/collections?from=2030-03-01&to=2030-03-02",
                                          expect=403)


class TestIdempotency(FeesCase):
    def test_key_is_required(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 1000)
        body = {"studentId": s, "amount": 100, "method": "cash", "paidOn": "2026-09-15"}
        res = self.bursar.post(f"{V1}/payments", json=body, expect=400)
        self.assertIn("Idempotency-Key", res.json["detail"])
        self.assertEqual(self.get_invoice(inv)["balance"], 1000)

    def test_replay_and_another_body(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 1000)
        k = key()
        first = self.pay(s, 400, headers=k)
        again = self.pay(s, 400, headers=k)
        self.assertEqual(again.json, first.json)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(self.get_invoice(inv)["balance"], 600)  # counted once
        self.pay(s, 401, headers=k, expect=422)
        self.assertEqual(self.get_invoice(inv)["balance"], 600)

    def test_one_key_sent_twenty_times_at_once_pays_once(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 100000)
        k = key()
        body = {"studentId": s, "amount": 700, "method": "card", "paidOn": "2026-09-15", "reference": "burst"}
        results = run_at_once(self.server, self.school.token("bursar"), [(body, k)] * 20)
        statuses = [r.status for r in results]
        self.assertTrue(set(statuses) <= {201, 409}, statuses)
        made = [r for r in results if r.status == 201]
        self.assertEqual(len({r.json["id"] for r in made}), 1)
        self.assertEqual(self.get_invoice(inv)["balance"], 99300)
        self.assertEqual(db_rows(self.server, f"SELECT count(*) FROM payments WHERE student_id = '{s}'"), [("1",)])


def run_at_once(server, token, requests):
    """Sends each (body, headers) POST /payments on its own connection, all released together."""
    n = len(requests)
    barrier = threading.Barrier(n)
    results = [None] * n
    clients = [Client(server, token=token, keep_alive=True) for _ in range(n)]
    for c in clients:
        c.get("/api/v1/me", expect=200)

    def go(i):
        barrier.wait()
        results[i] = clients[i].post(f"{V1}/payments", json=requests[i][0], headers=requests[i][1])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    return results


class TestConcurrency(FeesCase):
    def test_twenty_payments_on_one_invoice_leave_an_exact_balance(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 100000)
        reqs = [({"studentId": s, "amount": 1000 + i, "method": "online", "paidOn": "2026-09-15"}, key())
                for i in range(20)]
        results = run_at_once(self.server, self.school.token("bursar"), reqs)
        self.assertEqual([r.status for r in results], [201] * 20, [r.text for r in results if r.status != 201][:2])
        # 20 * 1000 + (0 + 1 + ... + 19) = 20190
        got = self.get_invoice(inv)
        self.assertEqual((got["allocated"], got["balance"]), (20190, 100000 - 20190))
        self.assertEqual(self.balance(s)["owed"], 79810)

    def test_payments_that_overpay_concurrently_keep_the_rest_as_credit(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 5000)
        reqs = [({"studentId": s, "amount": 1000, "method": "cash", "paidOn": "2026-09-15"}, key())
                for _ in range(8)]
        results = run_at_once(self.server, self.school.token("bursar"), reqs)
        self.assertEqual([r.status for r in results], [201] * 8)
        # 8000 paid on 5000: the invoice is paid, 3000 is credit, whichever order they ran in
        self.assertEqual(self.get_invoice(inv)["balance"], 0)
        self.assertEqual(sum(r.json["credit"] for r in results), 3000)
        self.assertEqual(self.balance(s), {"studentId": s, "currency": "EUR", "owed": 0, "credit": 3000,
                                           "balance": -3000})

    def test_receipt_numbers_have_no_gaps_under_concurrency(self):
        students = [self.new_student() for _ in range(4)]
        reqs = [({"studentId": students[i % 4], "amount": 10, "method": "cash", "paidOn": "2031-01-02"}, key())
                for i in range(20)]
        # and a refused one in the middle takes no number
        reqs.append(({"studentId": students[0], "amount": 0, "method": "cash", "paidOn": "2031-01-02"}, key()))
        results = run_at_once(self.server, self.school.token("bursar"), reqs)
        self.assertEqual(sorted(r.status for r in results), [201] * 20 + [422])
        numbers = sorted(r.json["receiptNumber"] for r in results if r.status == 201)
        self.assertEqual(numbers, [f"R-2031-{i:06d}" for i in range(1, 21)])
        p = self.pay(students[1], 10, paidOn="2031-05-05").json
        self.assertEqual(p["receiptNumber"], "R-2031-000021")


class TestRolesAndInput(FeesCase):
    def test_who_reads_what(self):
        child = self.school.students["student"]["id"]
        other = self.school.students["other"]["id"]
        mine = self.invoice(child, "2026-09-01", 1234)
        theirs = self.invoice(other, "2026-09-01", 4321)
        for role in ("parent", "student"):
            c = self.school.client(role)
            self.assertEqual(c.get(f"{V1}/invoices/{mine['id']}", expect=200).json["total"], 1234)
            self.assertEqual(c.get(f"{V1}/students/{child}/balance", expect=200).json["studentId"], child)
            self.assertIn(("invoice", 1234), [(ln["kind"], ln["amount"]) for ln in
                                              c.get(f"{V1}/students/{child}/statement", expect=200).json["lines"]])
            self.assertEqual(c.get(f"{V1}/invoices/{theirs['id']}", expect=404).json["detail"], "No such invoice.")
            c.get(f"{V1}/students/{other}/balance", expect=404)
        for role in ("teacher", "staff"):
            c = self.school.client(role)
            c.get(f"{V1}/invoices/{mine['id']}", expect=403)
            c.get(f"{V1}/students/{child}/balance", expect=403)
            c.post(f"{V1}/payments", json={"studentId": child, "amount": 1, "method": "cash",
                                           "paidOn": "2026-09-01"}, headers=key(), expect=403)
        # admins manage money as the bursar does
        self.invoice(child, "2026-09-01", 1, client=self.admin)
        self.assertEqual(self.get_invoice(mine)["balance"], 1234)

    def test_bad_input_is_refused_and_changes_nothing(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 1000)
        for body, field in (({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"method": "cheque"}, "method"),
                            ({"paidOn": "2026-02-30"}, "paidOn"), ({"amount": 1.5}, "amount"),
                            ({"invoiceIds": ["nope"]}, "invoiceIds[0]"), ({"bogus": 1}, "bogus")):
            res = self.bursar.post(f"{V1}/payments", json=dict({"studentId": s, "amount": 100, "method": "cash",
                                                                "paidOn": "2026-09-15"}, **body),
                                   headers=key(), expect=422)
            self.assertIn(field, res.text)
        self.pay(str(uuid.uuid4()), 100, expect=404)
        self.pay(s, 100, expect=404, invoiceIds=[str(uuid.uuid4())])
        self.bursar.post(f"{V1}/invoices", json={"studentId": s, "dueDate": "2026-09-01",
                                                 "lines": [{"description": "x", "amount": -1}]}, expect=422)
        self.bursar.post(f"{V1}/invoices", json={"studentId": s, "dueDate": "2026-09-01", "lines": []}, expect=422)
        self.bursar.post(f"{V1}/invoices", json={"studentId": str(uuid.uuid4()), "dueDate": "2026-09-01",
                                                 "lines": [{"description": "x", "amount": 1}]}, expect=404)
        self.admin.get(f"{V1}/invoices/{uuid.uuid4()}", expect=404)
        self.admin.get(f"{V1}/students/{uuid.uuid4()}/balance", expect=404)
        self.assertEqual(self.get_invoice(inv)["balance"], 1000)
        self.assertEqual(db_rows(self.server, f"SELECT count(*) FROM payments WHERE student_id = '{s}'"), [("0",)])

    def test_bodies_that_are_not_json_objects(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 100)["id"]
        for path in (f"{V1}/invoices", f"{V1}/payments", f"{V1}/payments/webhooks/stripe",
                     f"{V1}/invoices/{inv}/credit-notes", f"{V1}/invoices/{inv}/void",
                     f"{V1}/refunds"):
            with self.subTest(path=path):
                self.assertProblem(self.bursar.request("POST", path, body=b'{"amount": ', content_type="application/json",
                                                       headers=key()), 400)
                self.assertProblem(self.bursar.request("POST", path, body=b"amount", content_type="text/plain",
                                                       headers=key()), 415)
                huge = json.dumps({"lines": ["x" * 1024] * 1100}).encode()
                self.assertProblem(self.bursar.request("POST", path, body=huge, content_type="application/json",
                                                       headers=key()), 413)
                if "webhooks" not in path:
                    self.assertProblem(self.school.client("teacher").post(path, json={"studentId": s}, headers=key()),
                                       403)

    def test_the_ledger_records_each_change_once(self):
        s = self.new_student()
        self.invoice(s, "2026-09-01", 1000)
        self.invoice(s, "2026-09-02", 500, issue=False)
        self.pay(s, 1200)
        rows = db_rows(self.server, f"SELECT kind, amount FROM fee_ledger WHERE student_id = '{s}' ORDER BY id")
        self.assertEqual(rows, [("invoice", "1000"), ("payment", "-1200")])


def signed(payload, secret=WEBHOOK_SECRET, at=None):
    """The raw body and Stripe-Signature header of payload, signed as Stripe signs (t.rawbody, HMAC-SHA256)."""
    raw = json.dumps(payload).encode()
    t = int(at if at is not None else test_now().timestamp())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


class TestWebhooks(FeesCase):
    HOOK = f"{V1}/payments/webhooks/stripe"

    def event(self, student, amount, event_id=None, pi=None, school=None, type_="payment_intent.succeeded"):
        return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": type_, "created": 1,
                "data": {"object": {"id": pi or f"pi_{uuid.uuid4().hex}", "amount": amount, "currency": "eur",
                                    "metadata": {"school": school or self.school.slug, "studentId": student}}}}

    def deliver(self, payload, expect=200, **kw):
        raw, headers = signed(payload, **kw)
        return self.server.client().request("POST", self.HOOK, body=raw, headers=headers, expect=expect)

    def test_a_signed_event_pays_once(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 5000)
        ev = self.event(s, 3000)
        first = self.deliver(ev).json
        self.assertFalse(first["duplicate"])
        self.assertIsNotNone(first["paymentId"])
        self.assertEqual(self.get_invoice(inv)["balance"], 2000)
        # the same event again (a provider retries): recorded once, applied once
        again = self.deliver(ev).json
        self.assertEqual((again["duplicate"], again["paymentId"]), (True, None))
        # another event of the same provider payment: recorded, not paid twice
        other = self.deliver(self.event(s, 3000, pi=ev["data"]["object"]["id"])).json
        self.assertEqual((other["duplicate"], other["paymentId"]), (False, None))
        self.assertEqual(self.get_invoice(inv)["balance"], 2000)
        # an event of another type is recorded, nothing is applied
        self.assertIsNone(self.deliver(self.event(s, 1, type_="charge.refund.updated")).json["paymentId"])
        self.assertEqual(db_rows(self.server, f"SELECT method, amount FROM payments WHERE student_id = '{s}'"),
                         [("online", "3000")])

    def test_bad_signatures_are_refused_and_change_nothing(self):
        s = self.new_student()
        inv = self.invoice(s, "2026-09-01", 5000)
        ev = self.event(s, 1000)
        now = test_now().timestamp()
        for kw in ({"secret": "whsec_wrong"}, {"at": now - 301}, {"at": now + 301}):
            with self.subTest(**kw):
                res = self.deliver(ev, expect=400, **kw)
                self.assertIn("ignature", res.json["detail"])
        raw, headers = signed(ev)
        tampered = raw.replace(b"1000", b"9000")
        self.server.client().request("POST", self.HOOK, body=tampered, headers=headers, expect=400)
        self.server.client().request("POST", self.HOOK, body=raw, headers={"Content-Type": "application/json"},
                                     expect=400)
        self.server.client().request("POST", self.HOOK, body=raw, expect=400,
                                     headers={"Content-Type": "application/json", "Stripe-Signature": "v1=abc"})
        self.assertEqual(self.get_invoice(inv)["balance"], 5000)
        # the event was never recorded: a good delivery of it applies
        self.deliver(ev)
        self.assertEqual(self.get_invoice(inv)["balance"], 4000)

    def test_unknown_provider_school_or_student_and_bad_events(self):
        s = self.new_student()
        raw, headers = signed(self.event(s, 100))
        self.server.client().request("POST", f"{V1}/payments/webhooks/paypal", body=raw, headers=headers,
                                     expect=404)
        self.deliver(self.event(s, 100, school="no-such-school"), expect=404)
        self.deliver(self.event(str(uuid.uuid4()), 100), expect=404)
        bad = self.event(s, 0)
        self.assertIn("amount", self.deliver(bad, expect=422).text)
        self.deliver({"id": "evt_x", "type": "payment_intent.succeeded", "data": {}}, expect=422)
        self.assertEqual(db_rows(self.server, f"SELECT count(*) FROM payments WHERE student_id = '{s}'"), [("0",)])


class TestReceipts(FeesCase):
    def receipt_text(self, client, payment):
        res = client.get(f"{V1}/payments/{payment}/receipt/pdf", expect=200)
        self.assertEqual(res.media_type, "application/pdf")
        self.assertTrue(res.body.startswith(b"%PDF-"), res.body[:10])
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(res.body)
            f.flush()
            info = pdf_tool("pdfinfo", f.name)
            self.assertIn("Pages:           1", info)
            return pdf_tool("pdftotext", "-layout", f.name, "-")

    def test_a_receipt_names_its_number_student_amount_and_invoices(self):
        child = self.school.students["student"]
        older = self.invoice(child["id"], "2026-08-01", 100000)
        newer = self.invoice(child["id"], "2026-09-01", 50000)
        # 1 234 567.89: 100 000 to the older invoice, 50 000 to the newer, 123 306 789 kept as credit
        pay = self.pay(child["id"], 123456789, reference="BANK-77", method="bank_transfer").json
        number = pay["receiptNumber"]
        self.assertRegex(number, r"^R-2026-\d{6}$")
        for role in ("admin", "bursar", "parent", "student"):
            with self.subTest(role=role):
                text = self.receipt_text(self.school.client(role), pay["id"])
                self.assertIn(number, text)
        text = self.receipt_text(self.bursar, pay["id"])
        for want in (f"{child['firstName']} {child['lastName']}", "1,234,567.89 EUR", "1,000.00 EUR",
                     "500.00 EUR", "1,233,067.89 EUR", "BANK-77", "bank_transfer", "2026-09-15",
                     older["id"], newer["id"]):
            self.assertIn(want, text)
        self.assertRegex(text, f"2026-08-01 +{older['id']} +1,000.00 EUR")
        self.assertNotIn("Refunded since", text)
        self.bursar.post(f"{V1}/refunds", json={"paymentId": pay["id"], "amount": 1000, "method": "cash",
                                                "reason": "overpaid", "refundedOn": "2026-09-16"}, expect=201)
        self.assertIn("10.00 EUR", self.receipt_text(self.bursar, pay["id"]).split("Refunded since")[1])
        # another family's payment is as missing as one that does not exist; teachers and staff see no money
        theirs = self.pay(self.school.students["other"]["id"], 100).json
        for role in ("parent", "student"):
            self.assertEqual(self.school.client(role).get(f"{V1}/payments/{theirs['id']}/receipt/pdf",
                                                          expect=404).json["detail"], "No such payment.")
        for role in ("teacher", "staff"):
            self.assertProblem(self.school.client(role).get(f"{V1}/payments/{pay['id']}/receipt/pdf"), 403)
        self.bursar.get(f"{V1}/payments/{uuid.uuid4()}/receipt/pdf", expect=404)
        self.bursar.get(f"{V1}/payments/not-an-id/receipt/pdf", expect=404)


class TestZZFeesCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every fees operation answered its statuses."""

    def test_every_operation_answered_its_statuses(self):
        if not DOC or not {c.__name__ for c in FeesCase.__subclasses__()} <= RAN:
            skip_allowed("only after the whole module")
        ops = [m for m, _, op in Contract(DOC[0]).operations() if "fees" in op.get("tags", [])]
        self.assertEqual(len(ops), 14)
        races = {("POST", f"{V1}/invoices", 409), ("POST", f"{V1}/payments", 409)}  # see test_zz_coverage
        self.assertEqual(uncovered(DOC[0], "fees", races), [])
