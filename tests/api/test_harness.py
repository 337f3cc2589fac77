"""The harness catches what it promises to catch (with a fake server binary)."""

import os
import stat
import tempfile
import textwrap
import unittest
from unittest import mock

from harness import ALLOWED_SKIP, COVERAGE, Contract, ContractError, Server, ServerError, normalize_path, skip_allowed, \
    wait_until

FAKE = textwrap.dedent(
    """\
    #!/usr/bin/python3
    import json, os, signal, sys, time
    mode = os.environ.get("FAKE_MODE", "")
    if mode == "die":
        sys.stderr.write("school-erp: configuration: ERP_FAKE: expected x, got y\\n")
        sys.exit(2)
    def log(**kw):
        print(json.dumps(dict(ts="2026-01-01T00:00:00.000Z", level="info", **kw)), flush=True)
    def on_term(sig, frame):
        if mode == "hang":
            return
        if mode == "asan":
            sys.stderr.write("==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\\n")
        if mode == "ubsan":
            sys.stderr.write("src/x.c:10:5: runtime error: signed integer overflow\\n")
        log(msg="stopped")
        sys.exit(3 if mode == "exit3" else 0)
    signal.signal(signal.SIGTERM, on_term)  # before "listening", like the real server
    if mode == "env":
        log(msg="env", env={k: v for k, v in os.environ.items() if k.startswith("ERP_")})
    if mode == "nojson":
        print("this is not JSON", flush=True)
    if mode == "fatal":
        print(json.dumps({"level": "fatal", "msg": "fatal signal", "signal": "SIGSEGV"}), flush=True)
    log(msg="listening", url="http://127.0.0.1:9", threads=1, poolSize=1, pid=os.getpid())
    while True:
        time.sleep(0.05)
    """
)


class TestServerHarness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="erp-fake-")
        cls.fake = os.path.join(cls.dir.name, "fake-school-erp")
        with open(cls.fake, "w") as f:
            f.write(FAKE)
        os.chmod(cls.fake, stat.S_IRWXU)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def server(self, mode, **kw):
        return Server(env={"FAKE_MODE": mode}, binary=self.fake, contract=False, migrate=False, **kw)

    def test_clean_run_passes_and_removes_the_temp_dir(self):
        s = self.server("ok").start()
        tmp = s.tmp
        self.assertTrue(os.path.isdir(os.path.join(tmp, "data")))
        self.assertEqual(s.port, 9)
        self.assertEqual(s.stop(), 0)
        self.assertFalse(os.path.exists(tmp))
        self.assertEqual(s.logs[-1]["msg"], "stopped")

    def test_sanitizer_report_fails_the_stop(self):
        for mode in ("asan", "ubsan"):
            with self.subTest(mode=mode):
                s = self.server(mode).start()
                with self.assertRaisesRegex(ServerError, "sanitizer report"):
                    s.stop()
                self.assertFalse(os.path.exists(s.tmp))

    def test_crash_log_line_fails(self):
        s = self.server("fatal").start()
        with self.assertRaisesRegex(ServerError, "crash"):
            s.stop()

    def test_non_json_stdout_fails(self):
        s = self.server("nojson").start()
        with self.assertRaisesRegex(ServerError, "not JSON"):
            s.stop()

    def test_unexpected_exit_code_fails(self):
        s = self.server("exit3").start()
        with self.assertRaisesRegex(ServerError, "exited with 3"):
            s.stop()
        s = self.server("exit3", expect_exit=3).start()
        self.assertEqual(s.stop(), 3)

    def test_start_failure_reports_stderr(self):
        with self.assertRaisesRegex(ServerError, "ERP_FAKE"):
            self.server("die").start()

    def test_hanging_server_is_killed(self):
        s = self.server("hang").start()
        with self.assertRaisesRegex(ServerError, "did not exit"):
            s.stop(timeout=1)
        self.assertIsNotNone(s.proc.poll())

    def test_context_manager_stops_on_failure(self):
        s = self.server("ok")
        with self.assertRaises(ZeroDivisionError):
            with s:
                1 / 0
        self.assertIsNotNone(s.proc.poll())
        self.assertFalse(os.path.exists(s.tmp))

    def test_inherited_erp_variables_do_not_leak(self):
        with mock.patch.dict(os.environ, {"ERP_POOL_SIZE": "77", "ERP_JWT_SECRET": "x" * 40}):
            s = Server(
                env={"FAKE_MODE": "env", "ERP_THREADS": "3", "ERP_ENABLE_TEST_ROUTES": None},
                binary=self.fake,
                contract=False,
                migrate=False,
            ).start()
        try:
            env = s.wait_log(lambda e: e.get("msg") == "env", timeout=10)["env"]
        finally:
            s.stop()
        self.assertNotIn("ERP_POOL_SIZE", env)
        self.assertNotIn("ERP_JWT_SECRET", env)
        self.assertNotIn("ERP_ENABLE_TEST_ROUTES", env)
        self.assertEqual(env["ERP_THREADS"], "3")
        self.assertEqual(env["ERP_LISTEN"], "127.0.0.1:0")
        self.assertTrue(env["ERP_DATA_DIR"].startswith(s.tmp))


