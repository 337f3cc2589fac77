"""
Limits on password guessing (src/auth/throttle.h), and who the client is
behind a proxy, on both engines:

* per account and address: ERP_LOGIN_MAX_FAILURES guesses, then that address
  gets 429 with Retry-After for that account, without a password check; an
  unknown email or school is throttled exactly the same, so the answers never
  tell whether an account exists;
* counted and decided in one statement: guesses sent all at once get no more
  checks of a wrong password than the limit; a right password takes back its
  own attempt only, so one among a burst does not wipe out what the others
  counted;
* per account, any address: beyond the limit every further guess from an
  address the account never logged in from waits twice as long as the last
  (progressive delay), while the owner's own address is not held back;
* per address, any account: ERP_LOGIN_IP_MAX_FAILURES, then 429;
* the password change endpoint shares the limits;
* an admin's unlock clears an account's counters; the account shows "locked"
  while guesses from unknown addresses are held back;
* behind a proxy in ERP_TRUSTED_PROXIES the client is the X-Forwarded-For /
  Forwarded address (logs, audit, throttles); from anyone else those headers
  are ignored.
"""

import threading
import time

from harness import ServerTestCase, wait_until
from world import PASSWORD, World

LOGIN = "/api/v1/auth/login"


class ThrottleCase(ServerTestCase):
    SERVER_ENV = {"ERP_LOGIN_MAX_FAILURES": "3", "ERP_LOGIN_LOCKOUT_SECONDS": "30", "ERP_LOGIN_IP_MAX_FAILURES": "1000",
                  "ERP_TRUSTED_PROXIES": "127.0.0.1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)

    def attempt(self, email, password, addr=None, slug=None):
        """One login from addr (as a trusted proxy forwards it; None: the socket's own address)."""
        headers = {"X-Forwarded-For": addr} if addr else {}
        return self.server.client().post(LOGIN, json={"tenant": slug or self.world.A.slug, "email": email,
                                                      "password": password}, headers=headers)

    def account(self, key):
        return self.world.A.add_user(key, "teacher")


class TestAccountAndAddress(ThrottleCase):
    def test_the_limit_per_account_and_address(self):
        u = self.account("pair")
        self.assertEqual(self.attempt(u["email"], PASSWORD, "198.51.100.2").status, 200)  # an address of the owner's
        for _ in range(3):
            wrong = self.assertProblem(self.attempt(u["email"], "not the password", "198.51.100.1"), 401)
        res = self.attempt(u["email"], PASSWORD, "198.51.100.1")  # held back: no password check
        p = self.assertProblem(res, 429)
        self.assertGreaterEqual(int(res.headers["retry-after"]), 25)
        self.assertNotIn(u["email"], p["detail"])
        # another address of the same account is not held back by this one
        self.assertEqual(self.attempt(u["email"], PASSWORD, "198.51.100.2").status, 200)
        # an email that does not exist, or a school that does not: exactly the same answers
        for email, slug in (("nobody@nowhere.example", None), (u["email"], "no-such-school")):
            for _ in range(3):
                self.assertEqual(self.assertProblem(self.attempt(email, "not the password", "198.51.100.1", slug),
                                                    401)["detail"], wrong["detail"])
            self.assertEqual(self.assertProblem(self.attempt(email, PASSWORD, "198.51.100.1", slug), 429)["detail"],
                             p["detail"])

    def test_guesses_sent_at_once_get_no_more_checks_than_the_limit(self):
        u = self.account("race")
        passwords = ["wrong guess %d" % i for i in range(9)] + [PASSWORD]
        barrier = threading.Barrier(len(passwords))
        results = [None] * len(passwords)

        def go(i):
            c = self.server.client()
            barrier.wait()
            results[i] = c.post(LOGIN, json={"tenant": self.world.A.slug, "email": u["email"],
                                             "password": passwords[i]}, headers={"X-Forwarded-For": "192.0.2.50"})

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(passwords))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [r.status for r in results]
        self.assertTrue(set(statuses) <= {200, 401, 429}, statuses)
        self.assertLessEqual(statuses[:9].count(401), 3, statuses)  # no more wrong passwords checked than the limit
        self.assertGreaterEqual(statuses.count(429), 6, statuses)
        # the right password did not wipe out the wrong ones counted beside it: in this window, wrong passwords
        # from this address get no more checks than the limit in all
        after = [self.attempt(u["email"], "another wrong guess", "192.0.2.50").status for _ in range(5)]
        self.assertLessEqual(statuses.count(401) + after.count(401), 3, (statuses, after))
        self.assertEqual(after[-1], 429)

    def test_a_right_password_takes_back_only_itself(self):
        u = self.account("forgetful")
        for _ in range(2):
            self.assertProblem(self.attempt(u["email"], "wrong once", "198.51.100.7"), 401)
        for _ in range(3):  # logging in does not use up the limit ...
            self.assertEqual(self.attempt(u["email"], PASSWORD, "198.51.100.7").status, 200)
        # ... nor forgive the guesses before it, until their window is over
        self.assertProblem(self.attempt(u["email"], "wrong again", "198.51.100.7"), 401)
        self.assertProblem(self.attempt(u["email"], PASSWORD, "198.51.100.7"), 429)


