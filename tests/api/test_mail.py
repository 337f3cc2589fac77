"""
test_mail.py - e-mail through a real SMTP server on loopback (tests/lib/smtp_sink.py on aiosmtpd): password
resets, invitations, e-mail changes and the caller's profile end to end, the messages as received (RFC 5322,
multipart/alternative, the school's template), delivery through the job queue (SMTP down: retries, then a failure
recorded per recipient; 5xx: failed at once; a worker killed during the SMTP exchange: no second copy) and the
file outbox of the embedded profile. Both engines.

Expiry without waiting: a second server on the same database whose test clock (ERP_TEST_CLOCK) starts later
answers for a link as it will be then.
"""

import datetime
import email.utils
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid

from harness import Client, Server, ServerTestCase, db_rows, pg_url, skip_allowed, test_now, wait_until
from mailsink import MailSink, html_body, link_token, text_body
from world import PASSWORD, World, login

V1 = "/api/v1"
NEW_PASSWORD = "a-brand-new-long-passphrase"


def same_database(server):
    """ERP_DATABASE_URL of server's database, for another server on it."""
    if server.pg_db is not None:
        return pg_url(server.pg_db)
    return "sqlite:" + os.path.join(server.data_dir, "erp.db")


def clock_at(delta):
    """ERP_TEST_CLOCK for the servers' now + delta."""
    return (test_now() + delta).astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def outbox(server, to):
    return db_rows(server, "SELECT state, attempts, COALESCE(smtp_code, 0), COALESCE(last_error, ''), message_id "
                           f"FROM mail_outbox WHERE to_email = '{to}' ORDER BY created_at")


def jobs_done(server, type_):
    """Whether every job of type_ has finished."""
    rows = db_rows(server, f"SELECT state FROM jobs WHERE type = '{type_}'")
    return all(r[0] in ("completed", "failed") for r in rows)


class MailCase(ServerTestCase):
    CLASS_SERVER = False
    ENV = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = MailSink(slow=8).start()
        try:
            env = {"ERP_SMTP_URL": cls.sink.url, "ERP_MAIL_FROM": "Test School Mail <mail@erp.example>",
                   "ERP_PUBLIC_URL": "https://erp.example/", "ERP_RESET_ADDRESS_MAX": "1000",
                   "ERP_WORKER_POLL_MS": "100", **cls.ENV}
            cls.server = Server(env=env).start()
            cls.world = World(cls.server)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.sink.stop()

    def admin(self, school="A"):
        return getattr(self.world, school).client("admin")

    def new_account(self, key, role="teacher", email=None):
        return self.world.A.add_user(key, role, email)

    def later_server(self, delta):
        """A server on this class's database whose clock starts delta later."""
        return self.start_server({"ERP_DATABASE_URL": same_database(self.server), "ERP_TEST_CLOCK": clock_at(delta),
                                  "ERP_SERVE_WORKERS": "0", "ERP_JWT_SECRET": "test-secret-for-the-black-box-suite"
                                  "-0123456789"}, migrate=False)