class TestContractUnits(unittest.TestCase):
    DOC = {
        "openapi": "3.1.0",
        "paths": {
            "/a/{id}": {"get": {"responses": {"200": {"description": "x"}}}},
            "/a/special": {"get": {"responses": {"200": {"description": "x"}}}},
            "/b": {"post": {"responses": {"201": {"description": "x"}}}},
        },
        "components": {"schemas": {}},
    }

    def test_literal_segments_win_over_parameters(self):
        c = Contract(self.DOC)
        self.assertEqual(c.match("GET", "/a/special")[0], "/a/special")
        self.assertEqual(c.match("GET", "/a/123")[0], "/a/{id}")
        self.assertEqual(c.match("GET", "/a/123/x")[0], None)

    def test_method_matching(self):
        c = Contract(self.DOC)
        self.assertIsNotNone(c.match("HEAD", "/a/1")[2])
        self.assertIsNone(c.match("GET", "/b")[2])
        self.assertIsNone(c.match("post", "/b")[2], "methods are case-sensitive")
        self.assertEqual(c.allowed_methods(self.DOC["paths"]["/a/{id}"]), {"GET", "HEAD"})

    def test_normalize_path(self):
        self.assertEqual(normalize_path("/a/./b/../c?x=1"), "/a/c")
        self.assertEqual(normalize_path("/%61/b"), "/a/b")
        self.assertEqual(normalize_path("/a%2Fb"), "/a%2Fb")
        self.assertEqual(normalize_path("/a/b/.."), "/a/")

    def test_global_coverage_is_a_counter(self):
        self.assertTrue(hasattr(COVERAGE, "most_common"))


class TestWaitUntil(unittest.TestCase):
    def test_not_yet_keeps_polling(self):
        answers = iter([0, None, ConnectionRefusedError(), OSError("reset"), "done"])

        def predicate():
            a = next(answers)
            if isinstance(a, Exception):
                raise a
            return a

        self.assertEqual(wait_until(predicate, timeout=10, interval=0), "done")

    def test_a_failed_check_inside_the_predicate_fails_at_once(self):
        calls = []

        def predicate():
            calls.append(1)
            if len(calls) == 2:
                raise ContractError("GET /x -> 500: status 500 is not declared")
            return False

        with self.assertRaisesRegex(ContractError, "not declared"):
            wait_until(predicate, timeout=10, interval=0)
        self.assertEqual(len(calls), 2)
        with self.assertRaisesRegex(AssertionError, "expected 503"):
            wait_until(lambda: self.fail("expected 503, got 500"), timeout=10, interval=0)

    def test_timeout_names_what_it_waited_for_and_the_last_error(self):
        def predicate():
            raise ConnectionResetError("peer went away")

        with self.assertRaisesRegex(AssertionError, "the database to return.*peer went away"):
            wait_until(predicate, timeout=0.05, interval=0.01, message="the database to return")


class TestSkips(unittest.TestCase):
    def test_allowed_skips_carry_the_marker_tests_run_looks_for(self):
        with self.assertRaises(unittest.SkipTest) as cm:
            skip_allowed("no IPv6 loopback here")
        self.assertEqual(str(cm.exception), ALLOWED_SKIP + "no IPv6 loopback here")


if __name__ == "__main__":
    unittest.main()
