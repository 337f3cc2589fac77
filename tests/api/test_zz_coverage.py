"""
Runs last (discovery is alphabetical): the whole suite exercised every documented
operation with its success status, and the error statuses of the core.
Skipped when only part of the suite ran.
"""

import json
import os
import sys
import unittest

from harness import COVERAGE, RAN_MODULES, ROOT, Server, skip_allowed

SUITES = {"test_http", "test_drain", "test_observability", "test_config"}
CORE_TAGS = {"operations", "testing"}

SLEEP = "/api/v1/_test/sleep"
ECHO = "/api/v1/_test/echo"
FAIL = "/api/v1/_test/fail"

# (method, template, status) the core suites must have seen, contract-checked.
CORE_STATUSES = {
    ("GET", "/healthz", 200),
    ("HEAD", "/healthz", 200),
    ("GET", "/healthz", 431),
    ("GET", "/readyz", 200),
    ("GET", "/readyz", 503),
    ("GET", "/metrics", 200),
    ("GET", "/api/v1/openapi.json", 200),
    ("GET", "/api/v1/version", 200),
    ("GET", SLEEP, 200),
    ("GET", SLEEP, 422),
    ("GET", SLEEP, 503),
    ("GET", FAIL, 500),
    ("POST", ECHO, 200),
    ("POST", ECHO, 400),
    ("POST", ECHO, 413),
    ("POST", ECHO, 415),
    ("POST", ECHO, 422),
    ("GET", None, 404),
    ("DELETE", "/healthz", 405),
    ("FOO", "/healthz", 405),
}


def whole_suite_ran():
    return "-k" not in sys.argv and SUITES <= RAN_MODULES


class TestContractCoverage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not whole_suite_ran():
            skip_allowed("coverage is only checked after the whole suite")
        log_dir = os.path.join(ROOT, "build", "test-logs")
        if os.path.isdir(log_dir):
            report = [
                {"method": m, "path": t, "status": s, "count": n}
                for (m, t, s), n in sorted(COVERAGE.items(), key=lambda kv: (str(kv[0][1]), kv[0][0], kv[0][2]))
            ]
            name = "api-coverage-%s.json" % os.path.basename(os.path.dirname(os.environ.get("ERP_BIN", "build/x")))
            with open(os.path.join(log_dir, name), "w") as f:
                json.dump(report, f, indent=1)

    def test_every_core_operation_answered_its_success_status(self):
        with Server() as s:
            ops = s.contract.operations()
        missing = []
        for method, template, op in ops:
            if not set(op.get("tags", [])) & CORE_TAGS:
                continue  # the suites of the other areas assert their own coverage
            codes = [int(c) for c in op["responses"] if c.isdigit()]
            # the success status, or for an operation that only fails, the first it documents
            success = sorted(c for c in codes if c < 400) or codes[:1]
            if not COVERAGE[(method, template, success[0])]:
                missing.append(f"{method} {template} {success[0]}")
        self.assertEqual(missing, [], "documented operations no test exercised")

    def test_core_statuses_were_exercised(self):
        missing = sorted((m, t or "(unmatched)", s) for m, t, s in CORE_STATUSES - set(COVERAGE))
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
