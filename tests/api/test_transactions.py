"""
Transactions at the request boundary, on both engines: a handler that returns
with its transaction still open gets it rolled back and logged, its success
becomes a 500 (what it wrote was never committed), and the handler thread's
next request starts clean (on SQLite, without waiting for a write lock that
would never be released).
"""

from harness import ServerTestCase, db_rows

TX = "/api/v1/_test/transaction"


class TestTransactionsLeftOpen(ServerTestCase):
    SERVER_ENV = {"ERP_POOL_SIZE": "1"}  # one handler thread: the next request uses the same database session

    def written(self, tag):
        return int(db_rows(self.server, "SELECT count(*) FROM audit_events WHERE action = 'test.transaction'"
                                        f" AND detail = '{tag}'")[0][0])

    def test_an_open_transaction_is_rolled_back_and_logged(self):
        res = self.server.post(f"{TX}?tag=committed&commit=1", expect=200)
        self.assertEqual(res.json, {"tag": "committed"})
        self.assertEqual(self.written("committed"), 1)
        res = self.server.post(f"{TX}?tag=left-open")
        p = self.assertProblem(res, 500)
        self.assertNotIn("transaction", p["detail"])  # internals go to the log, not to the client
        line = self.server.wait_log(lambda e: e.get("msg") == "transaction left open")
        self.assertIn(res.request_id, line.get("detail", ""))
        self.assertEqual(self.written("left-open"), 0)
        # the same session goes on working: reads, and writes (the SQLite write lock was released)
        for i in range(3):
            self.server.post(f"{TX}?tag=after-{i}&commit=1", expect=200)
            self.assertEqual(self.written(f"after-{i}"), 1)
        self.server.get("/readyz", expect=200)
