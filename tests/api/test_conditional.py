"""
Conditional requests and optimistic concurrency over every versioned record,
on both engines (RFC 9110 §13 and the "Writes" rules of API.md):

* a read answers with ETag "<version>"; If-None-Match naming it (strong, weak
  or "*") answers 304 without a body; a malformed one 400;
* every write of a versioned record, DELETE and the enrollment actions
  included, needs If-Match: 428 without it, 400 when malformed, 412 when it
  names another version (a weak tag never matches), and nothing changes;
  "*" matches whatever version is current;
* an empty PATCH ({}) changes nothing: same version, same updatedAt;
* two writes sent at the same instant with the same ETag: exactly one
  succeeds, the other gets 412, and the version moves by one.

The resources are listed in RESOURCES below, independently of the server's
route table; test_every_versioned_operation_is_listed fails when the
document gains a versioned operation the list does not cover.
"""

import itertools
import threading
import uuid
from datetime import date, timedelta

from harness import Client, ServerTestCase
from world import PASSWORD, World, school_today

ROUNDS = 6  # concurrent trials per resource: a lost update shows up in most of them
_n = itertools.count(1)


def tag():
    return f"{next(_n)}{uuid.uuid4().hex[:6]}"


class Resource:
    """One kind of versioned record: how to make one, and two different valid changes of it."""

    def __init__(self, name, collection, create, patch, delete=True, actor="admin", item=None):
        self.name = name
        self.collection = collection  # the POST path (a function of the context for nested ones)
        self.create = create  # fn(ctx) -> body
        self.patch = patch  # fn(ctx, i) -> a body changing the record (distinct for distinct i)
        self.delete = delete
        self.actor = actor  # "admin" of school A, or "platform"
        self.item = item  # fn(ctx, doc) -> the record's path (default: Location)


def _year_body(ctx):
    start = ctx.today - timedelta(days=300 + 400 * next(ctx.years))
    return {"name": f"Year {tag()}", "startDate": start.isoformat(),
            "endDate": (start + timedelta(days=200)).isoformat()}


RESOURCES = [
    Resource("school", "/api/v1/tenants", lambda c: {
        "name": f"School {tag()}", "slug": f"cond-{tag()}", "timeZone": "Europe/Paris", "currency": "EUR",
        "admin": {"email": f"admin@{tag()}.example", "password": PASSWORD, "displayName": "First admin"}},
        lambda c, i: {"name": f"Renamed {i} {tag()}"}, delete=False, actor="platform"),
    Resource("user", "/api/v1/users", lambda c: {
        "email": f"u{tag()}@cond.example", "displayName": "Some One", "roles": ["staff"], "password": PASSWORD},
        lambda c, i: {"displayName": f"Renamed {i}"}, delete=False),
    Resource("academic year", "/api/v1/academic-years", _year_body, lambda c, i: {"name": f"Year {i} {tag()}"}),
    Resource("term", "/api/v1/terms", lambda c: {
        "academicYearId": c.year["id"], "name": f"Term {tag()}", **c.spare_term()},
        lambda c, i: {"name": f"Term {i} {tag()}"}),
    Resource("subject", "/api/v1/subjects", lambda c: {"code": f"S{tag()}"[:20], "name": "Subject"},
             lambda c, i: {"name": f"Subject {i}"}),
    Resource("class", "/api/v1/classes", lambda c: {
        "academicYearId": c.year["id"], "gradeLevel": 5, "section": f"C{next(_n)}"},
        lambda c, i: {"room": f"Room {i}"}),
    Resource("teaching assignment", lambda c: f"/api/v1/classes/{c.new_class()}/subjects", lambda c: {
        "subjectId": c.subject["id"], "teacherId": c.teacher["id"]},
        lambda c, i: {"periodsPerWeek": i + 1}),
    Resource("teacher", "/api/v1/teachers", lambda c: {
        "employeeNo": f"E{tag()}", "firstName": "Tea", "lastName": "Cher"},
        lambda c, i: {"lastName": f"Cher {i}"}, delete=False),
    Resource("student", "/api/v1/students", lambda c: {
        "admissionNo": f"A{tag()}", "firstName": "Stu", "lastName": "Dent", "dateOfBirth": "2014-05-06"},
        lambda c, i: {"firstName": f"Stu {i}"}),
    Resource("guardian", "/api/v1/guardians", lambda c: {"firstName": "Guar", "lastName": "Dian"},
             lambda c, i: {"lastName": f"Dian {i}"}, delete=False),
    Resource("timetable slot", "/api/v1/timetable-slots", lambda c: c.slot_body(),
             lambda c, i: {"room": f"Lab {i} {tag()}"}),
    Resource("assessment", "/api/v1/assessments", lambda c: c.assessment_body(),
             lambda c, i: {"name": f"Quiz {i} {tag()}"}, delete=False),
    Resource("grading scale", "/api/v1/grading-scales", lambda c: {
        "name": f"Scale {tag()}", "bands": [{"minPercent": 50, "label": "Pass"}, {"minPercent": 0, "label": "Fail"}]},
        lambda c, i: {"name": f"Scale {i} {tag()}"}),
    Resource("fee item", "/api/v1/fee-items", lambda c: {"name": f"Fee {tag()}", "amount": 1000},
             lambda c, i: {"amount": 1000 + i + 1}, delete=False),
    Resource("fee structure", "/api/v1/fee-structures", lambda c: {
        "name": f"Fees {tag()}", "academicYearId": c.year["id"], "gradeLevel": 5,
        "items": [{"itemId": c.admin.post("/api/v1/fee-items", json={"name": f"Fee {tag()}", "amount": 500},
                                          expect=201).json["id"]}],
        "instalments": [{"label": "Year", "dueDate": c.today.isoformat(), "shareBp": 10000}]},
        lambda c, i: {"name": f"Fees {i} {tag()}"}, delete=False),
    Resource("announcement", "/api/v1/announcements", lambda c: {
        "title": f"Notice {tag()}", "body": "Text.", "audience": [{"kind": "school"}], "email": False},
        lambda c, i: {"title": f"Notice {i} {tag()}"}),
]

