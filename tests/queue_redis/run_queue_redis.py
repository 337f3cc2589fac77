#!/usr/bin/python3
"""
The Redis queue adapter (src/queue/redis.c) against real servers started here (tests/lib/services.py,
loopback, random free ports), through tests/queue_redis/queue_redis_test:

* standalone: the adapter's suite (enqueue/fetch/complete, de-duplication, priority then FIFO, delayed
  promotion, a lost lock changes nothing, stalled requeue then failure past max_stalled, one sweep per
  interval across workers, the limiter's window, retries with backoff, retention by count and age,
  cancel, tenants);
* a Cluster of three masters and three replicas: the same suite, then every key the suite left is in
  the slot of its queue's hash tag and on one master (no command could have touched two slots);
* the queue contract of tests/queue (queue_tool and `school-erp worker` processes: kill -9 mid-job, the
  limiter across three workers, SIGTERM drain, CPU-bound jobs, ...) on the standalone server and on the Cluster;
* a server with appendonly yes killed with SIGKILL between two steps of one client: the queue's jobs
  are intact after the restart and the same client carries on.

    /usr/bin/python3 tests/queue_redis/run_queue_redis.py -v     (build/tests/queue_redis/queue_redis_test)
    ERP_QUEUE_REDIS_TEST_BIN=build-x/tests/queue_redis/queue_redis_test /usr/bin/python3 tests/queue_redis/run_queue_redis.py -v
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from services import Redis, RedisCluster, redis_cli, service_root  # noqa: E402

BIN = os.environ.get("ERP_QUEUE_REDIS_TEST_BIN") or os.path.join(
    ROOT, os.environ.get("BUILD", "build"), "tests", "queue_redis", "queue_redis_test")


def run_suite(test, url):
    """Runs the C suite against url; fails test with its output unless every case passed."""
    env = dict(os.environ, ERP_TEST_QUEUE_URL=url)
    p = subprocess.run([BIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    print(p.stdout)
    test.assertEqual(p.returncode, 0, p.stdout[-5000:])
    test.assertRegex(p.stdout, r"\[  PASSED  \] \d+ test")


def run_contract(test, url):
    """Runs the adapter-agnostic queue contract (tests/queue/run_queue.py: queue_tool and worker processes) on url."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(BIN))))
    env = dict(os.environ, ERP_QUEUE_TEST_REDIS_URL=url, ERP_QUEUE_TEST_ENGINE="sqlite", BUILD=build)
    env.pop("ERP_BIN", None)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "queue", "run_queue.py"), "-v"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    print(p.stdout)
    test.assertEqual(p.returncode, 0, p.stdout[-5000:])


def pid_of(server):
    with open(os.path.join(server.dir, "redis.pid")) as f:
        return int(f.read())


class Standalone(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = service_root()
        cls.redis = Redis(cls.root, "standalone").start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_suite(self):
        run_suite(self, self.redis.url())
        # every key the suite made is a queue's, under its hash tag
        keys = redis_cli(self.redis.port, "--scan").split()
        self.assertTrue(keys)
        for k in keys:
            self.assertRegex(k, r"^\{q:[0-9a-zA-Z_.:-]+\}:(wait|delayed|active|completed|failed|cancelled|seq|limiter|wake|"
                                r"stalled-check|t:[0-9a-f-]+|job:.+)$")


    def test_contract(self):
        run_contract(self, self.redis.url())


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = RedisCluster(masters=3, replicas=1).start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def url(self):
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.cluster.ports[:2])

    def test_suite_and_one_slot_per_queue(self):
        run_suite(self, self.url())
        where = {}  # queue tag -> set of (port, slot)
        for port in self.cluster.alive():
            if "role:master" not in self.cluster.cli(port, "INFO", "replication"):
                continue
            for k in self.cluster.cli(port, "--scan").split():
                tag = re.match(r"^\{(q:[^}]+)\}", k)
                self.assertIsNotNone(tag, f"key {k} has no queue hash tag")
                slot = int(self.cluster.cli(port, "CLUSTER", "KEYSLOT", k))
                where.setdefault(tag.group(1), set()).add((port, slot))
        self.assertGreaterEqual(len(where), 10, where)
        for tag, places in where.items():
            self.assertEqual(len(places), 1, f"{tag} spread over {places}")
        masters = {port for places in where.values() for port, _ in places}
        print(f"queues: {len(where)}, on {len(masters)} masters")
        self.assertGreater(len(masters), 1)  # the test's queues really spread over the Cluster

    def test_contract(self):
        run_contract(self, self.url())


class Restart(unittest.TestCase):
    def setUp(self):
        self.root = service_root()
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)

    def test_aof_restart_keeps_jobs(self):
        extra = ["--appendonly", "yes", "--appendfsync", "always"]
        r = Redis(self.root, "aof", extra=extra).start()
        self.addCleanup(lambda: r.stop())
        env = dict(os.environ, ERP_TEST_QUEUE_URL=r.url())
        p = subprocess.Popen([BIN, "restart", "aof"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        self.assertEqual(p.stdout.readline().strip(), "ready", p.stderr.read() if p.poll() is not None else "")
        os.kill(pid_of(r), signal.SIGKILL)
        time.sleep(0.3)
        Redis(self.root, "aof", port=r.port, extra=extra).start()
        self.assertEqual(redis_cli(r.port, "ZCARD", "{q:aof}:wait"), "7")  # the AOF kept them
        p.stdin.write("go\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err[-3000:])
        self.assertEqual(out.strip(), "done")
        self.assertEqual(redis_cli(r.port, "ZCARD", "{q:aof}:completed"), "10")
        # the restarted server had forgotten the scripts: the client's EVALSHA met NOSCRIPT and sent EVAL
        stats = redis_cli(r.port, "INFO", "commandstats")
        self.assertRegex(stats, r"cmdstat_eval:calls=[1-9]")
        self.assertRegex(stats, r"cmdstat_evalsha:calls=[1-9]\d*,.*failed_calls=[1-9]")


if __name__ == "__main__":
    unittest.main()
