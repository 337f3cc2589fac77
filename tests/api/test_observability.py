"""Metrics (Prometheus), the OpenAPI document, the JSON log lines, and readiness as the database comes and goes."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from jsonschema import Draft202012Validator

from harness import (
    ENGINE,
    GENERATED_ID_RE,
    TOOLS,
    ServerTestCase,
    node_available,
    run,
    skip_allowed,
    wait_until,
)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from services import PG_BIN, Postgres  # noqa: E402

SLEEP = "/api/v1/_test/sleep"
ECHO = "/api/v1/_test/echo"
FAIL = "/api/v1/_test/fail"

# Every route the server core serves (with ERP_ENABLE_TEST_ROUTES=1) and who may call it.
SERVED = {
    ("GET", "/healthz"): ["public"],
    ("GET", "/readyz"): ["public"],
    ("GET", "/metrics"): ["public"],
    ("GET", "/api/v1/openapi.json"): ["public"],
    ("GET", "/api/v1/version"): ["public"],
    ("GET", SLEEP): ["public"],
    ("GET", FAIL): ["public"],
    ("POST", ECHO): ["public"],
}
TEST_ROUTES = {k for k in SERVED if "/_test/" in k[1]}
KNOWN_ROLES = {"public", "platform_admin", "admin", "teacher", "staff", "student", "parent", "bursar"}

REQUIRED_FAMILIES = {
    "http_request_duration_seconds": "histogram",
    "http_requests_in_flight": "gauge",
    "http_request_size_bytes": "histogram",
    "http_response_size_bytes": "histogram",
    "school_erp_handler_pool_queue_depth": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_start_time_seconds": "gauge",
    "school_erp_build_info": "gauge",
}


def promtool(text):
    return subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )


class TestMetrics(ServerTestCase):
    def test_promtool_accepts_the_exposition(self):
        if shutil.which("promtool") is None:
            self.fail("promtool is not installed (Debian package prometheus)")
        # some traffic first, so that every family has samples
        self.server.get("/healthz")
        self.server.get(SLEEP + "?ms=1")
        self.server.get(SLEEP + "?ms=x")
        self.server.get("/nope")
        self.server.request("FOO", "/healthz")
        self.server.post(ECHO, json={"name": "m"})
        self.server.get(FAIL)
        text = self.server.metrics().text
        r = promtool(text)
        self.assertEqual(r.returncode, 0, f"promtool: {r.stdout}{r.stderr}")
        self.assertEqual(r.stdout.strip() + r.stderr.strip(), "", "promtool has lint warnings")

    def test_promtool_catches_broken_text(self):
        # the check above can fail
        r = promtool("# TYPE x counter\nx{a=\"1\"} not-a-number\n")
        self.assertNotEqual(r.returncode, 0)

    def test_required_families(self):
        self.server.get("/healthz")
        m = self.server.metrics()
        for name, typ in REQUIRED_FAMILIES.items():
            with self.subTest(family=name):
                self.assertEqual(m.types.get(name), typ)
                self.assertTrue(m.helps.get(name), f"{name} has no HELP")
                series = name + "_count" if typ == "histogram" else name
                self.assertTrue(m.find(series), f"no samples of {series}")

    def test_content_type(self):
        res = self.server.get("/metrics", expect=200)
        self.assertEqual(res.media_type, "text/plain")
        self.assertIn("version=0.0.4", res.headers.get("content-type"))

    def test_duration_histogram_by_route_template_and_code(self):
        before = self.server.metrics()
        c0 = before.value("http_request_duration_seconds_count", route=SLEEP, code="200", method="GET") or 0
        s0 = before.value("http_request_duration_seconds_sum", route=SLEEP, code="200", method="GET") or 0
        self.server.get(SLEEP + "?ms=120", expect=200)
        self.server.get(SLEEP + "?ms=abc")
        m = self.server.metrics()
        self.assertEqual(m.value("http_request_duration_seconds_count", route=SLEEP, code="200", method="GET"), c0 + 1)
        self.assertGreaterEqual(m.value("http_request_duration_seconds_sum", route=SLEEP, code="200") - s0, 0.119)
        self.assertGreaterEqual(m.value("http_request_duration_seconds_count", route=SLEEP, code="422"), 1)
        self.assertFalse([lab for lab, _ in m.find("http_request_duration_seconds_count") if "?" in lab["route"]],
                         "the query string leaked into a route label")

    def test_histograms_are_consistent(self):
        self.server.get(SLEEP + "?ms=5")
        m = self.server.metrics()
        for fam in ("http_request_duration_seconds", "http_request_size_bytes", "http_response_size_bytes"):
            series = {}
            for lab, v in m.find(fam + "_bucket"):
                key = tuple(sorted((k, x) for k, x in lab.items() if k != "le"))
                series.setdefault(key, []).append((float(lab["le"]), v))
            self.assertTrue(series, fam)
            for key, buckets in series.items():
                with self.subTest(family=fam, series=key):
                    buckets.sort()
                    counts = [v for _, v in buckets]
                    self.assertEqual(counts, sorted(counts), "bucket counts must not decrease")
                    self.assertEqual(buckets[-1][0], float("inf"))
                    labels = dict(key)
                    self.assertEqual(m.value(fam + "_count", **labels), buckets[-1][1])

    def test_unmatched_paths_do_not_create_series(self):
        self.server.get("/random-path-8f3a2c")
        self.server.get("/api/v1/students/1234-unknown")
        m = self.server.metrics()
        self.assertNotIn("8f3a2c", m.text)
        self.assertNotIn("1234-unknown", m.text)
        self.assertGreaterEqual(m.value("http_request_duration_seconds_count", route="unmatched", code="404"), 2)

    def test_route_labels_are_templates_of_the_document(self):
        for method, path in SERVED:
            if method == "POST":
                self.server.post(path, json={"name": "x"})
            else:
                self.server.request(method, path)
        self.server.get("/nope")
        m = self.server.metrics()
        templates = set(self.server.openapi["paths"])
        routes = {lab["route"] for lab, _ in m.find("http_request_duration_seconds_count")}
        self.assertTrue(routes >= set(p for _, p in SERVED), routes)
        self.assertEqual(routes - templates, {"unmatched"})

    def test_request_and_response_sizes(self):
        body = json.dumps({"name": "size-check", "count": 12}).encode()
        m0 = self.server.metrics()
        req0 = m0.value("http_request_size_bytes_sum", route=ECHO, method="POST") or 0
        res0 = m0.value("http_response_size_bytes_sum", route=ECHO, method="POST") or 0
        n0 = m0.value("http_request_size_bytes_count", route=ECHO, method="POST") or 0
        res = self.server.post(ECHO, body=body, content_type="application/json", expect=200)
        m = self.server.metrics()
        self.assertEqual(m.value("http_request_size_bytes_count", route=ECHO, method="POST"), n0 + 1)
        self.assertEqual(m.value("http_request_size_bytes_sum", route=ECHO, method="POST") - req0, len(body))
        self.assertEqual(m.value("http_response_size_bytes_sum", route=ECHO, method="POST") - res0, len(res.body))

    def test_in_flight_counts_running_requests(self):
        idle = self.server.metrics().value("http_requests_in_flight")
        self.assertGreaterEqual(idle, 1)  # the /metrics request itself
        with self.server.connect() as conn:
            conn.sendall(b"GET " + SLEEP.encode() + b"?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n")
            def running():
                m = self.server.metrics()
                return m.value("http_requests_in_flight") >= 2 and m.value("school_erp_handler_pool_busy") >= 1

            # in flight from the moment it is read, busy once a handler thread took it
            wait_until(running, message="the slow request in flight and running")
            self.assertGreaterEqual(self.server.metrics().value("http_requests_in_flight"), 2)
            conn.recv(4096)
        wait_until(lambda: self.server.metrics().value("http_requests_in_flight") == 1, message="back to 1")

    def test_pool_gauges_at_rest(self):
        wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_busy") == 0, message="idle pool")
        m = self.server.metrics()
        self.assertEqual(m.value("school_erp_handler_pool_queue_depth"), 0)
        self.assertEqual(m.value("school_erp_draining"), 0)
        self.assertGreaterEqual(m.value("school_erp_handler_pool_threads"), 1)

    def test_ready_is_what_the_last_probe_was_told(self):
        self.server.get("/readyz", expect=200)
        self.assertEqual(self.server.metrics().value("school_erp_ready"), 1)
        self.assertEqual(self.server.metrics().types.get("school_erp_ready"), "gauge")

    def test_sqlite_disk(self):
        m = self.server.metrics()
        names = ["school_erp_sqlite_disk_free_bytes", "school_erp_sqlite_disk_size_bytes",
                 "school_erp_sqlite_database_bytes"]
        if ENGINE != "sqlite":
            for name in names:
                self.assertIsNone(m.value(name), f"{name} on {ENGINE}")
            return
        free, size, db = (m.value(n) for n in names)
        vfs = os.statvfs(self.server.data_dir)
        self.assertEqual(size, vfs.f_blocks * vfs.f_frsize)
        self.assertGreater(free, 0)
        self.assertLessEqual(free, size)
        files = [f for f in os.listdir(self.server.data_dir) if f.endswith((".db", ".db-wal"))]
        self.assertTrue(files, os.listdir(self.server.data_dir))
        on_disk = sum(os.path.getsize(os.path.join(self.server.data_dir, f)) for f in files)
        self.assertGreater(db, 0)
        self.assertLessEqual(abs(db - on_disk), 1 << 20, "the database's size, give or take a checkpoint")

    def test_process_metrics(self):
        m = self.server.metrics()
        self.assertGreater(m.value("process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(m.value("process_open_fds"), 2)
        self.assertGreater(m.value("process_cpu_seconds_total"), 0)
        start = m.value("process_start_time_seconds")
        self.assertLess(abs(start - time.time()), 3600, "process_start_time_seconds is not a Unix time of today")
        self.assertLessEqual(start, time.time() + 5)
        cpu0 = m.value("process_cpu_seconds_total")
        for _ in range(50):
            self.server.get("/metrics")
        self.assertGreaterEqual(self.server.metrics().value("process_cpu_seconds_total"), cpu0)

    def test_build_info_matches_version(self):
        v = self.server.get("/api/v1/version", expect=200).json
        info = self.server.metrics().find("school_erp_build_info")
        self.assertEqual(len(info), 1)
        labels, value = info[0]
        self.assertEqual(value, 1)
        self.assertEqual(labels.get("version"), v["version"])
        self.assertEqual(labels.get("commit"), v["commit"])

    def test_error_codes_are_labelled(self):
        self.server.get(FAIL)
        self.server.request("DELETE", "/healthz")
        self.server.post(ECHO, body=b"{", content_type="application/json")
        m = self.server.metrics()
        self.assertGreaterEqual(m.value("http_request_duration_seconds_count", route=FAIL, code="500"), 1)
        self.assertGreaterEqual(m.value("http_request_duration_seconds_count", route="unmatched", method="DELETE",
                                        code="405"), 1)
        self.assertGreaterEqual(m.value("http_request_duration_seconds_count", route=ECHO, code="400"), 1)


class TestOpenApi(ServerTestCase):
    def test_document_is_valid_openapi(self):
        if not node_available():
            self.fail("node or tests/tools/node_modules is missing (tests/run runs npm ci)")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(self.server.openapi, f)
            name = f.name
        try:
            r = run(["node", os.path.join(TOOLS, "validate-openapi.mjs"), name], timeout=120)
        finally:
            os.unlink(name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("valid", r.stdout)

    def test_validator_rejects_a_broken_document(self):
        if not node_available():
            self.fail("node or tests/tools/node_modules is missing")
        doc = json.loads(json.dumps(self.server.openapi))
        doc["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/NoSuchSchema"
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
            name = f.name
        try:
            r = run(["node", os.path.join(TOOLS, "validate-openapi.mjs"), name], timeout=120)
        finally:
            os.unlink(name)
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def lint(self, doc):
        """Runs Redocly's linter with tests/tools/redocly.yaml on a document; the CompletedProcess."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
            name = f.name
        try:
            return run([os.path.join(TOOLS, "node_modules", ".bin", "redocly"), "lint", name, "--config",
                        os.path.join(TOOLS, "redocly.yaml"), "--format", "summary"], timeout=180)
        finally:
            os.unlink(name)

    def test_public_document_lints_clean(self):
        if not node_available():
            self.fail("node or tests/tools/node_modules is missing (tests/run runs npm ci)")
        public = self.start_server(test_routes=False)
        doc = public.openapi
        self.assertFalse([k for k in doc["components"]["schemas"] if k.startswith("Test")])
        self.assertFalse([p for p in doc["paths"] if "/_test/" in p])
        r = self.lint(doc)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout + r.stderr, r"(error|warning) ")
        # the linter is not a rubber stamp: an undeclared tag fails it
        doc["paths"]["/healthz"]["get"]["tags"] = ["nowhere"]
        self.assertNotEqual(self.lint(doc).returncode, 0)

    def test_served_bytes_are_the_parsed_document(self):
        res = self.server.get("/api/v1/openapi.json", expect=200)
        self.assertEqual(res.media_type, "application/json")
        self.assertEqual(res.json, self.server.openapi)
        self.assertEqual(res.json["openapi"], "3.1.0")
        self.assertTrue(res.json["info"]["title"])
        self.assertTrue(res.json["info"]["version"])

    def test_every_served_route_is_documented_with_roles(self):
        paths = self.server.openapi["paths"]
        for (method, path), roles in SERVED.items():
            with self.subTest(method=method, path=path):
                self.assertIn(path, paths)
                op = paths[path].get(method.lower())
                self.assertIsNotNone(op, f"{method} {path} is not in the document")
                self.assertEqual(op.get("x-roles"), roles)

    def test_core_operations_answer_their_documented_success(self):
        for (method, template) in SERVED:
            op = self.server.openapi["paths"][template][method.lower()]
            with self.subTest(method=method, path=template):
                kw = {"json": {"name": "probe"}} if "requestBody" in op else {}
                res = self.server.request(method, template, **kw)
                success = sorted(int(s) for s in op["responses"] if int(s) < 400) or [500]
                self.assertEqual(res.status, success[0], repr(res))

    def test_every_documented_operation_is_served(self):
        # Contract-checked probes: the status must be one the operation declares.
        for method, template, op in self.server.contract.operations():
            with self.subTest(method=method, path=template):
                path = re.sub(r"\{[^}]+\}", "00000000-0000-7000-8000-000000000000", template)
                kw = {"json": {}} if "requestBody" in op else {}
                res = self.server.request(method, path, **kw)
                self.assertNotEqual(res.status, 405, repr(res))
                if op.get("x-roles") != ["public"]:
                    self.assertEqual(res.status, 401, f"no token must mean 401: {res!r}")
                    self.assertEqual(res.json["type"], "urn:school-erp:problem:unauthenticated")
                elif "{" not in template:
                    self.assertNotEqual(res.status, 404, repr(res))

    def test_operations_are_well_formed(self):
        ids = set()
        for method, template, op in self.server.contract.operations():
            with self.subTest(method=method, path=template):
                self.assertRegex(op.get("operationId", ""), r"^[a-z]+[A-Za-z0-9_]*$")
                self.assertNotIn(op["operationId"], ids, "operationId not unique")
                ids.add(op["operationId"])
                self.assertTrue(op.get("summary"))
                self.assertTrue(op.get("tags"))
                roles = op.get("x-roles")
                self.assertIsInstance(roles, list)
                self.assertTrue(roles)
                self.assertTrue(set(roles) <= KNOWN_ROLES, roles)
                # the OneRoster binding: an OAuth client's token, checked by its handlers (no account's), and
                # its handlers' errors as imsx_StatusInfo / RFC 6749 beside the dispatcher's problems
                oneroster = template.startswith("/ims/oneroster/")
                if roles == ["public"]:
                    client = oneroster and template != "/ims/oneroster/v1p1/oauth/token"
                    self.assertEqual(op.get("security"), [{"oneRosterOAuth": []}] if client else [])
                else:
                    self.assertNotIn("public", roles)
                    self.assertTrue(op.get("security"))
                    self.assertIn("401", op["responses"])
                    self.assertIn("403", op["responses"])
                responses = op["responses"]
                for status in ("431", "500", "503"):
                    self.assertIn(status, responses)
                if "requestBody" in op:
                    for status in ("413", "415", "422"):
                        self.assertIn(status, responses)
                    content = op["requestBody"]["content"]
                    if "application/json" in content:
                        self.assertIn("400", responses)  # JSON that does not parse
                    else:  # an upload: the raw bytes of each media type it takes
                        self.assertTrue(content and all(c["schema"].get("format") == "binary"
                                                        for c in content.values()), content)
                if "{" in template:
                    self.assertIn("404", responses)
                page = any("text/html" in r.get("content", {}) for s, r in responses.items() if int(s) < 300)
                for status, r in responses.items():
                    self.assertTrue(r.get("description"), status)
                    if int(status) >= 400:  # a page for browsers may answer its errors as pages too
                        self.assertIn(list(r.get("content", {})),
                                      [["application/problem+json"]] +
                                      ([["application/problem+json", "application/json"]] if oneroster else []) +
                                      ([["application/problem+json", "text/html"]] if page else []),
                                      status)
                for p in op.get("parameters", []):
                    if p["in"] == "path":
                        self.assertIn("{" + p["name"] + "}", template)
                        self.assertTrue(p["required"])

    def test_sleep_documents_its_query_parameter(self):
        op = self.server.openapi["paths"][SLEEP]["get"]
        ms = [p for p in op.get("parameters", []) if p["name"] == "ms"]
        self.assertEqual(len(ms), 1)
        self.assertEqual(ms[0]["in"], "query")
        self.assertEqual(ms[0]["schema"].get("type"), "integer")
        self.assertIn("422", op["responses"])

    def test_component_schemas_are_valid_json_schema(self):
        schemas = self.server.openapi["components"]["schemas"]
        self.assertIn("Problem", schemas)
        for name, schema in schemas.items():
            with self.subTest(schema=name):
                Draft202012Validator.check_schema(schema)

    def test_every_ref_resolves(self):
        doc = self.server.openapi
        refs = re.findall(r'"\$ref":\s*"([^"]+)"', json.dumps(doc))
        self.assertTrue(refs)
        for ref in set(refs):
            with self.subTest(ref=ref):
                self.assertTrue(ref.startswith("#/"), ref)
                node = doc
                for part in ref[2:].split("/"):
                    self.assertIn(part, node)
                    node = node[part]

    def test_request_body_schema_matches_the_handler(self):
        # The document's TestEcho schema and the handler agree on valid and invalid bodies.
        schema = self.server.openapi["paths"][ECHO]["post"]["requestBody"]["content"]["application/json"]["schema"]
        v = self.server.contract.validator(schema)
        cases = [{"name": "a"}, {"name": "a", "count": 1000}, {"name": ""}, {"name": "a", "count": -1},
                 {"name": "a", "x": 1}, {"count": 1}, {"name": "x" * 101}]
        for body in cases:
            with self.subTest(body=body):
                res = self.server.post(ECHO, json=body)
                self.assertEqual(res.status == 200, v.is_valid(body), repr(res))


