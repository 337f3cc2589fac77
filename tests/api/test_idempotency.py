"""
Idempotency-Key on POST (src/api/idempotency.h), on both engines:

* a retry with the key of a success answers that success again (status,
  body, Location, ETag; Idempotent-Replayed: true) and creates nothing;
* the same key with another request (body, path) is 422, and changes nothing;
* keys belong to their user: another user's key is another key;
* requests sent at the same instant with one key execute once: one runs,
  the others get 409 (retry) or the kept answer;
* a failure keeps nothing, so a fixed request may reuse the key;
* a malformed key is 400; keys are forgotten after ERP_IDEMPOTENCY_TTL_SECONDS;
* public POSTs (login) never keep their answers.
"""

import threading
import time
import uuid

import access
from harness import Client, ServerTestCase, db_rows
from world import PASSWORD, World

STUDENTS = "/api/v1/students"


def student(n):
    return {"admissionNo": f"IDEM-{n}", "firstName": "Ida", "lastName": f"Potent {n}", "dateOfBirth": "2014-02-03"}


class IdempotencyCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.admin = cls.world.A.client("admin")

    def count(self, admission_no):
        return len(self.admin.get(f"{STUDENTS}?q={admission_no}", expect=200).json["items"])


class TestReplays(IdempotencyCase):
    SERVER_ENV = {"ERP_IDEMPOTENCY_TTL_SECONDS": "2"}

    def test_a_retry_answers_the_first_success_again(self):
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.admin.post(STUDENTS, json=student(1), headers=key, expect=201)
        self.assertIsNone(first.headers.get("idempotent-replayed"))
        again = self.admin.post(STUDENTS, json=student(1), headers=key, expect=201)
        self.assertEqual(again.json, first.json)
        self.assertEqual(again.headers["location"], first.headers["location"])
        self.assertEqual(again.headers["etag"], first.headers["etag"])
        self.assertEqual(again.headers["idempotent-replayed"], "true")
        self.assertEqual(self.count("IDEM-1"), 1)
        # another request under the same key: 422, nothing made
        p = self.assertProblem(self.admin.post(STUDENTS, json=student(2), headers=key), 422)
        self.assertIn("another request", p["detail"])
        self.assertProblem(self.admin.post("/api/v1/guardians", json={"firstName": "G", "lastName": "H"},
                                           headers=key), 422)
        self.assertEqual(self.count("IDEM-2"), 0)
        # another user's key of the same text is another key
        staff = self.world.A.client("staff")
        self.assertEqual(staff.post(STUDENTS, json=student(3), headers=key).status, 201)
        self.assertEqual(self.count("IDEM-3"), 1)

    def test_a_failure_keeps_nothing(self):
        key = {"Idempotency-Key": "fix-and-retry"}
        bad = dict(student(4), dateOfBirth="yesterday")
        self.assertProblem(self.admin.post(STUDENTS, json=bad, headers=key), 422)
        self.assertEqual(self.admin.post(STUDENTS, json=student(4), headers=key).status, 201)
        # a conflict (409) is a failure too
        key = {"Idempotency-Key": "duplicate-then-new"}
        self.assertProblem(self.admin.post(STUDENTS, json=student(4), headers=key), 409)
        self.assertEqual(self.admin.post(STUDENTS, json=student(5), headers=key).status, 201)

    def test_malformed_keys(self):
        for k in ("", "x" * 256, "has space", "tab\there", "caf\u00e9"):
            with self.subTest(key=k):
                res = self.admin.request("POST", STUDENTS, json=student(6),
                                         headers=[("Idempotency-Key", k.encode("utf-8").decode("latin-1"))])
                self.assertProblem(res, 400)
        self.assertEqual(self.count("IDEM-6"), 0)
        self.assertEqual(self.admin.post(STUDENTS, json=student(6), headers={"Idempotency-Key": "x" * 255}).status,
                         201)

    def test_keys_are_forgotten_after_their_time(self):
        key = {"Idempotency-Key": "short-lived"}
        self.admin.post(STUDENTS, json=student(7), headers=key, expect=201)
        time.sleep(2.5)
        # the kept answer is gone: the same key now runs again (and this request is a duplicate)
        self.assertProblem(self.admin.post(STUDENTS, json=student(7), headers=key), 409)
        self.assertEqual(self.admin.post(STUDENTS, json=student(8), headers=key).status, 201)

    def test_public_posts_keep_nothing(self):
        key = {"Idempotency-Key": "login-once"}
        body = {"tenant": self.world.A.slug, "email": self.world.A.users["staff"]["email"], "password": PASSWORD}
        a = self.server.client().post("/api/v1/auth/login", json=body, headers=key, expect=200).json
        b = self.server.client().post("/api/v1/auth/login", json=body, headers=key, expect=200).json
        self.assertNotEqual(a["refreshToken"], b["refreshToken"])
        self.assertEqual(db_rows(self.server, "SELECT count(*) FROM idempotency_keys WHERE key = 'login-once'"),
                         [("0",)])


class TestConcurrentRequests(IdempotencyCase):
    def test_one_key_sent_at_once_executes_once(self):
        for round_ in range(4):
            key = {"Idempotency-Key": f"burst-{round_}"}
            n = 6
            barrier = threading.Barrier(n)
            results = [None] * n
            clients = [Client(self.server, token=self.world.A.token("admin"), keep_alive=True) for _ in range(n)]
            for c in clients:
                c.get("/api/v1/me", expect=200)

            def go(i):
                barrier.wait()
                results[i] = clients[i].post(STUDENTS, json=student(100 + round_), headers=key)

            threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for c in clients:
                c.close()
            statuses = sorted(r.status for r in results)
            self.assertTrue(set(statuses) <= {201, 409}, statuses)
            made = [r for r in results if r.status == 201]
            self.assertGreaterEqual(len(made), 1)
            self.assertEqual(len({r.json["id"] for r in made}), 1, statuses)  # one student, answered once or replayed
            self.assertEqual(sum(1 for r in made if r.headers.get("idempotent-replayed") != "true"), 1)
            for r in results:
                if r.status == 409:
                    self.assertEqual(r.headers["retry-after"], "1")
            self.assertEqual(self.count(f"IDEM-{100 + round_}"), 1)
            # and afterwards every retry gets the kept answer
            again = self.admin.post(STUDENTS, json=student(100 + round_), headers=key, expect=201)
            self.assertEqual(again.json["id"], made[0].json["id"])


class TestEveryPost(IdempotencyCase):
    def test_a_malformed_key_is_400_on_every_post_that_keeps_answers(self):
        checked = 0
        for template, item in self.server.openapi["paths"].items():
            op = item.get("post")
            if op is None or "public" in op.get("x-roles", []):
                continue
            self.assertIn("Idempotency-Key", [p["name"] for p in op.get("parameters", []) if p["in"] == "header"])
            roles = access.allowed("POST", template)
            role = next(r for r in ("admin", "staff", "teacher", "parent", "student", "platform_admin") if r in roles)
            path = template
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    path = path.replace("{" + p["name"] + "}", str(uuid.uuid4()))
            kw = {"json": {}} if "requestBody" in op else {}
            with self.subTest(route=template, role=role):
                res = self.server.request("POST", path, token=self.world.token(role), **kw,
                                          headers={"Idempotency-Key": "not a key", "If-Match": "*"})
                p = self.assertProblem(res, 400)
                self.assertIn("Idempotency-Key", p["detail"])
                checked += 1
        self.assertGreater(checked, 15)
