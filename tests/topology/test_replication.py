"""
The storage topology: a PostgreSQL primary and a streaming standby made with
pg_basebackup, on loopback, with the real server in front.

* reads go to the replica (db_query_duration_seconds by target);
* with replay paused, a user who just wrote reads their write; another user
  still reads the replica (the rule is per user, not a global switch);
* with replay paused, a revocation by one user (disable, role removal, school
  suspension, refresh-token reuse) refuses the affected user's next request;
* a replica further behind than ERP_REPLICA_MAX_LAG_MS gets no reads;
* a stopped replica: reads keep succeeding, from the primary;
* failover: the primary stops, the standby is promoted, and writes succeed
  again through the multi-host URL within a bounded time, without a restart.
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from harness import Server, wait_until  # noqa: E402
from services import Postgres  # noqa: E402
from world import PASSWORD, World, login  # noqa: E402

SECRET = "topology-suite-secret-0123456789-abcdefgh"


class Topology(unittest.TestCase):
    MAX_LAG_MS = 1000
    READ_FROM_STANDBY = True
    MULTI_HOST = False

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="erp-topology-")
        os.chmod(self.root, 0o755)
        self.addCleanup(shutil.rmtree, self.root, True)
        self.primary = Postgres(self.root, "primary").init().start()
        self.addCleanup(self.primary.stop, "immediate")
        self.primary.create_db("erp")
        self.standby = self.primary.standby("standby").start()
        self.addCleanup(self.standby.stop, "immediate")
        wait_until(lambda: self.standby.psql("SELECT pg_is_in_recovery()", db="erp") == "t", timeout=30,
                   message="the standby streams")
        url = self.primary.url("erp")
        if self.MULTI_HOST:
            url = (f"postgres://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}/erp"
                   "?target_session_attrs=read-write")
        env = {"ERP_DATABASE_URL": url, "ERP_JWT_SECRET": SECRET, "ERP_REPLICA_MAX_LAG_MS": str(self.MAX_LAG_MS),
               "ERP_POOL_SIZE": "4"}
        if self.READ_FROM_STANDBY:
            env["ERP_DATABASE_READ_URLS"] = self.standby.url("erp")
        self.server = Server(env=env, test_routes=False).start()
        self.addCleanup(self.server.stop)
        self.world = World(self.server)
        self.caught_up()

    def caught_up(self):
        """Waits until the standby has replayed everything the primary has."""
        target = self.primary.psql("SELECT pg_current_wal_insert_lsn()")  # past every commit, written out or not
        wait_until(lambda: self.standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t",
                   timeout=30, message="the standby catches up")

    def count(self, statement, target):
        m = self.server.metrics()
        return m.value("db_query_duration_seconds_count", statement=statement, target=target) or 0

    def replica_state(self, name):
        return self.server.metrics().value(name, replica="0")

    def reads_on_replica(self, client, path, statement="users.get"):
        """Whether a read of path by client is served by the replica (its statement counted there)."""
        before = self.count(statement, "replica")
        client.get(path, expect=200)
        return self.count(statement, "replica") > before


class TestReads(Topology):
    MAX_LAG_MS = 60000  # a paused replica stays eligible: only read-your-writes keeps a writer off it

    def test_reads_go_to_the_replica(self):
        wait_until(lambda: self.replica_state("db_replica_fresh") == 1, timeout=30, message="replica fresh")
        before = self.count("users.me", "replica")
        teacher = self.world.A.client("teacher")  # has written nothing: nothing to wait for
        for _ in range(5):
            teacher.get("/api/v1/me", expect=200)
        self.assertGreaterEqual(self.count("users.me", "replica") - before, 5)

    def test_a_writer_reads_their_write_while_replay_is_paused(self):
        a = self.world.A
        second = a.add_user("second-admin", "admin")  # a reader who writes nothing below
        target = a.users["teacher"]["id"]
        path = f"/api/v1/users/{target}"
        self.caught_up()
        other = self.server.client(token=second["token"])
        # the server samples the replica every 100 ms: wait until it sends this reader there
        wait_until(lambda: self.reads_on_replica(other, path), timeout=30, message="the reader uses the replica")
        admin = a.client("admin")
        etag = admin.get(path, expect=200).headers["etag"]
        self.standby.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(lambda: self.standby.psql("SELECT pg_wal_replay_resume()"))
        admin.patch(path, json={"displayName": "Renamed while paused"}, headers={"If-Match": etag}, expect=200)
        # the writer sees the write at once (from the primary) ...
        primary_before = self.count("users.get", "primary")
        self.assertEqual(admin.get(path, expect=200).json["displayName"], "Renamed while paused")
        self.assertGreater(self.count("users.get", "primary"), primary_before)
        # ... while another user, who wrote nothing, still reads the paused replica
        replica_before = self.count("users.get", "replica")
        self.assertNotEqual(other.get(path, expect=200).json["displayName"], "Renamed while paused")
        self.assertGreater(self.count("users.get", "replica"), replica_before)
        self.standby.psql("SELECT pg_wal_replay_resume()")
        wait_until(lambda: other.get(path, expect=200).json["displayName"] == "Renamed while paused", timeout=30,
                   message="the replica catches up")


class TestRevocations(Topology):
    """
    A revocation made by one user applies to another user's very next request, even while the
    replica has not replayed it: the checks that decide access read the primary.
    """

    MAX_LAG_MS = 60000  # a paused replica stays eligible for ordinary reads

    def pause(self, reader_token):
        """Waits until reader's reads (their /me) use the replica, then pauses its replay."""
        self.caught_up()
        reader = self.server.client(token=reader_token)
        wait_until(lambda: self.reads_on_replica(reader, "/api/v1/me", "users.me"), timeout=30,
                   message="the reader uses the replica")
        self.standby.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(lambda: self.standby.psql("SELECT pg_wal_replay_resume()"))
        return reader

    def patch_user(self, admin, uid, body):
        path = f"/api/v1/users/{uid}"
        etag = admin.get(path, expect=200).headers["etag"]
        admin.patch(path, json=body, headers={"If-Match": etag}, expect=200)

    def test_a_disabled_admin_is_refused_at_once(self):
        a = self.world.A
        second = a.add_user("second-admin", "admin")
        path = f"/api/v1/users/{second['id']}"
        victim = self.pause(second["token"])
        self.patch_user(a.client("admin"), second["id"], {"status": "disabled"})
        res = victim.get("/api/v1/me")
        self.assertEqual(res.status, 401, res)
        # and cannot undo it on the lagging replica's word
        res = victim.patch(path, json={"status": "active"}, headers={"If-Match": "*"})
        self.assertEqual(res.status, 401, res)
        self.assertEqual(self.primary.psql(f"SELECT status FROM users WHERE id = '{second['id']}'", db="erp"),
                         "disabled")

    def test_a_removed_role_is_refused_at_once(self):
        a = self.world.A
        second = a.add_user("demoted-admin", "admin")
        victim = self.pause(second["token"])
        self.patch_user(a.client("admin"), second["id"], {"roles": ["staff"]})
        res = victim.get("/api/v1/users")
        self.assertEqual(res.status, 403, res)
        self.assertEqual(victim.get("/api/v1/me", expect=200).json["user"]["roles"], ["staff"])

    def test_a_suspended_school_is_refused_at_once(self):
        b = self.world.B
        victim = self.pause(b.users["admin"]["token"])
        path = f"/api/v1/tenants/{b.id}"
        platform = self.world.platform
        etag = platform.get(path, expect=200).headers["etag"]
        platform.patch(path, json={"status": "suspended"}, headers={"If-Match": etag}, expect=200)
        res = victim.get("/api/v1/me")
        self.assertEqual(res.status, 401, res)
        self.assertIn("suspended", res.json["detail"])

    def test_a_session_revoked_by_refresh_reuse_is_refused_at_once(self):
        a = self.world.A
        first = login(self.server, a.slug, a.users["staff"]["email"], PASSWORD)
        anon = self.server.client()
        second = anon.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}, expect=200).json
        victim = self.pause(second["accessToken"])
        # someone replays the spent refresh token: the whole session is revoked
        self.assertEqual(anon.post("/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}).status, 401)
        res = victim.get("/api/v1/me")
        self.assertEqual(res.status, 401, res)
        self.assertIn("session", res.json["detail"])


class TestLag(Topology):
    MAX_LAG_MS = 300

    def test_a_replica_behind_the_limit_gets_no_reads(self):
        a = self.world.A
        second = a.add_user("reader", "admin")
        path = f"/api/v1/users/{a.users['staff']['id']}"
        admin = a.client("admin")
        etag = admin.get(path, expect=200).headers["etag"]
        self.caught_up()
        self.standby.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(lambda: self.standby.psql("SELECT pg_wal_replay_resume()"))
        admin.patch(path, json={"displayName": "After the pause"}, headers={"If-Match": etag}, expect=200)
        wait_until(lambda: self.replica_state("db_replica_fresh") == 0, timeout=30, message="replica marked lagging")
        other = self.server.client(token=second["token"])
        self.assertEqual(other.get(path, expect=200).json["displayName"], "After the pause")
        self.assertTrue(self.server.log_entries(msg="replica lagging"))


class TestReplicaDown(Topology):
    def test_reads_succeed_from_the_primary_when_the_replica_stops(self):
        teacher = self.world.A.client("teacher")
        teacher.get("/api/v1/me", expect=200)
        self.standby.stop("immediate")
        for _ in range(20):
            teacher.get("/api/v1/me", expect=200)
        wait_until(lambda: self.replica_state("db_replica_up") == 0, timeout=30, message="replica marked down")
        before = self.count("users.me", "primary")
        teacher.get("/api/v1/me", expect=200)
        self.assertGreater(self.count("users.me", "primary"), before)


class TestFailover(Topology):
    MULTI_HOST = True
    READ_FROM_STANDBY = False

    def test_writes_resume_after_promotion_without_a_restart(self):
        a = self.world.A
        admin = a.client("admin")
        path = f"/api/v1/users/{a.users['parent']['id']}"
        admin.get(path, expect=200)
        pid = self.server.pid
        self.caught_up()
        self.primary.stop("immediate")
        self.standby.promote()
        started = time.monotonic()

        def write_succeeds():
            res = admin.get(path)
            if res.status != 200:
                self.assertEqual(res.status, 503, res)  # unavailable meanwhile, never another error
                return False
            res = admin.patch(path, json={"displayName": "After failover"}, headers={"If-Match": res.headers["etag"]})
            self.assertIn(res.status, (200, 503), res)
            return res.status == 200

        wait_until(write_succeeds, timeout=30, interval=0.2, message="writes succeed on the promoted standby")
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 30)
        self.assertEqual(admin.get(path, expect=200).json["displayName"], "After failover")
        self.assertEqual(self.server.pid, pid)
        self.assertTrue(self.server.alive())
        # logins (sessions written) work too
        login(self.server, a.slug, a.users["teacher"]["email"], PASSWORD)
        self.standby.psql("SELECT 1")  # the promoted server is the one answering
        self.assertEqual(self.standby.psql("SELECT pg_is_in_recovery()"), "f")


if __name__ == "__main__":
    unittest.main()
