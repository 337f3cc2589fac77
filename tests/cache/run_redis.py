#!/usr/bin/python3
"""
The Redis client of the L2 cache (src/cache/redis.c) against real servers started here
(tests/lib/services.py, loopback, random free ports), driven through tests/cache/redis_test:

* standalone: commands, error replies, pipelines, SELECT; a stopped server fails every call
  at once after the first failure and is used again when it comes back, with one warning and
  one info line; a hung (SIGSTOPped) server costs one command timeout; the subscriber resyncs
  after a restart;
* a server with a password (percent-encoded in the URL), right and wrong;
* a Cluster of three masters and three replicas: keys spread over the masters, MOVED from a
  single seed, ASK during a slot migration then MOVED once it is over, pub/sub from any node;
* kill -9 of a master under four threads of commands: the failures while the replica is
  promoted are counted, and every command succeeds again afterwards;
* kill -9 of the subscriber's node: on_resync after it reconnects elsewhere, and later
  messages arrive.

    /usr/bin/python3 tests/cache/run_redis.py -v            (build/tests/cache/redis_test)
    ERP_REDIS_TEST_BIN=build-asan/tests/cache/redis_test /usr/bin/python3 tests/cache/run_redis.py -v

The figures (fail-fast timings, failures during the failover) are printed at the end.
"""

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from services import Redis, RedisCluster, redis_cli, service_root  # noqa: E402

BIN = os.environ.get("ERP_REDIS_TEST_BIN") or os.path.join(ROOT, os.environ.get("BUILD", "build"), "tests", "cache",
                                                           "redis_test")
FIGURES = []  # (what, value) printed after the run


def wait_until(predicate, timeout, message):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class Client:
    """One redis_test process holding one redis_t, asked one line at a time."""

    def __init__(self, url):
        fd, self.log = tempfile.mkstemp(prefix="erp-redis-test-", suffix=".log")
        self.proc = subprocess.Popen([BIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd, text=True,
                                     bufsize=1)
        os.close(fd)
        self.closed = False
        self.ok("open " + url)

    def ask(self, line, timeout=60):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"no answer to {line!r} in {timeout} s\n{self.logs()[-3000:]}")
        out = self.proc.stdout.readline()
        if not out:
            raise AssertionError(f"redis_test ended on {line!r} (exit {self.proc.wait()})\n{self.logs()[-3000:]}")
        return out.rstrip("\n")

    def ok(self, line, timeout=60):
        out = self.ask(line, timeout)
        if not out.startswith("ok"):
            raise AssertionError(f"{line!r} answered {out!r}\n{self.logs()[-3000:]}")
        return out[3:]

    def fields(self, line, timeout=60):
        return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", self.ok(line, timeout))}

    def metric(self, series):
        return float(self.ok(f"metric {series}"))

    def logs(self):
        with open(self.log) as f:
            return f.read()

    def log_count(self, msg):
        return sum(1 for line in self.logs().splitlines() if f'"msg":"{msg}"' in line)

    def close(self):
        """Destroys the client and checks the process ends cleanly (under ASan: without leaks)."""
        if self.closed:
            return
        self.closed = True
        self.ok("close")
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=60)
        self.proc.stdout.close()
        logs = self.logs()
        os.unlink(self.log)
        if rc != 0:
            raise AssertionError(f"redis_test exited {rc}\n{logs[-5000:]}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if not f.closed:
                f.close()
        if os.path.exists(self.log):
            os.unlink(self.log)


class Case(unittest.TestCase):
    def client(self, url):
        c = Client(url)
        self.addCleanup(c.kill)
        return c

    def redis(self, name, extra=()):
        """A standalone server of this test only."""
        r = Redis(self.root, name, extra=extra).start()
        self.addCleanup(r.stop)
        return r

    @classmethod
    def setUpClass(cls):
        cls.root = service_root()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)


def pid_of(server):
    with open(os.path.join(server.dir, "redis.pid")) as f:
        return int(f.read())


