"""
The administration pages end to end (e2e_admin.mjs through e2e.mjs, Debian's chromium, the real server with
its job workers and the demo school), checked against the API:

* an admin on a phone adds an account with an invitation (the API's field errors next to the fields), changes
  its roles while someone else renames it (If-Match: said plainly, the saved account shown, then saved), mails
  it a password reset link, disables it and finds it in the list; the audit trail shows the role change (who,
  the school's day, old → new roles) and nothing for another day;
* an admin imports a CSV of students: a wrong row is listed by its line and nothing is imported; the
  corrected file is imported and its students are found; an export of students is downloaded and holds them;
  a delayed job (an announcement's e-mail) is cancelled from the jobs list;
* a platform operator creates a school (the API's field errors next to the fields), suspends it after
  another operator renamed it (If-Match), finds the suspension in the platform's audit trail and the list;
* office staff export (no import form, no money exports): the attendance export's dates are checked by the
  API, its words next to the field, then the file is downloaded;
* the administration pages load when opened: scripts/web-build neither preloads them nor counts them in the
  first screen's budget;
* axe-core finds no serious or critical violation on any of these pages; screenshots as test_web_app's.

Loaded by test_web_app (the web stage runs that module); runs alone too:
    cd tests/web && ERP_BIN=$PWD/../../build/school-erp python3 -m unittest -v test_web_admin
"""

import glob
import gzip
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

from test_web_app import BrowserCase  # noqa: E402
from harness import ERP_BIN  # noqa: E402
from world import PASSWORD, create_platform_admin, login  # noqa: E402

HEADER = "admissionNo,firstName,lastName,dateOfBirth,guardian1FirstName,guardian1LastName,guardian1Email"


def students_csv(prefix, rows, bad=None):
    lines = [HEADER] + [f"{prefix}-{i},Web{i},Importer,2016-04-{10 + i:02d},Pat{i},Importer,pat{i}.{prefix.lower()}@example.org"
                        for i in range(1, rows + 1)]
    if bad is not None:
        lines.insert(bad, f"{prefix}-9,Wrong,Importer,2016-02-30,,,")
    return "\r\n".join(lines) + "\r\n"


