#!/usr/bin/python3
"""
The queue contract (src/queue/queue.h) against a real database, adapter-agnostic: the port is driven
through tests/queue/queue_tool and real `school-erp worker` processes, on the queue they would use:

    ERP_QUEUE_TEST_ENGINE=sqlite /usr/bin/python3 tests/queue/run_queue.py -v     (stage queue-sql)
    ERP_QUEUE_TEST_ENGINE=pg     /usr/bin/python3 tests/queue/run_queue.py -v     (stage queue-pg; ERP_TEST_PG_URL,
                                                                                  else a PostgreSQL of its own)
    ERP_QUEUE_TEST_REDIS_URL=redis://127.0.0.1:P  …                               (the same suite on the Redis adapter)

BUILD (default build) names the build directory; ERP_BIN and ERP_QUEUE_TOOL override the binaries.
Every test uses its own queue name and school, with short timings (lock 1 s, stalled sweep every 300 ms).
"""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

import harness  # noqa: E402

from services import Postgres, free_port, service_root  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
BIN = os.environ.get("ERP_BIN") or os.path.join(BUILD, "school-erp")
TOOL = os.environ.get("ERP_QUEUE_TOOL") or os.path.join(BUILD, "tests", "queue", "queue_tool")
ENGINE = os.environ.get("ERP_QUEUE_TEST_ENGINE", "sqlite")
REDIS_URL = os.environ.get("ERP_QUEUE_TEST_REDIS_URL")

LOCK_MS = 1000
SWEEP_MS = 300
BASE_ENV = {
    "ERP_QUEUE_LOCK_MS": str(LOCK_MS),
    "ERP_QUEUE_STALLED_INTERVAL_MS": str(SWEEP_MS),
    "ERP_QUEUE_LIMIT_MAX": "0",
    "ERP_WORKER_POLL_MS": "50",
    "ERP_ENABLE_TEST_ROUTES": "1",
    "ERP_LOG_LEVEL": "info",
}
DB = {}  # url, tmp


def setUpModule():
    DB["tmp"] = tempfile.mkdtemp(prefix="erp-queue-")
    if ENGINE == "pg":
        base = os.environ.get("ERP_TEST_PG_URL")
        if not base:
            DB["pg"] = Postgres(service_root()).init().start()
            base = DB["pg"].url()
        name = f"queue_{os.getpid()}_{int(time.time())}"
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", base, "-c", f'CREATE DATABASE "{name}"'],
                       check=True)
        DB["url"] = base.rsplit("/", 1)[0] + "/" + name
    else:
        DB["url"] = "sqlite:" + os.path.join(DB["tmp"], "queue.db")
    out = subprocess.run([BIN, "migrate"], env=env_for({}), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"migrate failed: {out.stderr}")
    print(f"queue contract on {DB['url']}" + (f" with Redis {REDIS_URL}" if REDIS_URL else ""), file=sys.stderr)


def tearDownModule():
    if "pg" in DB:
        DB["pg"].stop("immediate")
        shutil.rmtree(DB["pg"].root, ignore_errors=True)
    shutil.rmtree(DB["tmp"], ignore_errors=True)