class TestPasswordReset(MailCase):
    ENV = {"ERP_RESET_ACCOUNT_MAX": "3"}

    def ask(self, email, tenant=None, expect=202):
        return self.server.http.post(f"{V1}/auth/password-reset", json={"tenant": tenant or self.world.A.slug,
                                                                        "email": email}, expect=expect)

    def test_reset_end_to_end_then_the_link_is_spent(self):
        u = self.new_account("reset1")
        old = Client(self.server, token=u["token"])
        res = self.ask(u["email"].upper(), tenant=self.world.A.slug.upper())
        self.assertEqual(res.headers.get("cache-control"), "no-store")
        msg = self.sink.wait_for(u["email"])[0]
        # the message as received: RFC 5322 headers, plain text and HTML alternatives in the school's template
        self.assertEqual(msg["Subject"], "Reset your password")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "mail@erp.example")
        self.assertEqual(msg["To"].addresses[0].addr_spec, u["email"])
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f-]{36}@erp\.example>$")
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertIsNone(msg["List-Unsubscribe"], "a transactional message has no unsubscribe")
        self.assertEqual(msg.envelope["mailFrom"], "mail@erp.example")
        text, html = text_body(msg), html_body(msg)
        self.assertIn("School A", text)
        self.assertIn("<h1", html)
        self.assertIn("School A", html)
        token = link_token(msg)
        self.assertIn(f"https://erp.example/reset-password?token={token}", text)
        self.assertIn(f"https://erp.example/reset-password?token={token}", html)
        # the stored token is a digest, never the token
        self.assertEqual(db_rows(self.server, f"SELECT count(*) FROM account_tokens WHERE token_hash = '{token}'"),
                         [("0",)])
        # the password policy applies
        p = self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm",
                                                     json={"token": token, "newPassword": "short"}), 422,
                               fields=["newPassword"])
        self.assertTrue(p["errors"])
        old.get(f"{V1}/me", expect=200)
        self.server.http.post(f"{V1}/auth/password-reset/confirm", json={"token": token, "newPassword": NEW_PASSWORD},
                              expect=204)
        old.get(f"{V1}/me", expect=401)  # every session ended
        login(self.server, self.world.A.slug, u["email"], PASSWORD, expect=401)
        login(self.server, self.world.A.slug, u["email"], NEW_PASSWORD)
        p = self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm",
                                                     json={"token": token, "newPassword": NEW_PASSWORD + "x"}), 409)
        self.assertIn("already been used", p["detail"])
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm",
                                                 json={"token": "not-a-token", "newPassword": NEW_PASSWORD}), 404)
        events = self.admin().get(f"{V1}/audit-events?subjectId={u['id']}").json["items"]
        self.assertIn("user.password_reset", {e["action"] for e in events})
        self.assertIn("user.password_reset_request", {e["action"] for e in events})

    def test_a_newer_link_spends_the_older_one(self):
        u = self.new_account("reset2")
        self.ask(u["email"])
        first = link_token(self.sink.wait_for(u["email"])[0])
        self.ask(u["email"])
        second = link_token(self.sink.wait_for(u["email"], 2)[1])
        self.assertNotEqual(first, second)
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm",
                                                 json={"token": first, "newPassword": NEW_PASSWORD}), 409)
        self.server.http.post(f"{V1}/auth/password-reset/confirm", json={"token": second, "newPassword": NEW_PASSWORD},
                              expect=204)

    def test_unknown_accounts_get_the_same_answer_and_no_message(self):
        u = self.new_account("reset3")
        known = self.ask(u["email"])
        unknown = self.ask("nobody@nowhere.example")
        no_school = self.ask(u["email"], tenant="no-such-school")
        disabled = self.new_account("reset3b")
        self.admin().patch(f"{V1}/users/{disabled['id']}", json={"status": "disabled"},
                           headers={"If-Match": self.admin().get(f"{V1}/users/{disabled['id']}").headers["etag"]},
                           expect=200)
        off = self.ask(disabled["email"])
        for other in (unknown, no_school, off):
            self.assertEqual((other.status, other.json, other.headers.get("content-type")),
                             (known.status, known.json, known.headers.get("content-type")))
        self.sink.wait_for(u["email"])
        wait_until(lambda: jobs_done(self.server, "account.password-reset"), message="the lookups done")
        self.assertEqual(self.sink.to("nobody@nowhere.example"), [])
        self.assertEqual(self.sink.to(disabled["email"]), [])
        self.assertEqual(len(self.sink.to(u["email"])), 1)

    def test_answer_time_is_alike_for_known_and_unknown_accounts(self):
        """A benchmark-style check: prints the medians, asserts nothing about time (the lookup is a job)."""
        u = self.new_account("reset4")
        times = {"known": [], "unknown": []}
        for i in range(3):
            for kind, addr in (("known", u["email"]), ("unknown", f"ghost{i}@nowhere.example")):
                t = time.monotonic()
                self.ask(addr)
                times[kind].append(time.monotonic() - t)
        print("\npassword-reset answer, median ms: " + ", ".join(
            f"{k} {statistics.median(v) * 1000:.1f}" for k, v in times.items()))

    def test_past_the_accounts_limit_the_answer_is_the_same_and_nothing_is_sent(self):
        u = self.new_account("reset5")
        answers = [self.ask(u["email"]) for _ in range(5)]
        self.assertEqual({json.dumps(a.json) for a in answers}, {json.dumps(answers[0].json)})
        self.sink.wait_for(u["email"], 3)
        wait_until(lambda: jobs_done(self.server, "account.password-reset"), message="the lookups done")
        wait_until(lambda: jobs_done(self.server, "mail.send"), message="the deliveries done")
        self.assertEqual(len(self.sink.to(u["email"])), 3)  # ERP_RESET_ACCOUNT_MAX

    def test_a_link_expires_after_30_minutes(self):
        u = self.new_account("reset6")
        self.ask(u["email"])
        token = link_token(self.sink.wait_for(u["email"])[0])
        soon = self.later_server(datetime.timedelta(minutes=29))
        later = self.later_server(datetime.timedelta(minutes=31))
        p = self.assertProblem(later.http.post(f"{V1}/auth/password-reset/confirm",
                                               json={"token": token, "newPassword": NEW_PASSWORD}), 410)
        self.assertIn("expired", p["detail"])
        soon.http.post(f"{V1}/auth/password-reset/confirm", json={"token": token, "newPassword": NEW_PASSWORD},
                       expect=204)

    def test_bad_requests(self):
        for path in ("/auth/password-reset", "/auth/password-reset/confirm", "/auth/invitations/accept",
                     "/auth/email-change/confirm"):
            self.assertProblem(self.server.http.post(V1 + path, body=b"{not json",
                                                     headers={"Content-Type": "application/json"}), 400)
            self.assertProblem(self.server.http.post(V1 + path, body=b"tenant=a",
                                                     headers={"Content-Type": "text/plain"}), 415)
            self.assertProblem(self.server.http.post(V1 + path, json={"token": "x" * (2 << 20)}), 413)
            self.assertProblem(self.server.http.post(V1 + path, json={"unknown": 1}), 422)
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset", json={"tenant": 5, "email": []}), 422,
                           fields=["tenant", "email"])
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset",
                                                 json={"tenant": "a", "email": "not-an-address"}), 422,
                           fields=["email"])
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm", json={"token": 1}), 422,
                           fields=["token", "newPassword"])
        # a token no link carries
        self.assertProblem(self.server.http.post(f"{V1}/auth/invitations/accept",
                                                 json={"token": "unknown", "newPassword": NEW_PASSWORD}), 404)
        self.assertProblem(self.server.http.post(f"{V1}/auth/email-change/confirm", json={"token": "unknown"}), 404)

    def test_admins_send_a_link_and_never_see_a_password(self):
        u = self.new_account("reset7")
        res = self.admin().post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        self.assertNotIn("token", json.dumps(res.json))
        token = link_token(self.sink.wait_for(u["email"])[0])
        self.server.http.post(f"{V1}/auth/password-reset/confirm", json={"token": token, "newPassword": NEW_PASSWORD},
                              expect=204)
        for role in ("teacher", "staff", "parent"):
            self.assertProblem(self.world.A.client(role).post(f"{V1}/users/{u['id']}/password-reset"), 403)
        self.assertProblem(self.admin("B").post(f"{V1}/users/{u['id']}/password-reset"), 404)
        self.assertProblem(self.admin().post(f"{V1}/users/not-an-id/password-reset"), 404)
        self.assertProblem(self.admin().post(f"{V1}/users/{u['id']}/password-reset?notify=1"), 422)
        self.assertProblem(self.admin().post(f"{V1}/users/{u['id']}/password-reset",
                                             headers={"Idempotency-Key": "k" * 300}), 400)
        self.assertProblem(self.server.http.post(f"{V1}/users/{u['id']}/password-reset"), 401)
        d = self.new_account("reset7b")
        admin = self.admin()
        admin.patch(f"{V1}/users/{d['id']}", json={"status": "disabled"},
                    headers={"If-Match": admin.get(f"{V1}/users/{d['id']}").headers["etag"]}, expect=200)
        self.assertProblem(admin.post(f"{V1}/users/{d['id']}/password-reset"), 409)
        events = admin.get(f"{V1}/audit-events?action=user.password_reset_send").json["items"]
        self.assertIn(u["id"], {e.get("subjectId") for e in events})