class TestNaming(ServerTestCase):
    """The naming rule of docs/API.md, over every schema and operation the server documents."""

    # query parameters that shape the answer rather than filter a field of its items
    SHAPING = {"limit", "cursor", "sort", "q", "from", "to"}
    # (path, parameter) -> the field it filters, when that field is not on the listed items
    RELATED = {
        ("/api/v1/students", "classId"): "the classId of the student's enrollment today",
        ("/api/v1/students", "gradeLevel"): "the gradeLevel of the class of the student's enrollment today",
        ("/api/v1/students", "includeDeleted"): "deletedAt: also the records that have one",
        ("/api/v1/classes", "teacherId"): "the teacherId of the class's assignments, or its classTeacherId",
        ("/api/v1/classes/{id}/students", "date"): "the startDate..endDate of the enrollments listed",
        ("/api/v1/enrollments", "activeOn"): "the startDate..endDate of the enrollments listed",
        ("/api/v1/jobs", "mine"): "the ownerId of the jobs listed is the caller",
        ("/api/v1/invoices", "classId"): "the classId of an enrollment of the invoice's student",
        ("/api/v1/invoices", "dueBefore"): "the dueDate of the invoices listed, at most",
        ("/api/v1/invoices", "dueAfter"): "the dueDate of the invoices listed, at least",
    }

    def schemas(self):
        """(name, path in the schema, property name, property schema) of every property of every schema."""
        out = []

        def walk(name, node, path):
            if not isinstance(node, dict):
                return
            for key, sub in (node.get("properties") or {}).items():
                out.append((name, path + key, key, sub))
                walk(name, sub, path + key + ".")
            walk(name, node.get("items"), path + "[].")

        for name, schema in self.server.openapi["components"]["schemas"].items():
            walk(name, schema, "")
        return out

    def resolve(self, schema):
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.server.contract.resolver.resolve(schema["$ref"])[1]
        return schema or {}

    def test_ids_are_id_or_thing_id(self):
        bad = [f"{n}.{p}" for n, p, key, sub in self.schemas()
               if sub.get("format") == "uuid" and key != "id" and not key.endswith("Id")]
        self.assertEqual(bad, [])

    def test_people_are_named_by_first_and_last_name(self):
        bad = [f"{n}.{p}" for n, p, key, _ in self.schemas()
               if key in ("fullName", "studentName", "teacherName", "guardianName", "parentName")]
        self.assertEqual(bad, [])
        # a person shown inside another record is {id, firstName, lastName} too, never {id, name}
        people = ("student", "teacher", "guardian", "parent", "guardians", "students", "teachers")
        objects = [(f"{n}.{p}", sub) for n, p, key, sub in self.schemas() if key in people]
        objects += list(self.server.openapi["components"]["schemas"].items())
        for where, node in objects:
            node = self.resolve(node)
            node = self.resolve(node.get("items")) if node.get("type") == "array" else node
            props = set(node.get("properties", {}))
            with self.subTest(schema=where):
                self.assertEqual("firstName" in props, "lastName" in props)
                if "firstName" in props or where.split(".")[-1] in people:
                    self.assertNotIn("name", props)

    def test_every_list_is_items_and_next_cursor(self):
        for name, schema in self.server.openapi["components"]["schemas"].items():
            props = set(schema.get("properties", {}))
            with self.subTest(schema=name):
                if "nextCursor" in props or name.endswith("List"):
                    self.assertLessEqual({"items", "nextCursor"}, props)
        # a collection's rows never go by another name at the top of its answer
        for method, template, op in self.server.contract.operations():
            if method != "GET":
                continue
            res = self.resolve(((op["responses"].get("200") or {}).get("content") or {})
                               .get("application/json", {}).get("schema"))
            rows = [k for k, v in (res.get("properties") or {}).items()
                    if self.resolve(v).get("type") == "array" and k != "items"
                    and self.resolve(self.resolve(v).get("items")).get("properties", {}).get("studentId")]
            with self.subTest(route=template):
                self.assertEqual(rows, [], "rows of students go by items")

    def test_filters_are_named_after_the_fields_they_filter(self):
        checked = 0
        for method, template, op in self.server.contract.operations():
            res = self.resolve(((op["responses"].get("200") or {}).get("content") or {})
                               .get("application/json", {}).get("schema"))
            props = res.get("properties") or {}
            if method != "GET" or "nextCursor" not in props:
                continue
            fields = set(self.resolve(self.resolve(props["items"]).get("items")).get("properties", {}))
            for p in op.get("parameters", []):
                if p["in"] != "query" or p["name"] in self.SHAPING:
                    continue
                with self.subTest(route=template, parameter=p["name"]):
                    self.assertTrue(p["name"] in fields or (template, p["name"]) in self.RELATED,
                                    f"{p['name']} is not a field of the items of {template}")
                    checked += 1
        self.assertGreater(checked, 15)
        served = {(t, p["name"]) for _, t, op in self.server.contract.operations()
                  for p in op.get("parameters", []) if p["in"] == "query"}
        self.assertEqual(set(self.RELATED) - served, set(), "RELATED names parameters no operation has")