class TestAdministration(BrowserCase):
    SERVER_ENV = dict(BrowserCase.SERVER_ENV, ERP_SERVE_WORKERS="2", ERP_WORKER_POLL_MS="20", ERP_QUEUE_BACKOFF_MS="50")

    def test_admin_manages_an_account_and_finds_it_in_the_audit_trail(self):
        email = "ada.web@demo.school"
        r = self.browse("users", name="Ada Web", email=email, otherName="Ada Renamed")
        self.assertEqual(r["found"], [r["id"]], "the search finds the account, only it")
        admin = self.demo.client("admin")
        u = admin.get(f"/api/v1/users/{r['id']}", expect=200).json
        self.assertEqual((u["email"], u["displayName"], sorted(u["roles"]), u["status"]),
                         (email, "Ada Renamed", ["staff", "teacher"], "disabled"),
                         "the roles saved after the conflict kept the other change; the account is disabled")
        sent = admin.get(f"/api/v1/audit-events?subjectId={r['id']}&action=user.password_reset_send", expect=200).json
        self.assertEqual(len(sent["items"]), 1, "one reset link was mailed")

        me = admin.get("/api/v1/me", expect=200).json["user"]
        a = self.browse("audit", adminId=me["id"], email=email, date="2027-10-13", before="2027-10-12")
        changes = admin.get(f"/api/v1/audit-events?subjectId={r['id']}&action=user.roles_change", expect=200).json["items"]
        self.assertEqual(len(changes), 1)
        self.assertIn(changes[0]["id"], a["events"], "the page shows the API's event")

    def test_admin_imports_exports_and_cancels_a_job(self):
        admin = self.demo.client("admin")
        admin.post("/api/v1/announcements", json={
            "title": "Winter fair", "body": "Details follow.", "audience": [{"kind": "role", "role": "parent"}],
            "publishAt": "2027-12-01T14:00:00Z", "email": True}, expect=201)
        jobs = admin.get("/api/v1/jobs?limit=50", expect=200).json["items"]
        delayed = next(j for j in jobs if j["type"] == "announcement.mail" and j["state"] in ("waiting", "delayed"))
        r = self.browse("imports", badCsv=students_csv("WIMP", 3, bad=2), badLine=3, goodCsv=students_csv("WIMP", 3),
                        rows=3, prefix="WIMP", delayedJob=delayed["id"])
        admin = self.demo.client("admin")
        imported = {s["admissionNo"]: s["id"] for s in admin.get("/api/v1/students?q=WIMP&limit=50", expect=200).json["items"]}
        self.assertEqual(sorted(imported), ["WIMP-1", "WIMP-2", "WIMP-3"], "the good file only, the wrong row never")
        self.assertEqual(sorted(r["found"]), sorted(imported.values()))
        job = admin.get(f"/api/v1/jobs/{r['importJob']}", expect=200).json
        self.assertEqual((job["state"], job["result"]["imported"], job["result"]["created"]), ("completed", True, 3))
        self.assertTrue({"WIMP-1", "WIMP-2", "WIMP-3"} <= set(r["exported"]), "the downloaded export holds them")
        self.assertEqual(admin.get(f"/api/v1/jobs/{delayed['id']}", expect=200).json["state"], "cancelled")

    def test_staff_export_without_the_money(self):
        self.demo.add_staff()
        r = self.browse("exports", password=PASSWORD)
        self.assertEqual(r["kinds"], ["students", "guardians", "enrollments", "attendance", "oneroster"])
        self.assertIn("date", r["header"].lower(), "the attendance CSV's header")
        staff = self.demo.client("staff")
        self.assertEqual(staff.get("/api/v1/exports/invoices", expect=403).status, 403, "as the API rules")

    def test_operator_creates_and_suspends_a_school(self):
        operator = "operator@platform.example"
        create_platform_admin(self.server, operator, PASSWORD)
        r = self.browse("schools", operatorEmail=operator, operatorPassword=PASSWORD, name="Web Academy",
                        otherName="Web Academy North", slug="web-academy", adminEmail="head@web-academy.example",
                        adminPassword="a-long-enough-secret")
        token = login(self.server, None, operator)["accessToken"]
        t = self.server.get(f"/api/v1/tenants/{r['id']}", token=token, expect=200).json
        self.assertEqual((t["slug"], t["name"], t["status"], t["timeZone"]),
                         ("web-academy", "Web Academy North", "suspended", "Europe/Paris"))
        login(self.server, "web-academy", "head@web-academy.example", "a-long-enough-secret", expect=401)


def packed(path):
    """The size of a file gzip-compressed as scripts/web-build does."""
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9, mtime=0))


class TestLazyPages(unittest.TestCase):
    """The administration pages are not part of the first screen: not preloaded, not counted in its budget."""

    WEB = os.path.join(os.path.dirname(ERP_BIN), "web")
    LAZY = ("users", "audit", "transfers", "schools", "admin", "records")

    def test_admin_pages_load_when_opened(self):
        with open(os.path.join(self.WEB, "index.html"), encoding="utf-8") as f:
            preloaded = re.findall(r'rel="modulepreload" href="/assets/([a-z]+)\.[0-9a-f]{10}\.js"', f.read())
        self.assertIn("main", preloaded)
        self.assertIn("adminroutes", preloaded, "the routes are on the first screen, their pages are not")
        self.assertEqual([m for m in preloaded if m in self.LAZY], [])
        with open(glob.glob(os.path.join(self.WEB, "assets", "adminroutes.*.js"))[0], encoding="utf-8") as f:
            loaded = re.findall(r'import\("\./([a-z]+)\.[0-9a-f]{10}\.js"\)', f.read())
        self.assertEqual(sorted(loaded), ["audit", "schools", "transfers", "users"], "hashed names, as built")
        with open(os.path.join(self.WEB, "budget.txt")) as f:
            first = int(re.search(r"(\d+) bytes", f.read()).group(1))
        every = sum(packed(p) for p in glob.glob(os.path.join(self.WEB, "assets", "*")) if p.endswith((".js", ".css")))
        lazy = sum(packed(p) for name in self.LAZY
                   for p in glob.glob(os.path.join(self.WEB, "assets", name + ".*.js")) if not p.endswith(".gz"))
        self.assertEqual(first, every - lazy, "the budget counts everything but the pages loaded when opened")


__all__ = ["TestAdministration", "TestLazyPages"]  # what test_web_app takes (defined last: a partial import takes nothing)