class TestAddressLimit(MailCase):
    ENV = {"ERP_RESET_ADDRESS_MAX": "3"}

    def test_past_the_address_limit_429_with_retry_after(self):
        for i in range(3):
            self.server.http.post(f"{V1}/auth/password-reset", json={"tenant": "x", "email": f"a{i}@x.example"},
                                  expect=202)
        res = self.server.http.post(f"{V1}/auth/password-reset", json={"tenant": "x", "email": "b@x.example"})
        self.assertProblem(res, 429)
        self.assertGreaterEqual(int(res.headers["retry-after"]), 1)


class TestInvitations(MailCase):
    def invite(self, email, **more):
        body = {"email": email, "displayName": "Invited Ümit <b>&</b>", "roles": ["teacher"], "invite": True, **more}
        return self.admin().post(f"{V1}/users", json=body)

    def test_invitation_end_to_end(self):
        addr = f"invited1@{self.world.A.domain}"
        res = self.invite(addr)
        self.assertEqual(res.status, 201, repr(res))
        self.assertEqual(res.json["email"], addr)
        login(self.server, self.world.A.slug, addr, PASSWORD, expect=401)  # no password yet
        msg = self.sink.wait_for(addr)[0]
        self.assertEqual(msg["Subject"], "Your new account")
        self.assertEqual(msg["To"].addresses[0].display_name, "Invited Ümit <b>&</b>")  # an encoded header
        self.assertIn(b"=?UTF-8?B?", msg.raw.split(b"\r\n\r\n", 1)[0])
        self.assertNotIn("<b>&</b>", html_body(msg))  # names are escaped in HTML
        token = link_token(msg)
        self.assertIn("/accept-invitation?token=", text_body(msg))
        # a reset token is not an invitation token, and the reverse
        self.assertProblem(self.server.http.post(f"{V1}/auth/password-reset/confirm",
                                                 json={"token": token, "newPassword": NEW_PASSWORD}), 404)
        self.server.http.post(f"{V1}/auth/invitations/accept", json={"token": token, "newPassword": NEW_PASSWORD},
                              expect=204)
        login(self.server, self.world.A.slug, addr, NEW_PASSWORD)
        p = self.assertProblem(self.server.http.post(f"{V1}/auth/invitations/accept",
                                                     json={"token": token, "newPassword": NEW_PASSWORD}), 409)
        self.assertIn("already been used", p["detail"])

    def test_an_invitation_expires_after_7_days(self):
        addr = f"invited2@{self.world.A.domain}"
        self.assertEqual(self.invite(addr).status, 201)
        token = link_token(self.sink.wait_for(addr)[0])
        later = self.later_server(datetime.timedelta(days=7, minutes=1))
        p = self.assertProblem(later.http.post(f"{V1}/auth/invitations/accept",
                                               json={"token": token, "newPassword": NEW_PASSWORD}), 410)
        self.assertIn("expired", p["detail"])

    def test_invite_refuses_a_password_and_a_non_boolean(self):
        self.assertProblem(self.invite(f"invited3@{self.world.A.domain}", password=NEW_PASSWORD), 422,
                           fields=["password"])
        self.assertProblem(self.invite(f"invited4@{self.world.A.domain}", invite="yes"), 422, fields=["invite", "password"])
        self.assertProblem(self.invite(self.world.A.users["teacher"]["email"]), 409)
        self.assertProblem(self.world.A.client("staff").post(f"{V1}/users", json={
            "email": "x@x.example", "displayName": "X", "roles": ["teacher"], "invite": True}), 403)

    def test_the_staff_import_invites_accounts_without_a_password(self):
        data = ("email,displayName,roles,password\n"
                f"bulk1@{self.world.A.domain},Bulk One,staff,\n"
                f"bulk2@{self.world.A.domain},Bulk Two,teacher,\n"
                f"bulk3@{self.world.A.domain},Bulk Three,staff,{NEW_PASSWORD}\n")
        self.import_staff(data)
        for n in (1, 2):
            token = link_token(self.sink.wait_for(f"bulk{n}@{self.world.A.domain}")[0])
            self.server.http.post(f"{V1}/auth/invitations/accept", json={"token": token, "newPassword": NEW_PASSWORD},
                                  expect=204)
        wait_until(lambda: jobs_done(self.server, "mail.send"), message="the deliveries done")
        self.assertEqual(self.sink.to(f"bulk3@{self.world.A.domain}"), [])  # it has a password


    def test_a_staff_import_with_a_bad_row_invites_nobody_then_once_each(self):
        d = self.world.A.domain
        rows = [f"bulkv1@{d},Valid One,staff,", f"bulkv2@{d},Valid Two,teacher,"]
        bad = ("email,displayName,roles,password\n" + "\n".join(rows) + "\nnot-an-address,Bad Row,staff,\n"
               f"bulkv3@{d},Bad Role,headmaster,\n")
        report = self.import_staff(bad)
        self.assertEqual(report["result"]["imported"], False, report)
        self.assertEqual(sorted(e["line"] for e in report["result"]["errors"]), [4, 5])
        report = self.import_staff("email,displayName,roles,password\n" + "\n".join(rows) + "\n")
        self.assertEqual(report["result"]["imported"], True, report)
        for n in (1, 2):
            self.sink.wait_for(f"bulkv{n}@{d}")
        wait_until(lambda: jobs_done(self.server, "mail.send"), message="the deliveries done")
        self.assertEqual([len(self.sink.to(f"bulkv{n}@{d}")) for n in (1, 2, 3)], [1, 1, 0])
        self.assertEqual({m["Subject"] for n in (1, 2) for m in self.sink.to(f"bulkv{n}@{d}")}, {"Your new account"})
        # the same file again: the accounts exist, nobody is invited twice
        self.assertEqual(self.import_staff("email,displayName,roles,password\n" + "\n".join(rows) + "\n")
                         ["result"]["imported"], True)
        wait_until(lambda: jobs_done(self.server, "mail.send"), message="the deliveries done")
        self.assertEqual([len(self.sink.to(f"bulkv{n}@{d}")) for n in (1, 2)], [1, 1])

    def import_staff(self, data):
        res = self.admin().post(f"{V1}/imports/staff", body=data.encode(), headers={"Content-Type": "text/csv"},
                                expect=202)
        job = wait_until(lambda: (lambda j: j if j["state"] in ("completed", "failed") else None)(
            self.admin().get(f"{V1}/jobs/{res.json['jobId']}").json), message="the import")
        self.assertEqual(job["state"], "completed", job)
        return job


