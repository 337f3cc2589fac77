"""
Schools, accounts, login, tokens, sessions, lockouts and the audit trail
(issue: tenancy, identity and access control). Runs on both engines.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid

from harness import Client, ServerTestCase, wait_until
from world import PASSWORD, PLATFORM_EMAIL, School, World, create_platform_admin, login

SECRET = "identity-suite-secret-0123456789abcdef-XYZ"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kid_of(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def sign(claims, secret=SECRET, header=None):
    """An HS256 JWT as the server makes them (or deliberately not)."""
    head = header if header is not None else {"alg": "HS256", "typ": "JWT", "kid": kid_of(secret)}
    h = b64(json.dumps(head).encode())
    p = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64(sig)}"


def etag(client, path):
    return client.get(path, expect=200).headers["etag"]


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class IdentityCase(ServerTestCase):
    SERVER_ENV = {"ERP_JWT_SECRET": SECRET}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)

    def client(self, token=None):
        return Client(self.server, token=token)


class TestTenants(IdentityCase):
    def new_school(self, slug, **extra):
        body = {"name": f"School {slug}", "slug": slug,
                "admin": {"email": f"head@{slug}.example", "password": PASSWORD, "displayName": "Head"}}
        body.update(extra)
        return self.world.platform.post("/api/v1/tenants", json=body)

    def test_create_read_and_location(self):
        res = self.new_school("riverside", timeZone="Asia/Tokyo", currency="JPY", maxUsers=50)
        self.assertEqual(res.status, 201, res)
        t = res.json
        self.assertEqual(res.headers["location"], f"/api/v1/tenants/{t['id']}")
        self.assertEqual((t["timeZone"], t["currency"], t["maxUsers"], t["userCount"]), ("Asia/Tokyo", "JPY", 50, 1))
        self.assertEqual(res.headers["etag"], '"1"')
        got = self.world.platform.get(f"/api/v1/tenants/{t['id']}", expect=200).json
        self.assertEqual(got["slug"], "riverside")
        # the first admin can log in at once
        tokens = login(self.server, "riverside", "head@riverside.example")
        self.assertEqual(tokens["user"]["roles"], ["admin"])

    def test_duplicate_slug_is_409_naming_the_field(self):
        self.assertEqual(self.new_school("twice").status, 201)
        res = self.new_school("twice")
        self.assertProblem(res, 409, "conflict", fields=["slug"])

    def test_validation_names_every_bad_field(self):
        res = self.world.platform.post("/api/v1/tenants", json={
            "name": "", "slug": "Bad Slug!", "timeZone": "Not a zone", "currency": "euro", "maxUsers": 0,
            "admin": {"email": "nope", "password": "short", "displayName": "x", "extra": 1}, "tenantId": "x"})
        self.assertProblem(res, 422, "validation", fields=[
            "name", "slug", "timeZone", "currency", "maxUsers", "admin.email", "admin.extra", "admin.password",
            "tenantId"])
        res = self.new_school("weak-password", admin={"email": "a@weak.example", "password": "aaaaaaaaaaaa",
                                                      "displayName": "A"})
        self.assertProblem(res, 422, fields=["admin.password"])
        res = self.world.platform.post("/api/v1/tenants", json={"name": "No admin", "slug": "no-admin"})
        self.assertProblem(res, 422, fields=["admin"])

    def test_list_pages_filters_and_sorts(self):
        for i in range(5):
            self.assertEqual(self.new_school(f"page-{i}").status, 201)
        seen, cursor = [], None
        while True:
            q = "?limit=2&sort=slug&q=page-" + (f"&cursor={cursor}" if cursor else "")
            page = self.world.platform.get("/api/v1/tenants" + q, expect=200).json
            self.assertLessEqual(len(page["items"]), 2)
            seen += [t["slug"] for t in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break
        self.assertEqual(seen, [f"page-{i}" for i in range(5)])
        desc = self.world.platform.get("/api/v1/tenants?sort=-slug&q=page-", expect=200).json["items"]
        self.assertEqual([t["slug"] for t in desc], [f"page-{i}" for i in reversed(range(5))])
        self.assertProblem(self.world.platform.get("/api/v1/tenants?sort=bogus"), 422, fields=["sort"])
        self.assertProblem(self.world.platform.get("/api/v1/tenants?limit=0"), 422, fields=["limit"])
        self.assertProblem(self.world.platform.get("/api/v1/tenants?cursor=garbage"), 400)

    def test_update_needs_if_match_and_refuses_stale_versions(self):
        t = self.new_school("versioned").json
        path = f"/api/v1/tenants/{t['id']}"
        self.assertProblem(self.world.platform.patch(path, json={"name": "New"}), 428)
        res = self.world.platform.patch(path, json={"name": "New"}, headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["name"], res.json["version"], res.headers["etag"]), ("New", 2, '"2"'))
        stale = self.world.platform.patch(path, json={"name": "Newer"}, headers={"If-Match": '"1"'})
        self.assertProblem(stale, 412)
        self.assertEqual(self.world.platform.get(path, expect=200).json["name"], "New")
        self.assertProblem(self.world.platform.patch(path, json={"name": "x"}, headers={"If-Match": "1"}), 400)
        self.assertProblem(self.world.platform.get(f"/api/v1/tenants/{uuid.uuid4()}"), 404)
        self.assertProblem(self.world.platform.get("/api/v1/tenants/not-an-id"), 404)

    def test_create_and_update_refuse_what_they_cannot_take(self):
        platform = self.world.platform
        for method, path, headers in (("POST", "/api/v1/tenants", {}),
                                      ("PATCH", f"/api/v1/tenants/{self.world.A.id}", {"If-Match": '"1"'})):
            with self.subTest(method=method):
                self.assertProblem(platform.request(method, path, body='{"name":', content_type="application/json",
                                                    headers=headers), 400)
                self.assertProblem(platform.request(method, path, body="name=x", content_type="text/plain",
                                                    headers=headers), 415)
                self.assertProblem(platform.request(method, path, json={"name": "x" * 2_000_000}, headers=headers),
                                   413)
        t = self.new_school("unchanged").json
        path = f"/api/v1/tenants/{t['id']}"
        before = platform.get(path, expect=200).json
        res = platform.patch(path, json={"name": "", "currency": "euro", "maxUsers": 0, "timeZone": "Mars/Olympus",
                                         "status": "gone", "slug": "renamed"}, headers={"If-Match": '"1"'})
        self.assertProblem(res, 422, "validation", fields=["name", "currency", "maxUsers", "timeZone", "status",
                                                           "slug"])
        for missing in (str(uuid.uuid4()), "not-an-id"):
            self.assertProblem(platform.patch(f"/api/v1/tenants/{missing}", json={"name": "Nobody"},
                                              headers={"If-Match": '"1"'}), 404)
        self.assertEqual(platform.get(path, expect=200).json, before)

    def test_suspended_school_cannot_log_in_and_tokens_stop_working(self):
        s = School(self.server, self.world.platform, "Suspended")
        teacher = s.client("teacher")
        teacher.get("/api/v1/me", expect=200)
        path = f"/api/v1/tenants/{s.id}"
        self.world.platform.patch(path, json={"status": "suspended"}, headers={"If-Match": '"1"'}, expect=200)
        self.assertProblem(teacher.get("/api/v1/me"), 401)
        res = self.server.http.post("/api/v1/auth/login", json={"tenant": s.slug, "email": s.users["teacher"]["email"],
                                                                "password": PASSWORD})
        p = self.assertProblem(res, 401)
        self.assertIn("suspended", p["detail"])
        # data stays; reactivation lets them back in
        self.world.platform.patch(path, json={"status": "active"}, headers={"If-Match": '"2"'}, expect=200)
        login(self.server, s.slug, s.users["teacher"]["email"])


class TestCommandLine(IdentityCase):
    def test_tenant_create_prints_the_id_and_the_admin_can_log_in(self):
        from harness import run
        r = run([self.server.binary, "tenant", "create", "--name", "CLI School", "--slug", "cli-school",
                 "--admin-email", "Head@CLI.example", "--admin-password-stdin"], env=self.server.environment(),
                input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        tid = r.stdout.strip()
        self.assertEqual(str(uuid.UUID(tid)), tid)
        self.assertEqual(login(self.server, "cli-school", "head@cli.example")["user"]["tenantId"], tid)
        again = run([self.server.binary, "tenant", "create", "--name", "CLI School", "--slug", "cli-school",
                     "--admin-email", "x@cli.example", "--admin-password-stdin"], env=self.server.environment(),
                    input=PASSWORD + "\n")
        self.assertEqual(again.returncode, 1)
        self.assertIn("slug", again.stderr)
        bad = run([self.server.binary, "tenant", "create", "--name", "X", "--slug", "BAD", "--admin-email",
                   "x@y.example", "--admin-password-stdin"], env=self.server.environment(), input=PASSWORD + "\n")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--slug", bad.stderr)

    def test_admin_create_refuses_weak_passwords_and_duplicates(self):
        from harness import run
        r = run([self.server.binary, "admin", "create", "--email", "ops2@platform.example", "--password-stdin"],
                env=self.server.environment(), input="short\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("password", r.stderr)
        with self.assertRaises(AssertionError):
            create_platform_admin(self.server, PLATFORM_EMAIL)


class TestUsers(IdentityCase):
    def test_create_get_list_update(self):
        admin = self.world.A.client("admin")
        res = admin.post("/api/v1/users", json={"email": "New.Teacher@Example.org", "displayName": "New Teacher",
                                                "roles": ["teacher", "parent"], "password": PASSWORD})
        self.assertEqual(res.status, 201, res)
        u = res.json
        self.assertEqual((u["email"], sorted(u["roles"]), u["status"]), ("new.teacher@example.org",
                                                                         ["parent", "teacher"], "active"))
        self.assertEqual(res.headers["location"], f"/api/v1/users/{u['id']}")
        self.assertEqual(admin.get(f"/api/v1/users/{u['id']}", expect=200).json, u)
        teachers = admin.get("/api/v1/users?roles=teacher&sort=email", expect=200).json["items"]
        self.assertIn(u["id"], [x["id"] for x in teachers])
        self.assertTrue(all("teacher" in x["roles"] for x in teachers))
        emails = [x["email"] for x in teachers]
        self.assertEqual(emails, sorted(emails))
        found = admin.get("/api/v1/users?q=new.teach", expect=200).json["items"]
        self.assertEqual([x["id"] for x in found], [u["id"]])
        upd = admin.patch(f"/api/v1/users/{u['id']}", json={"displayName": "Renamed", "roles": ["teacher"]},
                          headers={"If-Match": '"1"'})
        self.assertEqual((upd.status, upd.json["displayName"], upd.json["roles"]), (200, "Renamed", ["teacher"]))

    def test_list_queries(self):
        admin = self.world.A.client("admin")
        self.assertProblem(admin.get("/api/v1/users?limit=0"), 422, fields=["limit"])
        self.assertProblem(admin.get("/api/v1/users?limit=501"), 422, fields=["limit"])
        self.assertProblem(admin.get("/api/v1/users?sort=password"), 422, fields=["sort"])
        self.assertProblem(admin.get("/api/v1/users?roles=headmaster"), 422, fields=["roles"])
        self.assertProblem(admin.get("/api/v1/users?cursor=garbage"), 400)
        page = admin.get("/api/v1/users?limit=2&sort=email", expect=200).json
        rest = admin.get(f"/api/v1/users?limit=500&sort=email&cursor={page['nextCursor']}", expect=200).json
        emails = [u["email"] for u in page["items"] + rest["items"]]
        self.assertEqual(emails, sorted(emails))
        self.assertEqual(len(emails), len(set(emails)))

    def test_update_refuses_stale_versions_and_what_it_cannot_take(self):
        s = self.world.A
        key = s.add_user("versioned-user", "staff")
        admin, path = s.client("admin"), f"/api/v1/users/{key['id']}"
        first = admin.get(path, expect=200)
        self.assertProblem(admin.patch(path, json={"displayName": "No If-Match"}), 428)
        self.assertProblem(admin.patch(path, json={"displayName": "x"}, headers={"If-Match": "1"}), 400)
        ifm = {"If-Match": first.headers["etag"]}
        self.assertProblem(admin.patch(path, body='{"displayName":', content_type="application/json", headers=ifm),
                           400)
        self.assertProblem(admin.patch(path, body="displayName=x", content_type="text/plain", headers=ifm), 415)
        self.assertProblem(admin.patch(path, json={"displayName": "x" * 2_000_000}, headers=ifm), 413)
        self.assertEqual(admin.get(path, expect=200).json, first.json, "nothing changed")
        res = admin.patch(path, json={"displayName": "First writer"}, headers=ifm, expect=200)
        self.assertNotEqual(res.headers["etag"], first.headers["etag"])
        # the second writer still holds the first version: refused (409 today, 412 per the contract), nothing changes
        stale = admin.patch(path, json={"displayName": "Second writer", "roles": ["teacher"]}, headers=ifm)
        self.assertIn(stale.status, (409, 412), stale)
        self.assertProblem(stale, stale.status)
        after = admin.get(path, expect=200).json
        self.assertEqual((after["displayName"], after["roles"], after["version"]),
                         ("First writer", ["staff"], res.json["version"]))

    def test_email_is_unique_per_school_only(self):
        email = self.world.A.users["teacher"]["email"]
        res = self.world.A.client("admin").post("/api/v1/users", json={
            "email": email.upper(), "displayName": "Dup", "roles": ["staff"], "password": PASSWORD})
        self.assertProblem(res, 409, fields=["email"])
        res = self.world.B.client("admin").post("/api/v1/users", json={
            "email": email, "displayName": "Same email, other school", "roles": ["staff"], "password": PASSWORD})
        self.assertEqual(res.status, 201, res)

    def test_bad_input(self):
        admin = self.world.A.client("admin")
        res = admin.post("/api/v1/users", json={"email": "x", "displayName": 5, "roles": ["platform_admin"],
                                                "password": "x@y.z", "id": "1", "tenantId": "2", "version": 3})
        self.assertProblem(res, 422, fields=["email", "displayName", "roles", "password", "id", "tenantId", "version"])
        self.assertProblem(admin.post("/api/v1/users", body="{", content_type="application/json"), 400)
        self.assertProblem(admin.post("/api/v1/users", body="[]", content_type="application/json"), 400)
        self.assertProblem(admin.post("/api/v1/users", body="{}", content_type="text/plain"), 415)
        res = admin.post("/api/v1/users", json={"email": "big@x.example", "displayName": "x" * 2_000_000,
                                                "roles": ["staff"], "password": PASSWORD})
        self.assertProblem(res, 413)
        for pw, why in [("short", "10 characters"), ("aaaaaaaaaaaaaa", "repeat"), ("mailbox.owner!", "email")]:
            res = admin.post("/api/v1/users", json={"email": "mailbox.owner@x.example", "displayName": "P",
                                                    "roles": ["staff"], "password": pw})
            p = self.assertProblem(res, 422, fields=["password"])
            self.assertIn(why, p["errors"][0]["message"])

    def test_plan_limit(self):
        s = School(self.server, self.world.platform, "Small")
        t = self.world.platform.get(f"/api/v1/tenants/{s.id}", expect=200)
        count = t.json["userCount"]
        self.world.platform.patch(f"/api/v1/tenants/{s.id}", json={"maxUsers": count},
                                  headers={"If-Match": t.headers["etag"]}, expect=200)
        res = s.client("admin").post("/api/v1/users", json={"email": "one-too-many@x.example", "displayName": "X",
                                                            "roles": ["staff"], "password": PASSWORD})
        p = self.assertProblem(res, 409)
        self.assertIn("limit", p["detail"])

    def test_disable_ends_sessions_and_blocks_login(self):
        s = self.world.A
        key = s.add_user("to-disable", "teacher")
        c = Client(self.server, token=key["token"])
        c.get("/api/v1/me", expect=200)
        admin = s.client("admin")
        path = f"/api/v1/users/{key['id']}"
        admin.patch(path, json={"status": "disabled"}, headers={"If-Match": etag(admin, path)}, expect=200)
        self.assertProblem(c.get("/api/v1/me"), 401)
        p = self.assertProblem(self.server.http.post("/api/v1/auth/login", json={
            "tenant": s.slug, "email": key["email"], "password": PASSWORD}), 401)
        self.assertIn("disabled", p["detail"])

    def test_admins_cannot_lock_themselves_out(self):
        s = School(self.server, self.world.platform, "Self")
        admin = s.client("admin")
        me = s.users["admin"]["id"]
        etag = admin.get(f"/api/v1/users/{me}", expect=200).headers["etag"]
        res = admin.patch(f"/api/v1/users/{me}", json={"status": "disabled", "roles": ["teacher"]},
                          headers={"If-Match": etag})
        self.assertProblem(res, 422, fields=["status", "roles"])

    def test_role_change_applies_to_existing_tokens(self):
        s = self.world.A
        key = s.add_user("promoted", "teacher")
        c = Client(self.server, token=key["token"])
        self.assertProblem(c.get("/api/v1/users"), 403)
        admin, path = s.client("admin"), f"/api/v1/users/{key['id']}"
        admin.patch(path, json={"roles": ["teacher", "admin"]}, headers={"If-Match": etag(admin, path)}, expect=200)
        c.get("/api/v1/users", expect=200)


class TestSessions(IdentityCase):
    def test_login_returns_tokens_and_me(self):
        t = login(self.server, self.world.A.slug, self.world.A.users["staff"]["email"])
        self.assertEqual(t["tokenType"], "Bearer")
        self.assertEqual(t["expiresIn"], 900)
        c = claims_of(t["accessToken"])
        self.assertEqual((c["sub"], c["tid"], c["iss"]), (self.world.A.users["staff"]["id"], self.world.A.id,
                                                          "school-erp"))
        self.assertLessEqual(c["exp"] - c["iat"], 900)
        me = self.client(t["accessToken"]).get("/api/v1/me", expect=200).json
        self.assertEqual((me["user"]["email"], me["tenant"]["slug"]), (self.world.A.users["staff"]["email"],
                                                                       self.world.A.slug))
        # the platform operator has no school
        me = self.world.platform.get("/api/v1/me", expect=200).json
        self.assertIsNone(me["tenant"])
        self.assertEqual(me["user"]["roles"], ["platform_admin"])

    def test_login_refresh_and_password_refuse_what_they_cannot_take(self):
        s = self.world.A
        mine = self.client(login(self.server, s.slug, s.users["staff"]["email"])["accessToken"])
        for path, client in (("/api/v1/auth/login", self.client()), ("/api/v1/auth/refresh", self.client()),
                             ("/api/v1/auth/password", mine)):
            with self.subTest(path=path):
                self.assertProblem(client.post(path, body='{"email":', content_type="application/json"), 400)
                self.assertProblem(client.post(path, body="[]", content_type="application/json"), 400)
                self.assertProblem(client.post(path, body="email=x", content_type="text/plain"), 415)
                self.assertProblem(client.post(path, json={"password": "x" * 2_000_000}), 413)
        mine.get("/api/v1/me", expect=200)
        login(self.server, s.slug, s.users["staff"]["email"])  # the password did not change

    def test_wrong_credentials_all_look_the_same(self):
        s = self.world.B
        bodies = [
            {"tenant": s.slug, "email": s.users["staff"]["email"], "password": "wrong password!"},
            {"tenant": s.slug, "email": "nobody@nowhere.example", "password": "wrong password!"},
            {"tenant": "no-such-school", "email": s.users["staff"]["email"], "password": PASSWORD},
            {"email": s.users["staff"]["email"], "password": PASSWORD},  # a school user is no operator
        ]
        details = set()
        for body in bodies:
            details.add(self.assertProblem(self.server.http.post("/api/v1/auth/login", json=body), 401)["detail"])
        self.assertEqual(len(details), 1, details)

    def test_refresh_rotates_and_reuse_ends_the_session(self):
        s = self.world.A
        first = login(self.server, s.slug, s.users["parent"]["email"])
        second = self.server.http.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]},
                                       expect=200).json
        self.assertNotEqual(second["refreshToken"], first["refreshToken"])
        self.assertEqual(claims_of(second["accessToken"])["sid"], claims_of(first["accessToken"])["sid"])
        self.client(second["accessToken"]).get("/api/v1/me", expect=200)
        # the spent token comes back: someone else has it; the whole session ends
        self.assertProblem(self.server.http.post("/api/v1/auth/refresh",
                                                 json={"refreshToken": first["refreshToken"]}), 401)
        self.assertProblem(self.client(second["accessToken"]).get("/api/v1/me"), 401)
        self.assertProblem(self.server.http.post("/api/v1/auth/refresh",
                                                 json={"refreshToken": second["refreshToken"]}), 401)
        events = s.client("admin").get("/api/v1/audit-events?action=session.revoke", expect=200).json["items"]
        self.assertIn("refresh token reuse", [e["detail"] for e in events])
        for bad in ["", "rt1.x.y", "rt1." + "0" * 32 + "." + "A" * 43, None, 7]:
            res = self.server.http.post("/api/v1/auth/refresh", json={"refreshToken": bad})
            self.assertIn(res.status, (401, 422), res)

    def test_logout_revokes_at_once(self):
        s = self.world.A
        t = login(self.server, s.slug, s.users["teacher2"]["email"])
        c = self.client(t["accessToken"])
        c.get("/api/v1/me", expect=200)
        self.assertEqual(c.post("/api/v1/auth/logout").status, 204)
        self.assertProblem(c.get("/api/v1/me"), 401)
        self.assertProblem(self.server.http.post("/api/v1/auth/refresh", json={"refreshToken": t["refreshToken"]}),
                           401)
        # other sessions of the same user are untouched
        s.client("teacher2").get("/api/v1/me", expect=200)

    def test_password_change_ends_other_sessions(self):
        s = self.world.B
        key = s.add_user("changer", "staff")
        other = login(self.server, s.slug, key["email"])
        mine = Client(self.server, token=key["token"])
        self.assertProblem(mine.post("/api/v1/auth/password", json={"currentPassword": "wrong-wrong-wrong",
                                                                     "newPassword": "another long password"}),
                           422, fields=["currentPassword"])
        self.assertProblem(mine.post("/api/v1/auth/password", json={"currentPassword": PASSWORD,
                                                                     "newPassword": "short"}),
                           422, fields=["newPassword"])
        self.assertEqual(mine.post("/api/v1/auth/password", json={"currentPassword": PASSWORD,
                                                                  "newPassword": "another long password"}).status,
                         204)
        mine.get("/api/v1/me", expect=200)
        self.assertProblem(self.client(other["accessToken"]).get("/api/v1/me"), 401)
        login(self.server, s.slug, key["email"], "another long password")
        login(self.server, s.slug, key["email"], PASSWORD, expect=401)


class TestTokens(IdentityCase):
    def valid_claims(self):
        t = login(self.server, self.world.A.slug, self.world.A.users["student"]["email"])
        return claims_of(t["accessToken"])

    def assert_refused(self, token, why=None):
        p = self.assertProblem(self.client().get("/api/v1/me", token=token), 401)
        if why:
            self.assertIn(why, p["detail"])
        return p

    def test_a_token_the_suite_signs_is_accepted(self):
        # the suite's signer is right, so the refusals below are about what they change
        self.client(sign(self.valid_claims())).get("/api/v1/me", expect=200)

    def test_expired(self):
        c = self.valid_claims()
        now = c["iat"]  # the server's clock, when it issued the token (a test clock restarts with each server)
        c["iat"], c["exp"] = now - 1000, now - 10
        self.assert_refused(sign(c), "expired")

    def test_a_token_verified_before_is_refused_once_expired(self):
        # the server keeps tokens it verified (auth/sessions.c): their expiry still counts on every use
        c = self.valid_claims()
        c["exp"] = c["iat"] + 4
        token = sign(c)
        self.client(token).get("/api/v1/me", expect=200)
        time.sleep(5.5)
        self.assert_refused(token, "expired")

    def test_tampered(self):
        good = sign(self.valid_claims())
        h, p, s = good.split(".")
        c = self.valid_claims()
        c["rol"] = 2  # claim to be an admin
        forged = h + "." + b64(json.dumps(c).encode()) + "." + s
        self.assert_refused(forged, "signature")
        self.assert_refused(sign(c, secret="another-secret-of-sufficient-length-123"))

    def test_wrong_or_missing_key_id_and_algorithms(self):
        c = self.valid_claims()
        self.assert_refused(sign(c, header={"alg": "HS256", "typ": "JWT", "kid": "0123456789abcdef"}), "key")
        self.assert_refused(sign(c, header={"alg": "HS256", "typ": "JWT"}))
        none = b64(json.dumps({"alg": "none", "kid": kid_of(SECRET)}).encode()) + "." + \
            b64(json.dumps(c).encode()) + "."
        self.assert_refused(none)
        self.assert_refused(sign(c, header={"alg": "HS512", "typ": "JWT", "kid": kid_of(SECRET)}))
        for junk in ["", "abc", "a.b.c", "x" * 5000]:
            self.assert_refused(junk)
        res = self.client().get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        self.assertProblem(res, 401)
        res = self.client().get("/api/v1/me")
        self.assertProblem(res, 401)
        self.assertIn("Bearer", res.headers["www-authenticate"])

    def live(self, token):
        """A token the server accepts now, with minutes of its lifetime left (so a refusal is about its session)."""
        self.client(token).get("/api/v1/me", expect=200)
        c = claims_of(token)
        self.assertGreaterEqual(c["exp"] - c["iat"], 600)
        return token

    def test_tokens_of_a_revoked_session_or_disabled_account(self):
        s = self.world.A
        user = s.add_user("revoked-sessions", "staff")
        http = self.server.http
        # a session that never existed
        c = self.valid_claims()
        c["sid"] = str(uuid.uuid4())
        self.assert_refused(sign(c), "session")
        # logout: the access token of the ended session, still unexpired
        t = login(self.server, s.slug, user["email"])
        self.assertEqual(self.client(self.live(t["accessToken"])).post("/api/v1/auth/logout").status, 204)
        self.assert_refused(t["accessToken"], "session")
        # ... and the same claims signed anew with a fresh expiry: the session, not the token, has ended
        c = claims_of(t["accessToken"])
        now = self.valid_claims()["iat"]  # the server's clock
        c["iat"], c["exp"] = now, now + 600
        self.assert_refused(sign(c), "session")
        # refresh token reuse ends the session: the tokens of before and after the rotation
        first = login(self.server, s.slug, user["email"])
        second = http.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}, expect=200).json
        self.live(first["accessToken"])
        self.live(second["accessToken"])
        self.assertProblem(http.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}), 401)
        self.assert_refused(first["accessToken"], "session")
        self.assert_refused(second["accessToken"], "session")
        # a password change ends the user's other sessions, not the one that changed it
        other = self.live(login(self.server, s.slug, user["email"])["accessToken"])
        mine = self.live(login(self.server, s.slug, user["email"])["accessToken"])
        self.assertEqual(self.client(mine).post("/api/v1/auth/password", json={
            "currentPassword": PASSWORD, "newPassword": "a new long password, revoked"}).status, 204)
        self.assert_refused(other, "session")
        self.live(mine)
        # a disabled account: every token of its live sessions
        admin, path = s.client("admin"), f"/api/v1/users/{user['id']}"
        admin.patch(path, json={"status": "disabled"}, headers={"If-Match": etag(admin, path)}, expect=200)
        p = self.assert_refused(mine)
        self.assertTrue("session" in p["detail"] or "disabled" in p["detail"], p)

    def test_key_rotation(self):
        old = "previous-secret-0123456789-abcdefghijkl"
        new = "current-secret-0123456789-abcdefghijklm"
        s = self.start_server(env={"ERP_JWT_SECRET": old})
        create_platform_admin(s)
        old_token = login(s, None, PLATFORM_EMAIL)["accessToken"]
        # a second instance on the same database signs with the new key and still accepts the old one
        same_db = {"ERP_DATA_DIR": s.data_dir}
        if s.environment().get("ERP_DATABASE_URL"):
            same_db = {"ERP_DATABASE_URL": s.environment()["ERP_DATABASE_URL"]}
        s2 = self.start_server(env={"ERP_JWT_SECRET": new, "ERP_JWT_PREVIOUS_SECRETS": old, **same_db})
        Client(s2, token=old_token).get("/api/v1/me", expect=200)
        fresh = login(s2, None, PLATFORM_EMAIL)["accessToken"]
        self.assertEqual(json.loads(base64.urlsafe_b64decode(fresh.split(".")[0] + "=="))["kid"], kid_of(new))


class TestAudit(IdentityCase):
    def test_events_filters_and_access(self):
        s = self.world.B
        admin = s.client("admin")
        key = s.add_user("audited", "teacher")
        path = f"/api/v1/users/{key['id']}"
        admin.patch(path, json={"roles": ["teacher", "staff"]}, headers={"If-Match": etag(admin, path)}, expect=200)
        about = admin.get(f"/api/v1/audit-events?subjectType=user&subjectId={key['id']}", expect=200).json["items"]
        actions = [e["action"] for e in about]
        self.assertEqual(actions[0], "user.roles_change")  # newest first
        self.assertIn("user.create", actions)
        self.assertTrue(all(e["requestId"] for e in about))
        by_admin = admin.get(f"/api/v1/audit-events?actorId={s.users['admin']['id']}&limit=1", expect=200).json
        self.assertEqual(len(by_admin["items"]), 1)
        self.assertIsNotNone(by_admin["nextCursor"])
        nxt = admin.get(f"/api/v1/audit-events?actorId={s.users['admin']['id']}&limit=1&cursor={by_admin['nextCursor']}",
                        expect=200).json["items"]
        self.assertNotEqual(nxt[0]["id"], by_admin["items"][0]["id"])
        self.assertEqual(admin.get("/api/v1/audit-events?from=2999-01-01", expect=200).json["items"], [])
        self.assertProblem(admin.get("/api/v1/audit-events?from=yesterday"), 422, fields=["from"])
        # instants are exactly the form the API writes: a sign, a short fraction or an hour 24 is refused
        for bad in ("2026-11-27T19:30:05.-99Z", "2026-11-27T19:30:05.5Z", "2026-11-27T24:00:00Z", "2026-02-30",
                    "2026-11-27T19:30:05"):
            self.assertProblem(admin.get(f"/api/v1/audit-events?to={bad}"), 422, fields=["to"])
        newest = admin.get("/api/v1/audit-events?limit=1", expect=200).json["items"][0]
        at = admin.get(f"/api/v1/audit-events?from={newest['at']}&limit=500", expect=200).json["items"]
        self.assertIn(newest["id"], [e["id"] for e in at])
        self.assertProblem(admin.get("/api/v1/audit-events?cursor=not-a-cursor"), 400)
        self.assertProblem(admin.get(f"/api/v1/audit-events?actorId={uuid.uuid4()}"), 404)
        self.assertProblem(s.client("teacher").get("/api/v1/audit-events"), 403)
        # school B's trail has nothing of school A
        a_ids = {u["id"] for u in self.world.A.users.values()}
        all_b = admin.get("/api/v1/audit-events?limit=500", expect=200).json["items"]
        self.assertFalse({e["actorId"] for e in all_b} & a_ids)
        # the operator sees the platform's events (schools created)
        ops = self.world.platform.get("/api/v1/audit-events?action=tenant.create", expect=200).json["items"]
        self.assertIn(s.id, [e["subjectId"] for e in ops])
