"""HTTP behaviour of the server core: routing, errors, body checks, limits, request ids, keep-alive."""

import concurrent.futures
import threading
import time
import unittest

from harness import (
    GENERATED_ID_RE,
    ContractError,
    ServerTestCase,
    read_raw_response,
    recv_until_closed,
    wait_until,
)

ECHO = "/api/v1/_test/echo"
SLEEP = "/api/v1/_test/sleep"
FAIL = "/api/v1/_test/fail"


class TestRouting(ServerTestCase):
    def test_healthz(self):
        res = self.server.get("/healthz", expect=200)
        self.assertEqual(res.json, {"status": "ok"})
        self.assertEqual(res.media_type, "application/json")
        self.assertEqual(res.headers.get("cache-control"), "no-store")

    def test_readyz(self):
        res = self.server.get("/readyz", expect=200)
        self.assertEqual(res.json["status"], "ready")
        self.assertIsInstance(res.json["checks"], dict)
        self.assertTrue(res.json["checks"])
        for name, state in res.json["checks"].items():
            self.assertEqual(state, "ok", name)

    def test_version(self):
        res = self.server.get("/api/v1/version", expect=200)
        self.assertEqual(res.json["name"], "school-erp")
        self.assertEqual(res.json["apiVersion"], "v1")
        self.assertRegex(res.json["version"], r"^\d+\.\d+\.\d+")
        self.assertTrue(res.json["commit"])

    def test_query_string_does_not_change_the_route(self):
        self.server.get("/api/v1/_test/sleep?ms=0", expect=200)
        # a parameter the operation does not declare is named, never ignored
        res = self.server.get("/healthz?verbose=1&x=%20y")
        self.assertProblem(res, 422)
        self.assertEqual(res.json["errors"], [{"field": "verbose", "message": "is not a parameter of GET /healthz"},
                                              {"field": "x", "message": "is not a parameter of GET /healthz"}])
        res = self.server.get("/api/v1/_test/sleep?ms=0&ms=1")
        self.assertProblem(res, 422)
        self.assertEqual(res.json["errors"], [{"field": "ms", "message": "must be given once"}])
        # a name that is not text is still refused, without echoing it
        res = self.server.get("/healthz?%FF%FE=1")
        self.assertProblem(res, 422)
        self.assertEqual(res.json["errors"][0]["field"], "query")

    def test_unknown_paths_are_404_problems(self):
        for path in [
            "/nope",
            "/api/v1",
            "/api/v1/",
            "/api/v1/nope",
            "/HEALTHZ",
            "/healthz/extra",
            "/api/v1/version/1",
            "/" + "x/" * 20 + "y",
        ]:
            with self.subTest(path=path):
                res = self.server.get(path)
                p = self.assertProblem(res, 404, "not-found")
                self.assertNotIn("errors", p)

    def test_root_is_404_without_the_web_app(self):
        # the web app (test_web.py) is served at / when built; ERP_WEB_DIR="" switches it off
        server = self.start_server({"ERP_WEB_DIR": ""})
        self.assertProblem(server.get("/"), 404, "not-found")

    def test_trailing_slash_is_404(self):
        for path in ["/healthz/", "/readyz/", "/api/v1/version/", ECHO + "/"]:
            with self.subTest(path=path):
                self.assertProblem(self.server.get(path), 404, "not-found")

    def test_double_slash_is_404(self):
        for path in ["//healthz", "/api//v1/version", "/api/v1//version"]:
            with self.subTest(path=path):
                self.assertProblem(self.server.get(path), 404, "not-found")

    def test_percent_encoded_path_is_decoded(self):
        self.server.get("/%68ealthz", expect=200)

    def test_dot_segments_are_resolved_before_routing(self):
        self.server.get("/api/v1/../v1/version", expect=200)
        self.assertProblem(self.server.get("/api/v1/../healthz"), 404, "not-found")

    def test_method_not_allowed_has_allow_header(self):
        cases = [
            ("DELETE", "/healthz", "GET, HEAD"),
            ("POST", "/healthz", "GET, HEAD"),
            ("PUT", "/readyz", "GET, HEAD"),
            ("PATCH", "/api/v1/version", "GET, HEAD"),
            ("OPTIONS", "/metrics", "GET, HEAD"),
            ("GET", ECHO, "POST"),
            ("DELETE", ECHO, "POST"),
            ("POST", SLEEP, "GET, HEAD"),
        ]
        for method, path, allow in cases:
            with self.subTest(method=method, path=path):
                res = self.server.request(method, path)
                self.assertProblem(res, 405, "method-not-allowed")
                self.assertEqual(res.headers.get("allow"), allow)

    def test_unknown_method_on_known_path_is_405(self):
        for method in ["FOO", "PROPFIND", "get"]:
            with self.subTest(method=method):
                res = self.server.request(method, "/healthz")
                self.assertProblem(res, 405, "method-not-allowed")
                self.assertEqual(res.headers.get("allow"), "GET, HEAD")

    def test_unknown_method_on_unknown_path_is_404(self):
        self.assertProblem(self.server.request("FOO", "/nope"), 404, "not-found")
        self.assertProblem(self.server.request("DELETE", "/nope"), 404, "not-found")

    def test_head_gives_headers_and_no_body(self):
        get = self.server.get("/healthz", expect=200)
        head = self.server.head("/healthz", expect=200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers.get("content-type"), get.headers.get("content-type"))
        self.assertEqual(head.headers.get("content-length"), str(len(get.body)))
        self.assertRegex(head.request_id, GENERATED_ID_RE)

    def test_head_on_a_pool_route(self):
        head = self.server.head("/api/v1/version", expect=200)
        self.assertEqual(head.body, b"")
        get = self.server.get("/api/v1/version", expect=200)
        self.assertEqual(head.headers.get("content-length"), str(len(get.body)))

    def test_head_of_errors_has_no_body(self):
        res = self.server.head("/nope")
        self.assertEqual(res.status, 404)
        self.assertEqual(res.body, b"")
        res = self.server.head(ECHO)
        self.assertEqual(res.status, 405)
        self.assertEqual(res.headers.get("allow"), "POST")

    def test_test_routes_are_served_when_enabled(self):
        self.assertEqual(self.server.get(SLEEP + "?ms=0", expect=200).json, {"sleptMs": 0})