class TestProfile(MailCase):
    def test_own_contact_details(self):
        u = self.new_account("self1", role="parent")
        me = Client(self.server, token=u["token"])
        res = me.patch(f"{V1}/me", json={"displayName": "Pat Parent", "phone": "+33 1 23 45 67 89",
                                          "preferredLanguage": "fr-FR"}, expect=200).json
        self.assertEqual((res["displayName"], res["phone"], res["preferredLanguage"], res["pendingEmail"]),
                         ("Pat Parent", "+33 1 23 45 67 89", "fr-FR", None))
        user = me.get(f"{V1}/me").json["user"]
        self.assertEqual((user["displayName"], user["phone"], user["preferredLanguage"]),
                         ("Pat Parent", "+33 1 23 45 67 89", "fr-FR"))
        res = me.patch(f"{V1}/me", json={"phone": None, "preferredLanguage": None}, expect=200).json
        self.assertEqual((res["phone"], res["preferredLanguage"]), (None, None))
        self.assertEqual(me.patch(f"{V1}/me", json={}, expect=200).json["displayName"], "Pat Parent")
        self.assertProblem(me.patch(f"{V1}/me", json={"phone": "call me", "preferredLanguage": "english!",
                                                      "displayName": "", "roles": ["admin"]}), 422,
                           fields=["phone", "preferredLanguage", "displayName", "roles"])
        self.assertProblem(me.patch(f"{V1}/me", body=b"{", headers={"Content-Type": "application/json"}), 400)
        self.assertProblem(me.patch(f"{V1}/me", body=b"x", headers={"Content-Type": "text/plain"}), 415)
        self.assertProblem(me.patch(f"{V1}/me", json={"displayName": "x" * (2 << 20)}), 413)
        self.assertProblem(Client(self.server, token=self.world.platform_token).patch(f"{V1}/me", json={}), 403)
        self.assertProblem(self.server.http.patch(f"{V1}/me", json={}), 401)
        events = self.admin().get(f"{V1}/audit-events?action=user.profile_update").json["items"]
        self.assertIn(u["id"], {e.get("actorId") for e in events})

    def test_a_new_email_takes_effect_when_its_link_is_followed(self):
        u = self.new_account("self2")
        me = Client(self.server, token=u["token"])
        new = f"self2-new@{self.world.A.domain}"
        res = me.patch(f"{V1}/me", json={"email": new.upper()}, expect=200).json
        self.assertEqual((res["email"], res["pendingEmail"]), (u["email"], new))
        msg = self.sink.wait_for(new)[0]
        self.assertEqual(msg["Subject"], "Confirm your new e-mail address")
        self.assertEqual(self.sink.to(u["email"]), [])
        token = link_token(msg)
        self.server.http.post(f"{V1}/auth/email-change/confirm", json={"token": token}, expect=204)
        login(self.server, self.world.A.slug, new)
        self.assertEqual(me.patch(f"{V1}/me", json={}, expect=200).json["email"], new)
        self.assertProblem(self.server.http.post(f"{V1}/auth/email-change/confirm", json={"token": token}), 409)
        later = self.later_server(datetime.timedelta(days=1, minutes=1))
        me.patch(f"{V1}/me", json={"email": f"self2-newer@{self.world.A.domain}"}, expect=200)
        token = link_token(self.sink.wait_for(f"self2-newer@{self.world.A.domain}")[0])
        self.assertProblem(later.http.post(f"{V1}/auth/email-change/confirm", json={"token": token}), 410)
        # an address another account uses
        self.assertProblem(me.patch(f"{V1}/me", json={"email": self.world.A.users["teacher"]["email"]}), 409)


