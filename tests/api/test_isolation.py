"""
Access and isolation over every route of the OpenAPI document:

* the roles of each operation are those of the access table written in the
  tests (access.py, from the contract, not from the server's route table):
  the served document's x-roles must be the table's, both ways, and a route
  the table has no row for fails naming it;
* every role the table leaves out gets 403, every role it names does not;
  without a token every operation but the public ones is 401, and a header
  too large is 431 before any routing;
* every operation has an isolation entry (isolation.py) or an exemption with
  a reason: path fixtures for path parameters, list or reference entries for
  the others, a list entry for every collection;
* school A's users calling with school B's ids (path, query, body) get 404 and
  B's records stay as they were;
* every collection and report, listed without a narrowing filter by each role
  of school A the table allows, every page, holds no id of school B's records.

Area suites extend the registry in fixtures_*.py modules, imported here.
"""

import glob
import importlib
import os
import re
import uuid

import access
import isolation
from harness import Client, ServerTestCase
from world import ALL_ROLES, PLATFORM_EMAIL, SCHOOL_ROLES, World, login

for _path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "fixtures_*.py"))):
    importlib.import_module(os.path.basename(_path)[:-3])

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def needs_if_match(op):
    """Whether the operation is a versioned write (the document declares a required If-Match header)."""
    return any(p.get("in") == "header" and p.get("name") == "If-Match" and p.get("required")
               for p in op.get("parameters", []))


def fill(template, params):
    path = template
    for k, v in params.items():
        path = path.replace("{" + k + "}", str(v))
    return path


