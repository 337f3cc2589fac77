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
    item = admin.post(f"{V1}/fee-items", json={"name": f"Tuition {tag}", "amount": 50000}, expect=201).json
    structure = admin.post(f"{V1}/fee-structures", json={
        "name": f"Grade 3 {tag}", "academicYearId": school.daily["year"]["id"], "classId": school.daily["class"]["id"],
        "items": [{"itemId": item["id"]}],
        "instalments": [{"label": "Whole year", "dueDate": "2026-10-01", "shareBp": 10000}]}, expect=201).json
    discount = admin.post(f"{V1}/students/{school.students['student']['id']}/fee-discounts", json={
        "itemId": item["id"], "kind": "percentage", "value": 1000, "reason": f"Sibling {tag}"}, expect=201).json
    school.fees = {"invoice": invoice, "payment": payment, "item": item, "structure": structure,
                   "discount": discount}


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


# ---- fee setup: items, structures, bulk invoicing, discounts; the list of invoices

def _item(w):
    return f"{V1}/fee-items/{w.B.fees['item']['id']}"


def _structure(w):
    return f"{V1}/fee-structures/{w.B.fees['structure']['id']}"


def _discounts(w):
    return f"{V1}/students/{w.B.students['student']['id']}/fee-discounts"


isolation.path_fixture("GET", V1 + "/fee-items/{id}")(
    lambda w: {"params": {"id": w.B.fees["item"]["id"]}, "snapshot": _item(w)})
isolation.path_fixture("PATCH", V1 + "/fee-items/{id}")(
    lambda w: {"params": {"id": w.B.fees["item"]["id"]}, "snapshot": _item(w), "body": {"amount": 1},
               "if_match": True})
isolation.path_fixture("GET", V1 + "/fee-structures/{id}")(
    lambda w: {"params": {"id": w.B.fees["structure"]["id"]}, "snapshot": _structure(w)})
isolation.path_fixture("PATCH", V1 + "/fee-structures/{id}")(
    lambda w: {"params": {"id": w.B.fees["structure"]["id"]}, "snapshot": _structure(w),
               "body": {"name": "Renamed by another school"}, "if_match": True})
isolation.path_fixture("POST", V1 + "/fee-structures/{id}/invoice")(
    lambda w: {"params": {"id": w.B.fees["structure"]["id"]}, "snapshot": _structure(w)})
isolation.path_fixture("GET", V1 + "/students/{id}/fee-discounts")(
    lambda w: {"params": {"id": w.B.students["student"]["id"]}, "snapshot": _discounts(w)})
isolation.path_fixture("POST", V1 + "/students/{id}/fee-discounts")(
    lambda w: {"params": {"id": w.B.students["student"]["id"]}, "snapshot": _discounts(w),
               "body": {"kind": "fixed", "value": 1, "reason": "another school"}})
isolation.path_fixture("POST", V1 + "/fee-discounts/{id}/end")(
    lambda w: {"params": {"id": w.B.fees["discount"]["id"]}, "snapshot": _discounts(w),
               "body": {"reason": "another school"}})

isolation.collection(V1 + "/fee-items")
isolation.collection(V1 + "/fee-structures")
isolation.collection(V1 + "/invoices")


@isolation.references("POST", V1 + "/fee-structures")
def _structure_refs(w):
    body = {"name": "Refers to another school", "academicYearId": w.A.daily["year"]["id"],
            "gradeLevel": 3, "items": [{"itemId": w.A.fees["item"]["id"]}],
            "instalments": [{"label": "All", "dueDate": "2026-10-01", "shareBp": 10000}]}
    return [{"body": dict(body, academicYearId=w.B.daily["year"]["id"])},
            {"body": dict(body, items=[{"itemId": w.B.fees["item"]["id"]}])},
            {"body": {k: v for k, v in dict(body, classId=w.B.daily["class"]["id"]).items() if k != "gradeLevel"}}]


@isolation.references("POST", V1 + "/students/{id}/fee-discounts")
def _discount_refs(w):
    body = {"kind": "fixed", "value": 1, "reason": "refers to another school"}
    return [{"params": {"id": w.A.daily["student"]["id"]}, "body": dict(body, itemId=w.B.fees["item"]["id"])},
            {"params": {"id": w.A.daily["student"]["id"]}, "body": dict(body, academicYearId=w.B.daily["year"]["id"])}]


@isolation.references("GET", V1 + "/invoices")
def _invoice_list_refs(w):
    return [{"query": {"studentId": w.B.daily["student"]["id"]}}, {"query": {"classId": w.B.daily["class"]["id"]}}]


isolation.EXEMPT[("POST", V1 + "/fee-items")] = "creates from values only: a name, a description, an amount"
isolation.lists(V1 + "/students/{id}/fee-discounts")(lambda school: {"id": school.students["student"]["id"]})
isolation.path_fixture("GET", V1 + "/payments/{id}/receipt/pdf")(
    lambda w: {"params": {"id": w.B.fees["payment"]["id"]}, "snapshot": _balance(w)})