# the smallest PNG there is: one transparent pixel
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


class TestSchoolLogo(MailCase):
    def put_logo(self, body, content_type="image/png", client=None):
        return (client or self.admin("B")).put(f"{V1}/school/logo", body=body,
                                              headers={"Content-Type": content_type})

    def test_the_logo_heads_the_schools_messages(self):
        b = self.world.B
        self.assertEqual(self.put_logo(PNG).status, 204)
        u = b.add_user("logo1", "teacher")
        self.admin("B").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        msg = self.sink.wait_for(u["email"])[0]
        self.assertEqual(msg.get_content_type(), "multipart/related")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["multipart/alternative", "image/png"])
        self.assertEqual(parts[1].get_content(), PNG)
        cid = parts[1]["Content-ID"].strip("<>")
        self.assertIn(f'src="cid:{cid}"', html_body(msg))
        self.assertIn("School B", text_body(msg))
        # school A has no logo; B's removed, its next message has none
        a = self.new_account("logo2")
        self.admin().post(f"{V1}/users/{a['id']}/password-reset", expect=202)
        self.assertEqual(self.sink.wait_for(a["email"])[0].get_content_type(), "multipart/alternative")
        self.assertEqual(self.admin("B").delete(f"{V1}/school/logo").status, 204)
        self.admin("B").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        second = self.sink.wait_for(u["email"], 2)[1]
        self.assertEqual(second.get_content_type(), "multipart/alternative")
        self.assertNotIn("cid:", html_body(second))
        events = self.admin("B").get(f"{V1}/audit-events?action=tenant.logo_set").json["items"]
        self.assertEqual(len(events), 1)

    def test_only_a_small_png_or_jpeg_of_an_admin(self):
        self.assertProblem(self.put_logo(b"GIF89a...", "image/gif"), 415)
        self.assertProblem(self.put_logo(b"not a png", "image/png"), 422)
        self.assertProblem(self.put_logo(b"", "image/jpeg"), 422)
        self.assertProblem(self.put_logo(PNG + b"\0" * (64 << 10), "image/png"), 413)
        self.assertProblem(self.put_logo(PNG, client=self.world.B.client("staff")), 403)
        self.assertProblem(self.world.B.client("teacher").delete(f"{V1}/school/logo"), 403)
        self.assertProblem(self.server.http.put(f"{V1}/school/logo", body=PNG, headers={"Content-Type": "image/png"}),
                           401)
        self.assertProblem(self.admin("B").delete(f"{V1}/school/logo?x=1"), 422)


