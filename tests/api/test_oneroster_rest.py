"""
test_oneroster_rest.py - the OneRoster 1.1 REST binding (/ims/oneroster/v1p1) and its OAuth 2.0 clients
(/api/v1/oauth-clients), against the demo schools of a real server (SQLite, or PostgreSQL with
ERP_TEST_ENGINE=postgres).

Conformance: every collection, record and nested collection the served document lists is read with a client
token and checked against JSON Schemas written here from the OneRoster 1.1 data model (independently of the
server's own OpenAPI schemas): required fields, enumerations (roles, session types, class types, status),
date and date-time formats, GUIDRefs. Also the filter grammar, sort/orderBy/fields, limit/offset with
X-Total-Count and Link, imsx_StatusInfo errors, scopes, school isolation, deleted records (tobedeleted) for delta
syncs, the token endpoint's RFC 6749 errors, and the rostering half of a grade-sync client's flow.
"""

import base64
import csv
import json
import os
import re
import urllib.parse
import unittest

from fixtures_academic import Demo
from harness import ServerTestCase, run, skip_allowed, wait_until
from test_oneroster_csv import SAMPLE
from world import World

try:
    import jsonschema
except ImportError:  # Debian's python3-jsonschema; the harness needs it too
    jsonschema = None

BASE = "/ims/oneroster/v1p1"
SCOPE = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
ALL_SCOPES = [SCOPE + s for s in ("roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
                                  "gradebook.readonly", "gradebook.createput", "gradebook.delete")]

# ------------------------------------------------------------------ the 1.1 data model as JSON Schemas

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"}
GUIDREF = {
    "type": "object", "required": ["href", "sourcedId", "type"], "additionalProperties": False,
    "properties": {"href": {"type": "string", "minLength": 1}, "sourcedId": {"type": "string", "minLength": 1},
                   "type": {"enum": ["academicSession", "category", "class", "course", "demographics", "enrollment",
                                     "gradingPeriod", "lineItem", "org", "resource", "result", "student", "teacher",
                                     "term", "user"]}}}
REFS = {"type": "array", "items": GUIDREF}
STRINGS = {"type": "array", "items": {"type": "string"}}


def record(required, props):
    base = {"sourcedId": {"type": "string", "minLength": 1}, "status": {"enum": ["active", "tobedeleted"]},
            "dateLastModified": DATETIME, "metadata": {"type": "object"}}
    base.update(props)
    return {"type": "object", "required": ["sourcedId", "status", "dateLastModified"] + required,
            "additionalProperties": False, "properties": base}


MODEL = {
    "org": record(["name", "type"], {
        "name": {"type": "string"}, "type": {"enum": ["department", "school", "district", "local", "state",
                                                      "national"]},
        "identifier": {"type": "string"}, "parent": GUIDREF, "children": REFS}),
    "academicSession": record(["title", "type", "startDate", "endDate", "schoolYear"], {
        "title": {"type": "string"}, "type": {"enum": ["gradingPeriod", "semester", "schoolYear", "term"]},
        "startDate": DATE, "endDate": DATE, "parent": GUIDREF, "children": REFS,
        "schoolYear": {"type": "string", "pattern": r"^\d{4}$"}}),
    "course": record(["title", "org"], {
        "title": {"type": "string"}, "schoolYear": GUIDREF, "courseCode": {"type": "string"}, "grades": STRINGS,
        "subjects": STRINGS, "org": GUIDREF, "subjectCodes": STRINGS}),
    "class": record(["title", "classType", "school", "terms"], {
        "title": {"type": "string"}, "classCode": {"type": "string"}, "classType": {"enum": ["homeroom",
                                                                                             "scheduled"]},
        "location": {"type": "string"}, "grades": STRINGS, "subjects": STRINGS, "course": GUIDREF,
        "school": GUIDREF, "terms": {"type": "array", "minItems": 1, "items": GUIDREF}, "subjectCodes": STRINGS,
        "periods": STRINGS}),
    "user": record(["username", "enabledUser", "givenName", "familyName", "role", "orgs"], {
        "username": {"type": "string"}, "userIds": {"type": "array"}, "enabledUser": {"enum": ["true", "false"]},
        "givenName": {"type": "string"}, "familyName": {"type": "string"}, "middleName": {"type": "string"},
        "role": {"enum": ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student",
                          "teacher"]},
        "identifier": {"type": "string"}, "email": {"type": "string"}, "sms": {"type": "string"},
        "phone": {"type": "string"}, "agents": REFS, "orgs": {"type": "array", "minItems": 1, "items": GUIDREF},
        "grades": STRINGS}),
    "enrollment": record(["user", "class", "school", "role"], {
        "user": GUIDREF, "class": GUIDREF, "school": GUIDREF,
        "role": {"enum": ["administrator", "proctor", "student", "teacher"]},
        "primary": {"enum": ["true", "false"]}, "beginDate": DATE, "endDate": DATE}),
    "category": record(["title"], {"title": {"type": "string", "minLength": 1}}),
    "lineItem": record(["title", "assignDate", "dueDate", "class", "category", "resultValueMin", "resultValueMax"], {
        "title": {"type": "string"}, "description": {"type": "string"}, "assignDate": DATETIME, "dueDate": DATETIME,
        "class": GUIDREF, "category": GUIDREF, "gradingPeriod": GUIDREF, "resultValueMin": {"type": "number"},
        "resultValueMax": {"type": "number"}}),
    "result": record(["lineItem", "student", "scoreStatus", "score", "scoreDate"], {
        "lineItem": GUIDREF, "student": GUIDREF,
        "scoreStatus": {"enum": ["exempt", "fully graded", "not submitted", "partially graded", "submitted"]},
        "score": {"type": "number"}, "scoreDate": DATE, "comment": {"type": "string"}}),
    "demographics": record([], {
        "birthDate": DATE, "sex": {"enum": ["male", "female"]},
        "americanIndianOrAlaskaNative": {"enum": ["true", "false"]}}),
}
# collection -> (plural key, single key, record type)
COLLECTIONS = {
    "orgs": "org", "schools": "org", "academicSessions": "academicSession", "terms": "academicSession",
    "gradingPeriods": "academicSession", "courses": "course", "classes": "class", "users": "user",
    "students": "user", "teachers": "user", "enrollments": "enrollment", "demographics": "demographics",
    "categories": "category", "lineItems": "lineItem", "results": "result",
}
# collection -> the key of its list (1.1: students and teachers answer "users", terms "academicSessions", …)
PLURAL = {"schools": "orgs", "terms": "academicSessions", "gradingPeriods": "academicSessions", "students": "users",
          "teachers": "users"}


def plural(name):
    return PLURAL.get(name, name)


IMSX = {
    "type": "object", "required": ["statusInfoSet"],
    "properties": {"statusInfoSet": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["imsx_codeMajor", "imsx_severity", "imsx_codeMinor"],
        "properties": {"imsx_codeMajor": {"const": "failure"}, "imsx_severity": {"const": "error"},
                       "imsx_codeMinor": {"type": "string"}, "imsx_description": {"type": "string"}}}}}}


class OneRosterRestCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo = Demo(cls.server, students=40, tenants=2)
        cls.admin = cls.demo.client("admin")
        cls.admin2 = cls.demo.client("admin", school=2)
        cls.full = cls.make_client(cls.admin, "Learning platform", ALL_SCOPES)
        cls.core = cls.make_client(cls.admin, "Rostering only", ["roster-core.readonly"])
        cls.other = cls.make_client(cls.admin2, "Platform of school 2", ALL_SCOPES)
        cls.token_full = cls.token(cls.full)
        cls.token_core = cls.token(cls.core)
        cls.token_other = cls.token(cls.other)

    # -- helpers

    @staticmethod
    def make_client(admin, name, scopes):
        return admin.post("/api/v1/oauth-clients", json={"name": name, "scopes": scopes}, expect=201).json

    @classmethod
    def token_request(cls, form, basic=None, headers=None, content_type="application/x-www-form-urlencoded"):
        hdrs = dict(headers or {})
        if basic is not None:
            raw = f"{urllib.parse.quote(basic[0])}:{urllib.parse.quote(basic[1])}".encode()
            hdrs["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        body = form if isinstance(form, (str, bytes)) else urllib.parse.urlencode(form)
        return cls.server.http.post(f"{BASE}/oauth/token", body=body, headers=hdrs, content_type=content_type)

    @classmethod
    def token(cls, client, scope=None):
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        res = cls.token_request(form, basic=(client["clientId"], client["clientSecret"]))
        assert res.status == 200, repr(res)
        return res.json["access_token"]

    def get(self, path, token=None, expect=200):
        res = self.server.http.get(BASE + path, token=token or self.token_full)
        self.assertEqual(res.status, expect, repr(res))
        if expect >= 400:
            self.assertImsx(res, expect)
        return res

    def assertImsx(self, res, status, minor=None):
        self.assertEqual(res.status, status, repr(res))
        self.assertEqual(res.media_type, "application/json", repr(res))
        jsonschema.validate(res.json, IMSX)
        if minor is not None:
            self.assertEqual(res.json["statusInfoSet"][0]["imsx_codeMinor"], minor)

    def assertOAuthError(self, res, status, error):
        self.assertEqual(res.status, status, repr(res))
        self.assertEqual(res.json["error"], error, repr(res))
        self.assertEqual(res.headers.get("cache-control"), "no-store")
        if status == 401:
            self.assertIn("Basic", res.headers.get("www-authenticate", ""))

    def validate(self, kind, rec):
        try:
            jsonschema.validate(rec, MODEL[kind])
        except jsonschema.ValidationError as e:
            self.fail(f"{kind} {rec.get('sourcedId')}: {e.message} at {list(e.absolute_path)}")

    def all_records(self, path, limit=100):
        out, offset = [], 0
        sep = "&" if "?" in path else "?"
        key = plural(path.split("?")[0].rstrip("/").split("/")[-1])
        while True:
            res = self.get(f"{path}{sep}limit={limit}&offset={offset}")
            page = res.json[key]
            out += page
            offset += limit
            if offset >= int(res.headers["x-total-count"]):
                return out

    def user_by_email(self, email, token=None):
        q = urllib.parse.quote(f"email='{email}'")
        return self.get(f"/users?filter={q}", token=token).json["users"]


class TestOAuthClients(OneRosterRestCase):
    def test_a_client_is_registered_with_a_secret_shown_once(self):
        c = self.make_client(self.admin, "Quiz tool", ["roster-core.readonly", SCOPE + "gradebook.readonly"])
        self.assertEqual(c["scopes"], [SCOPE + "roster-core.readonly", SCOPE + "gradebook.readonly"])
        self.assertEqual(c["status"], "active")
        self.assertIsNone(c["lastUsedAt"])
        self.assertTrue(c["clientId"].endswith("." + c["id"]))
        self.assertEqual(c["tokenUrl"], f"{BASE}/oauth/token")
        again = self.admin.get(f"/api/v1/oauth-clients/{c['id']}", expect=200).json
        self.assertNotIn("clientSecret", again)
        self.token(c)
        used = self.admin.get(f"/api/v1/oauth-clients/{c['id']}", expect=200).json
        self.assertIsNotNone(used["lastUsedAt"])
        events = self.admin.get(f"/api/v1/audit-events?subjectId={c['id']}", expect=200).json["items"]
        actions = {(e["action"], e.get("actorId")) for e in events}
        self.assertIn(("oauth_client.create", self.demo.login("admin")["user"]["id"]), actions)
        self.assertIn(("oauth.token", c["id"]), actions)  # the client itself is the actor

    def test_the_list_pages_and_shows_revoked_clients(self):
        c = self.make_client(self.admin, "Old tool", ["roster.readonly"])
        self.admin.delete(f"/api/v1/oauth-clients/{c['id']}", expect=204)
        seen, cursor = [], None
        while True:
            q = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
            doc = self.admin.get(f"/api/v1/oauth-clients{q}", expect=200).json
            seen += doc["items"]
            cursor = doc["nextCursor"]
            if cursor is None:
                break
        by_id = {x["id"]: x for x in seen}
        self.assertEqual(len(by_id), len(seen))
        self.assertEqual(by_id[c["id"]]["status"], "revoked")
        self.assertIn(self.full["id"], by_id)
        self.assertNotIn(self.other["id"], by_id)  # school 2's
        self.assertProblem(self.admin.get("/api/v1/oauth-clients?limit=0"), 422)
        self.assertProblem(self.admin.get("/api/v1/oauth-clients?cursor=not-a-cursor"), 400)

    def test_revoking_stops_the_client_and_its_tokens_at_once(self):
        c = self.make_client(self.admin, "Leaving tool", ["roster-core.readonly"])
        tok = self.token(c)
        self.get("/orgs", token=tok)
        self.admin.delete(f"/api/v1/oauth-clients/{c['id']}", expect=204)
        self.admin.delete(f"/api/v1/oauth-clients/{c['id']}", expect=204)  # again: nothing changes
        self.assertImsx(self.server.http.get(f"{BASE}/orgs", token=tok), 401, "unauthorized")
        res = self.token_request({"grant_type": "client_credentials"}, basic=(c["clientId"], c["clientSecret"]))
        self.assertOAuthError(res, 401, "invalid_client")
        self.assertEqual(self.admin.get(f"/api/v1/oauth-clients/{c['id']}", expect=200).json["status"], "revoked")

    def test_bad_bodies_are_refused(self):
        url = "/api/v1/oauth-clients"
        self.assertProblem(self.admin.post(url, body="{nope", content_type="application/json"), 400)
        self.assertProblem(self.admin.post(url, body="name=x", content_type="text/plain"), 415)
        self.assertProblem(self.admin.post(url, json={"name": "x"}), 422)
        self.assertProblem(self.admin.post(url, json={"scopes": ["roster.readonly"]}), 422)
        self.assertProblem(self.admin.post(url, json={"name": 5, "scopes": ["roster.readonly"]}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x", "scopes": "roster.readonly"}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x", "scopes": []}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x", "scopes": ["admin"]}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x", "scopes": [7]}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x", "scopes": ["roster.readonly"], "secret": "s"}), 422)
        self.assertProblem(self.admin.post(url, json={"name": "x" * 2_000_000, "scopes": ["roster.readonly"]}), 413)

    def test_only_admins_manage_clients_and_only_their_schools(self):
        teacher = self.demo.client("teacher1")
        self.assertProblem(teacher.post("/api/v1/oauth-clients", json={"name": "x", "scopes": ["roster.readonly"]}),
                           403)
        self.assertProblem(teacher.get("/api/v1/oauth-clients"), 403)
        self.assertProblem(self.admin2.get(f"/api/v1/oauth-clients/{self.full['id']}"), 404)
        self.assertProblem(self.admin2.delete(f"/api/v1/oauth-clients/{self.full['id']}"), 404)
        self.assertProblem(self.admin.get("/api/v1/oauth-clients/not-an-id"), 404)
        self.get("/orgs")  # still alive


class TestTokenEndpoint(OneRosterRestCase):
    def test_basic_and_form_credentials(self):
        res = self.token_request({"grant_type": "client_credentials", "scope": SCOPE + "roster-core.readonly"},
                                 basic=(self.full["clientId"], self.full["clientSecret"]))
        self.assertEqual(res.status, 200, repr(res))
        self.assertEqual(res.json["token_type"], "bearer")
        self.assertEqual(res.json["scope"], SCOPE + "roster-core.readonly")
        self.assertGreater(res.json["expires_in"], 0)
        self.assertLessEqual(res.json["expires_in"], 3600)
        self.assertEqual(res.headers.get("cache-control"), "no-store")
        res = self.token_request({"grant_type": "client_credentials", "client_id": self.full["clientId"],
                                  "client_secret": self.full["clientSecret"]})
        self.assertEqual(res.status, 200, repr(res))
        self.assertEqual(res.json["scope"].split(), ALL_SCOPES)  # no scope asked: all the client's
        self.get("/orgs", token=res.json["access_token"])

    def test_rfc6749_errors(self):
        good = (self.core["clientId"], self.core["clientSecret"])
        cc = {"grant_type": "client_credentials"}
        self.assertOAuthError(self.token_request(cc, basic=(good[0], "wrong")), 401, "invalid_client")
        self.assertOAuthError(self.token_request(cc, basic=("nobody", "x")), 401, "invalid_client")
        self.assertOAuthError(self.token_request(cc, basic=(self.other["clientId"][:37] + self.core["id"], good[1])),
                              401, "invalid_client")  # a real client id under another school
        self.assertOAuthError(self.token_request(cc), 401, "invalid_client")
        self.assertOAuthError(self.token_request({"grant_type": "password"}, basic=good), 400,
                              "unsupported_grant_type")
        self.assertOAuthError(self.token_request({}, basic=good), 400, "invalid_request")
        self.assertOAuthError(self.token_request("grant_type=client_credentials&grant_type=client_credentials",
                                                 basic=good), 400, "invalid_request")
        self.assertOAuthError(self.token_request({**cc, "client_id": good[0], "client_secret": good[1]}, basic=good),
                              400, "invalid_request")
        self.assertOAuthError(self.token_request("grant_type=%zz", basic=good), 400, "invalid_request")
        self.assertOAuthError(self.token_request(json.dumps(cc), basic=good, content_type="application/json"), 400,
                              "invalid_request")
        self.assertOAuthError(self.token_request({**cc, "scope": SCOPE + "gradebook.delete"}, basic=good), 400,
                              "invalid_scope")
        self.assertOAuthError(self.token_request({**cc, "scope": "https://example.com/admin"}, basic=good), 400,
                              "invalid_scope")
        res = self.server.http.post(f"{BASE}/oauth/token", body="x=" + "a" * 9000,
                                    content_type="application/x-www-form-urlencoded")
        self.assertProblem(res, 413)

    def test_bearer_errors_are_imsx(self):
        res = self.server.http.get(f"{BASE}/users", token=None)
        self.assertImsx(res, 401, "unauthorized")
        self.assertIn("Bearer", res.headers.get("www-authenticate", ""))
        self.assertImsx(self.server.http.get(f"{BASE}/users", token="or1.nope"), 401, "unauthorized")
        self.assertImsx(self.server.http.get(f"{BASE}/users", token="or1." + self.full["clientId"][:36] + ".x" * 20),
                        401, "unauthorized")
        # an account's token is not a OneRoster client's
        self.assertImsx(self.server.http.get(f"{BASE}/users", token=self.demo.login("admin")["accessToken"]), 401)
        self.assertImsx(self.server.http.get(f"{BASE}/users/x", token=None), 401)
        self.assertImsx(self.server.http.get(f"{BASE}/classes/x/students", token=None), 401)

    def test_every_read_of_the_binding_answers_its_errors(self):
        doc = self.server.http.get("/api/v1/openapi.json", expect=200).json
        paths = [p for p, item in doc["paths"].items() if p.startswith(BASE) and "get" in item]
        self.assertEqual(len(paths), 45)
        gradebook = self.token(self.full, scope=SCOPE + "gradebook.readonly")
        rostering = self.token(self.full, scope=SCOPE + "roster.readonly")
        for template in paths:
            path = template.replace("{id}", "x").replace("{studentId}", "y")
            with self.subTest(path=template):
                self.assertImsx(self.server.http.get(path, token=None), 401, "unauthorized")
                refused = rostering if "lineItems" in template or "results" in template or "categories" in template \
                    else gradebook
                self.assertImsx(self.server.http.get(path, token=refused), 403, "unauthorized")
                self.assertImsx(self.server.http.get(path + "?fields=nope", token=self.token_full), 400,
                                "invalid_selection_field")
                if "{id}" in template:
                    self.assertImsx(self.server.http.get(path, token=self.token_full), 404, "unknown object")

    def test_scopes(self):
        # roster-core reads the core collections, not demographics
        self.get("/users", token=self.token_core)
        res = self.get("/demographics", token=self.token_core, expect=403)
        self.assertIn("insufficient_scope", res.headers.get("www-authenticate", ""))
        self.get("/demographics/x", token=self.token_core, expect=403)
        gradebook = self.token(self.full, scope=SCOPE + "gradebook.readonly")
        self.get("/users", token=gradebook, expect=403)
        self.get("/classes/x/students", token=gradebook, expect=403)
        demo = self.token(self.full, scope=SCOPE + "roster-demographics.readonly")
        self.get("/demographics", token=demo)
        self.get("/users", token=demo, expect=403)
        # rostering is read-only: a write is no operation of it
        res = self.server.http.put(f"{BASE}/users/x", json={}, token=self.token_core)
        self.assertEqual(res.status, 405)
        # a read-only client may not write the gradebook
        res = self.server.http.put(f"{BASE}/lineItems/x", json={"lineItem": {}}, token=self.token_core)
        self.assertImsx(res, 403, "unauthorized")
        readonly = self.token(self.full, scope=SCOPE + "gradebook.readonly")
        for method in ("put", "delete"):
            for what in ("lineItems", "results"):
                kw = {"json": {what[:-1]: {}}} if method == "put" else {}
                res = getattr(self.server.http, method)(f"{BASE}/{what}/x", token=readonly, **kw)
                self.assertImsx(res, 403, "unauthorized")
                self.assertImsx(getattr(self.server.http, method)(f"{BASE}/{what}/x", token=None, **kw), 401)


class TestRostering(OneRosterRestCase):
    def routes(self, shape):
        """The binding's GET paths of the served document: collections, records ({id}) or nested ({id}/x)."""
        doc = self.server.http.get("/api/v1/openapi.json", expect=200).json
        out = []
        for path, item in doc["paths"].items():
            if not path.startswith(BASE) or "get" not in item:
                continue
            depth = path[len(BASE):].count("{")
            if (shape == "collection" and depth == 0) or (shape == "record" and path.endswith("{id}")) or \
                    (shape == "nested" and depth == 1 and not path.endswith("{id}")):
                out.append(path)
        return sorted(out)

    def test_every_collection_answers_the_1_1_shapes(self):
        paths = self.routes("collection")
        self.assertEqual(len(paths), 15, paths)
        for path in paths:
            name = path[len(BASE) + 1:]
            with self.subTest(path=path):
                recs = self.all_records("/" + name)
                kind = COLLECTIONS[name]
                for rec in recs:
                    self.validate(kind, rec)
                ids = [r["sourcedId"] for r in recs]
                self.assertEqual(len(ids), len(set(ids)))
                if name not in ("gradingPeriods",):
                    self.assertTrue(recs, name)

    def test_collections_hold_what_the_school_has(self):
        users = self.all_records("/users")
        roles = {u["role"] for u in users}
        self.assertEqual(roles, {"student", "teacher", "guardian"})
        students = self.all_records("/students")
        self.assertEqual(len(students), 40)
        self.assertTrue(all(s["role"] == "student" for s in students))
        teachers = self.all_records("/teachers")
        self.assertTrue(teachers and all(t["role"] == "teacher" for t in teachers))
        terms = self.all_records("/terms")
        self.assertTrue(terms and all(t["type"] == "term" for t in terms))
        sessions = self.all_records("/academicSessions")
        self.assertEqual({s["type"] for s in sessions}, {"schoolYear", "term"})
        years = {s["sourcedId"] for s in sessions if s["type"] == "schoolYear"}
        self.assertTrue(all(t["parent"]["sourcedId"] in years for t in terms))
        self.assertEqual(self.all_records("/gradingPeriods"), [])
        orgs = self.get("/orgs").json["orgs"]
        self.assertEqual([o["type"] for o in orgs], ["school"])
        self.assertEqual(orgs[0]["identifier"], "demo")  # the school's slug
        native = self.admin.get("/api/v1/students?limit=500", expect=200).json["items"]
        self.assertEqual({s["id"] for s in native}, {s["sourcedId"] for s in students})
        demographics = self.all_records("/demographics")
        self.assertEqual({d["sourcedId"] for d in demographics}, {s["sourcedId"] for s in students})

    def test_records_by_sourced_id(self):
        for path in self.routes("record"):
            name = path[len(BASE) + 1:-len("/{id}")]
            kind = COLLECTIONS[name]
            with self.subTest(path=path):
                recs = self.get(f"/{name}?limit=3").json[plural(name)]
                for rec in recs:
                    one = self.get(f"/{name}/{urllib.parse.quote(rec['sourcedId'])}").json[kind]
                    self.assertEqual(one, rec)
                self.get(f"/{name}/no-such-record", expect=404)
                self.assertImsx(self.server.http.get(f"{BASE}/{name}/nope", token=self.token_full), 404,
                                "unknown object")
        # a teacher is not a student, a year not a term
        teacher = self.get("/teachers?limit=1").json["users"][0]
        self.get(f"/students/{teacher['sourcedId']}", expect=404)
        year = self.get("/academicSessions?filter=" + urllib.parse.quote("type='schoolYear'")).json
        self.get(f"/terms/{year['academicSessions'][0]['sourcedId']}", expect=404)
        user = self.get(f"/users/{teacher['sourcedId']}?fields=sourcedId,email").json["user"]
        self.assertEqual(set(user), {"sourcedId", "email"})
        self.assertImsx(self.server.http.get(f"{BASE}/users/{teacher['sourcedId']}?fields=password",
                                             token=self.token_full), 400, "invalid_selection_field")

    def test_nested_collections(self):
        org = self.get("/schools").json["orgs"][0]["sourcedId"]
        enrollments = self.all_records("/enrollments")
        classes = {c["sourcedId"]: c for c in self.all_records("/classes")}
        users = {u["sourcedId"]: u for u in self.all_records("/users")}
        # a scheduled class with its teacher and students, as a learning platform reads it
        scheduled = next(c for c in classes.values() if c["classType"] == "scheduled")
        cid = scheduled["sourcedId"]
        want_students = {e["user"]["sourcedId"] for e in enrollments
                         if e["class"]["sourcedId"] == cid and e["role"] == "student"}
        want_teachers = {e["user"]["sourcedId"] for e in enrollments
                         if e["class"]["sourcedId"] == cid and e["role"] == "teacher"}
        self.assertTrue(want_students and want_teachers)
        got = self.all_records(f"/classes/{cid}/students")
        self.assertEqual({u["sourcedId"] for u in got}, want_students)
        self.assertTrue(all(u["role"] == "student" for u in got))
        self.assertEqual({u["sourcedId"] for u in self.all_records(f"/classes/{cid}/teachers")}, want_teachers)
        teacher = next(iter(want_teachers))
        mine = {c["sourcedId"] for c in self.all_records(f"/teachers/{teacher}/classes")}
        self.assertIn(cid, mine)
        self.assertEqual(mine, {e["class"]["sourcedId"] for e in enrollments
                                if e["user"]["sourcedId"] == teacher and e["role"] == "teacher"})
        student = next(iter(want_students))
        theirs = {c["sourcedId"] for c in self.all_records(f"/students/{student}/classes")}
        self.assertIn(cid, theirs)
        self.assertIn("homeroom", {classes[c]["classType"] for c in theirs})
        # the school's
        self.assertEqual(len(self.all_records(f"/schools/{org}/classes")), len(classes))
        self.assertEqual(len(self.all_records(f"/schools/{org}/enrollments")), len(enrollments))
        self.assertEqual(len(self.all_records(f"/schools/{org}/students")), 40)
        self.assertEqual({u["sourcedId"] for u in self.all_records(f"/schools/{org}/teachers")},
                         {u for u, x in users.items() if x["role"] == "teacher"})
        self.assertEqual(len(self.all_records(f"/schools/{org}/courses")), len(self.all_records("/courses")))
        self.assertEqual(len(self.all_records(f"/schools/{org}/terms")), len(self.all_records("/terms")))
        # a term's classes are those of its year; a course's those teaching it
        term = self.all_records("/terms")[0]
        self.assertEqual(len(self.all_records(f"/terms/{term['sourcedId']}/classes")),
                         len([c for c in classes.values()
                              if term["parent"]["sourcedId"] in {t["sourcedId"] for t in c["terms"]}]))
        course = scheduled["course"]["sourcedId"]
        self.assertEqual({c["sourcedId"] for c in self.all_records(f"/courses/{course}/classes")},
                         {c for c, x in classes.items() if x.get("course", {}).get("sourcedId") == course})
        # every nested route: its shape, and 404 for an unknown parent
        for path in self.routes("nested"):
            parent, child = path[len(BASE) + 1:].split("/{id}/")
            with self.subTest(path=path):
                self.get(f"/{parent}/no-such-id/{child}", expect=404)
                first = self.get(f"/{parent}?limit=1").json[plural(parent)][0]["sourcedId"]
                for rec in self.get(f"/{parent}/{first}/{child}").json[plural(child)]:
                    self.validate(COLLECTIONS[child], rec)

    def test_paging_headers(self):
        total = len(self.all_records("/users"))
        res = self.get("/users?limit=7&offset=7")
        self.assertEqual(int(res.headers["x-total-count"]), total)
        self.assertEqual(len(res.json["users"]), 7)
        links = dict((rel, url) for url, rel in re.findall(r'<([^>]*)>; rel="(\w+)"', res.headers["link"]))
        self.assertEqual(set(links), {"first", "prev", "next", "last"})
        self.assertIn("offset=14", links["next"])
        self.assertIn("offset=0", links["prev"])
        self.assertIn(f"offset={(total - 1) // 7 * 7}", links["last"])
        # following next reaches every record once
        seen, url = [], f"{BASE}/users?limit=13&sort=familyName"
        while url:
            r = self.server.http.get(url, token=self.token_full, expect=200)
            seen += [u["sourcedId"] for u in r.json["users"]]
            nxt = [u for u, rel in re.findall(r'<([^>]*)>; rel="(\w+)"', r.headers["link"]) if rel == "next"]
            url = nxt[0] if nxt else None
            self.assertTrue(url is None or "sort=familyName" in url)
        self.assertEqual(len(seen), total)
        self.assertEqual(len(set(seen)), total)
        self.assertEqual(self.get("/users").json["users"].__len__(), min(total, 100))  # default limit 100
        self.assertEqual(self.get(f"/users?offset={total}").json["users"], [])
        for bad in ("limit=0", "limit=x", "offset=-1", "limit=10001", "orderBy=up"):
            with self.subTest(bad=bad):
                self.assertImsx(self.server.http.get(f"{BASE}/users?{bad}", token=self.token_full), 400,
                                "invalid data")

    def test_sort_order_and_fields(self):
        users = self.get("/users?sort=familyName&orderBy=desc&limit=500").json["users"]
        names = [u["familyName"] for u in users]
        self.assertEqual(names, sorted(names, reverse=True))
        asc = self.get("/users?sort=familyName&limit=500").json["users"]
        self.assertEqual([u["familyName"] for u in asc], sorted(names))
        ids = [u["sourcedId"] for u in self.get("/users?limit=500").json["users"]]
        self.assertEqual(ids, sorted(ids))  # default: sourcedId
        some = self.get("/users?fields=sourcedId,givenName&limit=5").json["users"]
        self.assertTrue(all(set(u) <= {"sourcedId", "givenName"} for u in some))
        self.assertImsx(self.server.http.get(f"{BASE}/users?sort=shoeSize", token=self.token_full), 400,
                        "invalid_sort_field")
        self.assertImsx(self.server.http.get(f"{BASE}/users?fields=sourcedId,shoeSize", token=self.token_full), 400,
                        "invalid_selection_field")

    def filter(self, path, expr, expect=200, token=None):
        res = self.server.http.get(f"{BASE}{path}?limit=10000&filter={urllib.parse.quote(expr)}",
                                   token=token or self.token_full)
        self.assertEqual(res.status, expect, repr(res))
        return res

    def test_filter_grammar(self):
        users = self.all_records("/users")
        teacher = next(u for u in users if u["role"] == "teacher" and u.get("email"))
        key = "users"
        got = self.filter("/users", f"email='{teacher['email']}'").json[key]
        self.assertEqual([u["sourcedId"] for u in got], [teacher["sourcedId"]])
        self.assertEqual(len(self.filter("/users", "role='teacher'").json[key]),
                         len([u for u in users if u["role"] == "teacher"]))
        self.assertEqual(len(self.filter("/users", "role!='teacher'").json[key]),
                         len([u for u in users if u["role"] != "teacher"]))
        both = self.filter("/users", f"role='teacher' AND givenName='{teacher['givenName']}'").json[key]
        self.assertTrue(all(u["role"] == "teacher" and u["givenName"] == teacher["givenName"] for u in both))
        either = self.filter("/users", "role='teacher' OR role='guardian'").json[key]
        self.assertEqual(len(either), len([u for u in users if u["role"] in ("teacher", "guardian")]))
        part = teacher["familyName"][1:3].upper()
        self.assertEqual({u["sourcedId"] for u in self.filter("/users", f"familyName~'{part}'").json[key]},
                         {u["sourcedId"] for u in users if part.lower() in u["familyName"].lower()})
        self.assertEqual(len(self.filter("/users", "dateLastModified>'2000-01-01'").json[key]), len(users))
        self.assertEqual(self.filter("/users", "dateLastModified<'2000-01-01'").json[key], [])
        self.assertEqual(self.filter("/users", "givenName='O''Brien'").json[key], [])
        self.assertEqual(self.filter("/users", "givenName = 'nobody' OR sourcedId='" + teacher["sourcedId"] + "'")
                         .json[key][0]["sourcedId"], teacher["sourcedId"])
        # references and arrays: by their sourcedId
        org = self.get("/orgs").json["orgs"][0]["sourcedId"]
        self.assertEqual(len(self.filter("/users", f"orgs.sourcedId='{org}'").json[key]), len(users))
        self.assertEqual(len(self.filter("/users", f"orgs='{org}'").json[key]), len(users))
        cls = self.get("/classes?limit=1").json["classes"][0]["sourcedId"]
        enr = self.filter("/enrollments", f"class.sourcedId='{cls}' AND role='student'").json["enrollments"]
        self.assertTrue(all(e["class"]["sourcedId"] == cls for e in enr))
        self.assertEqual(int(self.filter("/users", "role='teacher'").headers["x-total-count"]),
                         len([u for u in users if u["role"] == "teacher"]))

    def test_malformed_filters_are_400(self):
        for bad in ("email", "email=", "email=x", "email='x", "='x'", "email=='x'", "email='x' AND", "email='x' and "
                    "role='teacher'", "email='x' XOR role='y'", "email='x' role='y'", "a.='x'", ".a='x'",
                    " AND ".join(["role='x'"] * 17)):
            with self.subTest(filter=bad):
                res = self.filter("/users", bad, expect=400)
                self.assertImsx(res, 400, "invalid data")
        self.assertImsx(self.filter("/users", "shoeSize='9'", expect=400), 400, "invalid_filter_field")
        self.assertImsx(self.filter("/classes/x/students", "shoeSize='9'", expect=400), 400, "invalid_filter_field")

    def test_text_that_is_not_utf8_is_refused(self):
        for q in ("filter=email%3D%27%FF%27", "filter=%FF", "sort=%FF", "fields=%FF", "orderBy=%FF"):
            with self.subTest(query=q):
                self.assertImsx(self.server.http.get(f"{BASE}/users?{q}", token=self.token_full), 400,
                                "invalid data")
        self.assertImsx(self.server.http.get(f"{BASE}/users/%FF", token=self.token_full), 404, "unknown object")
        self.assertImsx(self.server.http.get(f"{BASE}/classes/%FF/students", token=self.token_full), 404)
        self.assertImsx(self.server.http.delete(f"{BASE}/results/%FF", token=self.token_full), 404)
        self.assertImsx(self.server.http.put(f"{BASE}/lineItems/%FF", json={"lineItem": {}}, token=self.token_full),
                        422)
        self.assertImsx(self.server.http.put(f"{BASE}/results/{'x' * 256}", json={"result": {}},
                                             token=self.token_full), 422)

    def test_undeclared_query_parameters_are_refused(self):
        self.assertProblem(self.server.http.get(f"{BASE}/users?page=2", token=self.token_full), 422)

    def test_school_isolation(self):
        mine = self.all_records("/users")
        other = [u["sourcedId"] for u in self.get("/users?limit=10000", token=self.token_other).json["users"]]
        self.assertTrue(other)
        self.assertFalse(set(other) & {u["sourcedId"] for u in mine})
        teacher = next(u for u in mine if u["role"] == "teacher")
        cls = self.get("/classes?limit=1").json["classes"][0]["sourcedId"]
        org = self.get("/orgs").json["orgs"][0]["sourcedId"]
        for path in (f"/users/{teacher['sourcedId']}", f"/teachers/{teacher['sourcedId']}/classes",
                     f"/classes/{cls}", f"/classes/{cls}/students", f"/orgs/{org}", f"/schools/{org}/classes",
                     f"/demographics/{next(u for u in mine if u['role'] == 'student')['sourcedId']}"):
            with self.subTest(path=path):
                self.get(path, token=self.token_other, expect=404)
        q = urllib.parse.quote(f"email='{teacher['email']}'")
        self.assertEqual(self.get(f"/users?filter={q}", token=self.token_other).json["users"], [])
        self.assertEqual(self.get(f"/enrollments?filter={urllib.parse.quote(f'class.sourcedId={chr(39)}{cls}{chr(39)}')}",
                                  token=self.token_other).json["enrollments"], [])

    def test_deleted_students_stay_listed_as_tobedeleted(self):
        students = self.admin.get("/api/v1/students?limit=500", expect=200).json["items"]
        victim = students[-1]
        stamp = self.get(f"/users/{victim['id']}").json["user"]["dateLastModified"]
        etag = self.admin.get(f"/api/v1/students/{victim['id']}", expect=200).headers["etag"]
        self.admin.delete(f"/api/v1/students/{victim['id']}", headers={"If-Match": etag}, expect=204)
        user = self.get(f"/users/{victim['id']}").json["user"]
        self.assertEqual(user["status"], "tobedeleted")
        self.assertEqual(user["enabledUser"], "false")
        self.assertGreaterEqual(user["dateLastModified"], stamp)
        self.assertEqual(self.get(f"/demographics/{victim['id']}").json["demographics"]["status"], "tobedeleted")
        enr = self.filter("/enrollments", f"user.sourcedId='{victim['id']}'").json["enrollments"]
        self.assertTrue(enr and all(e["status"] == "tobedeleted" for e in enr))
        # a delta sync: what changed since the student's last change before the deletion
        delta = self.filter("/users", f"dateLastModified>'{stamp}'").json["users"]
        self.assertIn(victim["id"], {u["sourcedId"] for u in delta})


class TestGradebook(OneRosterRestCase):
    """lineItems and results: PUT by the client's sourcedId onto assessments and marks, the native rules applying."""

    def setUp(self):
        self.existing = next(li for li in self.all_records("/lineItems"))
        self.cls = self.existing["class"]["sourcedId"]
        self.enrolled = sorted({r["student"]["sourcedId"]
                                for r in self.all_records(f"/lineItems/{self.existing['sourcedId']}/results")})
        self.assertTrue(self.enrolled)

    def line_item(self, **over):
        item = {"title": "Fractions quiz", "class": {"sourcedId": self.cls, "type": "class", "href": "x"},
                "category": {"sourcedId": self.existing["category"]["sourcedId"]},
                "dueDate": self.existing["dueDate"], "resultValueMin": 0, "resultValueMax": 20}
        item.update(over)
        return {"lineItem": {k: v for k, v in item.items() if v is not None}}

    def put(self, path, body, token=None, expect=None):
        res = self.server.http.put(BASE + path, json=body, token=token or self.token_full)
        if expect is not None:
            self.assertEqual(res.status, expect, repr(res))
            if expect >= 400:
                self.assertImsx(res, expect)
        return res

    def result(self, item, student, score=None, status="fully graded", **over):
        rec = {"lineItem": {"sourcedId": item}, "student": {"sourcedId": student}, "scoreStatus": status}
        if score is not None:
            rec["score"] = score
        rec.update(over)
        return {"result": rec}

    def test_line_items_map_onto_assessments(self):
        sid = "lms-quiz-1"
        made = self.put(f"/lineItems/{sid}", self.line_item(), expect=201).json["lineItem"]
        self.validate("lineItem", made)
        self.assertEqual((made["sourcedId"], made["title"], made["resultValueMax"]), (sid, "Fractions quiz", 20))
        self.assertEqual(made["class"]["sourcedId"], self.cls)
        again = self.put(f"/lineItems/{sid}", self.line_item(title="Fractions quiz (retake)", resultValueMax=25.5),
                         expect=200).json["lineItem"]
        self.assertEqual((again["title"], again["resultValueMax"]), ("Fractions quiz (retake)", 25.5))
        self.assertEqual(self.get(f"/lineItems/{sid}").json["lineItem"], again)
        self.assertIn(sid, {li["sourcedId"] for li in self.all_records(f"/classes/{self.cls}/lineItems")})
        for rec in self.all_records("/categories"):
            self.validate("category", rec)
        # the native API sees the assessment, made by the admin who registered the client
        admin_id = self.demo.login("admin")["user"]["id"]
        events = self.admin.get("/api/v1/audit-events?action=assessment.update&limit=50", expect=200).json["items"]
        self.assertTrue(any(e.get("actorId") == admin_id for e in events))
        # the native rules apply, in OneRoster's words
        for bad, why in ((self.line_item(resultValueMax=0), "resultValueMax"),
                         (self.line_item(title=""), "title"),
                         (self.line_item(dueDate="2001-01-01T00:00:00Z"), "dueDate"),
                         (self.line_item(category={"sourcedId": "no such category " * 3}), "category"),
                         (self.line_item(resultValueMin=5), "resultValueMin"),
                         (self.line_item(resultValueMax="20"), "resultValueMax"),
                         (self.line_item(**{"class": None}), "class"),
                         (self.line_item(**{"class": {"sourcedId": "nope"}}), "class"),
                         ({"lineItem": [], "x": 1}, "lineItem"),
                         ({"lineItem": {**self.line_item()["lineItem"], "sourcedId": "other"}}, "sourcedId")):
            with self.subTest(why=why):
                res = self.put(f"/lineItems/lms-bad-{why}", bad, expect=422)
                self.get(f"/lineItems/lms-bad-{why}", expect=404)
                self.assertIsNotNone(res.json)
        homeroom = next(c for c in self.all_records("/classes") if c["classType"] == "homeroom")
        self.put("/lineItems/lms-homeroom", self.line_item(**{"class": {"sourcedId": homeroom["sourcedId"]}}),
                 expect=422)
        # malformed JSON is the dispatcher's problem document
        res = self.server.http.put(f"{BASE}/lineItems/x", body="{", content_type="application/json",
                                   token=self.token_full)
        self.assertProblem(res, 400)
        self.put(f"/lineItems/{sid}", self.line_item(**{"class": {"sourcedId": self.other_class()}}), expect=422)
        for what in ("lineItems", "results"):
            res = self.server.http.put(f"{BASE}/{what}/x", body="{", content_type="application/json",
                                       token=self.token_full)
            self.assertProblem(res, 400)
            res = self.server.http.put(f"{BASE}/{what}/x", body="a=b", content_type="application/x-www-form-urlencoded",
                                       token=self.token_full)
            self.assertProblem(res, 415)
            res = self.server.http.put(f"{BASE}/{what}/x", json={"x": "y" * 2_000_000}, token=self.token_full)
            self.assertProblem(res, 413)

    def native_column(self, title):
        """The native gradebook's results of the assessment a line item made ({studentId: result}), as an admin
        reads it (cached after the first read: a PUT or DELETE here must invalidate it)."""
        found = getattr(self, "native", {})
        for e in [] if title in found else self.admin.get("/api/v1/audit-events?action=assessment.create&limit=100",
                                                           expect=200).json["items"]:
            a = self.admin.get(f"/api/v1/assessments/{e['subjectId']}")
            if a.status == 200 and a.json["name"] == title:
                self.native = {**found, title: a.json}
                break
        a = self.native[title]
        book = self.admin.get(f"/api/v1/classes/{a['classId']}/gradebook?subjectId={a['subjectId']}"
                              f"&termId={a['termId']}", expect=200).json
        ids = [x["id"] for x in book["assessments"]]
        return {row["studentId"]: row["results"][ids.index(a["id"])] for row in book["items"]} if a["id"] in ids \
            else None

    def other_class(self):
        return next(c["sourcedId"] for c in self.all_records("/classes")
                    if c["classType"] == "scheduled" and c["sourcedId"] != self.cls)

    def test_results_map_onto_marks(self):
        item = "lms-quiz-2"
        self.put(f"/lineItems/{item}", self.line_item(title="Decimals"), expect=201)
        for i, student in enumerate(self.enrolled):
            res = self.put(f"/results/lms-{item}-{i}", self.result(item, student, score=10 + i % 10), expect=201)
            self.validate("result", res.json["result"])
        back = self.all_records(f"/lineItems/{item}/results")
        self.assertEqual({r["sourcedId"] for r in back}, {f"lms-{item}-{i}" for i in range(len(self.enrolled))})
        column = self.native_column("Decimals")
        self.assertEqual(sorted(r["mark"] for r in column.values() if r), sorted(10 + i % 10 for i in range(
            len(self.enrolled))))
        first = self.get(f"/results/lms-{item}-0").json["result"]
        self.assertEqual((first["score"], first["scoreStatus"], first["student"]["sourcedId"]),
                         (10, "fully graded", self.enrolled[0]))
        self.assertEqual(self.put(f"/results/lms-{item}-0", self.result(item, self.enrolled[0], score=12.5,
                                                                         comment="Well done"), expect=200)
                         .json["result"]["score"], 12.5)
        self.assertIn(12.5, [r["mark"] for r in self.native_column("Decimals").values() if r])
        exempt = self.put(f"/results/lms-{item}-1", self.result(item, self.enrolled[1], status="exempt"),
                          expect=200).json["result"]
        self.assertEqual(exempt["scoreStatus"], "exempt")
        # the native rules: a score above the maximum, a student not in the class, a result moved
        self.put(f"/results/lms-{item}-0", self.result(item, self.enrolled[0], score=21), expect=422)
        self.put(f"/results/lms-{item}-x", self.result(item, self.enrolled[0], score=5), expect=422)
        self.put(f"/results/lms-{item}-1", self.result(item, self.enrolled[0], score=5), expect=422)
        self.put(f"/results/lms-{item}-y", self.result(item, "nobody", score=5), expect=422)
        self.put(f"/results/lms-{item}-y", self.result("no-item", self.enrolled[0], score=5), expect=422)
        self.put(f"/results/lms-{item}-y", self.result(item, self.enrolled[0], status="graded"), expect=422)
        self.put(f"/results/lms-{item}-y", self.result(item, self.enrolled[0]), expect=422)  # no score
        self.put(f"/results/lms-{item}-y", {"result": {"score": 1}}, expect=422)
        self.assertEqual(self.get(f"/results/lms-{item}-0").json["result"]["score"], 12.5)
        # delete one: gone; the others stay
        res = self.server.http.delete(f"{BASE}/results/lms-{item}-2", token=self.token_full)
        self.assertEqual(res.status, 204, repr(res))
        self.get(f"/results/lms-{item}-2", expect=404)
        self.assertImsx(self.server.http.delete(f"{BASE}/results/lms-{item}-2", token=self.token_full), 404)
        self.assertEqual(len(self.all_records(f"/lineItems/{item}/results")), len(self.enrolled) - 1)
        self.assertEqual(sum(1 for r in self.native_column("Decimals").values() if r), len(self.enrolled) - 1)
        # another school's client sees none of it and touches nothing
        self.get(f"/lineItems/{item}", token=self.token_other, expect=404)
        self.get(f"/results/lms-{item}-0", token=self.token_other, expect=404)
        self.assertImsx(self.server.http.delete(f"{BASE}/results/lms-{item}-0", token=self.token_other), 404)
        self.assertImsx(self.server.http.delete(f"{BASE}/lineItems/{item}", token=self.token_other), 404)
        self.put(f"/results/lms-{item}-0", self.result(item, self.enrolled[0], score=1), token=self.token_other,
                 expect=422)
        self.put(f"/lineItems/{item}", self.line_item(), token=self.token_other, expect=422)
        self.assertEqual(self.get(f"/results/lms-{item}-0").json["result"]["score"], 12.5)
        # deleting the line item takes its results
        self.assertEqual(self.server.http.delete(f"{BASE}/lineItems/{item}", token=self.token_full).status, 204)
        self.assertIsNone(self.native_column("Decimals"))
        self.get(f"/lineItems/{item}", expect=404)
        self.get(f"/results/lms-{item}-0", expect=404)
        self.assertImsx(self.server.http.delete(f"{BASE}/lineItems/{item}", token=self.token_full), 404)


    def test_a_students_results_in_a_class(self):
        """classes/{classId}/students/{studentId}/results: the student's results on the class's line items."""
        item = "lms-essay-1"
        self.put(f"/lineItems/{item}", self.line_item(title="Essay"), expect=201)
        student, other = self.enrolled[0], self.enrolled[1]
        self.put(f"/results/{item}-a", self.result(item, student, score=14), expect=201)
        self.put(f"/results/{item}-b", self.result(item, other, score=9), expect=201)
        everything = self.all_records("/results")
        items = {li["sourcedId"] for li in self.all_records(f"/classes/{self.cls}/lineItems")}
        want = sorted(r["sourcedId"] for r in everything
                      if r["student"]["sourcedId"] == student and r["lineItem"]["sourcedId"] in items)
        path = f"/classes/{self.cls}/students/{student}/results"
        got = self.all_records(path)
        self.assertIn(f"{item}-a", want)
        self.assertNotIn(f"{item}-b", [r["sourcedId"] for r in got])
        self.assertEqual([r["sourcedId"] for r in got], want)
        for rec in got:
            self.validate("result", rec)
        # the listing's parameters as on every collection
        res = self.get(f"{path}?filter={urllib.parse.quote(f'lineItem.sourcedId={chr(39)}{item}{chr(39)}')}"
                       "&fields=sourcedId,score")
        self.assertEqual(res.json["results"], [{"sourcedId": f"{item}-a", "score": 14}])
        self.assertEqual(res.headers["x-total-count"], "1")
        self.assertImsx(self.server.http.get(f"{BASE}{path}?filter=score", token=self.token_full), 400, "invalid data")
        self.assertImsx(self.server.http.get(f"{BASE}{path}?sort=nope", token=self.token_full), 400,
                        "invalid_sort_field")
        # 404: an unknown class, an unknown student, a student of the school not in this class
        users = self.all_records("/users")
        outsider = next(u["sourcedId"] for u in users if u["role"] == "student" and u["sourcedId"] not in
                        {x["sourcedId"] for x in self.all_records(f"/classes/{self.cls}/students")})
        for bad in (f"/classes/no-such-class/students/{student}/results", f"/classes/{self.cls}/students/nobody/results",
                    f"/classes/{self.cls}/students/{outsider}/results",
                    f"/classes/{self.cls}/students/{next(u['sourcedId'] for u in users if u['role'] == 'teacher')}"
                    "/results"):
            with self.subTest(path=bad):
                self.assertImsx(self.server.http.get(BASE + bad, token=self.token_full), 404, "unknown object")
        # scopes: gradebook reads it, rostering does not; no token is 401
        self.get(path, token=self.token(self.full, scope=SCOPE + "gradebook.readonly"))
        self.assertImsx(self.server.http.get(BASE + path, token=self.token_core), 403, "unauthorized")
        self.assertImsx(self.server.http.get(BASE + path, token=None), 401, "unauthorized")
        # another school's client: the class is none of its own
        self.assertImsx(self.server.http.get(BASE + path, token=self.token_other), 404, "unknown object")
        self.assertEqual(self.server.http.delete(f"{BASE}/lineItems/{item}", token=self.token_full).status, 204)
        self.assertNotIn(f"{item}-a", [r["sourcedId"] for r in self.all_records(path)])

    def test_zz_a_published_terms_line_items_stay(self):
        # runs last in this class: the term's grades are published for good
        term = self.existing["gradingPeriod"]["sourcedId"]
        self.admin.post(f"/api/v1/terms/{term}/publish-grades", expect=200)
        res = self.server.http.delete(f"{BASE}/lineItems/{self.existing['sourcedId']}", token=self.token_full)
        self.assertImsx(res, 422, "invalid data")
        self.get(f"/lineItems/{self.existing['sourcedId']}")


class TestImportedSourcedIds(ServerTestCase):
    """Records imported from OneRoster CSV keep their sourcedIds in the REST binding."""

    def test_imported_records_answer_their_sourced_ids(self):
        if SAMPLE is None:
            skip_allowed("the OneRoster sample (shared/data/oneroster-1.1-sample) is not on this machine")
        sample = SAMPLE
        world = World(self.server)
        r = run([self.server.binary, "oneroster", "import", sample, "--school", world.A.slug],
                env=self.server.environment(), timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        client = world.A.client("admin").post("/api/v1/oauth-clients", json={
            "name": "LMS", "scopes": ["roster.readonly"]}, expect=201).json
        form = {"grant_type": "client_credentials", "client_id": client["clientId"],
                "client_secret": client["clientSecret"]}
        tok = self.server.http.post(f"{BASE}/oauth/token", body=urllib.parse.urlencode(form),
                                    content_type="application/x-www-form-urlencoded", expect=200).json["access_token"]

        def rows(name):
            with open(os.path.join(sample, name), encoding="utf-8", newline="") as f:
                return list(csv.DictReader(f))
        users = self.server.http.get(f"{BASE}/users?limit=1000", token=tok, expect=200).json["users"]
        by_sid = {u["sourcedId"]: u for u in users}
        # the imported sourcedIds are mapped and sorted by the database as in memory (byte order)
        self.assertEqual([u["sourcedId"] for u in users], sorted(u["sourcedId"] for u in users))
        for q in ("limit=1000", "limit=7&offset=5&orderBy=desc", "limit=1000&sort=familyName",
                  "limit=1000&filter=" + urllib.parse.quote("sourcedId>'t' AND role='student'")):
            with self.subTest(query=q):
                fast = self.server.http.get(f"{BASE}/users?{q}", token=tok, expect=200)
                slow = self.server.http.get(f"{BASE}/users?{q.replace('filter=', 'filter=' + urllib.parse.quote('status=' + chr(39) + 'none' + chr(39) + ' OR '))}"
                                            if "filter=" in q else
                                            f"{BASE}/users?{q}&filter=" + urllib.parse.quote("status='active' OR status!='active'"),
                                            token=tok, expect=200)
                self.assertEqual(fast.json["users"], slow.json["users"])
                self.assertEqual(fast.headers["x-total-count"], slow.headers["x-total-count"])
        wanted = {u["sourcedId"]: u for u in rows("users.csv") if u["role"] in ("student", "teacher")}
        self.assertLessEqual(set(wanted), set(by_sid))
        for sid, u in wanted.items():
            self.assertEqual((by_sid[sid]["role"], by_sid[sid]["givenName"]), (u["role"], u["givenName"]))
        org = self.server.http.get(f"{BASE}/schools", token=tok, expect=200).json["orgs"][0]
        self.assertEqual(org["sourcedId"], "255901001")
        classes = {c["sourcedId"] for c in self.server.http.get(f"{BASE}/classes?limit=1000", token=tok,
                                                                 expect=200).json["classes"]}
        self.assertLessEqual({c["sourcedId"] for c in rows("classes.csv")}, classes)
        cid = rows("classes.csv")[0]["sourcedId"]
        students = self.server.http.get(f"{BASE}/classes/{cid}/students", token=tok, expect=200).json["users"]
        enrolled = {e["userSourcedId"] for e in rows("enrollments.csv")
                    if e["classSourcedId"] == cid and e["role"] == "student"}
        self.assertEqual({u["sourcedId"] for u in students}, enrolled)
        self.assertTrue(all(u["orgs"][0]["sourcedId"] == "255901001" for u in students))


class TestGradeSyncFlow(OneRosterRestCase):
    """The rostering half of a grade-sync tool: token, teacher by email, their classes, each class's students."""

    def test_flow(self):
        teacher_email = self.demo.email("teacher1")
        tok = self.token(self.full, scope=" ".join([SCOPE + "roster-core.readonly", SCOPE + "gradebook.readonly"]))
        found = self.user_by_email(teacher_email, token=tok)
        self.assertEqual(len(found), 1)
        teacher = found[0]
        self.assertEqual(teacher["role"], "teacher")
        classes = self.get(f"/teachers/{teacher['sourcedId']}/classes", token=tok).json["classes"]
        self.assertTrue(classes)
        native_classes = self.demo.classes()
        for cls in classes:
            students = self.get(f"/classes/{cls['sourcedId']}/students", token=tok).json["users"]
            self.assertTrue(students, cls["title"])
            for s in students:
                self.validate("user", s)
            homeroom = next(n for n in native_classes if cls["title"].startswith(n))
            roster = self.demo.roster(homeroom)
            self.assertTrue(roster)
            self.assertLessEqual({s["studentId"] for s in roster}, {s["sourcedId"] for s in students})
        # the gradebook half: a line item in the first class with grades, results for each student, read back
        cls = next(c for c in classes if self.all_records(f"/classes/{c['sourcedId']}/lineItems"))
        model = self.all_records(f"/classes/{cls['sourcedId']}/lineItems")[0]
        students = sorted({r["student"]["sourcedId"]
                           for r in self.all_records(f"/lineItems/{model['sourcedId']}/results")})
        write = self.token(self.full, scope=" ".join(SCOPE + s for s in ("gradebook.createput", "gradebook.delete")))
        item = {"lineItem": {"title": "Synced quiz", "class": {"sourcedId": cls["sourcedId"]},
                             "category": model["category"], "dueDate": model["dueDate"], "resultValueMax": 10}}
        res = self.server.http.put(f"{BASE}/lineItems/sync-1", json=item, token=write)
        self.assertEqual(res.status, 201, repr(res))
        for i, s in enumerate(students):
            res = self.server.http.put(f"{BASE}/results/sync-1-{i}", token=write, json={"result": {
                "lineItem": {"sourcedId": "sync-1"}, "student": {"sourcedId": s}, "scoreStatus": "fully graded",
                "score": i % 11}})
            self.assertEqual(res.status, 201, repr(res))
        back = self.get("/lineItems/sync-1/results?limit=500", token=tok).json["results"]
        self.assertEqual({(r["student"]["sourcedId"], r["score"]) for r in back},
                         {(s, i % 11) for i, s in enumerate(students)})
        self.assertEqual(self.server.http.delete(f"{BASE}/results/sync-1-0", token=write).status, 204)
        self.assertEqual(len(self.get("/lineItems/sync-1/results", token=tok).json["results"]), len(students) - 1)

        def audited():  # reads are written by the audit queue, off the request path
            events = self.admin.get("/api/v1/audit-events?subjectType=oneroster&limit=500", expect=200).json["items"]
            return any(e["action"] == "oneroster.list" and e.get("actorId") == self.full["id"] and
                       f"/teachers/{teacher['sourcedId']}/classes" in (e.get("detail") or "") for e in events)
        wait_until(audited)


if __name__ == "__main__":
    unittest.main()
