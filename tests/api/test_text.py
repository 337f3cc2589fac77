"""
Text that is not UTF-8, or holds control characters:

* the command line checks every text exactly as the API does: a school named
  $'\\x01\\xffAAA' is refused by `school-erp tenant create` (and by the API);
* a row that holds bytes that are not UTF-8 anyway (written by another tool
  into the SQLite file; PostgreSQL refuses them itself) never crashes the
  server: the requests that would show it answer 500, every other request
  goes on working, and the process stays up.
"""

import os
import sqlite3
import subprocess

from harness import ENGINE, ServerTestCase, run
from world import PASSWORD, World

BAD_NAME = b"\x01\xffAAA"


class TestTextChecks(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)

    def tenant_create(self, *extra, name="Fine School", slug="fine-school", email="head@fine.example"):
        args = [self.server.binary.encode(), b"tenant", b"create", b"--name", name if isinstance(name, bytes) else
                name.encode(), b"--slug", slug.encode(), b"--admin-email",
                email if isinstance(email, bytes) else email.encode(), b"--admin-password-stdin", *extra]
        return subprocess.run(args, env=self.server.environment(), input=(PASSWORD + "\n").encode(),
                              capture_output=True, timeout=60)

    def test_the_command_line_refuses_what_the_api_refuses(self):
        for name, why in ((BAD_NAME, b"--name must be UTF-8 text"), (b"A\x01B", b"--name must not contain control"),
                          (b" Padded", b"--name must not start or end with whitespace"),
                          (b"x" * 201, b"--name must be 1 to 200 characters long")):
            with self.subTest(name=name):
                r = self.tenant_create(name=name, slug="bad-text")
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(why, r.stderr)
        r = self.tenant_create(b"--admin-name", b"\xff", slug="bad-admin-name")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--admin-name must be UTF-8 text", r.stderr)
        r = self.tenant_create(email=b"h\xff@x.example", slug="bad-email")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--admin-email must be an email address", r.stderr)
        r = self.tenant_create(slug="good-text", name="\u00c9cole Saint-Exup\u00e9ry")
        self.assertEqual(r.returncode, 0, r.stderr)
        # the API refuses the same text with a field error
        res = self.world.platform.post("/api/v1/tenants", json={
            "name": "A\u0001B", "slug": "api-bad-text",
            "admin": {"email": "a@b.example", "password": PASSWORD, "displayName": "Head"}})
        self.assertProblem(res, 422, fields=["name"])
        nothing = self.world.platform.get("/api/v1/tenants?q=bad-text", expect=200).json["items"]
        self.assertEqual(nothing, [])


class TestRowsThatAreNotUtf8(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)

    def test_a_name_that_is_not_utf8_never_crashes_the_server(self):
        platform = self.world.platform
        extra = platform.post("/api/v1/tenants", json={
            "name": "To be spoiled", "slug": "spoiled", "admin": {"email": "a@spoiled.example", "password": PASSWORD,
                                                                 "displayName": "Head"}}, expect=201).json
        if ENGINE == "postgres":
            # the database refuses such bytes outright: no row can hold them
            r = run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.server.environment()["ERP_DATABASE_URL"],
                     "-c", "UPDATE tenants SET name = convert_from('\\x01ff414141'::bytea, 'UTF8')"
                           f" WHERE id = '{extra['id']}'"])
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("invalid byte sequence", r.stderr)
            return
        con = sqlite3.connect(os.path.join(self.server.data_dir, "erp.db"), timeout=30)
        try:
            con.execute("UPDATE tenants SET name = CAST(X'01FF414141' AS TEXT) WHERE id = ?", (extra["id"],))
            con.commit()
        finally:
            con.close()
        for path in (f"/api/v1/tenants/{extra['id']}", "/api/v1/tenants?sort=name", "/api/v1/tenants?sort=-name",
                     "/api/v1/tenants?sort=name&limit=1", "/api/v1/tenants?q=AAA"):
            with self.subTest(path=path):
                self.assertProblem(platform.get(path), 500)
        # paging up to the spoiled row works: the cursor of a page that ends before it is fine
        self.assertTrue(self.server.alive())
        self.server.get("/healthz", expect=200)
        platform.get(f"/api/v1/tenants/{self.world.A.id}", expect=200)
        self.world.A.client("admin").get("/api/v1/me", expect=200)
        self.assertTrue(self.server.log_entries(msg="request failed"))