class Standalone(Case):
    def test_commands(self):
        r = self.redis("commands")
        c = self.client(r.url() + "/2")
        self.assertEqual(c.ok("cmd - SET greeting hello"), "status:OK")
        self.assertEqual(c.ok("cmd greeting GET greeting"), "str:hello")
        self.assertEqual(c.ok("cmd - GET missing"), "nil")
        self.assertEqual(c.ok("cmd - INCR n"), "int:1")
        self.assertEqual(c.ok("cmd - INCR n"), "int:2")
        self.assertTrue(c.ok("cmd - HGET greeting f").startswith("err:WRONGTYPE"))  # an error reply is a reply
        self.assertEqual(c.ok("pipe p 50"), "50")
        self.assertEqual(c.ok("pipe p 3"), "53")  # the counter went on, in order
        self.assertEqual(redis_cli(r.port, "-n", "2", "GET", "greeting"), "hello")  # SELECT 2
        self.assertEqual(redis_cli(r.port, "GET", "greeting"), "")
        self.assertEqual(c.metric("school_erp_redis_up"), 1)
        self.assertGreaterEqual(c.metric("school_erp_redis_command_duration_seconds_count"), 8)
        self.assertEqual(c.metric('school_erp_redis_errors_total{kind="connect"}'), 0)
        c.close()

    def test_stopped_server_fails_fast_then_recovers(self):
        r = self.redis("stopped")
        c = self.client(r.url())
        c.ok("cmd - SET k v")
        r.stop()
        f = c.fields("failfast 300")
        self.assertEqual(f["fails"], 300)
        self.assertLess(f["max_us"], 50000, f"a call took {f['max_us']} µs after the first failure")
        FIGURES.append(("stopped server: first failed call (µs)", f["first_us"]))
        FIGURES.append(("stopped server: slowest of the next 299 failed calls (µs)", f["max_us"]))
        self.assertEqual(c.ok("healthy"), "0")
        self.assertGreater(c.metric('school_erp_redis_errors_total{kind="backoff"}'), 250)  # refused without a syscall
        r.start()
        ms = int(c.ok("until_ok 5000"))
        FIGURES.append(("stopped server: restart to first success (ms)", ms))
        self.assertLess(ms, 2500)  # backoff is at most 2 s
        self.assertEqual(c.ok("cmd k GET k"), "nil")  # a new server (no persistence)
        self.assertEqual(c.ok("healthy"), "1")
        self.assertEqual(c.log_count("redis node unreachable"), 1, c.logs())  # one warning per outage
        self.assertEqual(c.log_count("redis node reachable again"), 1, c.logs())
        c.close()

    def test_hung_server_costs_one_timeout(self):
        r = self.redis("hung")
        c = self.client(r.url())
        c.ok("cmd - SET k v")
        os.kill(pid_of(r), signal.SIGSTOP)
        try:
            out = c.ask("cmd - GET k")
            self.assertTrue(out.startswith("fail"), out)
            took = int(out.split()[1])
            FIGURES.append(("hung server: first call, 100 ms command timeout (µs)", took))
            self.assertGreaterEqual(took, 90000)
            self.assertLess(took, 200000)
            f = c.fields("failfast 100")
            self.assertEqual(f["fails"], 100)
            self.assertLess(f["max_us"], 200000)  # the probes after each backoff: one timeout each
            self.assertGreaterEqual(c.metric('school_erp_redis_errors_total{kind="timeout"}'), 1)
        finally:
            os.kill(pid_of(r), signal.SIGCONT)
        c.ok("until_ok 5000")
        self.assertEqual(c.ok("cmd - GET k"), "str:v")
        c.close()

    def test_subscriber_resyncs_after_restart(self):
        r = self.redis("pubsub")
        c = self.client(r.url())
        c.ok("subscribe news")
        c.ok("wait_resyncs 1 5000")
        redis_cli(r.port, "PUBLISH", "news", "first")
        c.ok("wait_msg first 5000")
        r.stop()
        r.start()
        c.ok("wait_resyncs 2 10000")
        self.assertEqual(c.ok("cmd - PUBLISH news second"), "int:1")  # through the client, to the subscriber
        c.ok("wait_msg second 5000")
        self.assertTrue(c.ask("subscribe other").startswith("fail"))  # one subscription per client
        c.close()