class TestTestRoutesDisabled(ServerTestCase):
    SERVER_ENV = {"ERP_ENABLE_TEST_ROUTES": None}

    def test_test_routes_are_404_when_disabled(self):
        self.assertProblem(self.server.get(SLEEP + "?ms=0"), 404, "not-found")
        self.assertProblem(self.server.get(FAIL), 404, "not-found")
        self.assertProblem(self.server.post(ECHO, json={"name": "x"}), 404, "not-found")

    def test_test_routes_are_not_documented_when_disabled(self):
        paths = self.server.openapi["paths"]
        self.assertFalse([p for p in paths if "/_test/" in p], sorted(paths))
        self.assertIn("/healthz", paths)

    def test_false_value_disables(self):
        s = self.start_server({"ERP_ENABLE_TEST_ROUTES": "off"})
        self.assertProblem(s.get(FAIL), 404, "not-found")


class TestSleepRoute(ServerTestCase):
    def test_sleeps(self):
        res = self.server.get(SLEEP + "?ms=50", expect=200)
        self.assertEqual(res.json, {"sleptMs": 50})
        entry = self.server.access_log(res.request_id)
        self.assertGreaterEqual(entry["durationMs"], 50)

    def test_no_ms_means_zero(self):
        self.assertEqual(self.server.get(SLEEP, expect=200).json, {"sleptMs": 0})

    def test_bounds(self):
        self.assertEqual(self.server.get(SLEEP + "?ms=0", expect=200).json, {"sleptMs": 0})

    def test_bad_ms_is_422_on_field_ms(self):
        for value in ["abc", "-1", "60001", "1.5", "", "1e3", "0x10", "99999999999999999999", "10abc", "%20"]:
            with self.subTest(ms=value):
                res = self.server.get(SLEEP + "?ms=" + value)
                p = self.assertProblem(res, 422, "validation", fields=["ms"])
                self.assertTrue(p["errors"][0]["message"])


class TestErrors(ServerTestCase):
    def test_handler_failure_is_500_without_the_internal_message(self):
        res = self.server.get(FAIL)
        p = self.assertProblem(res, 500, "internal")
        self.assertNotIn("deliberate", res.text)
        self.assertNotIn("errors", p)
        self.assertTrue(p.get("detail"))
        logged = self.server.wait_log(lambda e: e.get("msg") == "request failed" and e.get("requestId") == res.request_id)
        self.assertEqual(logged["detail"], "deliberate failure for the test suite")
        self.assertEqual(logged["route"], FAIL)
        self.assertEqual(logged["level"], "error")

    def test_server_survives_failures(self):
        for _ in range(5):
            self.assertEqual(self.server.get(FAIL).status, 500)
        self.server.get("/healthz", expect=200)


