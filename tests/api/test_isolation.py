"""
Access and isolation over every route of the OpenAPI document:

* every role the route table does not allow gets 403, for every operation;
* every operation with path parameters has an isolation fixture (isolation.py);
* school A's users calling with school B's ids (path, query, body) get 404 and
  B's records stay as they were.

Area suites extend the registry in fixtures_*.py modules, imported here.
"""

import glob
import importlib
import os
import uuid

import isolation
from harness import ServerTestCase
from world import ALL_ROLES, SCHOOL_ROLES, World

for _path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "fixtures_*.py"))):
    importlib.import_module(os.path.basename(_path)[:-3])


def needs_if_match(op):
    """Whether the operation is a versioned write (the document declares a required If-Match header)."""
    return any(p.get("in") == "header" and p.get("name") == "If-Match" and p.get("required")
               for p in op.get("parameters", []))


def fill(template, params):
    path = template
    for k, v in params.items():
        path = path.replace("{" + k + "}", str(v))
    return path


class TestAccessAndIsolation(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        for build in isolation.WORLD_BUILDERS:
            build(cls.world)

    def operations(self):
        """(method, template, operation) of every non-public, non-test operation."""
        for template, item in self.server.openapi["paths"].items():
            if "/_test/" in template:
                continue
            for method, op in item.items():
                if "public" in op.get("x-roles", []):
                    continue
                yield method.upper(), template, op

    def test_roles_the_table_does_not_allow_get_403(self):
        checked = 0
        for method, template, op in self.operations():
            allowed = set(op["x-roles"])
            params = {p["name"]: str(uuid.uuid4()) for p in op.get("parameters", []) if p["in"] == "path"}
            path = fill(template, params)
            for role in ALL_ROLES:
                if role in allowed:
                    continue
                with self.subTest(method=method, route=template, role=role):
                    kw = {"json": {}} if "requestBody" in op else {}
                    res = self.server.request(method, path, token=self.world.token(role), **kw)
                    self.assertProblem(res, 403)
                    checked += 1
        self.assertGreater(checked, 10)

    def test_every_route_with_path_parameters_has_an_isolation_fixture(self):
        missing = [f"{m} {t}" for m, t, _ in self.operations()
                   if "{" in t and (m, t) not in isolation.PATH_FIXTURES and (m, t) not in isolation.EXEMPT]
        self.assertEqual(missing, [], "add entries to tests/api/isolation.py or a fixtures_*.py module")

    def snapshot(self, path):
        if path is None:
            return None
        res = self.world.B.client("admin").get(path)
        return res.status, res.json, res.headers.get("etag")

    def test_other_schools_ids_in_paths_are_404_and_change_nothing(self):
        ops = {(m, t): op for m, t, op in self.operations()}
        self.assertTrue(isolation.PATH_FIXTURES)
        for (method, template), make in sorted(isolation.PATH_FIXTURES.items()):
            op = ops.get((method, template))
            self.assertIsNotNone(op, f"fixture for {method} {template}, which the document does not have")
            fx = make(self.world)
            path = fill(template, fx["params"])
            before = self.snapshot(fx.get("snapshot"))
            if before is not None:
                self.assertEqual(before[0], 200, f"snapshot {fx['snapshot']} as B's admin")
            for role in [r for r in op["x-roles"] if r in SCHOOL_ROLES]:
                with self.subTest(method=method, route=template, role=role):
                    headers = {}
                    if fx.get("if_match") or needs_if_match(op):
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

    def test_platform_operators_have_no_school(self):
        # school routes refuse the operator's token (roles aside, no school is attached to it)
        res = self.world.platform.get("/api/v1/users")
        self.assertProblem(res, 403)