class Password(Case):
    PASSWORD = "p@ss:w/rd"

    def setUp(self):
        self.server = self.redis("auth", extra=["--requirepass", self.PASSWORD])

    def test_right_password(self):
        c = self.client(f"redis://:{urllib.parse.quote(self.PASSWORD, safe='')}@127.0.0.1:{self.server.port}")
        self.assertEqual(c.ok("cmd - SET k v"), "status:OK")
        self.assertEqual(c.ok("cmd - GET k"), "str:v")
        c.close()

    def test_acl_user(self):
        c = self.client(f"redis://default:{urllib.parse.quote(self.PASSWORD, safe='')}@127.0.0.1:{self.server.port}")
        self.assertEqual(c.ok("cmd - PING"), "status:PONG")
        c.close()

    def test_wrong_password(self):
        c = self.client(f"redis://:wrong@127.0.0.1:{self.server.port}")
        out = c.ask("cmd - GET k")
        self.assertTrue(out.startswith("fail"), out)  # AUTH failed: no connection
        self.assertEqual(c.ok("healthy"), "0")
        self.assertIn("WRONGPASS", c.logs())
        self.assertEqual(c.metric('school_erp_redis_errors_total{kind="connect"}'), 1)
        c.close()

    def test_no_password(self):
        c = self.client(self.server.url())
        self.assertTrue(c.ok("cmd - GET k").startswith("err:NOAUTH"))  # the server's answer, as a reply
        c.close()


class ClusterCase(Case):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = RedisCluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        super().tearDownClass()