def env_for(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_") and k != "QUEUE_NAME"}
    env.update(BASE_ENV)
    env["ERP_DATABASE_URL"] = DB["url"]
    env["ERP_DATA_DIR"] = DB["tmp"]
    if REDIS_URL:
        env["ERP_REDIS_URL"] = REDIS_URL
    env.update(extra)
    return env


def wait_until(predicate, timeout, message):
    return harness.wait_until(predicate, timeout=timeout, interval=0.05, message=message)


class Tool:
    """One queue_tool process holding one queue_t."""

    def __init__(self, queue, extra=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([TOOL, queue], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env_for(extra or {}), text=True, bufsize=1)
        self.adapter = self._read(30)["adapter"]

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.log.seek(0)
            raise AssertionError(f"queue_tool gave no answer: {self.log.read().decode()[-2000:]}")
        return json.loads(line)

    def __call__(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read(30)

    def rc(self, line):
        return self(line)["rc"]

    def close(self):
        """Ends the tool; returns what is wrong with how it ended (exit status, a sanitizer's report) or None."""
        self.proc.stdin.close()
        rc = self.proc.wait(30)
        self.proc.stdout.close()
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        self.log.close()
        return sanitizer_trouble(f"queue_tool exited {rc}", rc, text)


class Worker:
    """A `school-erp worker` process."""

    def __init__(self, queue, extra=None):
        self.port = free_port()
        env = {"QUEUE_NAME": queue, "ERP_WORKER_LISTEN": f"127.0.0.1:{self.port}"}
        env.update(extra or {})
        self.err = tempfile.NamedTemporaryFile(prefix="erp-worker-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([BIN, "worker"], env=env_for(env), stdout=subprocess.DEVNULL, stderr=self.err)
        wait_until(self.healthy, 10, "the worker's /healthz")

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
            return r.status, r.read().decode()

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"worker exited {self.proc.returncode}: {self.logs()}")
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def logs(self, whole=False):
        with open(self.err.name) as f:
            text = f.read()
        return text if whole else text[-3000:]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"worker did not stop in {timeout} s: {self.logs()}")


def sanitizer_trouble(what, rc, log):
    """None when a process ended well (exit 0, no AddressSanitizer / UBSan report), else what went wrong."""
    bad = [line for line in log.splitlines() if "Sanitizer" in line or "runtime error:" in line]
    if rc == 0 and not bad:
        return None
    return f"{what}: {bad[:5] or log[-1500:]}"


def metric(worker, series):
    """The value of one series of a worker's /metrics, or None."""
    for line in worker.get("/metrics")[1].splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


class QueueCase(unittest.TestCase):
    def setUp(self):
        self.queue = f"t{uuid.uuid4().hex[:12]}"
        self.school = str(uuid.uuid4())
        self.tools, self.workers = [], []
        self.file = os.path.join(DB["tmp"], self.queue + ".effects")

    def tearDown(self):
        trouble = []
        for w in self.workers:
            rc = w.stop() if w.proc.poll() is None else w.proc.returncode
            if rc != -signal.SIGKILL:  # the one a test killed
                trouble.append(sanitizer_trouble(f"worker exited {rc}", rc, w.logs(whole=True)))
            os.unlink(w.err.name)
        trouble += [t.close() for t in self.tools]
        trouble = [x for x in trouble if x]
        self.assertEqual(trouble, [], "processes ended badly")

    def tool(self, extra=None):
        t = Tool(self.queue, extra)
        self.tools.append(t)
        return t

    def worker(self, extra=None):
        w = Worker(self.queue, extra)
        self.workers.append(w)
        return w

    def enqueue(self, t, **spec):
        spec.setdefault("tenant", self.school)
        spec.setdefault("type", "test.sleep")
        r = t("enqueue " + json.dumps(spec))
        self.assertEqual(r["rc"], 0, r)
        return r["id"]

    def get(self, t, job_id):
        r = t(f"get {self.school} {job_id}")
        self.assertEqual(r["rc"], 0, r)
        return r["job"]

    def effects(self):
        try:
            with open(self.file) as f:
                return [line.split() for line in f]
        except FileNotFoundError:
            return []

    def wait_state(self, t, job_id, state, timeout=20):
        return wait_until(lambda: (lambda j: j if j["state"] == state else None)(self.get(t, job_id)), timeout,
                          f"job {job_id} {state}")


class TestContract(QueueCase):
    def test_enqueue_fetch_complete(self):
        t = self.tool()
        jid = self.enqueue(t, payload={"n": 1}, owner="0190f0e4-0000-7000-8000-000000000001")
        self.assertEqual(self.get(t, jid)["state"], "waiting")
        f = t("fetch")
        self.assertEqual(f["rc"], 1)
        self.assertEqual((f["job"]["id"], f["job"]["payload"], f["job"]["attemptsMade"]), (jid, {"n": 1}, 0))
        self.assertEqual(self.get(t, jid)["state"], "active")
        self.assertEqual(t.rc(f"progress {jid} 40"), 0)
        self.assertEqual(self.get(t, jid)["progress"], 40)
        self.assertEqual(t.rc(f"complete {jid} " + json.dumps({"rows": 3})), 0)
        j = self.get(t, jid)
        self.assertEqual((j["state"], j["progress"], j["result"], j["attemptsMade"]), ("completed", 100, {"rows": 3}, 1))
        self.assertTrue(j["createdAt"] <= j["startedAt"] <= j["finishedAt"])
        self.assertEqual(j["ownerId"], "0190f0e4-0000-7000-8000-000000000001")
        self.assertEqual(t("fetch")["rc"], 0)
        self.assertEqual(t.rc(f"complete {jid}"), -2, "a finished job cannot complete again")
        self.assertEqual(t(f"get {str(uuid.uuid4())} {jid}")["rc"], -3, "another school's job is not found")
        self.assertEqual(t(f"get {self.school} no-such-job")["rc"], -3)
        bad = t("enqueue " + json.dumps({"tenant": self.school, "type": "t", "payload": "[1"}))
        self.assertEqual(bad["rc"], -1)

    def test_dedup_by_id(self):
        t = self.tool()
        a = t("enqueue " + json.dumps({"tenant": self.school, "type": "t", "id": "import-1", "payload": {"v": 1}}))
        b = t("enqueue " + json.dumps({"tenant": self.school, "type": "t", "id": "import-1", "payload": {"v": 2}}))
        self.assertEqual((a["existed"], b["existed"], a["id"], b["id"]), (False, True, "import-1", "import-1"))
        f = t("fetch")
        self.assertEqual(f["job"]["payload"], {"v": 1}, "the second enqueue changed nothing")
        self.assertEqual(t("fetch")["rc"], 0)
        self.assertEqual(t("counts")["counts"]["active"], 1)

    def test_priority_then_order(self):
        t = self.tool()
        low = self.enqueue(t, priority=-1)
        first = self.enqueue(t)
        high = self.enqueue(t, priority=10)
        second = self.enqueue(t)
        order = [t("fetch")["job"]["id"] for _ in range(4)]
        self.assertEqual(order, [high, first, second, low])

    def test_delayed_promoted_on_time(self):
        t = self.tool()
        t0 = time.time()
        jid = self.enqueue(t, delayMs=800)
        self.assertEqual(self.get(t, jid)["state"], "delayed")
        f = t("fetch")
        self.assertEqual(f["rc"], 0)
        self.assertTrue(500 <= f["waitMs"] <= 800, f)
        got = wait_until(lambda: t("fetch")["rc"] == 1, 5, "the delayed job")
        took = time.time() - t0
        self.assertTrue(got and 0.78 <= took <= 1.3, f"due after 0.8 s, fetched after {took:.2f} s")
        d = self.enqueue(t, delayMs=100)
        time.sleep(0.15)
        self.assertEqual(t.rc("promote"), 1)
        self.assertEqual(self.get(t, d)["state"], "waiting")

    def test_retries_follow_the_backoff_schedule(self):
        t = self.tool()
        jid = self.enqueue(t, attempts=4, backoffMs=200)
        waits = []
        for attempt in range(4):
            f = wait_until(lambda: (lambda r: r if r["rc"] == 1 else None)(t("fetch")), 5, "the retry")
            self.assertEqual(f["job"]["attemptsMade"], attempt)
            self.assertEqual(t.rc(f"fail {jid} 1 boom {attempt}"), 0)
            j = self.get(t, jid)
            if attempt < 3:
                self.assertEqual((j["state"], j["error"]), ("delayed", f"boom {attempt}"))
                waits.append(t("fetch")["waitMs"])
        self.assertEqual((j["state"], j["attemptsMade"], j["error"]), ("failed", 4, "boom 3"))
        for i, w in enumerate(waits):  # 200 × 2^i ± 25 %, less the time since the failure
            self.assertTrue(200 * 2 ** i * 0.75 - 60 <= w <= 200 * 2 ** i * 1.25, f"retry {i + 1} after {w} ms")
        k = self.enqueue(t, attempts=5)
        t("fetch")
        self.assertEqual(t.rc(f"fail {k} 0 bad input"), 0)
        self.assertEqual(self.get(t, k)["state"], "failed", "a permanent failure is not retried")

    def test_lost_lock_cannot_complete(self):
        a, b = self.tool(), self.tool()
        jid = self.enqueue(a)
        self.assertEqual(a("fetch")["rc"], 1)
        self.assertEqual(a.rc(f"renew {jid}"), 0)
        time.sleep(LOCK_MS / 1000 + 0.1)
        self.assertEqual(b.rc("sweep"), 1, "the expired lock is swept")
        self.assertEqual(b("fetch")["rc"], 1)
        for line in (f"renew {jid}", f"progress {jid} 10", f"complete {jid} 1", f"fail {jid} 1 x"):
            self.assertEqual(a.rc(line), -2, line)
        self.assertEqual(b.rc(f"complete {jid} 2"), 0)
        j = self.get(b, jid)
        self.assertEqual((j["state"], j["result"]), ("completed", 2))

    def test_stalled_twice_fails(self):
        t = self.tool()
        jid = self.enqueue(t)
        self.assertEqual(t("fetch")["rc"], 1)
        self.assertEqual(t.rc("sweep"), 0, "nothing stalled yet")
        time.sleep(LOCK_MS / 1000 + 0.1)
        self.assertEqual(t.rc("sweep"), 1)
        self.assertEqual(self.get(t, jid)["state"], "waiting")
        self.assertEqual(t.rc("sweep"), 0, "at most one sweep per interval")
        self.assertEqual(t("fetch")["rc"], 1)
        time.sleep(max(LOCK_MS, SWEEP_MS) / 1000 + 0.1)
        self.assertEqual(t.rc("sweep"), 1)
        j = self.get(t, jid)
        self.assertEqual((j["state"], j["error"]), ("failed", "stalled"))

    def test_retention_by_count_and_age(self):
        t = self.tool({"ERP_QUEUE_KEEP_COMPLETED": "2", "ERP_QUEUE_KEEP_FAILED_MS": "200"})
        ids = [self.enqueue(t) for _ in range(5)]
        for _ in ids:
            jid = t("fetch")["job"]["id"]
            self.assertEqual(t.rc(f"complete {jid}"), 0)
        f = self.enqueue(t, attempts=1)
        t("fetch")
        t(f"fail {f} 1 x")
        self.assertIn(t.rc("trim"), (0, 3), "trimmed now, or already as each job finished (Redis trims as it goes)")
        c = t("counts")["counts"]
        self.assertEqual((c["completed"], c["failed"]), (2, 1))
        self.assertEqual([t(f"get {self.school} {i}")["rc"] for i in ids], [-3, -3, -3, 0, 0], "the newest are kept")
        time.sleep(0.3)
        self.assertEqual(t.rc("trim"), 1)
        self.assertEqual(t("counts")["counts"]["failed"], 0)

    def test_cancel(self):
        t = self.tool()
        w = self.enqueue(t)
        d = self.enqueue(t, delayMs=60000)
        self.assertEqual(t.rc(f"cancel {str(uuid.uuid4())} {w}"), -3, "another school's job")
        self.assertEqual(t.rc(f"cancel {self.school} {w}"), 0)
        self.assertEqual(t.rc(f"cancel {self.school} {d}"), 0)
        self.assertEqual(self.get(t, w)["state"], "cancelled")
        self.assertEqual(t.rc(f"cancel {self.school} {w}"), -4, "already finished")
        self.assertEqual(t("fetch")["rc"], 0, "cancelled jobs are not fetched")
        a = self.enqueue(t)
        self.assertEqual(t("fetch")["rc"], 1)
        self.assertEqual(t.rc(f"cancel {self.school} {a}"), 0)
        self.assertEqual(t.rc(f"renew {a}"), -2, "the worker hears of the cancel at its next renew")
        self.assertEqual(t.rc(f"complete {a}"), -2)
        self.assertEqual(self.get(t, a)["state"], "cancelled")

    def test_enqueue_in_the_callers_transaction(self):
        t = self.tool()
        if t.adapter != "sql":
            harness.skip_allowed("the Redis queue enqueues at once (queue.h): no transaction to roll back")
        spec = json.dumps({"tenant": self.school, "type": "t", "id": "in-tx"})
        self.assertEqual(t.rc("enqueue_in 0 " + spec), 0)
        self.assertEqual(t(f"get {self.school} in-tx")["rc"], -3, "rolled back with the business write")
        self.assertEqual(t.rc("enqueue_in 1 " + spec), 0)
        self.assertEqual(self.get(t, "in-tx")["state"], "waiting")

    def test_list_and_counts(self):
        t = self.tool()
        me = "0190f0e4-0000-7000-8000-00000000000a"
        a = self.enqueue(t, owner=me)
        b = self.enqueue(t)
        jobs = t(f"list {self.school}")["jobs"]
        self.assertEqual([j["id"] for j in jobs], [b, a], "newest first")
        self.assertEqual([j["id"] for j in t(f"list {self.school} {me}")["jobs"]], [a])
        time.sleep(0.05)
        c = t("counts")
        self.assertEqual(c["counts"]["waiting"], 2)
        self.assertGreaterEqual(c["oldestWaitMs"], 40)

    def pages(self, t, limit, owner=None, tenant=None):
        """Every job of the school through `page` with limit per page: (ids in order, number of pages)."""
        ids, after, n = [], "", 0
        while True:
            r = t(f"page {tenant or self.school} {limit} {owner or '-'}{after}")
            self.assertEqual(r["rc"], 0, r)
            n += 1
            self.assertLessEqual(len(r["jobs"]), limit)
            ids += [j["id"] for j in r["jobs"]]
            if r["next"] is None:
                return ids, n
            self.assertEqual(len(r["jobs"]), limit, "a page before the last is full")
            self.assertEqual(r["next"]["id"], r["jobs"][-1]["id"], "the cursor names the page's last job")
            after = f" {r['next']['key']} {r['next']['id']}"
            self.assertLess(n, 100, "paging ends")

    def test_list_pages_newest_first(self):
        t = self.tool()
        me, other = "0190f0e4-0000-7000-8000-00000000000a", str(uuid.uuid4())
        jobs = [self.enqueue(t, owner=me if i % 3 == 0 else None) for i in range(11)]
        self.enqueue(t, tenant=other)
        ids, n = self.pages(t, 4)
        self.assertEqual(ids, jobs[::-1], "every job once, newest first")
        self.assertEqual(n, 3)
        self.assertEqual(self.pages(t, 11)[1], 1, "a page that holds them all has no next cursor")
        self.assertEqual(self.pages(t, 2, owner=me)[0], [j for i, j in enumerate(jobs) if i % 3 == 0][::-1])
        self.assertEqual(self.pages(t, 2, tenant=str(uuid.uuid4())), ([], 1), "a school without jobs")
        self.assertNotIn(self.enqueue(t, tenant=other), self.pages(t, 5)[0], "another school's jobs never appear")

    def test_list_cursor_survives_inserts_between_pages(self):
        t = self.tool()
        old = [self.enqueue(t) for _ in range(6)]
        r = t(f"page {self.school} 3 -")
        seen = [j["id"] for j in r["jobs"]]
        newer = [self.enqueue(t) for _ in range(4)]
        nxt = r["next"]
        while nxt is not None:
            r = t(f"page {self.school} 3 - {nxt['key']} {nxt['id']}")
            seen += [j["id"] for j in r["jobs"]]
            nxt = r["next"]
        self.assertEqual(seen, old[::-1], "the jobs enqueued meanwhile neither shift nor repeat the older ones")
        self.assertEqual(self.pages(t, 3)[0], (old + newer)[::-1])

    def test_list_cursor_orders_ties_by_id(self):
        """Jobs whose order key ties (same creation ms; on Redis the same index score) page by id, each once."""
        t = self.tool()
        jobs = [self.enqueue(t, id=f"tie-{c}") for c in "qAz3m-"] + [self.enqueue(t, id="newest")]
        first = t(f"page {self.school} 1 -")["next"]["key"]
        self.tie(jobs[:6], first)
        ids, _ = self.pages(t, 2)
        self.assertEqual(sorted(ids), sorted(jobs), "each job once")
        if t.adapter == "redis" or ENGINE == "sqlite":  # PostgreSQL orders text by the database's collation
            self.assertEqual(ids, sorted(jobs, key=lambda i: i.encode(), reverse=True), "ties by id, descending")
        self.assertEqual(len(self.pages(t, 1)[0]), 7)
        for limit in (1, 2, 3, 5):
            self.assertEqual(self.pages(t, limit)[0], ids, f"the same order with pages of {limit}")

    def tie(self, ids, key):
        """Gives the jobs one order key: the same creation time (SQL) or index score (Redis)."""
        if REDIS_URL:
            u = urllib.parse.urlsplit(REDIS_URL.split(",")[0].replace("redis+cluster://", "redis://"))
            args = ["redis-cli", "-c", "-h", u.hostname, "-p", str(u.port), "ZADD", f"{{q:{self.queue}}}:t:{self.school}"]
            for i in ids:
                args += [str(key), i]
            subprocess.run(args, check=True, capture_output=True)
            return
        sql = (f"UPDATE jobs SET created_at = {int(key)} WHERE tenant_id = '{self.school}' AND id IN ("
               + ",".join(f"'{i}'" for i in ids) + ")")
        if ENGINE == "pg":
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", DB["url"], "-c", sql], check=True)
        else:
            subprocess.run(["sqlite3", DB["url"][len("sqlite:"):], sql], check=True)

    def test_list_bad_cursor(self):
        t = self.tool()
        self.enqueue(t)
        self.assertEqual(t.rc(f"page {self.school} 2 - -1 x"), -5, "a negative key")
        self.assertEqual(t.rc(f"page {self.school} 2 - 5 bad/id"), -5, "an id no job can have")
        self.assertEqual(len(t(f"page {self.school} 2 - 5 gone")["jobs"]), 0, "nothing is older than that")


class TestWorkers(QueueCase):
    def test_kill9_mid_job_completes_once_elsewhere(self):
        t = self.tool()
        a = self.worker({"ERP_WORKER_CONCURRENCY": "1"})
        jid = self.enqueue(t, type="test.effect", payload={"ms": 2500, "file": self.file})
        wait_until(lambda: len(self.effects()) == 1, 10, "the job to start")
        a.stop(signal.SIGKILL)
        t_kill = time.time()
        self.worker({"ERP_WORKER_CONCURRENCY": "1"})
        j = self.wait_state(t, jid, "completed", 30)
        took = time.time() - t_kill
        lines = self.effects()
        self.assertEqual([x[0] for x in lines], ["start", "start", "done"], lines)
        self.assertNotEqual(lines[0][2], lines[2][2], "another worker completed it")
        self.assertGreaterEqual(took, 2.5, "after the lock expired and the job ran again")
        self.assertEqual(j["attemptsMade"], 1)

    def test_cpu_bound_job_keeps_its_lock(self):
        t = self.tool()
        self.worker({"ERP_WORKER_CONCURRENCY": "1"})
        self.worker({"ERP_WORKER_CONCURRENCY": "1"})  # sweeps too, and would take a stalled job
        jid = self.enqueue(t, type="test.spin", payload={"ms": 3 * LOCK_MS, "file": self.file})
        j = self.wait_state(t, jid, "completed", 30)
        self.assertEqual([x[0] for x in self.effects()], ["start", "done"], "never stalled, never run twice")
        self.assertEqual(j["attemptsMade"], 1)

    def test_retries_through_a_worker(self):
        t = self.tool({"ERP_QUEUE_BACKOFF_MS": "100"})
        w = self.worker()
        jid = self.enqueue(t, type="test.fail", payload={"times": 2, "file": self.file}, attempts=3, backoffMs=100)
        j = self.wait_state(t, jid, "completed", 20)
        self.assertEqual((j["attemptsMade"], j["result"]), (3, {"attempt": 3}))
        starts = [int(x[3]) for x in self.effects() if x[0] == "start"]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertTrue(75 <= gaps[0] and 150 <= gaps[1], f"backoff between attempts: {gaps} ms")
        k = self.enqueue(t, type="test.fail", payload={"times": 5}, attempts=2, backoffMs=50)
        j = self.wait_state(t, k, "failed", 20)
        self.assertEqual((j["attemptsMade"], j["error"]), (2, "planned failure 2"))
        attempts = f'school_erp_job_attempts_total{{queue="{self.queue}",type="test.fail",outcome="%s"}}'
        self.assertEqual(metric(w, attempts % "completed"), 1)
        self.assertEqual(metric(w, attempts % "failed"), 4, "2 failed attempts of each job")
        u = self.enqueue(t, type="no.such.type")
        self.assertIn("no handler", self.wait_state(t, u, "failed")["error"])

    def test_limiter_across_three_workers(self):
        limit, window, n = 4, 1000, 20
        env = {"ERP_QUEUE_LIMIT_MAX": str(limit), "ERP_QUEUE_LIMIT_WINDOW_MS": str(window),
               "ERP_WORKER_CONCURRENCY": "3"}
        t = self.tool(env)
        workers = [self.worker(env) for _ in range(3)]
        t0 = time.time()
        ids = [self.enqueue(t, type="test.effect", payload={"ms": 300, "file": self.file}) for _ in range(n)]
        wait_until(lambda: sum(1 for x in self.effects() if x[0] == "done") == n, 60, "every job")
        took = time.time() - t0
        starts = sorted(int(x[3]) for x in self.effects() if x[0] == "start")
        self.assertEqual(len(starts), n)
        self.assertGreaterEqual(len({x[2] for x in self.effects()}), 2, "the workers shared the jobs")
        # windows of `window` ms each start at most `limit` jobs: any 2×limit+1 starts span more than a window
        spans = [starts[i + 2 * limit] - starts[i] for i in range(n - 2 * limit)]
        self.assertGreaterEqual(min(spans), window - 50, f"starts {starts}")
        self.assertGreaterEqual(took, (n / limit - 1) * window / 1000 * 0.9)
        for i in ids:
            self.assertEqual(self.get(t, i)["state"], "completed")
        delays = [metric(w, f'school_erp_queue_limiter_delays_total{{queue="{self.queue}"}}') for w in workers]
        self.assertGreater(sum(delays), 0, "the limiter held fetches back")
        print(f"\n  limiter {limit}/{window} ms, 3 workers: {n} jobs in {took:.2f} s", file=sys.stderr)

    def test_sigterm_drains_running_jobs(self):
        t = self.tool()
        w = self.worker({"ERP_WORKER_CONCURRENCY": "2", "ERP_WORKER_GRACE_MS": "10000"})
        jid = self.enqueue(t, type="test.effect", payload={"ms": 1500, "file": self.file})
        wait_until(lambda: self.effects(), 10, "the job to start")
        t0 = time.time()
        later = self.enqueue(t, type="test.effect", payload={"ms": 0, "file": self.file})
        w.proc.send_signal(signal.SIGTERM)
        self.assertEqual(w.stop(timeout=20), 0, w.logs())
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(self.get(t, jid)["state"], "completed", "the running job finished")
        self.assertIn(self.get(t, later)["state"], ("waiting", "completed"))

    def test_sigterm_past_grace_releases_the_job(self):
        t = self.tool()
        w = self.worker({"ERP_WORKER_CONCURRENCY": "1", "ERP_WORKER_GRACE_MS": "300"})
        jid = self.enqueue(t, type="test.effect", payload={"ms": 20000, "file": self.file}, backoffMs=100)
        wait_until(lambda: self.effects(), 10, "the job to start")
        t0 = time.time()
        self.assertEqual(w.stop(timeout=20), 0, w.logs())
        self.assertLess(time.time() - t0, 3)
        j = self.get(t, jid)
        self.assertEqual((j["state"], j["attemptsMade"], j["error"]), ("delayed", 1, "stopped"), j)
        self.worker({"ERP_WORKER_GRACE_MS": "300"})  # takes it again; released again when the test ends
        self.wait_state(t, jid, "active", 10)

    def test_healthz_and_metrics(self):
        t = self.tool()
        w = self.worker()
        jid = self.enqueue(t, payload={"ms": 1})
        self.wait_state(t, jid, "completed")
        status, body = w.get("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(metric(w, f'school_erp_jobs{{queue="{self.queue}",state="completed"}}'), 1)
        self.assertEqual(metric(w, f'school_erp_job_duration_seconds_count{{queue="{self.queue}",type="test.sleep"}}'), 1)
        self.assertEqual(metric(w, f'school_erp_queue_depth{{queue="{self.queue}"}}'), 0)
        self.assertIsNotNone(metric(w, f'school_erp_queue_oldest_waiting_seconds{{queue="{self.queue}"}}'))


if __name__ == "__main__":
    unittest.main()
