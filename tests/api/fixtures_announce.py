"""
fixtures_announce.py - the announcement and absence-alert routes' entries in the isolation registry (see
isolation.py).

build_announce (a FINAL_BUILDER) gives schools A and B of the World an announcement to the whole school (no
e-mail), so every role lists one of its own school's in /me/announcements (school.announce["school"]), and an
absence alert of fixtures_daily's student on ALERT_DAY. School A's
users then meet school B's announcement, guardian, class and document in paths and bodies (404, nothing changes:
B's announcement keeps its version and read count).
"""

import dates
import isolation
from fixtures_daily import TERM_START
from harness import wait_until

V1 = "/api/v1"
ALERT_DAY = dates.iso(dates.on_or_after(TERM_START + dates.DAY * 2, 2))  # a Wednesday of the daily fixtures' term
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_announce(w):
    for school in (w.A, w.B):
        if getattr(school, "announce", None):
            continue
        admin = school.client("admin")
        doc = admin.post(f"{V1}/files?kind=document&filename=notice.pdf", body=PDF + school.id.encode(),
                         content_type="application/pdf", expect=201).json
        ann = admin.post(f"{V1}/announcements", json={
            "title": "Welcome back", "body": "School starts on Monday.", "audience": [{"kind": "school"}],
            "email": False, "fileIds": [doc["id"]]}, expect=201).json
        school.announce = {"school": ann, "file": doc}
        # an absence alert of the daily fixtures' student, at once
        settings = admin.get(f"{V1}/absence-alerts/settings", expect=200)
        admin.patch(f"{V1}/absence-alerts/settings", json={"graceSeconds": 0},
                    headers={"If-Match": settings.headers["etag"]}, expect=200)
        d = school.daily
        admin.put(f"{V1}/classes/{d['class']['id']}/attendance/{ALERT_DAY}",
                  json={"marks": [{"studentId": d["student"]["id"], "status": "absent"}]}, expect=200)
        wait_until(lambda: admin.get(f"{V1}/absence-alerts?date={ALERT_DAY}", expect=200).json["items"],
                   message="the fixtures' absence alert")


isolation.FINAL_BUILDERS.append(build_announce)


def _ann(w):
    a = w.B.announce["school"]["id"]
    return a, f"{V1}/announcements/{a}"


for _m, _body in (("GET", None), ("PATCH", {"title": "Changed by another school"}), ("DELETE", None)):
    def _fix(w, m=_m, body=_body):
        a, path = _ann(w)
        return {"params": {"id": a}, "snapshot": path, "body": body, "if_match": m != "GET"}
    isolation.path_fixture(_m, V1 + "/announcements/{id}")(_fix)


@isolation.path_fixture("POST", V1 + "/announcements/{id}/read")
def _read(w):
    a, path = _ann(w)
    return {"params": {"id": a}, "snapshot": path}


@isolation.path_fixture("PUT", V1 + "/guardians/{id}/absence-alerts")
def _opt_out(w):
    g = w.B.guardians["parent"]["id"]
    return {"params": {"id": g}, "body": {"enabled": False}, "snapshot": f"{V1}/guardians/{g}"}


@isolation.references("POST", V1 + "/announcements")
def _announce_refs(w):
    body = {"title": "Refers to another school", "body": "x", "email": False}
    return [{"body": dict(body, audience=[{"kind": "class", "classId": w.B.daily["class"]["id"]}])},
            {"body": dict(body, audience=[{"kind": "guardians", "classId": w.B.daily["class"]["id"]}])},
            {"body": dict(body, audience=[{"kind": "school"}], fileIds=[w.B.announce["file"]["id"]])}]


isolation.collection(V1 + "/announcements")
isolation.collection(V1 + "/me/announcements")
isolation.collection(V1 + "/absence-alerts", {"date": ALERT_DAY})
for _m, _p in (("POST", "/absence-alerts/unsubscribe"), ("GET", "/absence-alerts/unsubscribe"),
               ("POST", "/absence-alerts/unsubscribe/confirm")):
    isolation.EXEMPT[(_m, V1 + _p)] = (
        "public: the link's token names the school and the guardian; no caller, no school of the caller's")
for _m in ("GET", "PATCH"):
    isolation.EXEMPT[(_m, V1 + "/absence-alerts/settings")] = "the caller's own school's settings, from the token"