class Cluster(ClusterCase):
    def test_keys_spread_over_the_masters(self):
        c = self.client(self.cluster.url())
        self.assertEqual(c.ok("spread 300"), "300")
        masters = self.cluster.masters()
        self.assertEqual(len(masters), 3)
        for port in masters:
            self.assertGreater(int(self.cluster.cli(port, "DBSIZE")), 30, f"master {port} holds few keys")
        self.assertEqual(c.ok("spread 300"), "300")  # read again, with the slot map loaded
        self.assertEqual(c.ok("pipe cl 40"), "40")
        self.assertEqual(c.ok("cmd - PING"), "status:PONG")  # keyless
        self.assertTrue(c.ok("cmd {a}x MGET {a}x {b}y").startswith("err:CROSSSLOT"))  # the caller's mistake, reported
        c.close()

    def test_moved_from_a_single_seed(self):
        key = "{moved}k"
        owner = self.cluster.owner(key)
        seed = next(p for p in self.cluster.masters() if p != owner)
        c = self.client(self.cluster.url([seed]))
        self.assertEqual(c.ok(f"cmd {key} SET {key} 1"), "status:OK")
        self.assertEqual(self.cluster.cli(owner, "GET", key), "1")
        self.assertEqual(c.ok("spread 100"), "100")  # every master reached from one seed
        c.close()

    def test_ask_during_migration_then_moved(self):
        c = self.client(self.cluster.url())
        a, b = "{ask}a", "{ask}b"
        self.assertEqual(c.ok(f"cmd {a} SET {a} 1"), "status:OK")
        slot = int(self.cluster.cli(self.cluster.ports[0], "CLUSTER", "KEYSLOT", a))
        src = self.cluster.owner(a)
        dst = next(p for p in self.cluster.masters() if p != src)
        src_id, dst_id = self.cluster.node_id(src), self.cluster.node_id(dst)
        self.cluster.cli(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
        self.cluster.cli(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
        self.assertEqual(self.cluster.cli(src, "MIGRATE", "127.0.0.1", dst, "", 0, 5000, "KEYS", a), "OK")
        asks = c.metric('school_erp_redis_redirects_total{kind="ask"}')
        self.assertEqual(c.ok(f"cmd {a} GET {a}"), "str:1")  # gone from the source: ASK, then ASKING + GET
        self.assertEqual(c.ok(f"cmd {b} SET {b} 2"), "status:OK")  # a new key of a migrating slot goes to the target
        self.assertEqual(c.ok(f"cmd {b} GET {b}"), "str:2")
        self.assertGreaterEqual(c.metric('school_erp_redis_redirects_total{kind="ask"}'), asks + 3)
        for port in self.cluster.masters():
            self.cluster.cli(port, "CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        wait_until(lambda: self.cluster.owner(a) == dst, 10, "the slot's new owner is known")
        moved = c.metric('school_erp_redis_redirects_total{kind="moved"}')
        # the client's map says src (one MOVED), unless its background reload of the slot map came first
        self.assertEqual(c.ok(f"cmd {a} GET {a}"), "str:1")
        after = c.metric('school_erp_redis_redirects_total{kind="moved"}')
        self.assertIn(after, (moved, moved + 1))
        self.assertEqual(c.ok(f"cmd {a} GET {a}"), "str:1")  # and the map is right now: no redirect
        self.assertEqual(c.metric('school_erp_redis_redirects_total{kind="moved"}'), after)
        self.assertEqual(c.ok("pipe ask 10"), "10")
        c.close()

    def test_pubsub_from_any_node(self):
        c = self.client(self.cluster.url())
        c.ok("subscribe events")
        c.ok("wait_resyncs 1 5000")
        for i, port in enumerate(self.cluster.ports):
            redis_cli(port, "PUBLISH", "events", f"from{i}")
            c.ok(f"wait_msg from{i} 5000")
        self.assertEqual(c.ok("cmd - PUBLISH events mine"), "int:1")
        c.ok("wait_msg mine 5000")
        c.close()


class ClusterFailover(ClusterCase):
    def test_master_killed_under_load(self):
        c = self.client(self.cluster.url())
        self.assertEqual(c.ok("spread 200"), "200")
        c.ok("load start 4")
        time.sleep(1)
        victim = self.cluster.masters()[0]
        victim_id = self.cluster.node_id(victim)
        replica = next(n["port"] for n in self.cluster.nodes() if n["master_id"] == victim_id)
        t0 = time.time()
        self.cluster.kill(victim)
        c.ok("mark")

        def promoted():
            try:
                return self.cluster.cli(replica, "ROLE").splitlines()[0] == "master" and all(
                    self.cluster.state_ok(p) for p in self.cluster.alive())
            except (subprocess.SubprocessError, OSError):
                return False

        wait_until(promoted, 20, "the replica's promotion")
        promoted_ms = int((time.time() - t0) * 1000)
        time.sleep(3)
        f = c.fields("load stop")
        FIGURES.append(("master kill -9: replica promoted after (ms)", promoted_ms))
        FIGURES.append(("master kill -9: operations of 4 threads (SET+GET)", f["ops"]))
        FIGURES.append(("master kill -9: failed operations during the switch", f["fails"]))
        FIGURES.append(("master kill -9: last failure after the kill (ms)", f["last_fail_ms"]))
        FIGURES.append(("master kill -9: slowest failed operation (µs)", f["max_fail_us"]))
        self.assertGreater(f["fails"], 0)  # a third of the keys had no master for a while
        self.assertLess(f["last_fail_ms"], promoted_ms + 1500, "failures went on after the promotion")
        self.assertLess(f["last_fail_ms"], 8000)
        self.assertLess(f["max_fail_us"], 250000)  # failures are fast: no call waits for the dead node
        self.assertEqual(c.ok("spread 200"), "200")  # every key readable and writable again
        c.close()


class ClusterSubscriberFailover(ClusterCase):
    def test_subscriber_node_killed(self):
        c = self.client(self.cluster.url())
        c.ok("subscribe alerts")
        c.ok("wait_resyncs 1 5000")
        redis_cli(self.cluster.ports[-1], "PUBLISH", "alerts", "before")
        c.ok("wait_msg before 5000")
        node = next(p for p in self.cluster.alive()
                    if self.cluster.cli(p, "PUBSUB", "NUMSUB", "alerts").splitlines()[1] == "1")
        self.cluster.kill(node)
        c.ok("wait_resyncs 2 20000")
        other = next(p for p in self.cluster.alive())
        wait_until(lambda: any(self.cluster.cli(p, "PUBSUB", "NUMSUB", "alerts").splitlines()[1] == "1"
                               for p in self.cluster.alive()), 10, "the subscription elsewhere")
        redis_cli(other, "PUBLISH", "alerts", "after")
        c.ok("wait_msg after 5000")
        self.assertEqual(c.log_count("redis subscription lost"), 1, c.logs())
        c.close()


def print_figures():
    if FIGURES:
        print(f"\nfigures ({os.path.relpath(BIN, ROOT)}):", file=sys.stderr)
        for what, value in FIGURES:
            print(f"  {what}: {value}", file=sys.stderr)


if __name__ == "__main__":
    if not os.path.exists(BIN):
        sys.exit(f"run_redis.py: {BIN} is missing (meson setup with -Dtests=enabled, then ninja)")
    prog = unittest.main(verbosity=2, exit=False)
    print_figures()
    sys.exit(0 if prog.result.wasSuccessful() else 1)
