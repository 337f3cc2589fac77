"""Configuration from the environment and the command line of the binary."""

import os
import re
import socket
import tempfile
import unittest

from harness import ERP_BIN, SANITIZER_RE, ServerTestCase, clean_env, migrate, run, skip_allowed

# (variable, bad value, what the message must name as expected)
BAD_VALUES = [
    ("ERP_THREADS", "0", "an integer from 1 to 256"),
    ("ERP_THREADS", "abc", "an integer from 1 to 256"),
    ("ERP_THREADS", "257", "an integer from 1 to 256"),
    ("ERP_THREADS", "2x", "an integer from 1 to 256"),
    ("ERP_POOL_SIZE", "0", "an integer from 1 to 1024"),
    ("ERP_POOL_SIZE", "-3", "an integer"),
    ("ERP_POOL_QUEUE", "0", "an integer"),
    ("ERP_POOL_QUEUE", "1.5", "an integer"),
    ("ERP_DRAIN_SECONDS", "-1", "an integer from 0 to 3600"),
    ("ERP_DRAIN_SECONDS", "3601", "an integer from 0 to 3600"),
    ("ERP_MAX_BODY_BYTES", "10", "an integer"),
    ("ERP_MAX_BODY_BYTES", "1MB", "an integer"),
    ("ERP_MAX_HEADER_BYTES", "100", "an integer"),
    ("ERP_MAX_HEADER_BYTES", "99999999999999999999999", "an integer"),
    ("ERP_CLIENT_TIMEOUT_SECONDS", "0", "an integer"),
    ("ERP_LOG_LEVEL", "verbose", "debug"),
    ("ERP_LOG_LEVEL", "INFO", "debug"),
    ("ERP_ACCESS_LOG", "maybe", "on/off"),
    ("ERP_ENABLE_TEST_ROUTES", "2", "on/off"),
    ("ERP_LISTEN", "nonsense", "HOST:PORT"),
    ("ERP_LISTEN", "127.0.0.1:99999", "HOST:PORT"),
    ("ERP_LISTEN", ":8080", "HOST:PORT"),
    ("ERP_LISTEN", "127.0.0.1:", "HOST:PORT"),
    ("ERP_LISTEN", "::1:8080", "HOST:PORT"),
    ("ERP_DATABASE_URL", "mysql://db/x", "sqlite:"),
    ("ERP_REDIS_URL", "http://cache:6379", "redis://"),
    ("ERP_BLOB_URL", "ftp://files", "file:"),
    ("ERP_INSTANCE_NAME", "api 1", "1-64 characters"),
    ("ERP_INSTANCE_NAME", "api/1", "1-64 characters"),
    ("ERP_INSTANCE_NAME", "a" * 65, "1-64 characters"),
    ("ERP_PUBLIC_URL", "app.school.example", "the web app's address"),
    ("ERP_PUBLIC_URL", "https://App.School.example/", "the web app's address"),
]

LINE_RE = re.compile(r"^school-erp: configuration: (ERP_[A-Z_]+): expected (.+), got (.*)$")


def serve(env, timeout=60):
    return run([ERP_BIN, "serve"], env=env, timeout=timeout)