class TestGuardianContacts(MailCase):
    def test_a_parent_edits_the_contact_fields_of_their_guardian_record(self):
        parent = self.new_account("own-guardian", role="parent")
        me = Client(self.server, token=parent["token"])
        self.assertProblem(me.get(f"{V1}/me/guardian"), 404)  # none linked yet
        self.assertProblem(me.patch(f"{V1}/me/guardian", json={"phone": "123"}, headers={"If-Match": '"1"'}), 404)
        g = self.world.A.client("staff").post(f"{V1}/guardians", json={
            "firstName": "Gwen", "lastName": "Guardian", "occupation": "Pilot", "userId": parent["id"]},
            expect=201).json
        etag = me.get(f"{V1}/me/guardian", expect=200).headers["etag"]
        self.assertProblem(me.get(f"{V1}/me/guardian", headers={"If-None-Match": "not an etag"}), 400)
        res = me.patch(f"{V1}/me/guardian", json={"email": "Gwen@Home.example", "phone": "+44 20 7946 0000",
                                                 "address": "1 High Street"}, headers={"If-Match": etag},
                       expect=200).json
        self.assertEqual((res["email"], res["phone"], res["address"], res["occupation"], res["firstName"]),
                         ("gwen@home.example", "+44 20 7946 0000", "1 High Street", "Pilot", "Gwen"))
        etag = me.get(f"{V1}/me/guardian").headers["etag"]
        # names, occupation and the account link are the office's
        self.assertProblem(me.patch(f"{V1}/me/guardian", json={"firstName": "G", "userId": None, "phone": "x"},
                                    headers={"If-Match": etag}), 422, fields=["firstName", "userId"])
        self.assertProblem(me.patch(f"{V1}/me/guardian", json={"phone": "not a phone"}, headers={"If-Match": etag}),
                           422, fields=["phone"])
        self.assertProblem(me.patch(f"{V1}/me/guardian", body=b"{", headers={"If-Match": etag,
                                                                            "Content-Type": "application/json"}), 400)
        self.assertProblem(me.patch(f"{V1}/me/guardian", body=b"x", headers={"If-Match": etag,
                                                                            "Content-Type": "text/plain"}), 415)
        self.assertProblem(me.patch(f"{V1}/me/guardian", json={"address": "x" * (2 << 20)},
                                    headers={"If-Match": etag}), 413)
        self.assertProblem(me.patch(f"{V1}/me/guardian", json={"address": None}), 428)
        res = me.patch(f"{V1}/me/guardian", json={"address": None}, headers={"If-Match": etag}, expect=200).json
        self.assertIsNone(res["address"])
        self.assertEqual(self.world.A.client("staff").get(f"{V1}/guardians/{g['id']}").json["phone"],
                         "+44 20 7946 0000")
        for role in ("teacher", "staff", "student"):
            self.assertProblem(self.world.A.client(role).get(f"{V1}/me/guardian"), 403)
        events = self.admin().get(f"{V1}/audit-events?subjectId={g['id']}").json["items"]
        self.assertIn(parent["id"], {e.get("actorId") for e in events if e["action"] == "guardian.update"})