class TestEcho(ServerTestCase):
    def post(self, body, **kw):
        return self.server.post(ECHO, json=body, **kw)

    def test_echo(self):
        self.assertEqual(self.post({"name": "Ada", "count": 7}, expect=200).json, {"name": "Ada", "count": 7})

    def test_count_is_optional(self):
        self.assertEqual(self.post({"name": "Ada"}, expect=200).json, {"name": "Ada"})
        self.assertEqual(self.post({"name": "Ada", "count": None}, expect=200).json, {"name": "Ada"})

    def test_count_bounds(self):
        self.assertEqual(self.post({"name": "a", "count": 0}, expect=200).json["count"], 0)
        self.assertEqual(self.post({"name": "a", "count": 1000}, expect=200).json["count"], 1000)
        for bad in [-1, 1001, 1.5, "3", True, [], {}, 2**40]:
            with self.subTest(count=bad):
                self.assertProblem(self.post({"name": "a", "count": bad}), 422, "validation", fields=["count"])

    def test_integer_beyond_64_bits_is_a_client_error(self):
        # Well-formed JSON, but beyond what the parser holds: 400 or 422, never a 5xx.
        res = self.server.post(ECHO, body=b'{"name":"a","count":' + b"9" * 30 + b"}", content_type="application/json")
        self.assertIn(res.status, (400, 422), repr(res))

    def test_name_length_in_characters(self):
        self.post({"name": "x" * 100}, expect=200)
        self.post({"name": "é" * 100}, expect=200)  # 200 bytes, 100 characters
        self.assertEqual(self.post({"name": "日本"}, expect=200).json["name"], "日本")
        self.assertProblem(self.post({"name": "x" * 101}), 422, "validation", fields=["name"])
        self.assertProblem(self.post({"name": ""}), 422, "validation", fields=["name"])

    def test_name_required_and_string(self):
        for body in [{}, {"name": None}, {"count": 1}, {"name": 5}, {"name": ["a"]}, {"name": True}]:
            with self.subTest(body=body):
                self.assertProblem(self.post(body), 422, "validation", fields=["name"])

    def test_name_with_surrounding_whitespace(self):
        self.assertProblem(self.post({"name": " Ada"}), 422, "validation", fields=["name"])
        self.assertProblem(self.post({"name": "Ada\t"}), 422, "validation", fields=["name"])

    def test_unknown_fields_are_422(self):
        res = self.post({"name": "a", "extra": 1})
        p = self.assertProblem(res, 422, "validation", fields=["extra"])
        self.assertTrue(p["errors"][0]["message"])

    def test_every_invalid_field_is_reported(self):
        res = self.post({"name": "", "count": -5, "zz": 1})
        self.assertProblem(res, 422, "validation", fields=["name", "count", "zz"])

    def test_malformed_json_is_400(self):
        for body in [b"{", b'{"name": "a",}', b"{name: 1}", b"nul", b'{"name":"a"} x', b"\xff\xfe{}"]:
            with self.subTest(body=body):
                res = self.server.post(ECHO, body=body, content_type="application/json")
                p = self.assertProblem(res, 400, "malformed-request")
                self.assertTrue(p.get("detail"))

    def test_duplicate_keys_are_400(self):
        res = self.server.post(ECHO, body=b'{"name":"a","name":"b"}', content_type="application/json")
        self.assertProblem(res, 400, "malformed-request")

    def test_non_object_body_is_400(self):
        for body in [b"[]", b'[{"name":"a"}]', b'"name"', b"42", b"null", b"true"]:
            with self.subTest(body=body):
                res = self.server.post(ECHO, body=body, content_type="application/json")
                self.assertProblem(res, 400, "malformed-request")

    def test_empty_body_is_400(self):
        res = self.server.post(ECHO, body=b"", content_type="application/json")
        self.assertProblem(res, 400, "malformed-request")

    def test_wrong_content_type_is_415(self):
        for ct in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/json-patch+json",
                   "multipart/form-data; boundary=x", "json"]:
            with self.subTest(content_type=ct):
                res = self.server.post(ECHO, body=b'{"name":"a"}', content_type=ct)
                self.assertProblem(res, 415, "unsupported-media-type")

    def test_missing_content_type_is_415(self):
        res = self.server.post(ECHO, body=b'{"name":"a"}', content_type=None)
        self.assertProblem(res, 415, "unsupported-media-type")

    def test_content_type_parameters_and_case(self):
        for ct in ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]:
            with self.subTest(content_type=ct):
                self.server.post(ECHO, body=b'{"name":"a"}', content_type=ct, expect=200)

    def test_content_type_checked_before_body(self):
        res = self.server.post(ECHO, body=b"{", content_type="text/plain")
        self.assertProblem(res, 415, "unsupported-media-type")

    def test_chunked_body(self):
        with self.server.connect() as s:
            s.sendall(
                b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n6\r\n{\"name\r\n7\r\n\":\"ab\"}\r\n0\r\n\r\n"
            )
            raw, _ = read_raw_response(s)
        res = self.server.check_raw("POST", ECHO, raw)
        self.assertEqual(res.status, 200)
        self.assertEqual(res.json, {"name": "ab"})


class TestBodyLimit(ServerTestCase):
    SERVER_ENV = {"ERP_MAX_BODY_BYTES": "1024"}

    def body_of(self, size):
        """A JSON object body of exactly size bytes with an unknown field (so 422 when accepted)."""
        base = b'{"name":"a","pad":""}'
        return base[:-2] + b"x" * (size - len(base)) + b'"}'

    def test_body_at_the_limit_is_accepted(self):
        body = self.body_of(1024)
        self.assertEqual(len(body), 1024)
        res = self.server.post(ECHO, body=body, content_type="application/json")
        self.assertProblem(res, 422, "validation", fields=["pad"])

    def test_body_over_the_limit_is_413(self):
        body = self.body_of(1025)
        res = self.server.post(ECHO, body=body, content_type="application/json")
        p = self.assertProblem(res, 413, "payload-too-large")
        self.assertIn("1024", p.get("detail", ""))
        self.assertEqual(res.headers.get("connection", "").lower(), "close")

    def test_413_closes_the_connection(self):
        with self.server.connect() as s:
            s.sendall(
                b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n" + b"x" * 5000
            )
            raw, rest = read_raw_response(s)
            res = self.server.check_raw("POST", ECHO, raw)
            self.assertProblem(res, 413, "payload-too-large")
            # nothing more: the server closes the connection
            self.assertEqual(rest + recv_until_closed(s), b"")

    def test_declared_length_over_the_limit_is_refused_before_the_body(self):
        # over every route's limit (uploads take up to 10 MiB, POST /api/v1/files): h2o refuses on the headers
        with self.server.connect() as s:
            s.sendall(
                b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: 20000000\r\n\r\n"
            )
            raw, _ = read_raw_response(s)
        self.assertProblem(self.server.check_raw("POST", ECHO, raw), 413, "payload-too-large")

    def test_body_within_the_upload_limit_is_still_413_elsewhere(self):
        # h2o 2.2 has one body limit for every route, so it is the uploads' (10 MiB): other routes refuse
        # a larger body than theirs once read, with their own limit, and end the connection
        with self.server.connect() as s:
            s.sendall(
                b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: 300000\r\n\r\n" + b"x" * 300000
            )
            raw, rest = read_raw_response(s)
            res = self.server.check_raw("POST", ECHO, raw)
            p = self.assertProblem(res, 413, "payload-too-large")
            self.assertIn("1024", p.get("detail", ""))
            self.assertEqual(rest + recv_until_closed(s), b"")

    def test_chunked_body_over_the_limit_is_413(self):
        chunk = b"x" * 700
        with self.server.connect() as s:
            s.sendall(
                b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            try:
                for _ in range(3):
                    s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server may close while we still send
            raw, _ = read_raw_response(s)
        self.assertProblem(self.server.check_raw("POST", ECHO, raw), 413, "payload-too-large")

    def test_server_still_serves_after_413(self):
        self.assertEqual(self.server.post(ECHO, body=self.body_of(4000), content_type="application/json").status, 413)
        self.server.post(ECHO, json={"name": "after"}, expect=200)


class TestDefaultLimits(ServerTestCase):
    def test_default_body_limit_is_1_mib(self):
        res = self.server.post(ECHO, body=b'{"name":"' + b"a" * (1 << 20) + b'"}', content_type="application/json")
        p = self.assertProblem(res, 413, "payload-too-large")
        self.assertIn("1048576", p["detail"])
        # just under the limit: accepted by the size check, refused by validation
        body = b'{"name":"' + b"a" * ((1 << 20) - 11) + b'"}'
        self.assertEqual(len(body), 1 << 20)
        res = self.server.post(ECHO, body=body, content_type="application/json")
        self.assertProblem(res, 422, "validation", fields=["name"])

    def test_default_header_limit_is_16_kib(self):
        self.server.get("/healthz", headers={"X-Filler": "a" * 12000}, expect=200)
        res = self.server.get("/healthz", headers={"X-Filler": "a" * 17000})
        p = self.assertProblem(res, 431, "headers-too-large")
        self.assertIn("16384", p["detail"])


class TestHeaderLimit(ServerTestCase):
    SERVER_ENV = {"ERP_MAX_HEADER_BYTES": "2048"}

    def test_headers_under_the_limit(self):
        self.server.get("/healthz", headers={"X-Filler": "a" * 1500}, expect=200)

    def test_headers_over_the_limit_are_431(self):
        for path in ["/healthz", "/api/v1/version", ECHO]:
            with self.subTest(path=path):
                res = self.server.get(path, headers={"X-Filler": "a" * 3000})
                self.assertProblem(res, 431, "headers-too-large")

    def test_many_small_headers_count_together(self):
        headers = [(f"X-H{i}", "v" * 60) for i in range(40)]
        self.assertProblem(self.server.get("/healthz", headers=headers), 431, "headers-too-large")

    def test_431_on_unknown_path(self):
        res = self.server.get("/nope", headers={"X-Filler": "a" * 3000}, contract=False)
        self.assertEqual(res.status, 431)

    def test_server_still_serves_after_431(self):
        self.assertEqual(self.server.get("/healthz", headers={"X-Filler": "a" * 5000}).status, 431)
        self.server.get("/healthz", expect=200)


class TestMalformedHttp(ServerTestCase):
    def raw(self, data):
        with self.server.connect() as s:
            s.sendall(data)
            return recv_until_closed(s)

    def test_garbage_request_line_is_400_and_closes(self):
        out = self.raw(b"GARBAGE\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out[:200])

    def test_bad_header_line_is_400(self):
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out[:200])

    def test_server_survives_garbage(self):
        for data in [b"\x00" * 100 + b"\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\r\n\r\n", b"G" * 10000 + b"\r\n\r\n"]:
            try:
                self.raw(data)
            except OSError:
                pass
        self.server.get("/healthz", expect=200)

    def test_http_1_0_request(self):
        out = self.raw(b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertRegex(out.split(b"\r\n", 1)[0], rb"^HTTP/1\.[01] 200 ")
        self.assertTrue(out.endswith(b'{"status":"ok"}'), out)


class TestClientTimeout(ServerTestCase):
    SERVER_ENV = {"ERP_CLIENT_TIMEOUT_SECONDS": "1"}

    def test_slow_and_idle_clients_are_dropped(self):
        cases = {
            "silent": b"",
            "partial headers": b"GET /healthz HTTP/1.1\r\nHost: t\r\n",
            "partial body": b"POST " + ECHO.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 100\r\n\r\n{",
            "idle keep-alive": b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
        }
        t0 = time.monotonic()
        conns = {}
        for name, data in cases.items():
            conns[name] = self.server.connect()
            self.addCleanup(conns[name].close)
            if data:
                conns[name].sendall(data)
        for name, conn in conns.items():
            with self.subTest(case=name):
                out = recv_until_closed(conn, timeout=30)  # raises if the server never closes
                if name == "idle keep-alive":
                    self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:100])
                else:
                    self.assertNotIn(b"HTTP/1.1 200", out)
        self.assertLess(time.monotonic() - t0, 20, "ERP_CLIENT_TIMEOUT_SECONDS=1 was not applied")
        self.server.get("/healthz", expect=200)


class TestRequestId(ServerTestCase):
    def test_generated_when_absent(self):
        a = self.server.get("/healthz", expect=200)
        b = self.server.get("/healthz", expect=200)
        self.assertRegex(a.request_id, GENERATED_ID_RE)
        self.assertRegex(b.request_id, GENERATED_ID_RE)
        self.assertNotEqual(a.request_id, b.request_id)

    def test_generated_ids_are_unique(self):
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            ids = list(ex.map(lambda _: self.server.client().get("/healthz", expect=200).request_id, range(200)))
        self.assertEqual(len(set(ids)), len(ids))

    def test_sane_id_is_echoed(self):
        for rid in ["abc", "A", "0123456789abcdef", "req-1.2_3:4", "x" * 64, "-", "a:b:c", "ABC.def-GHI_jkl"]:
            with self.subTest(rid=rid):
                res = self.server.get("/healthz", headers={"X-Request-Id": rid}, expect=200)
                self.assertEqual(res.request_id, rid)

    def test_sane_id_is_echoed_on_every_kind_of_response(self):
        cases = [
            ("GET", "/healthz", None, 200),
            ("GET", "/api/v1/version", None, 200),
            ("GET", "/nope", None, 404),
            ("DELETE", "/healthz", None, 405),
            ("GET", FAIL, None, 500),
            ("POST", ECHO, b"{", 400),
            ("POST", ECHO, b"{}", 422),
            ("GET", SLEEP + "?ms=x", None, 422),
        ]
        for i, (method, path, body, status) in enumerate(cases):
            with self.subTest(method=method, path=path):
                rid = f"trace-{i}"
                res = self.server.request(method, path, body=body, content_type="application/json" if body else None,
                                          headers={"X-Request-Id": rid})
                self.assertEqual(res.status, status)
                self.assertEqual(res.request_id, rid)
                if res.json is not None and status >= 400:
                    self.assertEqual(res.json["requestId"], rid)
                self.assertEqual(self.server.access_log(rid)["status"], status)

    def test_echoed_on_413(self):
        res = self.server.post(ECHO, body=b"x" * ((1 << 20) + 10), content_type="application/json",
                               headers={"X-Request-Id": "big-body-1"})
        self.assertEqual(res.status, 413)
        self.assertEqual(res.request_id, "big-body-1")
        self.assertEqual(res.json["requestId"], "big-body-1")

    def test_echoed_on_431(self):
        res = self.server.get("/healthz", headers={"X-Request-Id": "big-head-1", "X-F": "a" * 20000})
        self.assertEqual(res.status, 431)
        self.assertEqual(res.request_id, "big-head-1")

    def test_insane_id_is_replaced(self):
        for rid in ["x" * 65, "has space", "semi;colon", "<script>", "a/b", "quote\"", "ümlaut", "a,b", "tab\there"]:
            with self.subTest(rid=rid):
                res = self.server.get("/healthz", headers={"X-Request-Id": rid.encode("utf-8").decode("latin-1")},
                                      expect=200)
                self.assertRegex(res.request_id, GENERATED_ID_RE)

    def test_empty_id_is_replaced(self):
        with self.server.connect() as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id:\r\n\r\n")
            raw, _ = read_raw_response(s)
        res = self.server.check_raw("GET", "/healthz", raw, sent_request_id="")
        self.assertEqual(res.status, 200)
        self.assertRegex(res.request_id, GENERATED_ID_RE)

    def test_first_sane_id_wins(self):
        res = self.server.get("/healthz", headers=[("X-Request-Id", "bad id"), ("X-Request-Id", "good-id")], expect=200)
        self.assertEqual(res.request_id, "good-id")
        res = self.server.get("/healthz", headers=[("X-Request-Id", "one"), ("X-Request-Id", "two")], expect=200)
        self.assertEqual(res.request_id, "one")

    def test_header_name_is_case_insensitive(self):
        res = self.server.get("/healthz", headers={"x-REQUEST-id": "mixed-case"}, expect=200)
        self.assertEqual(res.request_id, "mixed-case")

    def test_response_has_exactly_one_request_id(self):
        res = self.server.get("/api/v1/version", headers={"X-Request-Id": "only-one"}, expect=200)
        self.assertEqual(res.headers.get_all("x-request-id"), ["only-one"])


class TestKeepAlive(ServerTestCase):
    def test_many_requests_on_one_connection(self):
        with self.server.client(keep_alive=True) as c:
            c.get("/healthz", expect=200)
            sock = c.conn.sock
            self.assertIsNotNone(sock)
            statuses = []
            for path in ["/readyz", "/api/v1/version", "/nope", FAIL, SLEEP + "?ms=1", "/metrics", "/healthz"]:
                statuses.append(c.get(path).status)
                self.assertIs(c.conn.sock, sock, f"the connection was reopened after {path}")
            statuses.append(c.post(ECHO, json={"name": "k"}).status)
            statuses.append(c.post(ECHO, json={"bad": 1}).status)
            statuses.append(c.post(ECHO, body=b"{", content_type="application/json").status)
            statuses.append(c.request("DELETE", "/healthz").status)
            statuses.append(c.head("/healthz").status)
            statuses.append(c.get("/healthz").status)
            self.assertIs(c.conn.sock, sock)
        self.assertEqual(statuses, [200, 200, 404, 500, 200, 200, 200, 200, 422, 400, 405, 200, 200])

    def test_responses_advertise_keep_alive(self):
        with self.server.client(keep_alive=True) as c:
            res = c.get("/healthz", expect=200)
            self.assertNotEqual(res.headers.get("connection", "").lower(), "close")

    def test_pipelined_requests_are_answered_in_order(self):
        reqs = b"".join(
            b"GET " + p.encode() + b" HTTP/1.1\r\nHost: t\r\nX-Request-Id: pipe-" + str(i).encode() + b"\r\n\r\n"
            for i, p in enumerate(["/healthz", SLEEP + "?ms=30", "/nope", "/api/v1/version"])
        )
        with self.server.connect() as s:
            s.sendall(reqs)
            buf = b""
            got = []
            for i, path in enumerate(["/healthz", SLEEP + "?ms=30", "/nope", "/api/v1/version"]):
                raw, buf = read_raw_response(s, buf)
                res = self.server.check_raw("GET", path, raw, sent_request_id=f"pipe-{i}")
                got.append((res.status, res.request_id))
        self.assertEqual(got, [(200, "pipe-0"), (200, "pipe-1"), (404, "pipe-2"), (200, "pipe-3")])

    def test_connection_close_is_honoured(self):
        with self.server.connect() as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            out = recv_until_closed(s)
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "))
        self.assertIn(b"\r\nconnection: close\r\n", out.lower())

    def test_concurrent_connections(self):
        def work(i):
            with self.server.client(keep_alive=True) as c:
                out = []
                for j in range(10):
                    if j % 3 == 0:
                        out.append(c.post(ECHO, json={"name": f"n{i}-{j}", "count": j}).json)
                    else:
                        out.append(c.get(SLEEP + "?ms=1").json)
                return out

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            results = list(ex.map(work, range(16)))
        for i, out in enumerate(results):
            for j, body in enumerate(out):
                if j % 3 == 0:
                    self.assertEqual(body, {"name": f"n{i}-{j}", "count": j})
                else:
                    self.assertEqual(body, {"sleptMs": 1})


class TestOverload(ServerTestCase):
    SERVER_ENV = {"ERP_POOL_SIZE": "1", "ERP_POOL_QUEUE": "1"}

    def slow(self, ms, out, key):
        try:
            out[key] = self.server.client().get(f"{SLEEP}?ms={ms}")
        except Exception as e:  # reported by the test
            out[key] = e

    def test_full_queue_answers_503_with_retry_after(self):
        out = {}
        a = threading.Thread(target=self.slow, args=(3000, out, "a"))
        a.start()
        wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_busy") == 1, message="pool busy")
        b = threading.Thread(target=self.slow, args=(0, out, "b"))
        b.start()
        wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_queue_depth") == 1,
                   message="one request queued")
        res = self.server.get(SLEEP + "?ms=0")
        p = self.assertProblem(res, 503, "unavailable")
        self.assertTrue(p.get("detail"))
        self.assertRegex(res.headers.get("retry-after", ""), r"^[1-9][0-9]*$")
        # inline routes still answer while the pool is full
        self.server.get("/healthz", expect=200)
        a.join(60)
        b.join(60)
        self.assertEqual(out["a"].status, 200, out["a"])
        self.assertEqual(out["b"].status, 200, out["b"])
        self.assertEqual(out["b"].json, {"sleptMs": 0})
        m = self.server.metrics()
        self.assertGreaterEqual(m.value("school_erp_handler_pool_rejected_total"), 1)
        self.assertIsNotNone(m.value("http_request_duration_seconds_count", route=SLEEP, code="503"))
        self.server.get(SLEEP + "?ms=0", expect=200)

    def test_every_pooled_operation_sheds_load_with_503(self):
        """With the handler pool busy and its queue full, every operation but the inline ones answers 503 at once,
        before anything else is looked at (token, body, path parameters)."""
        inline = {"/healthz", "/metrics", "/api/v1/openapi.json"}
        out = {}
        busy = [threading.Thread(target=self.slow, args=(4000, out, k)) for k in ("a", "b")]
        try:
            busy[0].start()
            wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_busy") == 1, message="pool busy")
            busy[1].start()
            wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_queue_depth") == 1,
                       message="one request queued")
            shed = []
            for method, template, op in self.server.contract.operations():
                if template in inline:
                    continue
                path = template.replace("{date}", "2030-01-02")
                for name in ("id", "assignmentId", "guardianId"):
                    path = path.replace("{" + name + "}", "00000000-0000-7000-8000-000000000000")
                kw = {"json": {}} if "requestBody" in op else {}
                res = self.server.client().request(method, path, **kw)
                with self.subTest(method=method, route=template):
                    p = self.assertProblem(res, 503, "unavailable")
                    self.assertTrue(p.get("detail"))
                    self.assertRegex(res.headers.get("retry-after", ""), r"^[1-9][0-9]*$")
                    shed.append(template)
            self.assertGreater(len(shed), 80)
            # the inline ones still answer
            for path in sorted(inline):
                self.server.get(path, expect=200)
        finally:
            for t in busy:
                t.join(60)
        self.assertEqual([out[k].status for k in ("a", "b")], [200, 200], out)

    def test_concurrent_slow_requests_some_get_503(self):
        n = 8
        barrier = threading.Barrier(n)

        def one(_):
            barrier.wait(30)
            return self.server.client().get(f"{SLEEP}?ms=1500")

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(one, range(n)))
        statuses = sorted(r.status for r in results)
        self.assertTrue(set(statuses) <= {200, 503}, statuses)
        self.assertIn(200, statuses)
        self.assertIn(503, statuses)
        for r in results:
            if r.status == 503:
                self.assertIn("retry-after", r.headers)
                self.assertEqual(r.json["type"], "urn:school-erp:problem:unavailable")
        wait_until(lambda: self.server.metrics().value("school_erp_handler_pool_busy") == 0, message="pool idle")
        self.server.get("/api/v1/version", expect=200)