class TestAccountFromAnyAddress(ThrottleCase):
    def test_progressive_delay_that_spares_the_owners_address(self):
        u = self.account("owner")
        self.assertEqual(self.attempt(u["email"], PASSWORD, "203.0.113.200").status, 200)  # the owner's address
        # an attacker spreads guesses over addresses
        for i in range(3):
            self.assertProblem(self.attempt(u["email"], "guess", f"198.18.0.{i}"), 401)
        res = self.attempt(u["email"], "guess", "198.18.0.10")
        self.assertProblem(res, 429)
        first = int(res.headers["retry-after"])
        self.assertLessEqual(first, 2)
        # the owner, from their own address, is not held back
        self.assertEqual(self.attempt(u["email"], PASSWORD, "203.0.113.200").status, 200)
        # once the delay is over, one more guess; then the delay doubles
        wait_until(lambda: self.attempt(u["email"], "guess", "198.18.0.11").status == 401, timeout=10, interval=0.25,
                   message="the first delay ends")
        res = self.attempt(u["email"], "guess", "198.18.0.12")
        self.assertProblem(res, 429)
        self.assertGreater(int(res.headers["retry-after"]), first)
        # the account shows as held back; an admin's unlock lets every address in again
        admin = self.world.A.client("admin")
        doc = admin.get(f"/api/v1/users/{u['id']}", expect=200)
        self.assertTrue(doc.json["locked"])
        admin.patch(f"/api/v1/users/{u['id']}", json={"unlock": True}, headers={"If-Match": doc.headers["etag"]},
                    expect=200)
        self.assertFalse(admin.get(f"/api/v1/users/{u['id']}", expect=200).json["locked"])
        self.assertEqual(self.attempt(u["email"], PASSWORD, "198.18.0.13").status, 200)

    def test_an_unlock_clears_the_account_and_address_limit(self):
        u = self.account("unlockable")
        for _ in range(3):
            self.assertProblem(self.attempt(u["email"], "bad password!", "198.51.100.99"), 401)
        self.assertProblem(self.attempt(u["email"], PASSWORD, "198.51.100.99"), 429)
        admin = self.world.A.client("admin")
        etag = admin.get(f"/api/v1/users/{u['id']}", expect=200).headers["etag"]
        admin.patch(f"/api/v1/users/{u['id']}", json={"unlock": True}, headers={"If-Match": etag}, expect=200)
        self.assertEqual(self.attempt(u["email"], PASSWORD, "198.51.100.99").status, 200)
        events = admin.get(f"/api/v1/audit-events?action=auth.login&subjectId={u['id']}", expect=200).json["items"]
        self.assertEqual([e["outcome"] for e in events].count("failed"), 3)