def strings(doc):
    """Every string of a JSON document, keys excepted."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)


def id_values(doc):
    """The values of every id-valued field of a JSON document ("id" and every "…Id"), at any depth."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if (k == "id" or k.endswith("Id")) and isinstance(v, str) and UUID_RE.fullmatch(v):
                yield v.lower()
            else:
                yield from id_values(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from id_values(v)


class TestAccessAndIsolation(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        for build in isolation.WORLD_BUILDERS + isolation.FINAL_BUILDERS:
            build(cls.world)

    def operations(self):
        """(method, template, operation) of every operation the server serves."""
        return self.server.contract.operations()

    def protected(self):
        """(method, template, operation) of the operations the table has a row for, public ones excepted."""
        return [(m, t, op) for m, t, op in self.operations()
                if (m, t) in access.TABLE and not access.is_public(m, t)]

    def call(self, method, template, token, headers=None, query=""):
        """The operation with random ids in its path and an empty object as its body (when it takes one)."""
        op = self.server.contract.match(method, template)[2] or {}
        params = {p["name"]: str(uuid.uuid4()) for p in op.get("parameters", []) if p["in"] == "path"}
        kw = {"json": {}} if "requestBody" in op else {}
        return Client(self.server).request(method, fill(template, params) + query, token=token, headers=headers, **kw)

    # ------------------------------------------------------------------ who may call what

    def test_the_served_roles_are_the_access_tables(self):
        served = {(m, t): frozenset(op.get("x-roles", [])) for m, t, op in self.operations()}
        unknown = sorted(f"{m} {t} (x-roles {sorted(r)})" for (m, t), r in served.items() if (m, t) not in access.TABLE)
        self.assertEqual(unknown, [], "operations the server serves without a row in tests/api/access.py: add one, "
                                      "with the roles the contract allows")
        gone = sorted(f"{m} {t}" for (m, t) in access.TABLE if (m, t) not in served)
        self.assertEqual(gone, [], "rows of tests/api/access.py the server does not serve")
        differ = sorted(f"{m} {t}: the server allows {sorted(r)}, the table {sorted(access.TABLE[(m, t)])}"
                        for (m, t), r in served.items() if (m, t) in access.TABLE and r != access.TABLE[(m, t)])
        self.assertEqual(differ, [], "x-roles differ from the access table")

    def test_roles_the_table_does_not_allow_get_403(self):
        checked = 0
        for method, template, _ in self.protected():
            allowed = access.allowed(method, template)
            for role in ALL_ROLES:
                if role in allowed:
                    continue
                with self.subTest(method=method, route=template, role=role):
                    self.assertProblem(self.call(method, template, self.world.token(role)), 403)
                    checked += 1
        self.assertGreater(checked, 100)

    def test_roles_the_table_allows_are_not_refused(self):
        checked = 0
        for method, template, _ in self.protected():
            for role in sorted(access.allowed(method, template)):
                token = self.world.token(role)
                if (method, template) == ("POST", "/api/v1/auth/logout"):
                    token = self.fresh_token(role)  # a session of its own to end
                with self.subTest(method=method, route=template, role=role):
                    res = self.call(method, template, token)
                    self.assertNotIn(res.status, (401, 403), res)
                    checked += 1
        self.assertGreater(checked, 150)

    def fresh_token(self, role):
        if role == "platform_admin":
            return login(self.server, None, PLATFORM_EMAIL)["accessToken"]
        a = self.world.A
        return login(self.server, a.slug, a.users[role]["email"])["accessToken"]

    def test_without_a_token_every_operation_but_the_public_ones_is_401(self):
        for method, template, _ in self.protected():
            with self.subTest(method=method, route=template):
                res = self.call(method, template, None)
                self.assertProblem(res, 401)
                self.assertIn("Bearer", res.headers.get("www-authenticate", ""))

    def test_a_header_too_large_is_431_on_every_operation(self):
        filler = {"X-Filler": "x" * 20000}
        for method, template, _ in self.operations():
            with self.subTest(method=method, route=template):
                self.assertProblem(self.call(method, template, self.world.token("admin"), headers=filler), 431)

    def test_an_undeclared_or_repeated_query_parameter_is_422_on_every_operation(self):
        # a misspelt filter (or one renamed) would otherwise answer the whole list, unfiltered
        checked = 0
        for method, template, op in self.operations():
            allowed = access.allowed(method, template)
            token = None if access.is_public(method, template) else self.world.token(sorted(allowed)[0])
            declared = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            with self.subTest(method=method, route=template):
                res = self.call(method, template, token, query="?noSuchParameter=1")
                self.assertProblem(res, 422)
                self.assertEqual(res.json["errors"], [{"field": "noSuchParameter",
                                                       "message": f"is not a parameter of {method} {template}"}])
                if declared:
                    res = self.call(method, template, token, query=f"?{declared[0]}=1&{declared[0]}=2")
                    self.assertProblem(res, 422)
                    self.assertEqual(res.json["errors"], [{"field": declared[0], "message": "must be given once"}])
                checked += 1
        self.assertGreater(checked, 80)

    def test_platform_operators_have_no_school(self):
        # school routes refuse the operator's token (roles aside, no school is attached to it)
        res = self.world.platform.get("/api/v1/users")
        self.assertProblem(res, 403)

    # ------------------------------------------------------------------ the registry covers every route

    def is_list(self, op):
        """Whether an operation answers a list ({items, nextCursor})."""
        res = op.get("responses", {}).get("200") or {}
        schema = (res.get("content") or {}).get("application/json", {}).get("schema") or {}
        while "$ref" in schema:
            schema = self.server.contract.resolver.resolve(schema["$ref"])[1]
        return {"items", "nextCursor"} <= set(schema.get("properties", {}))

    def test_every_route_has_an_isolation_entry_or_a_reason(self):
        missing = []
        for m, t, op in self.operations():
            if access.is_public(m, t) or "public" in op.get("x-roles", []):
                continue
            key = (m, t)
            if key in isolation.EXEMPT:
                continue
            if "{" in t and key not in isolation.PATH_FIXTURES:
                missing.append(f"{m} {t}: a path fixture (PATH_FIXTURES)")
            if "{" not in t and key not in isolation.LISTS and key not in isolation.REFERENCES:
                missing.append(f"{m} {t}: a collection (LISTS) or references (REFERENCES) entry")
            if m == "GET" and self.is_list(op) and key not in isolation.LISTS:
                missing.append(f"{m} {t}: a collection entry (LISTS)")
        self.assertEqual(missing, [], "add entries to tests/api/isolation.py or a fixtures_*.py module, or an "
                                      "exemption (EXEMPT) saying why the route needs none")
        listed = [f"{m} {t}" for (m, t) in isolation.LISTS if (m, t) not in access.TABLE]
        self.assertEqual(listed, [], "collection entries of routes the access table does not know")

    # ------------------------------------------------------------------ another school's ids

    def snapshot(self, path):
        if path is None:
            return None
        res = self.world.B.client("admin").get(path)
        return res.status, res.json, res.headers.get("etag")

    def test_other_schools_ids_in_paths_are_404_and_change_nothing(self):
        ops = {(m, t): op for m, t, op in self.operations()}
        self.assertTrue(isolation.PATH_FIXTURES)
        for (method, template), make in sorted(isolation.PATH_FIXTURES.items()):
            self.assertIn((method, template), ops, f"fixture for {method} {template}, which the document does not have")
            fx = make(self.world)
            path = fill(template, fx["params"])
            before = self.snapshot(fx.get("snapshot"))
            if before is not None:
                self.assertEqual(before[0], 200, f"snapshot {fx['snapshot']} as B's admin")
            for role in sorted(access.allowed(method, template) & set(SCHOOL_ROLES)):
                with self.subTest(method=method, route=template, role=role):
                    headers = {}
                    if fx.get("if_match") or needs_if_match(ops[(method, template)]):
                        # B's real ETag where there is one: even the right version of another school's record is 404
                        headers["If-Match"] = (before[2] if before and before[2] else "*")
                    kw = {"json": fx["body"]} if fx.get("body") is not None else {}
                    res = self.world.A.client(role).request(method, path, headers=headers, **kw)
                    self.assertProblem(res, 404)
            self.assertEqual(self.snapshot(fx.get("snapshot")), before, f"{method} {template} changed B's record")

    def test_other_schools_ids_in_queries_and_bodies_are_404(self):
        ops = {(m, t): op for m, t, op in self.operations()}
        for (method, template), make in sorted(isolation.REFERENCES.items()):
            for variant in make(self.world):
                path = fill(template, variant.get("params", {}))
                query = variant.get("query")
                if query:
                    path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
                before = self.snapshot(variant.get("snapshot"))
                with self.subTest(method=method, route=template, variant=variant):
                    kw = {"json": variant["body"]} if variant.get("body") is not None else {}
                    headers = dict(variant.get("headers", {}))
                    if needs_if_match(ops[(method, template)]) and "If-Match" not in headers:
                        headers["If-Match"] = "*"
                    res = self.world.A.client(variant.get("role", "admin")).request(
                        method, path, headers=headers, **kw)
                    self.assertProblem(res, 404)
                self.assertEqual(self.snapshot(variant.get("snapshot")), before)

    # ------------------------------------------------------------------ collections

    def pages(self, client, template, fx, limit=7):
        """Every answer of a collection as client sees it: of a list, every page from a small first one."""
        op = self.server.contract.match("GET", template)[2]
        paged = self.is_list(op) and any(p["name"] == "limit" for p in op.get("parameters", []))
        base = fill(template, fx["params"])
        out, cursor = [], None
        for _ in range(1000):
            q = dict(fx["query"], **({"limit": limit} if paged else {}))
            if cursor is not None:
                q["cursor"] = cursor
            res = client.get(base + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else ""))
            if res.status != 200:
                return out, res
            out.append(res.json)
            cursor = res.json.get("nextCursor") if paged else None
            if not cursor:
                return out, res
        raise AssertionError(f"{template}: more than 1000 pages")

    @staticmethod
    def school_ids(school):
        """Ids of a school's records as the World builders made them (and the API returned them): the school,
        its accounts, and every id field of the records each area's builder keeps on it (academic, daily,
        teachers, students, guardians, links)."""
        ids = {school.id.lower()}
        for name, value in vars(school).items():
            if name not in ("server", "tenant") and isinstance(value, (dict, list)):
                ids |= set(id_values(value))
        return ids

    def test_collections_hold_no_record_of_another_school(self):
        a, b = self.world.A, self.world.B
        b_ids = self.school_ids(b)
        self.assertFalse(b_ids & self.school_ids(a))
        # school B has records of every area, and its admin lists them
        for known in (b.users["teacher"]["id"], b.students["student"]["id"], b.guardians["parent"]["id"],
                      b.academic["classes"][0]["id"], b.academic["enrollment"]["id"], b.daily["slot"]["id"],
                      b.teachers["teacher"]["id"], b.academic["year"]["id"], b.links["subject"]["id"]):
            self.assertIn(known.lower(), b_ids)
        for (method, template), make in sorted(isolation.LISTS.items()):
            if "admin" in access.allowed(method, template):
                answers, last = self.pages(b.client("admin"), template, make(b))
                self.assertEqual(last.status, 200, f"{template} as school B's admin: {last!r}")
        checked = 0
        for (method, template), make in sorted(isolation.LISTS.items()):
            fx = make(a)
            for role in sorted(access.allowed(method, template) & set(SCHOOL_ROLES)):
                with self.subTest(route=template, role=role):
                    answers, last = self.pages(a.client(role), template, fx)
                    self.assertEqual(last.status, 200, f"{template} as school A's {role}: {last!r}")
                    leaked = sorted({i for doc in answers for s in strings(doc) for i in UUID_RE.findall(s)
                                     if i.lower() in b_ids})
                    self.assertEqual(leaked, [], f"{template} as school A's {role} shows school B's records")
                    if isinstance(answers[0], dict) and "items" in answers[0] and role == "admin":
                        self.assertTrue(any(doc["items"] for doc in answers),
                                        f"{template}: school A's admin lists nothing (the check would prove "
                                        "nothing)")
                    checked += 1
        self.assertGreater(checked, 60)