class TestDelivery(ServerTestCase):
    """The delivery job: retries, failures per recipient, a worker killed during the SMTP exchange."""
    CLASS_SERVER = False

    def setUp(self):
        self.sink = MailSink(slow=60).start()  # a worker is killed during the hold: no race with its end
        self.addCleanup(self.sink.stop)

    def school(self, env):
        server = self.start_server({"ERP_WORKER_POLL_MS": "100", **env})
        return server, World(server)

    def reset_three(self, w):
        """Reset links to an address the sink refuses (550), one it defers (451), one it takes (received)."""
        bad = w.A.add_user("rejected", "teacher", email=f"reject-me@{w.A.domain}")
        busy = w.A.add_user("busy", "teacher", email=f"later-me@{w.A.domain}")
        good = w.A.add_user("good", "teacher")
        for u in (bad, busy, good):
            w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        self.sink.wait_for(good["email"])
        return bad, busy, good

    def test_smtp_down_retries_then_records_the_failure(self):
        closed = MailSink().start()
        url = closed.url
        closed.stop()  # nothing listens there now
        server, w = self.school({"ERP_SMTP_URL": url, "ERP_MAIL_ATTEMPTS": "3", "ERP_MAIL_BACKOFF_MS": "50"})
        u = w.A.add_user("down", "teacher")
        w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        row = wait_until(lambda: (lambda r: r if r and r[0][0] == "failed" else None)(outbox(server, u["email"])),
                         message="the failure recorded")[0]
        self.assertEqual(row[1], "3")  # every attempt
        self.assertIn("connect", row[3].lower())
        job = db_rows(server, "SELECT state, attempts_made FROM jobs WHERE type = 'mail.send'")
        self.assertEqual(job, [("failed", "3")])

    def test_5xx_fails_at_once_4xx_is_retried(self):
        server, w = self.school({"ERP_SMTP_URL": self.sink.url, "ERP_MAIL_ATTEMPTS": "3",
                                 "ERP_MAIL_BACKOFF_MS": "50"})
        admin = w.A.client("admin")
        bad, busy, good = self.reset_three(w)
        wait_until(lambda: jobs_done(server, "mail.send"), message="the deliveries done")
        self.assertEqual(outbox(server, bad["email"])[0][:3], ("failed", "1", "550"))
        self.assertEqual(outbox(server, busy["email"])[0][:3], ("failed", "3", "451"))
        self.assertEqual(outbox(server, good["email"])[0][:2], ("sent", "1"))
        self.assertEqual(len(self.sink.messages()), 1)
        # what the school's admins see of it
        deliveries = admin.get(f"{V1}/mail/deliveries?state=failed").json["items"]
        self.assertEqual({(d["to"], d["smtpCode"], d["attempts"]) for d in deliveries},
                         {(bad["email"], 550, 1), (busy["email"], 451, 3)})
        self.assertTrue(all(d["error"] and d["sentAt"] is None and d["kind"] == "account.reset" for d in deliveries))
        sent = admin.get(f"{V1}/mail/deliveries?to={good['email']}").json["items"]
        self.assertEqual([(d["state"], d["subject"], d["userId"]) for d in sent],
                         [("sent", "Reset your password", good["id"])])
        self.assertIsNotNone(sent[0]["sentAt"])
        self.assertEqual(f"<{sent[0]['messageId']}>", self.sink.to(good["email"])[0]["Message-ID"])
        self.assertNotIn("token", json.dumps(admin.get(f"{V1}/mail/deliveries").json))  # never the message
        page = admin.get(f"{V1}/mail/deliveries?limit=2").json
        rest = admin.get(f"{V1}/mail/deliveries?limit=2&cursor={page['nextCursor']}").json
        self.assertEqual(len(page["items"]) + len(rest["items"]), 3)
        self.assertIsNone(rest["nextCursor"])
        self.assertEqual(admin.get(f"{V1}/mail/deliveries?kind=account.invite").json["items"], [])
        self.assertEqual(w.B.client("admin").get(f"{V1}/mail/deliveries").json["items"], [])
        self.assertProblem(admin.get(f"{V1}/mail/deliveries?state=lost&kind="), 422, fields=["state", "kind"])
        self.assertProblem(w.A.client("teacher").get(f"{V1}/mail/deliveries"), 403)
        self.assertProblem(admin.get(f"{V1}/mail/deliveries?cursor=not-a-cursor"), 400)

    def test_ended_messages_are_trimmed_after_retention_queued_ones_stay(self):
        # retention of 2 s, a maintenance pass every 200 ms; a 451 is retried only after 10 minutes (stays queued)
        server, w = self.school({"ERP_SMTP_URL": self.sink.url, "ERP_MAIL_ATTEMPTS": "3",
                                 "ERP_MAIL_BACKOFF_MS": "600000", "ERP_MAIL_RETENTION_SECONDS": "2",
                                 "ERP_QUEUE_STALLED_INTERVAL_MS": "200"})
        admin = w.A.client("admin")
        bad, busy, good = self.reset_three(w)
        wait_until(lambda: outbox(server, busy["email"]) and outbox(server, busy["email"])[0][:2] == ("queued", "1"),
                   message="the 451 waiting for its next attempt")
        wait_until(lambda: not outbox(server, bad["email"]) and not outbox(server, good["email"]),
                   message="the failed and the sent message trimmed")
        # a message sent after the queued one's last change, trimmed in turn: the queued one was as old, and stays
        later = w.A.add_user("afterwards", "teacher")  # ("later…" is the sink's 451)
        admin.post(f"{V1}/users/{later['id']}/password-reset", expect=202)
        self.sink.wait_for(later["email"])
        wait_until(lambda: not outbox(server, later["email"]), message="the later message trimmed")
        self.assertEqual(outbox(server, busy["email"])[0][:2], ("queued", "1"))
        self.assertEqual([d["to"] for d in admin.get(f"{V1}/mail/deliveries").json["items"]], [busy["email"]])

    def test_a_worker_killed_during_delivery_sends_no_second_copy(self):
        # the database's own server runs no jobs; a worker server delivers and is killed while the SMTP server
        # holds its answer to DATA (the message is already received); another one finds the row mid-delivery
        primary, w = self.school({"ERP_SERVE_WORKERS": "0", "ERP_SMTP_URL": self.sink.url})
        u = w.A.add_user("crash", "teacher", email=f"slow-crash@{w.A.domain}")
        w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        shared = {"ERP_DATABASE_URL": same_database(primary), "ERP_SMTP_URL": self.sink.url,
                  "ERP_SERVE_WORKERS": "1", "ERP_QUEUE_LOCK_MS": "1000", "ERP_QUEUE_STALLED_INTERVAL_MS": "200",
                  "ERP_WORKER_POLL_MS": "100", "ERP_JWT_SECRET": "test-secret-for-the-black-box-suite-0123456789"}
        first = Server(env=shared, migrate=False).start()
        try:
            self.sink.wait_for(u["email"])
            wait_until(lambda: outbox(primary, u["email"])[0][0] == "sending", message="the row mid-delivery")
            first.kill()
        finally:
            first.stop(expect_exit=None)
        second = self.start_server(shared, migrate=False)
        wait_until(lambda: outbox(primary, u["email"])[0][0] == "uncertain", timeout=60,
                   message="the interrupted delivery marked uncertain")
        wait_until(lambda: jobs_done(primary, "mail.send"), message="the job finished")
        self.assertTrue(second.alive())
        self.assertEqual(len(self.sink.to(u["email"])), 1)
        row = outbox(primary, u["email"])[0]
        self.assertIn("not sent again", row[3])
        self.assertEqual(self.sink.to(u["email"])[0]["Message-ID"], f"<{row[4]}>")