class TestBadConfiguration(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="erp-config-")
        self.addCleanup(self.tmp.cleanup)
        self.base = {"ERP_LISTEN": "127.0.0.1:0", "ERP_DATA_DIR": self.tmp.name}

    def check_refused(self, name, value, expected):
        env = clean_env(**{**self.base, name: value})
        r = serve(env)
        self.assertNotEqual(r.returncode, 0, f"{name}={value!r} was accepted")
        self.assertGreater(r.returncode, 0, f"{name}={value!r}: killed by a signal")
        self.assertFalse(SANITIZER_RE.search(r.stderr), r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"expected one stderr line, got: {r.stderr!r}")
        m = LINE_RE.match(lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(m.group(1), name)
        self.assertIn(expected, m.group(2))
        self.assertEqual(r.stdout, "", "nothing may be logged (nor a port bound) with a bad configuration")
        return m

    def test_bad_values_are_refused_with_one_line(self):
        for name, value, expected in BAD_VALUES:
            with self.subTest(var=name, value=value):
                m = self.check_refused(name, value, expected)
                self.assertIn(value[:80], m.group(3), "the message shows the value it got")

    def test_secret_is_not_echoed(self):
        m = self.check_refused("ERP_JWT_SECRET", "short-secret-value", "at least 32 characters")
        self.assertNotIn("short-secret-value", m.group(0))

    def test_long_value_is_truncated(self):
        m = self.check_refused("ERP_LOG_LEVEL", "v" * 5000, "debug")
        self.assertLess(len(m.group(0)), 400)

    def test_instance_name_cannot_add_a_header(self):
        r = serve(clean_env(**self.base, ERP_INSTANCE_NAME="api-1\r\nX-Evil: 1"))
        self.assertGreater(r.returncode, 0)
        self.assertTrue(r.stderr.startswith("school-erp: configuration: ERP_INSTANCE_NAME: expected 1-64"), r.stderr)
        self.assertEqual(r.stdout, "")

    def test_first_bad_variable_is_named(self):
        env = clean_env(**self.base, ERP_THREADS="zero", ERP_POOL_SIZE="zero")
        r = serve(env)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, r"^school-erp: configuration: ERP_(THREADS|POOL_SIZE): ")


