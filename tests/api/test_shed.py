"""
Load shedding by waiting time (src/http/shed.h): a burst the server drains
within about a second is served whole; a standing queue is shed quickly with
503 and Retry-After, and fresh requests are served again at once afterwards.
One handler thread and the test route that sleeps make the server's speed known.
"""

import threading
import time

from harness import ServerTestCase

SLEEP = "/api/v1/_test/sleep"


def fire(server, n, ms):
    """n requests at once, each sleeping ms on the server; [(status, retry-after, seconds)] in completion order."""
    out, lock = [], threading.Lock()
    start = threading.Barrier(n)

    def one():
        c = server.client()
        start.wait()
        t0 = time.monotonic()
        res = c.get(f"{SLEEP}?ms={ms}")
        with lock:
            out.append((res.status, res.headers.get("retry-after"), time.monotonic() - t0))
        c.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


class TestShedding(ServerTestCase):
    SERVER_ENV = {"ERP_POOL_SIZE": "1", "ERP_ACCESS_LOG": "0"}

    def test_a_burst_drained_within_a_second_is_served_whole(self):
        res = fire(self.server, 16, 40)  # 640 ms of work arriving at once
        self.assertEqual(sorted(s for s, _, _ in res), [200] * 16)
        self.assertEqual(self.server.metrics().value("school_erp_handler_pool_shed_total"), 0)

    def test_a_standing_queue_is_shed_then_service_resumes(self):
        res = fire(self.server, 60, 50)  # 3 s of work arriving at once: more than the server can drain in time
        served = [r for r in res if r[0] == 200]
        shed = [r for r in res if r[0] == 503]
        self.assertEqual(len(served) + len(shed), 60)
        self.assertGreaterEqual(len(served), 15)  # about a second's worth is served
        self.assertGreater(len(shed), 10)
        for _, retry_after, seconds in shed:
            self.assertEqual(retry_after, "1")
            self.assertLess(seconds, 2.5)  # refused as soon as found stale, not after waiting its turn
        self.assertEqual(self.server.metrics().value("school_erp_handler_pool_shed_total"), len(shed))
        # a fresh request after the storm is served at once
        status, _, seconds = fire(self.server, 1, 1)[0]
        self.assertEqual(status, 200)
        self.assertLess(seconds, 1)
