"""
Moving a school between clusters online (src/shard/move.c, `school-erp tenant move`).

Runs in tests/run's shard-pg stage (three PostgreSQL clusters: main, s2, s3) with a Redis of its own, as a
deployment of several instances runs (the mover's invalidation of the directory reaches every instance through
it). Two servers share the catalog and the clusters. What is checked, with psql as the oracle:
- a move under continuous writes and reads of the school (two servers) while another school on the same source
  cluster works: the moving school's writes answer only 201 or 503 (with Retry-After), its reads always 200, the
  other school sees no error; every acknowledged write is on the target exactly once, no refused write anywhere;
  the source's rows are all on the target unchanged; --cleanup then leaves nothing of the school on the source;
- a mover killed (kill -9) while the school is frozen: writes answer 503 and reads 200 meanwhile, on both servers;
  a write straight into the source cluster is refused by the fence; running the command again resumes the move
  to its end; the tables' counts and checksums (an independent formula) on the target equal the frozen source's;
- a mover killed after its copy, then --abort: the target keeps nothing, the school works on its source;
- refusals (exit 2): an unknown cluster, --cleanup or --abort with nothing to act on, two actions at once.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import services  # noqa: E402

import harness
from harness import Client, Server, run
from test_shard import cluster_urls, need_shards, new_school, psql
from world import PLATFORM_EMAIL, create_platform_admin, login

V1 = "/api/v1"
REDIS_URL_ENV = "ERP_REDIS_URL"


def school_tables(url):
    """Tables holding a school's rows on a cluster (tenant_id), partitions left out; the queue's and directory's too."""
    return [r[0] for r in psql(url, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname NOT IN ('jobs', 'tenant_shards', 'tenant_moves', 'tenant_fences')
        ORDER BY 1""")]


def sums(url, school, tables, with_tenants=True):
    """{table: (rows, md5 of the rows' texts in text order)}: another formula than the mover's, as an oracle."""
    out = {}
    for t in tables + (["tenants"] if with_tenants else []):
        col = "id" if t == "tenants" else "tenant_id"
        row = psql(url, f"SELECT count(*), md5(COALESCE(string_agg(x::text, '|' ORDER BY x::text), ''))"
                        f" FROM {t} x WHERE {col} = '{school}'")[0]
        out[t] = row
    return out


def rows_left(url, school, tables):
    """{table: count} of the school's rows on a cluster, the non-empty ones only."""
    counts = {t: int(psql(url, f"SELECT count(*) FROM {t} WHERE tenant_id = '{school}'")[0][0]) for t in tables}
    return {t: n for t, n in counts.items() if n}


class Traffic:
    """A thread sending requests of one school until stopped: POST students (unique admission numbers) or GETs."""

    def __init__(self, server, token, tag, write):
        self.client = Client(server, token=token, keep_alive=True, contract=False)
        self.tag, self.write = tag, write
        self.outcomes = []  # (admission number or None, status, Retry-After)
        self.ids = []  # of the students written
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        i = 0
        while not self.stop.is_set() and i < 20000:
            i += 1
            if self.write:
                adm = f"{self.tag}-{i}"
                res = self.client.post(f"{V1}/students", json={"admissionNo": adm, "firstName": "Moving",
                                                               "lastName": self.tag, "dateOfBirth": "2014-01-02"})
            else:
                adm = None
                res = self.client.get(f"{V1}/students?limit=5")
            self.outcomes.append((adm, res.status, res.headers.get("retry-after")))
            if self.write and res.status == 201:
                self.ids.append(res.json["id"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)
        self.client.close()

    def statuses(self):
        return {s for _, s, _ in self.outcomes}


class TestMove(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need_shards()
        harness.RAN_MODULES.add(__name__)
        cls.tmp = tempfile.mkdtemp(prefix="erp-move-")
        cls.redis = services.Redis(cls.tmp).start()
        try:
            cls.a = Server(env={REDIS_URL_ENV: cls.redis.url(), "ERP_SHARD_PLACEMENT": "s2"}).start()
            env_a = cls.a.environment()
            cls.b = Server(env={REDIS_URL_ENV: cls.redis.url(), "ERP_DATABASE_URL": env_a["ERP_DATABASE_URL"],
                                "ERP_JWT_SECRET": env_a["ERP_JWT_SECRET"], "ERP_SHARD_PLACEMENT": "s2"}).start()
        except BaseException:
            if getattr(cls, "a", None) is not None:
                cls.a.stop()
            cls.redis.stop()
            raise
        cls.urls = cluster_urls(cls.a)
        create_platform_admin(cls.a)
        cls.platform = Client(cls.a, token=login(cls.a, None, PLATFORM_EMAIL)["accessToken"])
        cls.tables = school_tables(cls.urls["main"])

    @classmethod
    def tearDownClass(cls):
        for s in (getattr(cls, "b", None), getattr(cls, "a", None)):
            if s is not None:
                s.stop()
        cls.redis.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers

    def school(self, slug, students=0):
        """A school on s2 (the harness's placement) with its admin's token and some students."""
        doc = new_school(self.platform, slug)
        self.assertEqual(self.placed(doc["id"]), ("s2", "f"))
        token = login(self.a, slug, f"admin@{slug}.example")["accessToken"]
        admin = Client(self.a, token=token)
        for i in range(students):
            admin.post(f"{V1}/students", json={"admissionNo": f"SEED-{i}", "firstName": "Seed", "lastName": slug,
                                               "dateOfBirth": "2013-03-04"}, expect=201)
        return doc["id"], token

    def placed(self, school):
        rows = psql(self.urls["main"], f"SELECT shard, frozen FROM tenant_shards WHERE tenant_id = '{school}'")
        return rows[0] if rows else ("main", "f")

    def mover_env(self, **extra):
        env = self.a.environment()
        env[REDIS_URL_ENV] = self.redis.url()
        env.update(extra)
        return env

    def move(self, *args, expect=0):
        r = run([self.a.binary, "tenant", "move", *args], env=self.mover_env(), timeout=300)
        self.assertEqual(r.returncode, expect, f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def halted_mover(self, school, state):
        """A mover started with ERP_TEST_MOVE_HALT=state, once it says it halted there."""
        p = subprocess.Popen([self.a.binary, "tenant", "move", school, "--to", "s3", "--grace", "0"],
                             env=self.mover_env(ERP_TEST_MOVE_HALT=state), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        for line in p.stdout:
            if line.strip() == f"halted: {state}":
                return p
        p.wait(timeout=30)
        self.fail(f"the mover exited ({p.returncode}) before halting at {state}: {p.stderr.read()}")

    def kill9(self, p):
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()

    def admissions(self, url, school):
        return [r[0] for r in psql(url, f"SELECT admission_no FROM students WHERE tenant_id = '{school}'")]

    def audit_rows(self, url, school):
        return {r[0] for r in psql(url, f"SELECT e::text FROM audit_events e WHERE tenant_id = '{school}'")}

    def student_rows(self, url, school):
        return {r[0] for r in psql(url, f"SELECT s::text FROM students s WHERE tenant_id = '{school}'")}

    # -- tests

    def test_move_under_reads_and_writes_loses_nothing_and_leaves_other_schools_alone(self):
        moving, tok = self.school("move-live", students=50)
        other, other_tok = self.school("move-bystander", students=5)
        other_before = self.admissions(self.urls["s2"], other)
        with Traffic(self.a, tok, "A", True) as wa, Traffic(self.b, tok, "B", True) as wb, \
                Traffic(self.a, tok, "R", False) as ra, Traffic(self.b, tok, "R", False) as rb, \
                Traffic(self.b, other_tok, "O", True) as wo, Traffic(self.a, other_tok, "O", False) as ro:
            harness.wait_until(lambda: len(wa.outcomes) > 20 and len(wb.outcomes) > 20, message="traffic flowing")
            r = self.move("move-live", "--to", "s3", "--keep-source")
            seen = len(wa.outcomes)
            harness.wait_until(lambda: len(wa.outcomes) > seen + 20, message="writes after the switch")
        self.assertIn("verified:", r.stdout)
        paused = re.search(r"writes were paused for (\d+) ms", r.stdout)
        self.assertIsNotNone(paused, r.stdout)
        refused_n = sum(1 for w in (wa, wb) for _, s, _ in w.outcomes if s == 503)
        print(f"\n  move-live: writes paused {paused.group(1)} ms; {refused_n} writes answered 503", file=sys.stderr)
        self.assertEqual(self.placed(moving), ("s3", "f"))

        for w in (wa, wb):
            self.assertLessEqual(w.statuses(), {201, 503}, w.outcomes[-5:])
            self.assertTrue(all(ra_ for _, s, ra_ in w.outcomes if s == 503), "a 503 without Retry-After")
        for rd in (ra, rb):
            self.assertEqual(rd.statuses(), {200})
        self.assertEqual(wo.statuses(), {201})
        self.assertEqual(ro.statuses(), {200})

        acked = {a for w in (wa, wb) for a, s, _ in w.outcomes if s == 201}
        refused = {a for w in (wa, wb) for a, s, _ in w.outcomes if s == 503}
        on_target = self.admissions(self.urls["s3"], moving)
        self.assertEqual(len(on_target), len(set(on_target)), "a write landed twice")
        self.assertEqual(set(on_target) - {f"SEED-{i}" for i in range(50)}, acked, "lost or phantom writes")
        self.assertFalse(refused & set(on_target))
        source_rows = self.student_rows(self.urls["s2"], moving)
        self.assertTrue(source_rows, "the kept source copy")
        self.assertLessEqual(source_rows, self.student_rows(self.urls["s3"], moving), "a source row differs")
        self.assertEqual(sorted(self.admissions(self.urls["s2"], other)),
                         sorted(other_before + [a for a, s, _ in wo.outcomes if s == 201]))

        # the kept copy is fenced: nothing writes it any more
        r = subprocess.run(["psql", "-X", "-q", self.urls["s2"], "-c",
                            f"UPDATE students SET first_name = 'Stale' WHERE tenant_id = '{moving}'"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("is moving to another database cluster", r.stderr)

        self.move("move-live", "--cleanup")
        self.assertEqual(rows_left(self.urls["s2"], moving, self.tables), {})
        self.assertEqual(psql(self.urls["s2"], f"SELECT count(*) FROM tenants WHERE id = '{moving}'"), [("0",)])
        self.assertEqual(psql(self.urls["s2"], f"SELECT count(*) FROM tenant_fences WHERE tenant_id = '{moving}'"),
                         [("0",)])
        self.assertEqual(psql(self.urls["main"], f"SELECT state FROM tenant_moves WHERE tenant_id = '{moving}'"),
                         [("done",)])
        # the school works from its new cluster, through both servers; the other school kept everything
        for server in (self.a, self.b):
            c = Client(server, token=tok)
            for sid in (wa.ids[0], wa.ids[-1], wb.ids[0], wb.ids[-1]):
                c.get(f"{V1}/students/{sid}", expect=200)
        Client(self.b, token=tok).post(f"{V1}/students", json={
            "admissionNo": "AFTER-1", "firstName": "After", "lastName": "Move", "dateOfBirth": "2014-01-02"},
            expect=201)
        self.assertIn("AFTER-1", self.admissions(self.urls["s3"], moving))
        self.assertNotIn("AFTER-1", self.admissions(self.urls["s2"], moving))
        self.assertTrue(set(other_before) <= set(self.admissions(self.urls["s2"], other)))

    def test_mover_killed_while_frozen_resumes_to_the_end(self):
        school, tok = self.school("move-killed", students=30)
        other, other_tok = self.school("move-killed-other")
        p = self.halted_mover(school, "frozen")
        try:
            self.assertEqual(self.placed(school), ("s2", "t"))
            for server in (self.a, self.b):
                c = Client(server, token=tok)
                res = c.post(f"{V1}/students", json={"admissionNo": "FROZEN-1", "firstName": "F", "lastName": "Z",
                                                     "dateOfBirth": "2014-01-02"}, expect=503)
                self.assertEqual(res.headers.get("retry-after"), "2")
                c.get(f"{V1}/students?limit=5", expect=200)
            Client(self.b, token=other_tok).post(f"{V1}/students", json={
                "admissionNo": "OTHER-1", "firstName": "O", "lastName": "K", "dateOfBirth": "2014-01-02"},
                expect=201)
            # the platform's change of the school waits too (its row is copied to the school's cluster)
            cur = self.platform.get(f"{V1}/tenants/{school}", expect=200)
            res = self.platform.patch(f"{V1}/tenants/{school}", json={"name": "Renamed while moving"},
                                      headers={"If-Match": cur.headers["etag"]}, expect=503)
            self.assertEqual(res.headers.get("retry-after"), "2")
            # an instance that never heard of the freeze writes straight into the source: the fence refuses it
            r = subprocess.run(["psql", "-X", "-q", self.urls["s2"], "-c",
                                f"DELETE FROM students WHERE tenant_id = '{school}'"],
                               capture_output=True, text=True, timeout=60)
            self.assertIn("is moving to another database cluster", r.stderr)
        finally:
            self.kill9(p)
        self.assertEqual(psql(self.urls["main"], f"SELECT state FROM tenant_moves WHERE tenant_id = '{school}'"),
                         [("frozen",)])
        Client(self.a, token=tok).post(f"{V1}/students", json={
            "admissionNo": "FROZEN-2", "firstName": "F", "lastName": "Z", "dateOfBirth": "2014-01-02"}, expect=503)
        # audit events of reads are written behind the requests (auth/audit_queue.c), retried after the freeze
        settled = [t for t in self.tables if t != "audit_events"]
        frozen = sums(self.urls["s2"], school, settled)
        audit_before = self.audit_rows(self.urls["s2"], school)

        r = self.move(school, "--to", "s3", "--grace", "0")
        self.assertIn("resuming the move", r.stdout)
        self.assertIn("verified:", r.stdout)
        self.assertEqual(sums(self.urls["s3"], school, settled), frozen)
        self.assertLessEqual(audit_before, self.audit_rows(self.urls["s3"], school))
        self.assertEqual(self.placed(school), ("s3", "f"))
        self.assertEqual(rows_left(self.urls["s2"], school, self.tables), {})
        self.assertEqual(len(self.admissions(self.urls["s3"], school)), 30)
        for server in (self.a, self.b):
            Client(server, token=tok).get(f"{V1}/students?limit=5", expect=200)
        Client(self.a, token=tok).post(f"{V1}/students", json={
            "admissionNo": "MOVED-1", "firstName": "M", "lastName": "D", "dateOfBirth": "2014-01-02"}, expect=201)
        self.assertIn("MOVED-1", self.admissions(self.urls["s3"], school))
        self.assertIn("OTHER-1", self.admissions(self.urls["s2"], other))
        audit = psql(self.urls["main"], "SELECT detail FROM audit_events WHERE action = 'tenant.move'"
                                        f" AND subject_id = '{school}'")
        self.assertEqual(len(audit), 1)
        self.assertIn("from shard s2 to s3", audit[0][0])

    def test_mover_killed_after_its_copy_then_aborted_leaves_the_school_on_its_source(self):
        school, tok = self.school("move-aborted", students=10)
        p = self.halted_mover(school, "copying")
        self.kill9(p)
        self.assertEqual(len(self.admissions(self.urls["s3"], school)), 10)  # the copy, not yet in use
        self.move(school, "--to", "main", expect=2)  # an unfinished move goes elsewhere
        r = self.move(school, "--abort")
        self.assertIn("rolled back", r.stdout)
        self.assertEqual(rows_left(self.urls["s3"], school, self.tables), {})
        self.assertEqual(psql(self.urls["s3"], f"SELECT count(*) FROM tenants WHERE id = '{school}'"), [("0",)])
        self.assertEqual(self.placed(school), ("s2", "f"))
        self.assertEqual(psql(self.urls["main"], f"SELECT count(*) FROM tenant_moves WHERE tenant_id = '{school}'"),
                         [("0",)])
        Client(self.b, token=tok).post(f"{V1}/students", json={
            "admissionNo": "KEPT-1", "firstName": "K", "lastName": "S", "dateOfBirth": "2014-01-02"}, expect=201)
        self.assertEqual(len(self.admissions(self.urls["s2"], school)), 11)

    def test_move_onto_the_catalogs_cluster_and_back(self):
        school, tok = self.school("move-home", students=8)
        # the catalog's row of the school stays its own (platform updates keep the shard's in step)
        settled = [t for t in self.tables if t != "audit_events"]  # read events are written behind requests
        before = sums(self.urls["s2"], school, settled, with_tenants=False)
        r = self.move("move-home", "--to", "main", "--grace", "0")
        self.assertIn("removed the school's rows from s2", r.stdout)
        self.assertEqual(self.placed(school), ("main", "f"))
        self.assertEqual(sums(self.urls["main"], school, settled, with_tenants=False), before)
        self.assertEqual(rows_left(self.urls["s2"], school, self.tables), {})
        self.assertEqual(psql(self.urls["s2"], f"SELECT count(*) FROM tenants WHERE id = '{school}'"), [("0",)])
        login(self.b, "move-home", "admin@move-home.example")
        Client(self.a, token=tok).post(f"{V1}/students", json={
            "admissionNo": "HOME-1", "firstName": "H", "lastName": "M", "dateOfBirth": "2014-01-02"}, expect=201)
        self.assertIn("HOME-1", self.admissions(self.urls["main"], school))
        # and away from main again: the catalog keeps the school's row, its other rows leave
        self.move("move-home", "--to", "s3", "--grace", "0")
        self.assertEqual(rows_left(self.urls["main"], school, self.tables), {})
        self.assertEqual(psql(self.urls["main"], f"SELECT count(*) FROM tenants WHERE id = '{school}'"), [("1",)])
        self.assertEqual(len(self.admissions(self.urls["s3"], school)), 9)
        Client(self.b, token=tok).get(f"{V1}/students?limit=5", expect=200)

    def test_refusals_change_nothing(self):
        school, _ = self.school("move-refused")
        for args in (["--to", "nowhere"], ["--cleanup"], ["--abort"], ["--to", "s3", "--cleanup"],
                     ["--to", "s3", "--grace", "soon"], ["--keep-source"]):
            r = self.move(school, *args, expect=2)
            self.assertIn("school-erp tenant move:", r.stderr)
        self.move(f"no-such-{uuid.uuid4().hex[:6]}", "--to", "s3", expect=2)
        r = self.move(school, "--to", "s2")
        self.assertIn("nothing to move", r.stdout)
        self.assertEqual(self.placed(school), ("s2", "f"))
        self.assertEqual(psql(self.urls["main"], f"SELECT count(*) FROM tenant_moves WHERE tenant_id = '{school}'"),
                         [("0",)])


if __name__ == "__main__":
    unittest.main()
