"""
Sharding by school when a cluster fails (src/shard/settle.c; tests/run's shard-pg stage).

Each class runs a server whose catalog is on the shared PostgreSQL server, whose shard s2 is a database on the
first server of ERP_TEST_SHARD_PG_URLS, and whose shard s3 is a cluster of its own (tests/lib/services.py
ShardCluster) that the test stops, pauses or fails over:

* writes that span the catalog and a shard: a platform update while the school's shard is down answers 200
  and leaves the copy owed; the school's requests get 503 meanwhile (never its old status), and its next
  request once the shard is back, or `school-erp tenant repair`, brings the shard in step; a school created
  while its shard is down leaves nothing; a creation killed between the catalog's step and the shard's
  leaves a pending school that no list shows and that the next creation with its slug, its next login, or
  the repair command settles (made on the shard: kept; not made: removed, the slug free);
* a shard's primary killed and its standby promoted: the other shard's school sees no error at all, the
  failed shard's school sees only 503 and recovers through the multi-host URL, without a restart.
Checked with psql on each cluster (the oracle).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import harness
from harness import Client, Server, ServerTestCase, run, wait_until
from test_shard import psql
from world import PASSWORD, PLATFORM_EMAIL, create_platform_admin, login

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from services import ShardCluster  # noqa: E402

V1 = "/api/v1"
SHARDED = harness.ENGINE == "postgres" and len(harness.SHARD_PG_URLS) >= 1


def need_shards():
    if not SHARDED:
        harness.skip_allowed("needs ERP_TEST_ENGINE=postgres and ERP_TEST_SHARD_PG_URLS (tests/run's shard-pg stage)")


class OwnShard(ServerTestCase):
    """A server with s2 on the shared shard server and s3 on a cluster of this class."""

    CLASS_SERVER = False
    STANDBY = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        need_shards()
        cls.s3 = ShardCluster("s3", standby=cls.STANDBY).start()
        cls.s2_db = f"ops_{os.getpid()}_{cls.__name__.lower()}"
        harness.pg_drop_database(cls.s2_db, harness.SHARD_PG_URLS[0])
        harness._psql(f'CREATE DATABASE "{cls.s2_db}"', harness.SHARD_PG_URLS[0])
        s2 = harness.shard_url(harness.SHARD_PG_URLS[0], cls.s2_db)
        try:
            cls.server = Server(env={"ERP_SHARDS": f"s2={s2};s3={cls.s3.url()}", "ERP_SHARD_PLACEMENT": "s3",
                                     "ERP_POOL_SIZE": "4"}).start()
        except BaseException:
            cls.s3.stop()
            raise
        cls.urls = {"main": harness.pg_url(cls.server.pg_db), "s2": s2, "s3": cls.s3.primary.url(cls.s3.db)}
        create_platform_admin(cls.server)
        cls.platform = Client(cls.server, token=login(cls.server, None, PLATFORM_EMAIL)["accessToken"])

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.s3.stop()
            harness.pg_drop_database(cls.s2_db, harness.SHARD_PG_URLS[0])

    def catalog(self, sql):
        return psql(self.urls["main"], sql)

    def directory(self, school_id):
        """(phase, copied_version, catalog version) of a school's directory row, or None."""
        rows = self.catalog("SELECT d.phase, d.copied_version, t.version FROM tenant_shards d JOIN tenants t"
                            f" ON t.id = d.tenant_id WHERE d.tenant_id = '{school_id}'")
        return rows[0] if rows else None

    def new_school(self, slug, expect=201):
        return self.platform.post(f"{V1}/tenants", json={
            "name": f"School {slug}", "slug": slug, "timeZone": "Europe/Paris", "currency": "EUR",
            "admin": {"email": f"admin@{slug}.example", "password": PASSWORD, "displayName": "Admin"},
        }, expect=expect).json

    def cli_create(self, slug, shard):
        return [self.server.binary, "tenant", "create", "--name", f"School {slug}", "--slug", slug, "--admin-email",
                f"admin@{slug}.example", "--admin-password-stdin", "--shard", shard]

    def repair(self):
        return run([self.server.binary, "tenant", "repair"], env=self.server.environment(), timeout=120)

    def school_client(self, slug):
        return Client(self.server, token=login(self.server, slug, f"admin@{slug}.example")["accessToken"])

    def slug_rows(self, slug):
        """How many rows name the slug: the catalog's tenants, its directory, s3's tenants."""
        where = f"SELECT count(*) FROM tenants WHERE slug = '{slug}'"
        return (self.catalog(where)[0][0],
                self.catalog(f"SELECT count(*) FROM tenant_shards d JOIN tenants t ON t.id = d.tenant_id"
                             f" WHERE t.slug = '{slug}'")[0][0],
                psql(self.urls["s3"], where)[0][0])


