"""
fixtures_transfers.py - the imports, exports, register and report-card routes' entries in the isolation registry (see
isolation.py): their path parameter is a kind (a name, not a record); another school's class in a query or a
body is 404.
"""

import isolation
from fixtures_academic import _b

IMPORTS, EXPORTS, REGISTER = "/api/v1/imports", "/api/v1/exports", "/api/v1/reports/attendance-register"

isolation.EXEMPT[("POST", IMPORTS + "/{kind}")] = ("the kind is a name, not a record; the file's records are written "
                                                  "to the caller's school by the job")
isolation.EXEMPT[("GET", EXPORTS + "/{kind}")] = "the kind is a name; the class of a query is checked below"
isolation.EXEMPT[("GET", IMPORTS + "/{kind}/template")] = "the kind is a name: the template is the same for every school"


@isolation.references("GET", EXPORTS + "/{kind}")
def _export_of_bs_class(w):
    day = _b(w, "on")(40)
    return [{"params": {"kind": "attendance"}, "query": {"from": day, "to": day, "classId": _b(w, "classes")[0]["id"]}}]


@isolation.references("POST", REGISTER)
def _register_of_bs_class(w):
    return [{"body": {"classId": _b(w, "classes")[0]["id"], "month": _b(w, "on")(40)[:7]}},
            {"body": {"classId": _b(w, "classes")[0]["id"], "month": _b(w, "on")(40)[:7]}, "role": "staff"},
            {"body": {"classId": _b(w, "classes")[0]["id"], "month": _b(w, "on")(40)[:7]}, "role": "teacher"}]


@isolation.references("POST", "/api/v1/report-cards")
def _report_cards_of_bs_class_or_term(w):
    a, b = w.A, w.B
    return [{"body": {"classId": b.daily["class"]["id"], "termId": a.assess["term"]["id"]}},
            {"body": {"classId": a.daily["class"]["id"], "termId": b.assess["term"]["id"]}},
            {"body": {"classId": b.daily["class"]["id"], "termId": b.assess["term"]["id"]}, "role": "staff"}]
