"""
Runs last (discovery is alphabetical): after the whole suite, every operation
of the OpenAPI document was seen answering its success status and every error
status it documents, contract-checked, but for the exemptions below, each with
its reason; and the statuses of the core that have no operation of their own
(404 of an unknown path, 405 of an unknown method). Skipped (allowed) when only
part of the suite ran.
"""

import glob
import json
import os
import sys
import unittest

from harness import COVERAGE, RAN_MODULES, ROOT, Server, skip_allowed

HERE = os.path.dirname(os.path.abspath(__file__))
# every module of the suite but this one and the harness's own (a fake server, no coverage)
MODULES = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "test_*.py"))} - {
    "test_zz_coverage", "test_harness"}

ANY = "*"
INLINE = ("/healthz", "/metrics", "/api/v1/openapi.json")  # answered by the event loop (test_http.TestOverload)

# (METHOD or ANY, template or ANY, status) -> why no test provokes it over HTTP. Everything else each
# operation documents must have been seen.
EXEMPT = {
    (ANY, ANY, 500): "an internal error needs a fault inside the server (an allocation or a database failing "
                     "mid-request); GET /api/v1/_test/fail is the one operation that answers it on purpose",
    **{("GET", path, 503): "answered inline by the event loop, never queued for the handler pool, so never "
                           "shed; a drain closes the listener instead (only /readyz answers 503 while draining)"
       for path in INLINE},
    **{(method, path, 403): "every account may call it, the platform's operators too: no role is refused"
       for method, path in (("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password"),
                            ("GET", "/api/v1/me"))},
    ("PUT", "/api/v1/classes/{id}/attendance/{date}", 409):
        "a transaction retried to no avail: needs a writer holding the class's sheet past every retry",
    ("PUT", "/api/v1/students/{id}/guardians/{guardianId}", 409):
        "two requests making different guardians primary at once: whether one loses the race is timing",
    # Idempotency-Key (test_idempotency provokes each status on POST /students; one dispatcher hook serves every POST)
    ("POST", "/api/v1/auth/logout", 409): "a second request with a logout's key finds its session ended (401) "
                                          "before the key is looked at",
    ("POST", "/api/v1/auth/password", 409): "only while a first request with the same key is still running: "
                                            "two password changes in flight at once",
    ("POST", "/api/v1/_test/jobs", 409): "only while a first request with the same key is still running: two "
                                         "enqueues in flight at once (a job id that exists answers 202, existed)",
    ("POST", "/api/v1/files", 409): "only while a first upload with the same key is still running: test_files races "
                                    "six at once, which timing may not catch",
    ("POST", "/api/v1/imports/{kind}", 409): "only while a first upload with the same key is still running: two "
                                             "imports of one file in flight at once",
    ("POST", "/api/v1/reports/attendance-register", 409): "only while a first request with the same key is still "
                                                          "running: two enqueues in flight at once",
    ("POST", "/api/v1/report-cards", 409): "only while a first request with the same key is still running: two "
                                           "enqueues in flight at once",
    ("POST", "/api/v1/invoices", 409): "only while a first request with the same key is still running: two "
                                       "invoices with one key in flight at once",
    ("POST", "/api/v1/announcements", 409): "only while a first request with the same key is still running: two "
                                            "announcements with one key in flight at once",
    ("POST", "/api/v1/announcements/{id}/read", 409): "only while a first request with the same key is still "
                                                      "running: two receipts with one key in flight at once",
    ("POST", "/api/v1/payments", 409): "only while a first payment with the same key is still running: test_fees "
                                       "sends twenty at once, which timing may not catch",
    ("POST", "/api/v1/fee-structures/{id}/invoice", 409): "only while a first request with the same key is still "
                                                          "running: two enqueues in flight at once",
    ("POST", "/api/v1/students/{id}/fee-discounts", 409): "only while a first request with the same key is still "
                                                          "running: two discounts with one key in flight at once",
    ("POST", "/api/v1/oauth-clients", 409): "only while a first request with the same key is still running: two "
                                            "registrations with one key in flight at once",
    ("GET", "/ims/oneroster/v1p1/gradingPeriods/{id}", 200): "no record of ours is a grading period (years are "
                                                              "schoolYear sessions, terms term sessions): the "
                                                              "collection is empty, every id 404",
    **{("PUT", f"/ims/oneroster/v1p1/{name}/{{id}}", 404): "a PUT by the client's sourcedId creates what it does "
                                                            "not find (201); what it refers to is 422"
       for name in ("lineItems", "results")},
    ("POST", "/ims/oneroster/v1p1/oauth/token", 415): "RFC 6749 5.2: a body of another media type is invalid_request, "
                                                      "answered 400 as the standard says (test_oneroster_rest)",
}

# exemptions that a race of the suite's concurrent tests may still provoke now and then: seen or not, both fine
RACES = {("PUT", "/api/v1/classes/{id}/attendance/{date}", 409),
         ("PUT", "/api/v1/students/{id}/guardians/{guardianId}", 409),
         ("POST", "/api/v1/auth/password", 409),
         ("POST", "/api/v1/files", 409),
         ("POST", "/api/v1/payments", 409)}

# (method, template, status) of the core that no operation documents, contract-checked.
CORE_STATUSES = {
    ("GET", None, 404),
    ("DELETE", "/healthz", 405),
    ("FOO", "/healthz", 405),
}


def exempt(method, template, status):
    return any((m in (ANY, method)) and (t in (ANY, template)) and s == status for m, t, s in EXEMPT)


def whole_suite_ran():
    return "-k" not in sys.argv and MODULES <= RAN_MODULES


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
        with Server() as s:
            cls.operations = s.contract.operations()

    def test_every_operation_answered_every_status_it_documents(self):
        missing = []
        for method, template, op in self.operations:
            for code in sorted(int(c) for c in op["responses"] if c.isdigit()):
                if not COVERAGE[(method, template, code)] and not exempt(method, template, code):
                    missing.append(f"{method} {template} {code}")
        self.assertEqual(missing, [], "documented statuses no test provoked: write the test, or exempt the status "
                                      "in test_zz_coverage.EXEMPT saying why HTTP cannot provoke it")

    def test_exemptions_are_of_documented_statuses_none_of_them_seen(self):
        documented = {(m, t, int(c)) for m, t, op in self.operations for c in op["responses"] if c.isdigit()}
        for m, t, s in EXEMPT:
            with self.subTest(exemption=(m, t, s)):
                matches = {k for k in documented if (m in (ANY, k[0])) and (t in (ANY, k[1])) and s == k[2]}
                self.assertTrue(matches, "an exemption of a status no operation documents")
                if ANY not in (m, t) and (m, t, s) not in RACES:
                    self.assertFalse(COVERAGE[(m, t, s)], "a status exempted as unprovokable was seen: drop the "
                                                          "exemption")

    def test_core_statuses_were_exercised(self):
        missing = sorted((m, t or "(unmatched)", s) for m, t, s in CORE_STATUSES - set(COVERAGE))
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