class TestPasswordChange(ThrottleCase):
    def test_guesses_of_the_current_password_are_limited(self):
        u = self.account("changer")
        c = self.world.A.client("changer")
        body = {"currentPassword": "not it", "newPassword": "a brand new passphrase 42"}
        for _ in range(3):
            self.assertProblem(c.post("/api/v1/auth/password", json=body), 422, fields=["currentPassword"])
        res = c.post("/api/v1/auth/password", json=dict(body, currentPassword=PASSWORD))
        self.assertProblem(res, 429)
        self.assertIn("retry-after", res.headers)
        self.assertEqual(u["id"], c.get("/api/v1/me", expect=200).json["user"]["id"])


class TestAddressLimit(ServerTestCase):
    SERVER_ENV = {"ERP_LOGIN_IP_MAX_FAILURES": "4", "ERP_LOGIN_LOCKOUT_SECONDS": "60",
                  "ERP_TRUSTED_PROXIES": "127.0.0.0/8"}

    def login(self, addr=None):
        headers = {"X-Forwarded-For": addr} if addr else {}
        return self.server.client().post(LOGIN, json={"email": "x@y.example", "password": "nope-nope"},
                                         headers=headers)

    def test_too_many_failures_from_one_address_is_429_for_that_address_only(self):
        for _ in range(4):
            self.assertProblem(self.login("198.51.100.20"), 401)
        res = self.login("198.51.100.20")
        self.assertProblem(res, 429)
        self.assertGreater(int(res.headers["retry-after"]), 0)
        # behind the proxy, other clients are not blocked by that one
        self.assertProblem(self.login("198.51.100.21"), 401)
        # a client that names itself first gets no further: the proxy's entry is the one that counts
        self.assertProblem(self.login("198.51.100.77, 198.51.100.20"), 429)


class TestClientAddress(ServerTestCase):
    SERVER_ENV = {"ERP_TRUSTED_PROXIES": "127.0.0.1"}

    def remote_of(self, server, headers):
        res = server.get("/api/v1/version", headers=headers, expect=200)
        return server.access_log(res.request_id)["remote"]

    def test_forwarded_addresses_are_believed_from_trusted_proxies_only(self):
        self.assertEqual(self.remote_of(self.server, {"X-Forwarded-For": "203.0.113.5"}), "203.0.113.5")
        self.assertEqual(self.remote_of(self.server, {"X-Forwarded-For": "6.6.6.6, 203.0.113.5"}), "203.0.113.5")
        self.assertEqual(self.remote_of(self.server, {"Forwarded": 'for="[2001:db8::5]:8443";proto=https'}),
                         "2001:db8::5")
        self.assertEqual(self.remote_of(self.server, {"X-Forwarded-For": "not-an-address"}), "127.0.0.1")
        self.assertEqual(self.remote_of(self.server, {}), "127.0.0.1")
        plain = self.start_server()  # no trusted proxies: the headers are the client's own words
        self.assertEqual(self.remote_of(plain, {"X-Forwarded-For": "203.0.113.5"}), "127.0.0.1")
        self.assertEqual(self.remote_of(plain, {"Forwarded": "for=203.0.113.5"}), "127.0.0.1")
        # proxies elsewhere are trusted, this peer is not: its headers are its own words too
        other = self.start_server({"ERP_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
        self.assertEqual(self.remote_of(other, {"X-Forwarded-For": "203.0.113.5"}), "127.0.0.1")
        self.assertEqual(self.remote_of(other, {"Forwarded": "for=203.0.113.5"}), "127.0.0.1")

    def test_the_audit_trail_records_the_client(self):
        w = World(self.server)
        self.server.client().post(LOGIN, json={"tenant": w.A.slug, "email": w.A.users["staff"]["email"],
                                               "password": PASSWORD}, headers={"X-Forwarded-For": "203.0.113.9"},
                                  expect=200)
        events = w.A.client("admin").get(
            f"/api/v1/audit-events?action=auth.login&subjectId={w.A.users['staff']['id']}", expect=200).json["items"]
        self.assertEqual(events[0]["remoteAddr"], "203.0.113.9")