# (METHOD, template) of every versioned operation, and the resource (or action) that covers it
COVERED = {
    ("GET", "/api/v1/tenants/{id}"), ("PATCH", "/api/v1/tenants/{id}"),
    ("GET", "/api/v1/users/{id}"), ("PATCH", "/api/v1/users/{id}"),
    ("GET", "/api/v1/academic-years/{id}"), ("PATCH", "/api/v1/academic-years/{id}"),
    ("DELETE", "/api/v1/academic-years/{id}"), ("GET", "/api/v1/academic-years/current"),
    ("GET", "/api/v1/terms/{id}"), ("PATCH", "/api/v1/terms/{id}"), ("DELETE", "/api/v1/terms/{id}"),
    ("GET", "/api/v1/subjects/{id}"), ("PATCH", "/api/v1/subjects/{id}"), ("DELETE", "/api/v1/subjects/{id}"),
    ("GET", "/api/v1/classes/{id}"), ("PATCH", "/api/v1/classes/{id}"), ("DELETE", "/api/v1/classes/{id}"),
    ("GET", "/api/v1/classes/{id}/subjects/{assignmentId}"), ("PATCH", "/api/v1/classes/{id}/subjects/{assignmentId}"),
    ("DELETE", "/api/v1/classes/{id}/subjects/{assignmentId}"),
    ("GET", "/api/v1/teachers/{id}"), ("PATCH", "/api/v1/teachers/{id}"),
    ("GET", "/api/v1/students/{id}"), ("PATCH", "/api/v1/students/{id}"), ("DELETE", "/api/v1/students/{id}"),
    ("GET", "/api/v1/guardians/{id}"), ("PATCH", "/api/v1/guardians/{id}"),
    ("GET", "/api/v1/timetable-slots/{id}"), ("PATCH", "/api/v1/timetable-slots/{id}"),
    ("DELETE", "/api/v1/timetable-slots/{id}"),
    ("GET", "/api/v1/enrollments/{id}"), ("DELETE", "/api/v1/enrollments/{id}"),
    ("POST", "/api/v1/enrollments/{id}/end"), ("POST", "/api/v1/enrollments/{id}/transfer"),
    ("GET", "/api/v1/assessments/{id}"), ("PATCH", "/api/v1/assessments/{id}"),
    ("GET", "/api/v1/grading-scales/{id}"), ("PATCH", "/api/v1/grading-scales/{id}"),
    ("DELETE", "/api/v1/grading-scales/{id}"),
    ("GET", "/api/v1/invoices/{id}"),  # read only: an issued invoice is never edited (credit notes, voids)
    ("GET", "/api/v1/fee-items/{id}"), ("PATCH", "/api/v1/fee-items/{id}"),
    ("GET", "/api/v1/fee-structures/{id}"), ("PATCH", "/api/v1/fee-structures/{id}"),
    ("GET", "/api/v1/me/guardian"), ("PATCH", "/api/v1/me/guardian"),  # a parent's own guardian record
    ("GET", "/api/v1/announcements/{id}"), ("PATCH", "/api/v1/announcements/{id}"),
    ("DELETE", "/api/v1/announcements/{id}"),
    # the school's one settings record: test_announcements (304, 412, 428)
    ("GET", "/api/v1/absence-alerts/settings"), ("PATCH", "/api/v1/absence-alerts/settings"),
}


