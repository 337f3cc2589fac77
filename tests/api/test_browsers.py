"""
What browsers and security scanners see:

* every response says nosniff and no-referrer, is not stored by caches
  (Cache-Control: no-store), and a JSON body comes with a Content-Security-Policy
  that lets it load and frame nothing — successes, problems, h2o's own 413,
  304s and 204s alike;
* CORS for the exact origins of ERP_CORS_ORIGINS only: a preflight from one of
  them gets 204 with the path's methods and the headers the API reads, from
  any other origin 403, and the actual responses echo the allowed origin
  (never "*", never credentials) and expose ETag, Location, Retry-After and
  X-Request-Id; without ERP_CORS_ORIGINS there is no CORS at all;
* ERP_METRICS_LISTEN moves /metrics to a listener of its own: the main port
  then answers 404 for it (whatever the Host header says), and the metrics
  port answers nothing but /metrics and /healthz.
"""

import http.client
import re

from harness import Client, ServerTestCase, run
from world import World

APP = "https://app.school.example"
DEV = "http://localhost:5173"


def preflight(server, path, origin, method="PATCH", headers="authorization, content-type, if-match"):
    return server.client(contract=False).request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


class TestSecurityHeaders(ServerTestCase):
    def assert_safe(self, res, json_body=True):
        h = res.headers
        self.assertEqual(h.get("x-content-type-options"), "nosniff", res)
        self.assertEqual(h.get("referrer-policy"), "no-referrer", res)
        self.assertEqual(h.get("cache-control"), "no-store", res)
        if json_body:
            self.assertEqual(h.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'", res)
        self.assertIsNone(h.get("access-control-allow-origin"))

    def test_every_kind_of_response(self):
        s = self.server
        self.assert_safe(s.get("/api/v1/version", expect=200))
        self.assert_safe(s.get("/api/v1/nowhere", expect=404))
        self.assert_safe(s.post("/api/v1/_test/echo", body="x" * 2_000_000, content_type="application/json",
                                expect=413))
        self.assert_safe(s.post("/api/v1/auth/login", json={"email": "a@b.example", "password": "wrong-wrong"},
                                expect=401))
        self.assert_safe(s.get("/metrics", expect=200), json_body=False)
        w = World(s)
        admin = w.A.client("admin")
        doc = admin.get(f"/api/v1/users/{w.A.users['staff']['id']}", expect=200)
        self.assert_safe(doc)
        self.assert_safe(admin.get(f"/api/v1/users/{w.A.users['staff']['id']}",
                                   headers={"If-None-Match": doc.headers["etag"]}, expect=304), json_body=False)
        self.assert_safe(admin.post("/api/v1/auth/logout", expect=204), json_body=False)

    def test_no_cors_without_allowed_origins(self):
        res = self.server.get("/api/v1/version", headers={"Origin": APP}, expect=200)
        self.assertIsNone(res.headers.get("access-control-allow-origin"))
        res = preflight(self.server, "/api/v1/version", APP, method="GET")
        self.assertEqual(res.status, 405)
        self.assertIsNone(res.headers.get("access-control-allow-origin"))


class TestCors(ServerTestCase):
    SERVER_ENV = {"ERP_CORS_ORIGINS": f"{APP}, {DEV}"}

    def test_preflight_from_an_allowed_origin(self):
        for origin in (APP, DEV):
            res = preflight(self.server, "/api/v1/students/0190c0de-0000-7000-8000-000000000000", origin)
            self.assertEqual(res.status, 204, res)
            self.assertEqual(res.body, b"")
            h = res.headers
            self.assertEqual(h["access-control-allow-origin"], origin)
            self.assertEqual({m.strip() for m in h["access-control-allow-methods"].split(",")},
                             {"GET", "HEAD", "PATCH", "DELETE"})
            allowed = {x.strip().lower() for x in h["access-control-allow-headers"].split(",")}
            self.assertLessEqual({"authorization", "content-type", "if-match", "if-none-match", "idempotency-key"},
                                 allowed)
            self.assertEqual(h["access-control-max-age"], "600")
            self.assertIn("Origin", h.get_all("vary"))
            self.assertIsNone(h.get("access-control-allow-credentials"))

    def test_preflight_from_another_origin_or_to_nowhere(self):
        for origin in ("https://evil.example", APP + ":443", APP.upper(), "null", APP + "/"):
            with self.subTest(origin=origin):
                res = preflight(self.server, "/api/v1/users", origin, method="POST")
                self.assertProblem(res, 403)
                self.assertIsNone(res.headers.get("access-control-allow-origin"))
        self.assertProblem(preflight(self.server, "/api/v1/nowhere", APP), 404)

    def test_responses_to_an_allowed_origin(self):
        w = World(self.server)
        admin = Client(self.server, token=w.A.token("admin"))
        res = admin.get(f"/api/v1/users/{w.A.users['staff']['id']}", headers={"Origin": APP}, expect=200)
        self.assertEqual(res.headers["access-control-allow-origin"], APP)
        exposed = {x.strip().lower() for x in res.headers["access-control-expose-headers"].split(",")}
        self.assertEqual(exposed, {"etag", "location", "retry-after", "x-request-id", "x-instance"})
        self.assertIn("Origin", res.headers.get_all("vary"))
        # errors too: a browser app must be able to read the problem document
        res = admin.get("/api/v1/users/nope", headers={"Origin": DEV})
        self.assertProblem(res, 404)
        self.assertEqual(res.headers["access-control-allow-origin"], DEV)
        # another origin: no CORS answer (the browser keeps the response from the page), still Vary
        res = admin.get("/api/v1/version", headers={"Origin": "https://evil.example"}, expect=200)
        self.assertIsNone(res.headers.get("access-control-allow-origin"))
        self.assertIn("Origin", res.headers.get_all("vary"))
        for r in (res, admin.get("/api/v1/version", headers={"Origin": APP}, expect=200)):
            self.assertNotEqual(r.headers.get("access-control-allow-origin"), "*")
            self.assertIsNone(r.headers.get("access-control-allow-credentials"))

    def test_bad_origin_lists_stop_start_up(self):
        for bad in ("*", "https://app.example/", "app.example", "https://App.example", "ftp://app.example",
                    "https://app.example:0", "https://app.example:70000", "https://a.example,,https://b.example"):
            with self.subTest(value=bad):
                r = run([self.server.binary, "serve"], env=dict(self.server.environment(), ERP_CORS_ORIGINS=bad,
                                                                ERP_LISTEN="127.0.0.1:0"), timeout=30)
                self.assertNotEqual(r.returncode, 0)
                self.assertRegex(r.stderr + r.stdout, r"ERP_CORS_ORIGINS: expected ")


class TestMetricsListener(ServerTestCase):
    SERVER_ENV = {"ERP_METRICS_LISTEN": "127.0.0.1:0"}

    def metrics_port(self):
        line = self.server.wait_log(lambda e: e.get("msg") == "listening")
        m = re.match(r"http://127\.0\.0\.1:(\d+)/metrics$", line["metricsUrl"])
        self.assertIsNotNone(m, line)
        return int(m.group(1))

    def get(self, port, path, host=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": host} if host else {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def test_metrics_on_their_own_listener_only(self):
        port = self.metrics_port()
        status, body = self.get(port, "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"http_request_duration_seconds", body)
        self.assertEqual(self.get(port, "/healthz")[0], 200)
        for path in ("/api/v1/version", "/readyz", "/api/v1/openapi.json", "/nowhere"):
            self.assertEqual(self.get(port, path)[0], 404, path)
        # the main port: everything but /metrics, whatever Host is named
        self.assertProblem(self.server.get("/metrics"), 404)
        for host in ("metrics", f"127.0.0.1:{port}", "default"):
            self.assertEqual(self.get(self.server.port, "/metrics", host=host)[0], 404, host)
        self.server.get("/api/v1/version", expect=200)
        self.server.get("/healthz", expect=200)