class TestStartTls(ServerTestCase):
    """smtp:// with STARTTLS offered (and required) by the server, AUTH with the URL's credentials after it."""
    CLASS_SERVER = False

    def test_starttls_then_auth_and_the_certificate_is_verified(self):
        tmp = tempfile.mkdtemp(prefix="erp-mail-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        sink = MailSink(tls=(cert, key), auth="mailer:s3cret").start()
        self.addCleanup(sink.stop)
        url = f"smtp://mailer:s3cret@127.0.0.1:{sink.port}"
        server = self.start_server({"ERP_SMTP_URL": url, "ERP_SMTP_CA_FILE": cert, "ERP_WORKER_POLL_MS": "100"})
        w = World(server)
        u = w.A.add_user("tls", "teacher")
        w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        msg = sink.wait_for(u["email"])[0]
        self.assertEqual((msg.envelope["tls"], msg.envelope["login"]), (True, "mailer"))
        # a certificate the server cannot verify: nothing is sent, the failure is recorded
        untrusting = self.start_server({"ERP_SMTP_URL": url, "ERP_MAIL_ATTEMPTS": "2", "ERP_MAIL_BACKOFF_MS": "50",
                                        "ERP_WORKER_POLL_MS": "100"})
        w2 = World(untrusting)
        v = w2.A.add_user("untrusted", "teacher")
        w2.A.client("admin").post(f"{V1}/users/{v['id']}/password-reset", expect=202)
        row = wait_until(lambda: (lambda r: r if r and r[0][0] == "failed" else None)(outbox(untrusting, v["email"])),
                         message="the failure recorded")[0]
        self.assertEqual(row[1], "2")
        self.assertRegex(row[3].lower(), "certificate|ssl|tls")
        self.assertEqual(sink.to(v["email"]), [])


class TestDeliveryOnRedis(ServerTestCase):
    """On the Redis queue the job exists before the outbox row commits; a `school-erp worker` delivers it."""
    CLASS_SERVER = False

    def test_a_worker_delivers_what_a_request_queued(self):
        redis = os.environ.get("ERP_TEST_REDIS_URL")
        if not redis:
            skip_allowed("needs ERP_TEST_REDIS_URL (tests/run starts Redis)")
        sink = MailSink().start()
        self.addCleanup(sink.stop)
        server = self.start_server({"ERP_REDIS_URL": redis, "ERP_QUEUE_NAME": f"mail-{uuid.uuid4().hex[:12]}",
                                    "ERP_SMTP_URL": sink.url, "ERP_MAIL_BACKOFF_MS": "100"})
        env = dict(server.environment(), ERP_WORKER_LISTEN="127.0.0.1:0", ERP_WORKER_POLL_MS="100")
        worker = subprocess.Popen([server.binary, "worker"], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=server.tmp)

        def stop_worker():
            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=60)
            self.assertEqual(worker.returncode, 0, err[-3000:])
            self.assertNotIn(b"Sanitizer", err)

        self.addCleanup(stop_worker)
        w = World(server)
        u = w.A.add_user("on-redis", "teacher")
        w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        token = link_token(sink.wait_for(u["email"])[0])
        server.http.post(f"{V1}/auth/password-reset/confirm", json={"token": token, "newPassword": NEW_PASSWORD},
                         expect=204)
        self.assertEqual(outbox(server, u["email"])[0][0], "sent")


class TestFileOutbox(ServerTestCase):
    """Without ERP_SMTP_URL messages are .eml files under DATA_DIR/outbox, logged with their subject."""
    SERVER_ENV = {"ERP_SMTP_URL": None, "ERP_WORKER_POLL_MS": "100"}

    def test_messages_are_written_to_the_outbox(self):
        w = World(self.server)
        u = w.A.add_user("filed", "teacher")
        w.A.client("admin").post(f"{V1}/users/{u['id']}/password-reset", expect=202)
        row = wait_until(lambda: (lambda r: r if r and r[0][0] == "sent" else None)(outbox(self.server, u["email"])),
                         message="the message written")[0]
        path = os.path.join(self.server.data_dir, "outbox", row[4] + ".eml")
        with open(path, "rb") as f:
            raw = f.read()
        self.assertIn(b"\r\nSubject: Reset your password\r\n", raw)
        self.assertIn(f"Message-ID: <{row[4]}>".encode(), raw)
        logged = self.server.wait_log(lambda e: e.get("msg") == "mail written to the outbox")
        self.assertIn("Reset your password", json.dumps(logged))
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "outbox")), [row[4] + ".eml"])
