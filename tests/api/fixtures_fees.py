"""
fixtures_fees.py - the fees routes' entries in the isolation registry (see isolation.py).

build_fees (a FINAL_BUILDER) gives schools A and B of the World, on the student of fixtures_daily's build_school,
an issued invoice paid in part (school.fees["invoice"], ["payment"]). School A's users then meet school B's invoice and student in paths and
bodies (404, nothing changes: B's invoice and B's student's balance stay as they were).
"""

import uuid

import isolation

V1 = "/api/v1"


def build_school(school, tag):
    admin = school.client("admin")
    student = school.daily["student"]["id"]
    invoice = admin.post(f"{V1}/invoices", json={"studentId": student, "dueDate": "2026-09-30",
                                                 "lines": [{"description": f"Tuition {tag}", "amount": 120000}]},
                         expect=201).json
    payment = admin.post(f"{V1}/payments", json={"studentId": student, "amount": 20000, "method": "cash",
                                                 "paidOn": "2026-09-01"},
                         headers={"Idempotency-Key": str(uuid.uuid4())}, expect=201).json
    school.fees = {"invoice": invoice, "payment": payment}


def build_world(w):
    for school, tag in ((w.A, "A"), (w.B, "B")):
        if not getattr(school, "fees", None):
            build_school(school, tag)


isolation.FINAL_BUILDERS.append(build_world)


def _balance(w):
    return f"{V1}/students/{w.B.daily['student']['id']}/balance"


@isolation.path_fixture("GET", V1 + "/invoices/{id}")
def _invoice(w):
    return {"params": {"id": w.B.fees["invoice"]["id"]}, "snapshot": f"{V1}/invoices/{w.B.fees['invoice']['id']}"}


@isolation.path_fixture("GET", V1 + "/students/{id}/balance")
def _student_balance(w):
    return {"params": {"id": w.B.daily["student"]["id"]}, "snapshot": _balance(w)}


@isolation.path_fixture("GET", V1 + "/students/{id}/statement")
def _student_statement(w):
    return {"params": {"id": w.B.daily["student"]["id"]}, "snapshot": _balance(w)}


@isolation.references("POST", V1 + "/invoices")
def _invoice_refs(w):
    return [{"body": {"studentId": w.B.daily["student"]["id"], "dueDate": "2026-09-30",
                      "lines": [{"description": "Refers to another school", "amount": 100}]},
             "snapshot": _balance(w)}]


@isolation.references("POST", V1 + "/payments")
def _payment_refs(w):
    body = {"studentId": w.A.daily["student"]["id"], "amount": 100, "method": "cash", "paidOn": "2026-09-01"}
    return [{"body": dict(body, studentId=w.B.daily["student"]["id"]), "snapshot": _balance(w),
             "headers": {"Idempotency-Key": str(uuid.uuid4())}},
            {"body": dict(body, invoiceIds=[w.B.fees["invoice"]["id"]]), "snapshot": f"{V1}/invoices/"
             f"{w.B.fees['invoice']['id']}", "headers": {"Idempotency-Key": str(uuid.uuid4())}}]


for _action, _body in (("issue", None), ("credit-notes", {"amount": 1, "reason": "another school"}),
                       ("void", {"reason": "another school"})):
    def _fix(w, body=_body):
        inv = w.B.fees["invoice"]["id"]
        return {"params": {"id": inv}, "snapshot": f"{V1}/invoices/{inv}", "body": body}
    isolation.path_fixture("POST", V1 + "/invoices/{id}/" + _action)(_fix)


@isolation.references("POST", V1 + "/refunds")
def _refund_refs(w):
    return [{"snapshot": f"{V1}/invoices/{w.B.fees['invoice']['id']}",
             "body": {"paymentId": w.B.fees["payment"]["id"], "amount": 1, "method": "cash",
                      "reason": "another school", "refundedOn": "2026-09-02"}}]


isolation.report(V1 + "/reports/fees/outstanding")(lambda school: {})


@isolation.references("GET", V1 + "/reports/fees/outstanding")
def _outstanding_refs(w):
    return [{"query": {"classId": w.B.daily["class"]["id"]}}]


isolation.report(V1 + "/reports/fees/collections")(lambda school: {"from": "2026-09-01", "to": "2026-09-30"})
