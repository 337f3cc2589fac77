"""
The jobs API: a job is read and cancelled by the account that asked for it and by the school's admins;
another account's job (for non-admins) and another school's are 404; a finished job cannot be cancelled
(409); jobs run on the server's own workers (the SQL queue of the embedded profile) and show their state,
progress, attempts, result and error. Both engines (stage api-pg runs it on PostgreSQL).
"""

import base64
import json
import time
import unittest

from fixtures_jobs import DAY_MS, make_job
from harness import ServerTestCase, wait_until
from world import World


def b64e(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def b64d(cursor):
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


class TestJobs(ServerTestCase):
    SERVER_ENV = {"ERP_SERVE_WORKERS": "2", "ERP_WORKER_POLL_MS": "20", "ERP_QUEUE_BACKOFF_MS": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)

    def client(self, key, school="A"):
        return getattr(self.world, school).client(key)

    def wait_state(self, client, jid, state, timeout=20):
        return wait_until(lambda: (lambda j: j if j["state"] == state else None)(
            client.get(f"/api/v1/jobs/{jid}", expect=200).json), timeout=timeout, message=f"job {state}")

    def test_a_job_runs_on_the_servers_workers(self):
        teacher = self.client("teacher")
        jid = make_job(teacher, payload={"ms": 10}, delayMs=0)
        job = self.wait_state(teacher, jid, "completed")
        self.assertEqual((job["type"], job["progress"], job["attemptsMade"], job["result"]),
                         ("test.sleep", 100, 1, {"slept": 10}))
        self.assertEqual(job["ownerId"], self.world.A.users["teacher"]["id"])
        for key in ("createdAt", "startedAt", "finishedAt"):
            self.assertRegex(job[key], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_failures_show_attempts_and_error(self):
        staff = self.client("staff")
        jid = make_job(staff, type="test.fail", payload={"times": 5}, attempts=2, backoffMs=20, delayMs=0)
        job = self.wait_state(staff, jid, "failed")
        self.assertEqual((job["attempts"], job["attemptsMade"], job["error"]), (2, 2, "planned failure 2"))
        self.assertNotIn("result", job)

    def test_owner_and_admin_see_it_others_get_404(self):
        teacher, other, admin = self.client("teacher"), self.client("teacher2"), self.client("admin")
        jid = make_job(teacher)
        self.assertEqual(teacher.get(f"/api/v1/jobs/{jid}", expect=200).json["state"], "delayed")
        self.assertEqual(admin.get(f"/api/v1/jobs/{jid}", expect=200).json["id"], jid)
        for key in ("teacher2", "student", "parent", "staff"):
            self.client(key).get(f"/api/v1/jobs/{jid}", expect=404)
        other.request("DELETE", f"/api/v1/jobs/{jid}", expect=404)
        self.client("admin", "B").get(f"/api/v1/jobs/{jid}", expect=404)
        self.client("admin", "B").request("DELETE", f"/api/v1/jobs/{jid}", expect=404)
        self.assertEqual(teacher.get(f"/api/v1/jobs/{jid}", expect=200).json["state"], "delayed", "nothing changed")

    def test_lists_the_callers_jobs_admins_the_schools(self):
        parent, admin = self.client("parent"), self.client("admin")
        mine = make_job(parent)
        own = make_job(admin)
        ids = [j["id"] for j in parent.get("/api/v1/jobs", expect=200).json["items"]]
        self.assertIn(mine, ids)
        self.assertNotIn(own, ids)
        page = admin.get("/api/v1/jobs?limit=500", expect=200).json
        self.assertIsNone(page["nextCursor"])
        ids = [j["id"] for j in page["items"]]
        self.assertIn(mine, ids)
        self.assertIn(own, ids)
        self.assertLess(ids.index(own), ids.index(mine), "newest first")
        ids = [j["id"] for j in admin.get("/api/v1/jobs?mine=true", expect=200).json["items"]]
        self.assertIn(own, ids)
        self.assertNotIn(mine, ids)
        self.assertEqual(len(admin.get("/api/v1/jobs?limit=1", expect=200).json["items"]), 1)
        for q in ("limit=0", "limit=501", "limit=x", "mine=yes"):
            admin.get(f"/api/v1/jobs?{q}", expect=422)

    def pages(self, client, query, limit):
        """Every item of GET /jobs?query through its pages of limit: (ids in order, number of pages)."""
        ids, cursor, n = [], None, 0
        while True:
            page = client.get(f"/api/v1/jobs?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                              expect=200).json
            n += 1
            ids += [j["id"] for j in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                return ids, n
            self.assertEqual(len(page["items"]), limit, "a page before the last is full")
            self.assertLess(n, 200, "paging ends")

    def test_pages_with_a_cursor(self):
        owner, admin = self.client("teacher2"), self.client("admin")
        jobs = [make_job(owner) for _ in range(7)]
        first = owner.get("/api/v1/jobs?limit=3", expect=200).json
        self.assertEqual([j["id"] for j in first["items"]], jobs[:-4:-1], "newest first")
        self.assertIsInstance(first["nextCursor"], str)
        newer = [make_job(owner) for _ in range(2)]  # enqueued between pages: later pages do not shift
        rest, cursor = [], first["nextCursor"]
        while cursor is not None:
            page = owner.get(f"/api/v1/jobs?limit=3&cursor={cursor}", expect=200).json
            rest += [j["id"] for j in page["items"]]
            cursor = page["nextCursor"]
        self.assertEqual([j["id"] for j in first["items"]] + rest, jobs[::-1], "each job once, none skipped")
        everything = (jobs + newer)[::-1]
        self.assertEqual(self.pages(owner, "", 4), (everything, 3))
        self.assertEqual(self.pages(owner, "", 9), (everything, 1), "a page holding them all: nextCursor null")
        school, _ = self.pages(admin, "", 2)
        self.assertEqual(len(school), len(set(school)), "no job twice")
        self.assertEqual([i for i in school if i in everything], everything)
        self.assertEqual(self.pages(admin, "mine=true", 2)[0], self.pages(admin, "mine=true", 500)[0], "mine pages")
        other, _ = self.pages(self.client("admin", "B"), "", 2)
        self.assertFalse(set(other) & set(school), "another school's jobs never appear")

    def test_bad_cursors(self):
        admin = self.client("admin")
        for _ in range(2):
            make_job(admin)
        good = admin.get("/api/v1/jobs?limit=1", expect=200).json["nextCursor"]
        key, jid = json.loads(b64d(good))
        bad = ["garbage", "%25%25", b64e("[1,2]"), b64e('["x","a"]'), b64e(f'["-1","{jid}"]'), b64e(f'["1e3","{jid}"]'),
               b64e(f'["{key}","bad id"]'), b64e(f'["{key}",""]'), b64e(f'["{key}","{"x" * 64}"]'),
               b64e(f'["{key}"]'), good[:-2]]
        for cursor in bad:
            self.assertProblem(admin.get(f"/api/v1/jobs?cursor={cursor}"), 400)  # as every list answers
        self.assertEqual(admin.get(f"/api/v1/jobs?cursor={b64e(json.dumps([key, jid]))}", expect=200).json["items"],
                         admin.get(f"/api/v1/jobs?cursor={good}", expect=200).json["items"], "the cursor's form")
        admin.get(f"/api/v1/jobs?cursor={b64e(json.dumps(['0', 'x']))}&limit=2", expect=200)

    def test_cancel_then_409_once_finished(self):
        student, admin = self.client("student"), self.client("admin")
        jid = make_job(student)
        student.request("DELETE", f"/api/v1/jobs/{jid}", expect=204)
        job = student.get(f"/api/v1/jobs/{jid}", expect=200).json
        self.assertEqual(job["state"], "cancelled")
        self.assertIn("finishedAt", job)
        student.request("DELETE", f"/api/v1/jobs/{jid}", expect=409)
        other = make_job(student)
        admin.request("DELETE", f"/api/v1/jobs/{other}", expect=204)
        done = make_job(admin, delayMs=0, payload={"ms": 1})
        self.wait_state(admin, done, "completed")
        admin.request("DELETE", f"/api/v1/jobs/{done}", expect=409)

    def test_cancelling_a_running_job_stops_it(self):
        admin = self.client("admin")
        jid = make_job(admin, type="test.sleep", payload={"ms": 20000}, delayMs=0)
        self.wait_state(admin, jid, "active")
        t0 = time.time()
        admin.request("DELETE", f"/api/v1/jobs/{jid}", expect=204)
        self.assertEqual(admin.get(f"/api/v1/jobs/{jid}", expect=200).json["state"], "cancelled")
        # the worker hears of it at its next renewal and the handler stops; the job stays cancelled
        time.sleep(0.5)
        self.assertEqual(admin.get(f"/api/v1/jobs/{jid}", expect=200).json["state"], "cancelled")
        self.assertLess(time.time() - t0, 5)

    def test_unknown_ids_and_bad_input(self):
        admin = self.client("admin")
        for jid in ("00000000-0000-7000-8000-000000000000", "no-such-job", "bad%20id", "x" * 70):
            admin.get(f"/api/v1/jobs/{jid}", expect=404)
            admin.request("DELETE", f"/api/v1/jobs/{jid}", expect=404)
        for body in ({}, {"type": ""}, {"type": "has space"}, {"type": "t", "payload": [1]},
                     {"type": "t", "delayMs": -1}, {"type": "t", "attempts": 0}, {"type": "t", "extra": 1},
                     {"type": "t", "id": "bad id"}):
            admin.post("/api/v1/_test/jobs", json=body, expect=422)

    def test_malformed_bodies(self):
        admin = self.client("admin")
        admin.post("/api/v1/_test/jobs", body=b'{"type":', content_type="application/json", expect=400)
        admin.post("/api/v1/_test/jobs", body=b'{"type":"t"}', content_type="text/plain", expect=415)
        big = b'{"type":"t","payload":{"x":"' + b"x" * 1_100_000 + b'"}}'
        admin.post("/api/v1/_test/jobs", body=big, content_type="application/json", expect=413)

    def test_the_same_id_is_one_job(self):
        admin = self.client("admin")
        a = admin.post("/api/v1/_test/jobs", json={"type": "test.sleep", "id": "nightly-1", "delayMs": DAY_MS},
                       expect=202).json
        b = admin.post("/api/v1/_test/jobs", json={"type": "test.sleep", "id": "nightly-1"}, expect=202).json
        self.assertEqual((a["jobId"], a["existed"], b["jobId"], b["existed"]), ("nightly-1", False, "nightly-1", True))
        self.assertEqual(admin.get("/api/v1/jobs/nightly-1", expect=200).json["state"], "delayed")
        # the same id in another school is that school's own job
        c = self.client("admin", "B").post("/api/v1/_test/jobs", json={"type": "test.sleep", "id": "nightly-1",
                                                                       "delayMs": DAY_MS}, expect=202).json
        self.assertFalse(c["existed"])


if __name__ == "__main__":
    unittest.main()