class TestContractChecker(ServerTestCase):
    """The harness itself: it must catch responses that break the document."""

    def test_undeclared_status_fails(self):
        res = self.server.get("/nope", contract=False)
        body = res.text.replace('"status":404', '"status":409').encode()
        bad = type(res)("GET", "/healthz", 409, "x", res.headers, body)
        with self.assertRaisesRegex(ContractError, "not declared"):
            self.server.contract.check(bad)

    def test_schema_mismatch_fails(self):
        res = self.server.get("/healthz", contract=False)
        bad = type(res)(res.method, res.path, 200, "OK", res.headers, b'{"status":"bad"}')
        with self.assertRaisesRegex(ContractError, "does not match its schema"):
            self.server.contract.check(bad)

    def test_missing_request_id_fails(self):
        res = self.server.get("/healthz", contract=False)
        hdrs = type(res.headers)([(k, v) for k, v in res.headers.items() if k.lower() != "x-request-id"])
        bad = type(res)(res.method, res.path, 200, "OK", hdrs, res.body)
        with self.assertRaisesRegex(ContractError, "X-Request-Id"):
            self.server.contract.check(bad)

    def test_unechoed_request_id_fails(self):
        res = self.server.get("/healthz", contract=False)
        with self.assertRaisesRegex(ContractError, "was sent"):
            self.server.contract.check(res, "some-other-id")

    def test_wrong_media_type_fails(self):
        res = self.server.get("/nope", contract=False)
        hdrs = type(res.headers)(
            [(k, "application/json" if k.lower() == "content-type" else v) for k, v in res.headers.items()]
        )
        bad = type(res)(res.method, res.path, 404, "x", hdrs, res.body)
        with self.assertRaises(ContractError):
            self.server.contract.check(bad)

    def test_unmatched_path_must_be_404(self):
        res = self.server.get("/healthz", contract=False)
        bad = type(res)("GET", "/definitely/not/a/route", 200, "OK", res.headers, res.body)
        with self.assertRaisesRegex(ContractError, "must be 404"):
            self.server.contract.check(bad)

    def test_templates_match_parameters(self):
        c = self.server.contract
        template, _, op = c.match("GET", "/api/v1/_test/sleep?ms=5")
        self.assertEqual(template, SLEEP)
        self.assertIsNotNone(op)
        template, _, op = c.match("DELETE", "/healthz")
        self.assertEqual((template, op), ("/healthz", None))
        self.assertEqual(c.match("GET", "/x")[0], None)

    def test_coverage_is_recorded(self):
        before = self.server.contract.coverage[("GET", "/readyz", 200)]
        self.server.get("/readyz", expect=200)
        self.assertEqual(self.server.contract.coverage[("GET", "/readyz", 200)], before + 1)


if __name__ == "__main__":
    unittest.main()