class TestWritesAcrossClusters(OwnShard):
    def shard_down(self):
        # a fast stop: the test services run with synchronous_commit off, and an immediate stop would lose the
        # shard's last commits (the school itself), which is not the failure under test
        self.s3.primary.stop("fast")
        self.addCleanup(self.shard_up)

    def shard_up(self):
        if not os.path.exists(os.path.join(self.s3.primary.data, "postmaster.pid")):
            self.s3.primary.start()

    def after_503s(self, call):
        """call()'s first answer that is not 503: the server's connections to a restarted cluster are found
        dead on use and made again after a short backoff, so a request or two may still be refused meanwhile."""
        got = []

        def answered():
            res = call()
            if res.status == 503:
                return False
            got.append(res)
            return True

        wait_until(answered, timeout=60, interval=0.2, message="an answer other than 503")
        return got[0]

    def test_update_while_the_shard_is_down_is_owed_and_the_schools_next_request_settles_it(self):
        school = self.new_school("owed-next")
        admin = self.school_client("owed-next")
        admin.get(f"{V1}/students", expect=200)
        cur = self.platform.get(f"{V1}/tenants/{school['id']}", expect=200)
        self.shard_down()
        doc = self.platform.patch(f"{V1}/tenants/{school['id']}", json={"status": "suspended"},
                                  headers={"If-Match": cur.headers["etag"]}, expect=200).json
        self.assertEqual(doc["status"], "suspended")
        phase, copied, version = self.directory(school["id"])
        self.assertEqual(phase, "active")
        self.assertLess(int(copied), int(version), "the copy is owed")
        # meanwhile the school is not served from a shard behind the catalog
        res = admin.get(f"{V1}/students")
        self.assertEqual(res.status, 503, res)
        self.shard_up()
        self.assertEqual(psql(self.urls["s3"], f"SELECT status FROM tenants WHERE id = '{school['id']}'"),
                         [("active",)], "the shard still holds the old copy")
        # the next request settles first, then sees the suspension: never the old status
        res = self.after_503s(lambda: admin.get(f"{V1}/students"))
        self.assertEqual(res.status, 401, res)
        self.assertEqual(psql(self.urls["s3"], f"SELECT status, version FROM tenants WHERE id = '{school['id']}'"),
                         [("suspended", version)])
        self.assertEqual(self.directory(school["id"]), ("active", version, version))
        login(self.server, "owed-next", "admin@owed-next.example", expect=401)

    def test_update_while_the_shard_is_down_is_settled_by_tenant_repair(self):
        school = self.new_school("owed-repair")
        cur = self.platform.get(f"{V1}/tenants/{school['id']}", expect=200)
        self.shard_down()
        self.platform.patch(f"{V1}/tenants/{school['id']}", json={"name": "Renamed while down"},
                            headers={"If-Match": cur.headers["etag"]}, expect=200)
        r = self.repair()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # its shard unreachable: left, said so
        self.assertIn("1 left", r.stdout)
        self.shard_up()
        r = self.repair()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 school brought in step, 0 left", r.stdout)
        self.assertEqual(psql(self.urls["s3"], f"SELECT name FROM tenants WHERE id = '{school['id']}'"),
                         [("Renamed while down",)])
        _, copied, version = self.directory(school["id"])
        self.assertEqual(copied, version)
        r = self.repair()
        self.assertIn("0 schools brought in step, 0 left", r.stdout)

    def test_a_school_created_while_its_shard_is_down_leaves_nothing(self):
        self.shard_down()
        self.new_school("made-while-down", expect=503)
        self.assertEqual(self.catalog("SELECT count(*) FROM tenants WHERE slug = 'made-while-down'"), [("0",)])
        self.shard_up()
        res = self.after_503s(lambda: self.platform.post(f"{V1}/tenants", json={
            "name": "School again", "slug": "made-while-down",
            "admin": {"email": "admin@made-while-down.example", "password": PASSWORD, "displayName": "Admin"}}))
        self.assertEqual(res.status, 201, res)
        self.assertEqual(self.slug_rows("made-while-down"), ("1", "1", "1"))

    def killed_between_the_steps(self, slug):
        """Runs `tenant create` with s3's postmaster paused and kills it (-9) once the catalog holds the pending
        school, while it waits for the shard: what a crash between the two clusters' steps leaves."""
        self.s3.pause()
        try:
            proc = subprocess.Popen(self.cli_create(slug, "s3"), env=self.server.environment(), text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.stdin.write(PASSWORD + "\n")
                proc.stdin.close()
                wait_until(lambda: self.catalog(
                    "SELECT count(*) FROM tenant_shards d JOIN tenants t ON t.id = d.tenant_id"
                    f" WHERE t.slug = '{slug}' AND d.phase = 'pending'") == [("1",)],
                    timeout=60, interval=0.02, message="the pending school in the catalog")
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
        finally:
            self.s3.resume()
        # the killed command's catalog session ends, and with it its hold on the school's directory row
        wait_until(lambda: self.catalog("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                        " AND state LIKE 'idle in transaction%'") == [("0",)],
                   timeout=30, message="the killed command's transaction ends")
        return self.catalog(f"SELECT id FROM tenants WHERE slug = '{slug}'")[0][0]

    def test_a_creation_killed_between_the_steps_is_hidden_then_freed_by_the_next_creation(self):
        sid = self.killed_between_the_steps("killed-create")
        self.assertEqual(self.slug_rows("killed-create"), ("1", "1", "0"))
        items = self.platform.get(f"{V1}/tenants?limit=100", expect=200).json["items"]
        self.assertNotIn(sid, [t["id"] for t in items])
        self.platform.get(f"{V1}/tenants/{sid}", expect=404)
        # the next creation with the slug settles the pending school (never made: removed), then succeeds
        fresh = self.new_school("killed-create")
        self.assertNotEqual(fresh["id"], sid)
        self.assertEqual(self.slug_rows("killed-create"), ("1", "1", "1"))
        self.assertEqual(self.directory(fresh["id"])[0], "active")
        self.school_client("killed-create").get(f"{V1}/students", expect=200)

    def test_a_creation_killed_between_the_steps_is_freed_by_tenant_repair(self):
        self.killed_between_the_steps("killed-repair")
        r = self.repair()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.slug_rows("killed-repair"), ("0", "0", "0"))

    def test_a_school_made_on_its_shard_but_left_pending_is_kept_by_its_next_login(self):
        # the state a crash after the shard's commit and before the catalog's last step leaves (made by the
        # command, so the server has no directory entry of the school cached)
        r = run(self.cli_create("made-pending", "s3"), env=self.server.environment(), input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        school = {"id": r.stdout.strip()}
        self.catalog(f"UPDATE tenant_shards SET phase = 'pending', copied_version = 0 WHERE tenant_id = '{school['id']}'")
        self.platform.get(f"{V1}/tenants/{school['id']}", expect=404)
        tokens = login(self.server, "made-pending", "admin@made-pending.example")
        self.assertEqual(self.directory(school["id"])[0], "active")
        Client(self.server, token=tokens["accessToken"]).get(f"{V1}/students", expect=200)
        self.platform.get(f"{V1}/tenants/{school['id']}", expect=200)


class Traffic:
    """Reads and writes of one school in a loop on a thread of its own; every answer's (time, status)."""

    def __init__(self, server, slug):
        self.client = Client(server, token=login(server, slug, f"admin@{slug}.example")["accessToken"], contract=False)
        self.slug = slug
        self.log = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                res = self.client.get(f"{V1}/students?limit=5")
                self.log.append((time.monotonic(), res.status))
                res = self.client.post(f"{V1}/students", json={
                    "admissionNo": f"ADM-{self.slug}-{n}", "firstName": "Ada", "lastName": "Traffic",
                    "dateOfBirth": "2014-05-06"})
                self.log.append((time.monotonic(), res.status))
            except Exception as e:  # noqa: BLE001 - the server is never expected to drop a connection
                self.log.append((time.monotonic(), repr(e)))
            time.sleep(0.01)

    def successes_after(self, t):
        return sum(1 for at, status in self.log if at > t and status in (200, 201))


class TestFailover(OwnShard):
    STANDBY = True

    def test_a_shards_primary_killed_and_promoted_affects_only_its_schools(self):
        for slug, shard in (("steady-s2", "s2"), ("failing-s3", "s3")):
            r = run(self.cli_create(slug, shard), env=self.server.environment(), input=PASSWORD + "\n")
            self.assertEqual(r.returncode, 0, r.stderr)
        steady, failing = Traffic(self.server, "steady-s2"), Traffic(self.server, "failing-s3")
        for t in (steady, failing):
            t.thread.start()
        try:
            start = time.monotonic()
            wait_until(lambda: steady.successes_after(start) >= 10 and failing.successes_after(start) >= 10,
                       timeout=60, message="traffic on both shards")
            self.s3.caught_up()
            self.s3.fail_over()
            promoted = time.monotonic()
            wait_until(lambda: failing.successes_after(promoted) >= 10, timeout=90, interval=0.1,
                       message="the failed shard's school writes again after the promotion")
            after = time.monotonic()
            wait_until(lambda: steady.successes_after(after) >= 10, timeout=60, message="more steady traffic")
        finally:
            for t in (steady, failing):
                t.stop.set()
                t.thread.join(timeout=60)
        bad = [(round(at - promoted, 2), s) for at, s in steady.log if s not in (200, 201)]
        self.assertEqual(bad, [], "the other shard's school saw errors")
        self.assertGreater(sum(1 for at, _ in steady.log if at > promoted), 0)
        statuses = {s for _, s in failing.log}
        self.assertLessEqual(statuses, {200, 201, 503}, "the failed shard's school: 503 meanwhile, nothing else")
        self.assertIn(503, statuses)  # it did fail over: not all of its requests went through
        self.assertEqual(self.s3.standby.psql("SELECT pg_is_in_recovery()"), "f")
        # its rows are on the promoted server, and a login (a session written) works there
        n = self.s3.standby.psql("SELECT count(*) FROM students s JOIN tenants t ON t.id = s.tenant_id"
                                 " WHERE t.slug = 'failing-s3'", db=self.s3.db)
        self.assertGreater(int(n), 0)
        self.school_client("failing-s3").get(f"{V1}/students", expect=200)
        self.assertTrue(self.server.alive())


if __name__ == "__main__":
    unittest.main()