class TestLogs(ServerTestCase):
    def test_listening_line(self):
        first = self.server.logs[0]
        self.assertEqual(first["msg"], "listening")
        self.assertEqual(first["level"], "info")
        self.assertRegex(first["url"], r"^http://127\.0\.0\.1:\d+$")
        self.assertIsInstance(first["threads"], int)
        self.assertIsInstance(first["poolSize"], int)
        self.assertEqual(first["pid"], self.server.proc.pid)

    def test_access_log_line(self):
        res = self.server.post(ECHO, json={"name": "log"}, headers={"X-Request-Id": "log-line-1"}, expect=200)
        e = self.server.access_log("log-line-1")
        self.assertEqual(e["level"], "info")
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["route"], ECHO)
        self.assertEqual(e["path"], ECHO)
        self.assertEqual(e["status"], 200)
        self.assertIsInstance(e["durationMs"], (int, float))
        self.assertGreaterEqual(e["durationMs"], 0)
        self.assertEqual(e["bytesIn"], len(b'{"name": "log"}'))
        self.assertEqual(e["bytesOut"], len(res.body))
        self.assertEqual(e["remote"], "127.0.0.1")
        self.assertRegex(e["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_access_log_uses_the_template_and_keeps_the_query_out(self):
        res = self.server.get(SLEEP + "?ms=3", expect=200)
        e = self.server.access_log(res.request_id)
        self.assertEqual(e["route"], SLEEP)
        self.assertEqual(e["path"], SLEEP)

    def test_unmatched_requests_are_logged(self):
        res = self.server.get("/no/such/thing")
        e = self.server.access_log(res.request_id)
        self.assertEqual(e["route"], "unmatched")
        self.assertEqual(e["status"], 404)
        self.assertEqual(e["path"], "/no/such/thing")

    def test_generated_request_id_is_logged(self):
        res = self.server.get("/healthz", expect=200)
        self.assertRegex(res.request_id, GENERATED_ID_RE)
        self.assertEqual(self.server.access_log(res.request_id)["status"], 200)

    def test_server_errors_log_at_error_level(self):
        res = self.server.get(FAIL)
        self.assertEqual(res.status, 500)
        e = self.server.access_log(res.request_id)
        self.assertEqual(e["level"], "error")
        self.assertEqual(e["status"], 500)
        failed = self.server.wait_log(lambda x: x.get("msg") == "request failed" and x.get("requestId") == res.request_id)
        self.assertEqual(failed["detail"], "deliberate failure for the test suite")
        self.assertEqual(failed["method"], "GET")
        self.assertEqual(failed["route"], FAIL)

    def test_client_errors_are_not_error_level(self):
        res = self.server.post(ECHO, json={})
        self.assertEqual(res.status, 422)
        self.assertEqual(self.server.access_log(res.request_id)["level"], "info")
        self.assertFalse(self.server.log_entries(msg="request failed", requestId=res.request_id))

    def test_413_is_logged(self):
        res = self.server.post(ECHO, body=b"x" * ((1 << 20) + 1), content_type="application/json")
        self.assertEqual(res.status, 413)
        e = self.server.access_log(res.request_id)
        self.assertEqual(e["status"], 413)
        self.assertEqual(e["method"], "POST")

    def test_every_line_is_a_json_object_with_ts_level_msg(self):
        self.server.get("/healthz")
        self.server.get(FAIL)
        self.assertFalse(self.server.bad_lines)
        for e in self.server.logs:
            self.assertIn(e.get("level"), ("debug", "info", "warn", "error"), e)
            self.assertIsInstance(e.get("msg"), str)
            self.assertRegex(e.get("ts", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_hostile_values_are_escaped(self):
        res = self.server.get('/x"y\\z%0Anewline', headers={"User-Agent": 'evil"\n'[:-1]})
        self.assertEqual(res.status, 404)
        e = self.server.access_log(res.request_id)
        self.assertIn('"', e["path"])
        self.assertFalse(self.server.bad_lines)

    def test_access_log_can_be_turned_off(self):
        s = self.start_server({"ERP_ACCESS_LOG": "off"})
        s.get("/healthz", expect=200)
        res = s.get(FAIL)
        s.wait_log(lambda e: e.get("msg") == "request failed" and e.get("requestId") == res.request_id)
        self.assertEqual(s.stop(), 0)
        self.assertFalse([e for e in s.logs if e.get("msg") == "request"])

    def test_log_level_error_hides_info_messages(self):
        s = self.start_server({"ERP_LOG_LEVEL": "error", "ERP_ACCESS_LOG": "off"})
        res = s.get(FAIL)
        s.wait_log(lambda e: e.get("msg") == "request failed" and e.get("requestId") == res.request_id)
        self.assertEqual(s.stop(), 0)
        msgs = [e.get("msg") for e in s.logs]
        self.assertNotIn("draining", msgs)
        self.assertNotIn("stopped", msgs)


if __name__ == "__main__":
    unittest.main()


class TestReadinessFollowsTheDatabase(ServerTestCase):
    """/readyz asks the database each time: a server whose PostgreSQL stops is alive but not ready, and ready
    again once it is back, without a restart."""

    CLASS_SERVER = False

    def test_readyz_is_503_while_the_database_is_away_and_200_once_it_is_back(self):
        if not os.path.exists(os.path.join(PG_BIN, "pg_ctl")):
            skip_allowed(f"no PostgreSQL server binaries in {PG_BIN} (make test installs them)")
        root = tempfile.mkdtemp(prefix="erp-readyz-")
        os.chmod(root, 0o755)
        self.addCleanup(shutil.rmtree, root, True)
        pg = Postgres(root, "readyz").init().start()
        self.addCleanup(pg.stop, "immediate")
        pg.create_db("erp")
        s = self.start_server({"ERP_DATABASE_URL": pg.url("erp"),
                               "ERP_JWT_SECRET": "readiness-suite-secret-0123456789-abcdef"})
        res = s.get("/readyz", expect=200)
        self.assertEqual(res.json["checks"].get("database"), "ok")
        pg.stop("fast")
        # a request or two may still meet the closing connection; then every answer is 503, never another
        res = wait_until(lambda: (r := s.get("/readyz")).status == 503 and r, timeout=30,
                         message="/readyz to see the database gone")
        p = self.assertProblem(res, 503, "unavailable")
        self.assertIn("database", p["detail"])
        self.assertRegex(res.headers.get("retry-after", ""), r"^[1-9][0-9]*$")
        for _ in range(3):
            self.assertProblem(s.get("/readyz"), 503)
        s.get("/healthz", expect=200)  # alive all along
        pg.start()
        res = wait_until(lambda: (r := s.get("/readyz")).status == 200 and r, timeout=30,
                         message="/readyz to see the database back")
        self.assertEqual(res.json["checks"].get("database"), "ok")
        self.assertTrue(s.alive())