def etag_of(version):
    return f'"{version}"'


class Context:
    """School A's records the resources hang on: a current year with a term, a subject, a teacher."""

    def __init__(self, world):
        self.world = world
        self.admin = world.A.client("admin")
        self.today = date.fromisoformat(school_today("Europe/Paris"))
        self.years = itertools.count(1)
        start = self.today - timedelta(days=120)
        self.year = self.admin.post("/api/v1/academic-years", json={
            "name": f"Current {tag()}", "startDate": start.isoformat(),
            "endDate": (self.today + timedelta(days=240)).isoformat(), "isCurrent": True}, expect=201).json
        # the term the slots and enrollments use; further terms take the days after it, one each
        self.first_term_day = start.isoformat()
        self.term_end = self.today + timedelta(days=100)
        self.term = self.admin.post("/api/v1/terms", json={
            "academicYearId": self.year["id"], "name": "Main", "startDate": self.first_term_day,
            "endDate": self.term_end.isoformat()}, expect=201).json
        self.spare = itertools.count(1)
        self.subject = self.admin.post("/api/v1/subjects", json={"code": f"M{tag()}"[:20], "name": "Maths"},
                                       expect=201).json
        self.teacher = self.admin.post("/api/v1/teachers", json={
            "employeeNo": f"T{tag()}", "firstName": "Ada", "lastName": "Teach"}, expect=201).json
        self.slots = itertools.count(0)
        self.slot_class = None

    def spare_term(self):
        """Dates of a one-day term after the main one, each a day further (terms of a year may not overlap)."""
        day = (self.term_end + timedelta(days=next(self.spare))).isoformat()
        return {"startDate": day, "endDate": day}

    def new_class(self):
        return self.admin.post("/api/v1/classes", json={
            "academicYearId": self.year["id"], "gradeLevel": 6, "section": f"K{next(_n)}"}, expect=201).json["id"]

    def assessment_body(self):
        """A test of the subject in a class that teaches it, on the main term's first day."""
        if getattr(self, "assessed_class", None) is None:
            self.assessed_class = self.new_class()
            self.admin.post(f"/api/v1/classes/{self.assessed_class}/subjects", json={
                "subjectId": self.subject["id"], "teacherId": self.teacher["id"]}, expect=201)
        return {"classId": self.assessed_class, "subjectId": self.subject["id"], "termId": self.term["id"],
                "name": f"Quiz {tag()}", "category": "test", "date": self.first_term_day, "maxMarks": 20}

    def slot_body(self):
        """A Monday lesson of the subject's teacher in a class that teaches it, at a time no other slot takes."""
        k = next(self.slots)
        if k % 40 == 0:
            self.slot_class = self.new_class()
            self.admin.post(f"/api/v1/classes/{self.slot_class}/subjects", json={
                "subjectId": self.subject["id"], "teacherId": self.teacher["id"]}, expect=201)
        minute = 7 * 60 + (k % 40) * 20
        start = f"{minute // 60:02d}:{minute % 60:02d}"
        end = f"{(minute + 15) // 60:02d}:{(minute + 15) % 60:02d}"
        # the teacher teaches one class at a time: each class's slots take their own day of the week
        weekday = 1 + (k // 40) % 5
        return {"classId": self.slot_class, "subjectId": self.subject["id"], "teacherId": self.teacher["id"],
                "weekday": weekday, "startTime": start, "endTime": end}

    def client(self, actor):
        return self.world.platform if actor == "platform" else self.admin

    def fresh(self, res):
        """A new record of the resource: (client, path, document)."""
        c = self.client(res.actor)
        collection = res.collection(self) if callable(res.collection) else res.collection
        r = c.post(collection, json=res.create(self), expect=201)
        self_path = r.headers["location"]
        assert r.headers["etag"] == etag_of(r.json["version"]), r
        return c, self_path, r.json

    def fresh_enrollment(self):
        """A student enrolled in a new class from the first day of the term: (path, document, a second class)."""
        s = self.admin.post("/api/v1/students", json={"admissionNo": f"N{tag()}", "firstName": "En", "lastName": "Rol",
                                                      "dateOfBirth": "2014-05-06"}, expect=201).json
        first, second = self.new_class(), self.new_class()
        e = self.admin.post("/api/v1/enrollments", json={"studentId": s["id"], "classId": first,
                                                         "startDate": self.first_term_day}, expect=201)
        return e.headers["location"], e.json, second


def fire_together(calls):
    """Runs the calls (functions returning a Response) at the same instant, one thread each; their statuses."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i):
        barrier.wait()
        out[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


class TestConditionalRequests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.ctx = Context(cls.world)

    def versioned_operations(self):
        for template, item in self.server.openapi["paths"].items():
            for method, op in item.items():
                names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}
                if names & {"If-Match", "If-None-Match"}:
                    yield method.upper(), template, op

    def test_every_versioned_operation_is_listed(self):
        ops = {(m, t) for m, t, _ in self.versioned_operations()}
        self.assertEqual(sorted(ops - COVERED), [], "a versioned operation this module does not exercise")
        self.assertEqual(sorted(COVERED - ops), [], "listed here, but not versioned in the document")
        for m, t, op in self.versioned_operations():
            with self.subTest(method=m, route=t):
                want = {"412", "428"} if m != "GET" else {"304"}
                self.assertLessEqual(want, set(op["responses"]))
                ok = str(min(int(c) for c in op["responses"] if c.isdigit()))
                if ok != "204":
                    self.assertIn("ETag", op["responses"][ok].get("headers", {}), f"{m} {t} {ok}")

    def test_reads_answer_304_for_the_current_version(self):
        for res in RESOURCES:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                got = c.get(path, expect=200)
                etag = got.headers["etag"]
                self.assertEqual(etag, etag_of(doc["version"]))
                for inm in (etag, f"W/{etag}", "*", f'"99999", {etag}', f' {etag} ,'):
                    r = c.get(path, headers={"If-None-Match": inm})
                    self.assertEqual(r.status, 304, (inm, r))
                    self.assertEqual(r.body, b"")
                    self.assertEqual(r.headers["etag"], etag)
                for inm in ('"99999"', 'W/"99999"', '"+1"', f'"0{doc["version"]}"'):
                    self.assertEqual(c.get(path, headers={"If-None-Match": inm}).status, 200, inm)
                for inm in ("1", '"1', 'W/1', '"1" "2"', '" 1"'):
                    self.assertProblem(c.get(path, headers={"If-None-Match": inm}), 400)
        # an invoice: versioned for reads (its payments change it), never edited
        admin = self.ctx.admin
        student = admin.post("/api/v1/students", json={
            "admissionNo": f"I{tag()}", "firstName": "In", "lastName": "Voiced", "dateOfBirth": "2014-05-06"},
            expect=201).json
        inv = admin.post("/api/v1/invoices", json={"studentId": student["id"], "dueDate": self.ctx.today.isoformat(),
                                                   "lines": [{"description": "Tuition", "amount": 12500}]},
                         expect=201).json
        got = admin.get(f"/api/v1/invoices/{inv['id']}", expect=200)
        self.assertEqual(admin.get(f"/api/v1/invoices/{inv['id']}",
                                   headers={"If-None-Match": got.headers["etag"]}).status, 304)
        self.assertProblem(admin.get(f"/api/v1/invoices/{inv['id']}", headers={"If-None-Match": "3"}), 400)
        # the current year is one of them
        cur = self.ctx.admin.get("/api/v1/academic-years/current", expect=200)
        r = self.ctx.admin.get("/api/v1/academic-years/current", headers={"If-None-Match": cur.headers["etag"]})
        self.assertEqual(r.status, 304)
        self.assertProblem(self.ctx.admin.get("/api/v1/academic-years/current", headers={"If-None-Match": "3"}), 400)

    def test_writes_need_a_matching_if_match(self):
        for res in RESOURCES:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                body = res.patch(self.ctx, 0)
                v = doc["version"]
                self.assertProblem(c.patch(path, json=body), 428)
                for bad in ("1", '"1', "W/1", '"1" "2"', '" 1"', "*, \"1\""):
                    self.assertProblem(c.patch(path, json=body, headers={"If-Match": bad}), 400)
                # stale, weak, or a tag this server never issues: 412, nothing changed
                for stale in (etag_of(v + 1), f"W/{etag_of(v)}", '"+1"', f'"0{v}"', '"99999999999999999999"'):
                    p = self.assertProblem(c.patch(path, json=body, headers={"If-Match": stale}), 412)
                    self.assertIn(f"version {v}", p["detail"])
                self.assertEqual(c.get(path, expect=200).json, c.get(path, expect=200).json)
                self.assertEqual(c.get(path, expect=200).json["version"], v)
                # a list naming the current version, and "*", match
                r = c.patch(path, json=body, headers={"If-Match": f'"77", {etag_of(v)}'}, expect=200)
                self.assertEqual((r.json["version"], r.headers["etag"]), (v + 1, etag_of(v + 1)))
                r = c.patch(path, json=res.patch(self.ctx, 1), headers={"If-Match": "*"}, expect=200)
                self.assertEqual((r.json["version"], r.headers["etag"]), (v + 2, etag_of(v + 2)))

    def test_an_empty_patch_changes_nothing(self):
        for res in RESOURCES:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                before = c.get(path, expect=200).json
                r = c.patch(path, json={}, headers={"If-Match": etag_of(doc["version"])}, expect=200)
                self.assertEqual((r.json["version"], r.json["updatedAt"]), (before["version"], before["updatedAt"]))
                self.assertEqual(r.headers["etag"], etag_of(before["version"]))
                self.assertEqual(c.get(path, expect=200).json, before)
                self.assertProblem(c.patch(path, json={}, headers={"If-Match": etag_of(doc["version"] + 1)}), 412)

    def test_deletes_need_a_matching_if_match(self):
        for res in [r for r in RESOURCES if r.delete]:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                etag = etag_of(doc["version"])
                self.assertProblem(c.delete(path), 428)
                self.assertProblem(c.delete(path, headers={"If-Match": "one"}), 400)
                self.assertProblem(c.delete(path, headers={"If-Match": etag_of(doc["version"] + 1)}), 412)
                self.assertProblem(c.delete(path, headers={"If-Match": f"W/{etag}"}), 412)
                c.get(path, expect=200)
                self.assertEqual(c.delete(path, headers={"If-Match": etag}).status, 204)
                self.assertProblem(c.get(path), 404)
                self.assertProblem(c.delete(path, headers={"If-Match": "*"}), 404)

    def test_concurrent_edits_with_one_etag_succeed_once(self):
        for res in RESOURCES:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                token = c.token
                for rnd in range(ROUNDS):
                    v = c.get(path, expect=200).json["version"]
                    clients = [Client(self.server, token=token, keep_alive=True) for _ in range(2)]
                    for k in clients:
                        k.get(path, expect=200)  # connected before the race starts
                    bodies = [res.patch(self.ctx, 10 * rnd + k) for k in range(2)]
                    results = fire_together([
                        (lambda k=k: clients[k].patch(path, json=bodies[k], headers={"If-Match": etag_of(v)}))
                        for k in range(2)])
                    for k in clients:
                        k.close()
                    statuses = sorted(r.status for r in results)
                    self.assertEqual(statuses, [200, 412], (rnd, results))
                    won = next(r for r in results if r.status == 200)
                    now = c.get(path, expect=200).json
                    self.assertEqual(now["version"], v + 1)
                    self.assertEqual(now, won.json)

    def test_concurrent_deletes_with_one_etag_succeed_once(self):
        for res in [r for r in RESOURCES if r.delete]:
            with self.subTest(resource=res.name):
                c, path, doc = self.ctx.fresh(res)
                clients = [Client(self.server, token=c.token, keep_alive=True) for _ in range(2)]
                results = fire_together([
                    (lambda k=k: clients[k].delete(path, headers={"If-Match": etag_of(doc["version"])}))
                    for k in range(2)])
                for k in clients:
                    k.close()
                statuses = sorted(r.status for r in results)
                self.assertEqual(statuses[0], 204, results)
                self.assertIn(statuses[1], (404, 412), results)
                self.assertProblem(c.get(path), 404)

    def test_enrollment_actions_need_if_match_and_happen_once(self):
        admin = self.ctx.admin
        path, e, second = self.ctx.fresh_enrollment()
        self.assertEqual(admin.get(path, expect=200).headers["etag"], '"1"')
        self.assertEqual(admin.get(path, headers={"If-None-Match": '"1"'}).status, 304)
        self.assertProblem(admin.get(path, headers={"If-None-Match": "1"}), 400)
        self.assertProblem(admin.delete(path, headers={"If-Match": "1"}), 400)
        self.assertProblem(admin.delete(path, headers={"If-Match": '"2"'}), 412)
        end = {"endDate": self.ctx.today.isoformat(), "reason": "moved away"}
        self.assertProblem(admin.post(f"{path}/end", json=end), 428)
        self.assertProblem(admin.post(f"{path}/end", json=end, headers={"If-Match": '"2"'}), 412)
        move = {"classId": second, "date": (self.ctx.today - timedelta(days=1)).isoformat()}
        self.assertProblem(admin.post(f"{path}/transfer", json=move), 428)
        self.assertProblem(admin.post(f"{path}/transfer", json=move, headers={"If-Match": "W/\"1\""}), 412)
        self.assertProblem(admin.delete(path), 428)
        self.assertEqual(admin.get(path, expect=200).json, e)
        # the same action twice at once with one ETag: one success, one 412
        for action, body, ok in (("end", end, 200), ("transfer", move, 201)):
            with self.subTest(action=action):
                path, e, second = self.ctx.fresh_enrollment()
                if action == "transfer":
                    body = dict(body, classId=second)
                clients = [Client(self.server, token=admin.token, keep_alive=True) for _ in range(2)]
                results = fire_together([
                    (lambda k=k: clients[k].post(f"{path}/{action}", json=body, headers={"If-Match": '"1"'}))
                    for k in range(2)])
                for k in clients:
                    k.close()
                self.assertEqual(sorted(r.status for r in results), [ok, 412], results)
                self.assertEqual(admin.get(path, expect=200).json["version"], 2)
                student = e["studentId"]
                history = admin.get(f"/api/v1/enrollments?studentId={student}", expect=200).json["items"]
                self.assertEqual(len(history), 2 if action == "transfer" else 1, history)
        # a delete with the current version goes through, once
        path, e, _ = self.ctx.fresh_enrollment()
        self.assertEqual(admin.delete(path, headers={"If-Match": '"1"'}).status, 204)
        self.assertProblem(admin.delete(path, headers={"If-Match": '"1"'}), 404)

    def test_a_parents_own_guardian_record_is_versioned(self):
        parent = self.world.A.add_user(f"cond-parent-{tag()}", "parent")
        g = self.ctx.admin.post("/api/v1/guardians", json={"firstName": "Own", "lastName": "Record",
                                                          "userId": parent["id"]}, expect=201).json
        me = Client(self.server, token=parent["token"])
        got = me.get("/api/v1/me/guardian", expect=200)
        self.assertEqual((got.json["id"], got.headers["etag"]), (g["id"], etag_of(g["version"])))
        self.assertEqual(me.get("/api/v1/me/guardian", headers={"If-None-Match": got.headers["etag"]}).status, 304)
        self.assertProblem(me.patch("/api/v1/me/guardian", json={"phone": "+1 555 0100"}), 428)
        self.assertProblem(me.patch("/api/v1/me/guardian", json={"phone": "+1 555 0100"},
                                    headers={"If-Match": etag_of(g["version"] + 1)}), 412)
        r = me.patch("/api/v1/me/guardian", json={"phone": "+1 555 0100"}, headers={"If-Match": got.headers["etag"]},
                     expect=200)
        self.assertEqual((r.json["phone"], r.headers["etag"]), ("+1 555 0100", etag_of(g["version"] + 1)))
        self.assertProblem(me.patch("/api/v1/me/guardian", json={"phone": "+1 555 0199"},
                                    headers={"If-Match": got.headers["etag"]}), 412)