class TestGoodConfiguration(ServerTestCase):
    CLASS_SERVER = False

    def test_boolean_spellings(self):
        for on in ["1", "true", "yes", "on"]:
            with self.subTest(value=on):
                s = self.start_server({"ERP_ENABLE_TEST_ROUTES": on})
                s.get("/api/v1/_test/sleep?ms=0", expect=200)
                self.assertEqual(s.stop(), 0)

    def test_empty_values_mean_the_default(self):
        s = self.start_server({"ERP_THREADS": "", "ERP_POOL_SIZE": "", "ERP_LOG_LEVEL": "", "ERP_ACCESS_LOG": ""})
        ncpu = os.sysconf("SC_NPROCESSORS_ONLN")
        self.assertEqual(s.logs[0]["threads"], ncpu)
        self.assertEqual(s.logs[0]["poolSize"], 4 * ncpu)
        res = s.get("/healthz", expect=200)
        s.access_log(res.request_id)  # access log on by default

    def test_instance_name_is_sent_on_every_response(self):
        s = self.start_server({"ERP_INSTANCE_NAME": "api-2.pod_x:1", "ERP_CORS_ORIGINS": "https://app.example.org"})
        for path, status in [("/healthz", 200), ("/readyz", 200), ("/metrics", 200), ("/api/v1/students", 401),
                             ("/no/such/route", 404)]:
            with self.subTest(path=path):
                res = s.get(path, expect=status)
                self.assertEqual(res.headers.get("X-Instance"), "api-2.pod_x:1")
        # a request refused before any route (its body too large) is answered by the server itself
        res = s.request("POST", "/api/v1/auth/login", body=b"{" + b" " * (2 << 20) + b"}",
                        headers={"Content-Type": "application/json"}, expect=413)
        self.assertEqual(res.headers.get("X-Instance"), "api-2.pod_x:1")
        res = s.get("/healthz", headers={"Origin": "https://app.example.org"}, expect=200)
        self.assertIn("X-Instance", res.headers.get("Access-Control-Expose-Headers"))

    def test_no_instance_name_no_header(self):
        for env in [{}, {"ERP_INSTANCE_NAME": ""}]:
            with self.subTest(env=env):
                s = self.start_server(env)
                self.assertIsNone(s.get("/healthz", expect=200).headers.get("X-Instance"))
                self.assertIsNone(s.get("/no/such/route", expect=404).headers.get("X-Instance"))
                self.assertEqual(s.stop(), 0)

    def test_threads_and_pool_size_are_reported(self):
        s = self.start_server({"ERP_THREADS": "3", "ERP_POOL_SIZE": "5"})
        first = s.logs[0]
        self.assertEqual(first["threads"], 3)
        self.assertEqual(first["poolSize"], 5)
        self.assertEqual(s.metrics().value("school_erp_handler_pool_threads"), 5)

    def test_ipv6_listen_address(self):
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            skip_allowed("no IPv6 loopback here (containers may have none)")
        s = self.start_server({"ERP_LISTEN": "[::1]:0"})
        self.assertRegex(s.url, r"^http://\[::1\]:\d+$")
        s.get("/healthz", expect=200)

    def test_port_in_use_fails_cleanly(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        port = busy.getsockname()[1]
        with tempfile.TemporaryDirectory(prefix="erp-config-") as tmp:
            env = clean_env(ERP_LISTEN=f"127.0.0.1:{port}", ERP_DATA_DIR=tmp)
            migrate(ERP_BIN, env)
            r = serve(env)
        self.assertNotEqual(r.returncode, 0)
        self.assertGreater(r.returncode, 0)
        self.assertFalse(SANITIZER_RE.search(r.stderr), r.stderr)
        self.assertIn("cannot listen", r.stdout + r.stderr)
        self.assertNotIn('"listening"', r.stdout)


class TestCommandLine(unittest.TestCase):
    def test_help(self):
        r = run([ERP_BIN, "help"], env=clean_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("usage: school-erp"), r.stdout)
        for cmd in ["serve", "worker", "migrate", "version", "help"]:
            self.assertRegex(r.stdout, rf"(?m)^\s+{cmd}\s+\S", cmd)
        self.assertEqual(r.stderr, "")

    def test_dash_dash_help(self):
        for arg in ["--help", "-h"]:
            with self.subTest(arg=arg):
                r = run([ERP_BIN, arg], env=clean_env())
                self.assertEqual(r.returncode, 0)
                self.assertIn("serve", r.stdout)

    def test_no_command_is_usage_error(self):
        r = run([ERP_BIN], env=clean_env())
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: school-erp", r.stdout + r.stderr)

    def test_serve_help_does_not_serve(self):
        for args in (["serve", "--help"], ["serve", "-h"], ["help", "serve"]):
            with self.subTest(args=args):
                # a bad configuration proves the configuration is not even read
                r = run([ERP_BIN] + args, env=clean_env(ERP_THREADS="bad", ERP_LISTEN="127.0.0.1:0"), timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith("usage: school-erp serve"), r.stdout)
                self.assertIn("SIGTERM", r.stdout)
                self.assertIn("ERP_DRAIN_SECONDS", r.stdout)
                self.assertNotIn("listening", r.stdout)

    def test_unknown_command_exits_2(self):
        r = run([ERP_BIN, "frobnicate"], env=clean_env())
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("unknown command 'frobnicate'", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_help_for_unknown_command_exits_2(self):
        r = run([ERP_BIN, "help", "frobnicate"], env=clean_env())
        self.assertEqual(r.returncode, 2)
        self.assertIn("frobnicate", r.stderr)

    def test_version(self):
        for args in (["version"], ["--version"]):
            with self.subTest(args=args):
                r = run([ERP_BIN] + args, env=clean_env())
                self.assertEqual(r.returncode, 0)
                self.assertRegex(r.stdout, r"^school-erp \d+\.\d+\.\d+ \(commit \S+\)\n$")

    def test_version_matches_the_api(self):
        r = run([ERP_BIN, "version"], env=clean_env())
        m = re.match(r"^school-erp (\S+) \(commit (\S+)\)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        from harness import Server

        with Server() as s:
            v = s.get("/api/v1/version", expect=200).json
        self.assertEqual((v["version"], v["commit"]), (m.group(1), m.group(2)))


if __name__ == "__main__":
    unittest.main()
