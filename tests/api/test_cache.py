"""
The multi-level cache (src/cache/cache.h) across instances: two servers on one
PostgreSQL database and one Redis (standalone, then a Cluster of 3 masters and
3 replicas), as the deployment runs them. A write through A is read back
through B for every cached family; revocations on A refuse B's next request;
the access policy runs before any cached answer; one school's invalidation
leaves another's entries; Redis stopping is not an outage; a Cluster master
killed under load costs no 5xx. Runs in the engine-neutral stage: it makes its
own PostgreSQL database and Redis servers whatever ERP_TEST_ENGINE says.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from datetime import date

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import services  # noqa: E402

import fixtures_academic
from harness import (PG_URL, RAN_MODULES, Client, Server, pg_create_database, pg_drop_database, pg_url, skip_allowed,
                     wait_until)
from world import World, login

STUDENTS = "/api/v1/students"
SECRET = "cache-suite-secret-0123456789abcdefghijklmnop"


def hits(server, level="l1"):
    return server.metrics().value("school_erp_cache_requests_total", level=level, result="hit") or 0


def sheet_part(class_id, day):
    """The part of the attendance family a sheet falls in: cache_part() in src/cache/cache.c (FNV-1a of
    "<class id>:<day>" in lower case, of 256)."""
    h = 2166136261
    for ch in f"{class_id}:{day}".lower().encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h % 256


def sheet_loads(server):
    """Attendance sheets this server has loaded from the database (its roster statement)."""
    return server.metrics().value("db_query_duration_seconds_count", statement="attendance.roster") or 0


class TwoInstances(unittest.TestCase):
    """Servers A and B on one database and one Redis URL (set by the subclass's redis_url())."""

    @classmethod
    def redis_start(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            skip_allowed("needs ERP_TEST_PG_URL (tests/run starts PostgreSQL)")
        RAN_MODULES.add(cls.__module__)  # the contract coverage check (test_zz_coverage) waits for every module
        cls.tmp = tempfile.mkdtemp(prefix="erp-cache-")
        cls.redis_start()
        cls.db = pg_create_database()
        env = {"ERP_DATABASE_URL": pg_url(cls.db), "ERP_JWT_SECRET": SECRET, "ERP_REDIS_URL": cls.redis_url()}
        cls.a = Server(env=env).start()
        cls.b = Server(env=env).start()
        cls.w = World(cls.a)
        fixtures_academic.build_school(cls.w.A, "A", 40)  # a current year, classes, a timetable's subject
        cls.admin_a = cls.w.A.client("admin")
        cls.admin_b = Client(cls.b, token=cls.w.A.token("admin"))

    @classmethod
    def tearDownClass(cls):
        for s in (getattr(cls, "a", None), getattr(cls, "b", None)):
            if s is not None:
                s.stop()
        if getattr(cls, "db", None):
            pg_drop_database(cls.db)
        cls.redis_stop()

    def student(self, school=None):
        admin = (school or self.w.A).client("admin")
        return admin.post(STUDENTS, json={"admissionNo": f"C-{uuid.uuid4().hex[:10]}", "firstName": "Cass",
                                          "lastName": "Cached", "dateOfBirth": "2012-04-05"}, expect=201).json

    def warm(self, path, *clients):
        for c in clients:
            c.get(path, expect=200)
            c.get(path, expect=200)


class TestStandaloneRedis(TwoInstances):
    @classmethod
    def redis_start(cls):
        cls.redis = services.Redis(cls.tmp).start()

    @classmethod
    def redis_url(cls):
        return cls.redis.url()

    @classmethod
    def redis_stop(cls):
        cls.redis.stop()

    def test_hits_show_in_the_metrics(self):
        sid = self.student()["id"]
        before = hits(self.a)
        self.warm(f"{STUDENTS}/{sid}", self.admin_a)
        self.assertGreater(hits(self.a), before)
        # B has never read it: its first read is an L2 hit (the value A stored in Redis)
        before_l2 = hits(self.b, "l2")
        self.admin_b.get(f"{STUDENTS}/{sid}", expect=200)
        self.assertGreater(hits(self.b, "l2"), before_l2)

    def test_student_written_on_a_is_read_on_b(self):
        s = self.student()
        path = f"{STUDENTS}/{s['id']}"
        self.warm(path, self.admin_a, self.admin_b)
        etag = self.admin_a.get(path, expect=200).headers["etag"]
        self.admin_a.patch(path, json={"firstName": "Renamed"}, headers={"If-Match": etag}, expect=200)
        self.assertEqual(self.admin_b.get(path, expect=200).json["firstName"], "Renamed")

    def test_no_stale_read_after_the_writes_response_fifty_times(self):
        """The invalidation is in B's subscription before A answers; B honours it even on the event loop."""
        cls, student = self.w.A.academic["classes"][0], self.w.A.academic["student"]
        day = next(self.w.A.academic["on"](n) for n in range(20, 40)
                   if date.fromisoformat(self.w.A.academic["on"](n)).weekday() < 5)
        path = f"/api/v1/classes/{cls['id']}/attendance/{day}"
        a = Client(self.a, token=self.w.A.token("admin"), keep_alive=True)
        b = Client(self.b, token=self.w.A.token("admin"), keep_alive=True)
        for i in range(50):
            status = ("present", "late", "absent")[i % 3]
            b.get(path, expect=200)  # warm on B
            a.put(path, json={"marks": [{"studentId": student["id"], "status": status}]}, expect=200)
            items = {x["studentId"]: x for x in b.get(path, expect=200).json["items"]}
            self.assertEqual(items[student["id"]]["mark"]["status"], status, i)
        a.close()
        b.close()

    def test_guardian_link_written_on_a_is_read_on_b(self):
        s = self.student()
        path = f"{STUDENTS}/{s['id']}"
        self.warm(path, self.admin_a, self.admin_b)
        g = self.admin_a.post("/api/v1/guardians", json={"firstName": "Gil", "lastName": "Guard"}, expect=201).json
        self.admin_a.put(f"{path}/guardians/{g['id']}", json={"relationship": "father"}, expect=200)
        self.assertEqual([x["guardianId"] for x in self.admin_b.get(path, expect=200).json["guardians"]], [g["id"]])
        etag = self.admin_a.get(f"/api/v1/guardians/{g['id']}", expect=200).headers["etag"]
        self.admin_a.patch(f"/api/v1/guardians/{g['id']}", json={"lastName": "Keeper"}, headers={"If-Match": etag},
                           expect=200)
        self.assertEqual(self.admin_b.get(path, expect=200).json["guardians"][0]["guardian"]["lastName"], "Keeper")

    def test_account_and_school_written_on_a_are_read_on_b(self):
        user = self.w.A.add_user(f"staff-{uuid.uuid4().hex[:6]}", "staff")
        token = user["token"]
        ca, cb = Client(self.a, token=token), Client(self.b, token=token)
        self.warm("/api/v1/me", ca, cb)
        etag = self.admin_a.get(f"/api/v1/users/{user['id']}", expect=200).headers["etag"]
        self.admin_a.patch(f"/api/v1/users/{user['id']}", json={"displayName": "New Name"},
                           headers={"If-Match": etag}, expect=200)
        self.assertEqual(cb.get("/api/v1/me", expect=200).json["user"]["displayName"], "New Name")

    def patch(self, path, body):
        etag = self.admin_a.get(path, expect=200).headers["etag"]
        return self.admin_a.patch(path, json=body, headers={"If-Match": etag}, expect=200).json

    def test_roster_written_on_a_is_read_on_b(self):
        cls = self.w.A.academic["classes"][1]
        path = f"/api/v1/classes/{cls['id']}/students"
        self.warm(path, self.admin_a, self.admin_b)
        s = self.student()
        self.admin_a.post("/api/v1/enrollments", json={"studentId": s["id"], "classId": cls["id"],
                                                       "startDate": self.w.A.academic["on"](12)}, expect=201)
        self.assertIn(s["id"], [x["studentId"] for x in self.admin_b.get(path, expect=200).json["items"]])

    def test_timetable_written_on_a_is_read_on_b(self):
        cls = self.w.A.academic["classes"][0]
        path = f"/api/v1/classes/{cls['id']}/timetable"
        self.warm(path, self.admin_a, self.admin_b)
        name = f"Room-{uuid.uuid4().hex[:6]}"
        self.patch(f"/api/v1/classes/{cls['id']}", {"name": name})
        self.assertEqual(self.admin_b.get(path, expect=200).json["className"], name)

    def test_current_year_written_on_a_is_read_on_b(self):
        year = self.w.A.academic["year"]
        path = "/api/v1/academic-years/current"
        self.warm(path, self.admin_a, self.admin_b)
        name = f"Year {uuid.uuid4().hex[:6]}"
        self.patch(f"/api/v1/academic-years/{year['id']}", {"name": name})
        res = self.admin_b.get(path, expect=200)
        self.assertEqual(res.json["name"], name)
        # the ETag of a cached answer is the record's version: a conditional GET still works
        self.assertEqual(self.admin_b.get(path, headers={"If-None-Match": res.headers["etag"]}).status, 304)

    def test_attendance_written_on_a_is_read_on_b(self):
        cls, student = self.w.A.academic["classes"][0], self.w.A.academic["student"]
        day = next(self.w.A.academic["on"](n) for n in range(40, 60)  # a weekday of the term, before today
                   if date.fromisoformat(self.w.A.academic["on"](n)).weekday() < 5
                   and self.w.A.academic["on"](n) != self.w.A.academic["holiday"])
        path = f"/api/v1/classes/{cls['id']}/attendance/{day}"
        self.warm(path, self.admin_a, self.admin_b)
        self.admin_a.put(path, json={"marks": [{"studentId": student["id"], "status": "late"}]}, expect=200)
        marks = {x["studentId"]: x for x in self.admin_b.get(path, expect=200).json["items"]}
        self.assertEqual(marks[student["id"]]["mark"]["status"], "late")

    def test_a_save_leaves_other_sheets_cached(self):
        """A save invalidates its sheet's part of the attendance family, on every instance: another class's sheet
        of the day and the class's sheet of another day are still hits on B; the saved sheet is loaded again, with
        the mark; a change of what every sheet shows still reaches them all."""
        ac, student = self.w.A.academic, self.w.A.academic["student"]
        saved, other = ac["classes"][0], ac["classes"][1]
        days = [ac["on"](n) for n in range(25, 50)
                if date.fromisoformat(ac["on"](n)).weekday() < 5 and ac["on"](n) != ac["holiday"]]
        day = days[0]
        # another day of the same class, in another part (255 in 256 are)
        later = next(d for d in days[1:] if sheet_part(saved["id"], d) != sheet_part(saved["id"], day))
        saved_path = f"/api/v1/classes/{saved['id']}/attendance/{day}"
        # the other class's id in upper case: a spelling of an id falls in the same part
        others = [f"/api/v1/classes/{saved['id']}/attendance/{later}"]
        if sheet_part(other["id"], day) != sheet_part(saved["id"], day):
            others.append(f"/api/v1/classes/{other['id'].upper()}/attendance/{day}")
        for path in [saved_path] + others:
            self.warm(path, self.admin_b)
        loads = sheet_loads(self.b)
        self.admin_a.put(saved_path, json={"marks": [{"studentId": student["id"], "status": "absent"}]}, expect=200)
        for path in others:
            self.admin_b.get(path, expect=200)
        self.assertEqual(sheet_loads(self.b), loads)
        marks = {x["studentId"]: x for x in self.admin_b.get(saved_path, expect=200).json["items"]}
        self.assertEqual(marks[student["id"]]["mark"]["status"], "absent")
        self.assertEqual(sheet_loads(self.b), loads + 1)
        # a save through an upper-case spelling of the class's id invalidates the same part
        self.admin_a.put(saved_path.replace(saved["id"], saved["id"].upper()),
                         json={"marks": [{"studentId": student["id"], "status": "late"}]}, expect=200)
        marks = {x["studentId"]: x for x in self.admin_b.get(saved_path, expect=200).json["items"]}
        self.assertEqual(marks[student["id"]]["mark"]["status"], "late")
        # a new student changes what every sheet may show: the whole family, other parts included
        loads = sheet_loads(self.b)
        self.student()
        for path in others:
            self.admin_b.get(path, expect=200)
        self.assertEqual(sheet_loads(self.b), loads + len(others))

    def test_gradebook_written_on_a_is_read_on_b(self):
        ac = self.w.A.academic
        cls, subject, term, student = ac["classes"][0], ac["subject"], ac["term"], ac["student"]
        path = f"/api/v1/classes/{cls['id']}/gradebook?subjectId={subject['id']}&termId={term['id']}"
        quiz = self.admin_a.post("/api/v1/assessments", json={
            "classId": cls["id"], "subjectId": subject["id"], "termId": term["id"], "name": "Cached quiz",
            "category": "test", "date": ac["on"](20), "maxMarks": 10}, expect=201).json
        self.warm(path, self.admin_a, self.admin_b)
        self.assertEqual([a["id"] for a in self.admin_b.get(path, expect=200).json["assessments"]], [quiz["id"]])
        for mark in (6, 8):
            self.admin_a.put(f"/api/v1/assessments/{quiz['id']}/marks", json={"marks": [
                {"studentId": student["id"], "mark": mark}]}, expect=200)
            rows = {r["studentId"]: r for r in self.admin_b.get(path, expect=200).json["items"]}
            self.assertEqual((rows[student["id"]]["results"][0]["mark"], rows[student["id"]]["percentage"]),
                             (mark, mark * 10))

    def test_cached_reads_of_the_whole_school_are_answered_on_the_event_loop(self):
        sid = self.student()["id"]
        path = f"{STUDENTS}/{sid}"
        self.warm(path, self.admin_a)
        before = self.a.metrics().value("school_erp_loop_answered_total")
        res = self.admin_a.get(path, expect=200)
        self.assertEqual(self.a.metrics().value("school_erp_loop_answered_total"), before + 1)
        self.assertTrue(res.headers["etag"])
        # a teacher's read needs the policy's lookups: never answered from the loop, and refused here
        teacher = Client(self.a, token=self.w.A.token("teacher"))
        before = self.a.metrics().value("school_erp_loop_answered_total")
        self.assertEqual(teacher.get(path).status, 404)
        self.assertEqual(self.a.metrics().value("school_erp_loop_answered_total"), before)
        # a malformed If-None-Match is the handler's 400, and the read it made is audited once
        self.assertEqual(self.admin_a.get(path, headers={"If-None-Match": "not-an-etag"}).status, 400)
        events = self.admin_a.get(f"/api/v1/audit-events?subjectId={sid}&action=student.read&limit=100",
                                  expect=200).json["items"]
        self.assertEqual(sum(1 for e in events if e["outcome"] == "ok"), 4)  # cached or not, every read is audited

    def test_logout_on_a_is_refused_on_b(self):
        user = self.w.A.add_user(f"t-{uuid.uuid4().hex[:6]}", "teacher")
        ca, cb = Client(self.a, token=user["token"]), Client(self.b, token=user["token"])
        self.warm("/api/v1/me", ca, cb)
        ca.post("/api/v1/auth/logout", expect=204)
        self.assertEqual(ca.get("/api/v1/me").status, 401)  # at once where it happened
        self.assertEqual(cb.get("/api/v1/me").status, 401)

    def test_disable_and_role_change_on_a_apply_on_b(self):
        user = self.w.A.add_user(f"s-{uuid.uuid4().hex[:6]}", "staff")
        cb = Client(self.b, token=user["token"])
        self.warm(STUDENTS, cb)
        etag = self.admin_a.get(f"/api/v1/users/{user['id']}", expect=200).headers["etag"]
        res = self.admin_a.patch(f"/api/v1/users/{user['id']}", json={"roles": ["parent"]},
                                 headers={"If-Match": etag}, expect=200)
        self.assertEqual(cb.get("/api/v1/me", expect=200).json["user"]["roles"], ["parent"])
        self.admin_a.patch(f"/api/v1/users/{user['id']}", json={"status": "disabled"},
                           headers={"If-Match": res.headers["etag"]}, expect=200)
        self.assertEqual(cb.get("/api/v1/me").status, 401)

    def test_suspended_school_is_refused_on_b(self):
        school = self.w.B
        cb = Client(self.b, token=school.token("admin"))
        self.warm("/api/v1/me", cb)
        etag = self.w.platform.get(f"/api/v1/tenants/{school.id}", expect=200).headers["etag"]
        self.w.platform.patch(f"/api/v1/tenants/{school.id}", json={"status": "suspended"},
                              headers={"If-Match": etag}, expect=200)
        try:
            self.assertEqual(cb.get("/api/v1/me").status, 401)
        finally:
            etag = self.w.platform.get(f"/api/v1/tenants/{school.id}", expect=200).headers["etag"]
            self.w.platform.patch(f"/api/v1/tenants/{school.id}", json={"status": "active"},
                                  headers={"If-Match": etag}, expect=200)
            school.users = {k: dict(v, token=login(self.a, school.slug, v["email"])["accessToken"])
                            for k, v in school.users.items()}

    def test_the_policy_runs_before_a_warm_entry(self):
        sid = self.student()["id"]
        path = f"{STUDENTS}/{sid}"
        self.warm(path, self.admin_a, self.admin_b)
        for key in ("teacher", "parent", "student"):  # none of them is linked to this student
            for server in (self.a, self.b):
                self.assertEqual(Client(server, token=self.w.A.token(key)).get(path).status, 404, key)
        other_school = Client(self.b, token=self.w.B.token("admin"))
        self.assertEqual(other_school.get(path).status, 404)
        # an admin's roster, warm, is not a teacher's or a parent's who have nothing to do with the class
        roster = f"/api/v1/classes/{self.w.A.academic['classes'][1]['id']}/students"
        self.warm(roster, self.admin_a, self.admin_b)
        for key in ("teacher", "parent", "student"):
            for server in (self.a, self.b):
                self.assertEqual(Client(server, token=self.w.A.token(key)).get(roster).status, 404, key)
        self.assertEqual(other_school.get(roster).status, 404)

    def test_a_parents_child_is_not_another_parents(self):
        s = self.student()
        path = f"{STUDENTS}/{s['id']}"
        mine = self.w.A.add_user(f"p-{uuid.uuid4().hex[:6]}", "parent")
        other = self.w.A.add_user(f"p-{uuid.uuid4().hex[:6]}", "parent")
        g = self.admin_a.post("/api/v1/guardians", json={"firstName": "Pia", "lastName": "Parent",
                                                         "userId": mine["id"]}, expect=201).json
        self.admin_a.put(f"{path}/guardians/{g['id']}", json={"relationship": "mother"}, expect=200)
        for server in (self.a, self.b):
            self.warm(path, Client(server, token=mine["token"]))
            self.assertEqual(Client(server, token=other["token"]).get(path).status, 404)

    def test_one_schools_invalidation_leaves_anothers_entries(self):
        sb = self.student(self.w.B)["id"]
        admin_b_school = Client(self.a, token=self.w.B.token("admin"))
        self.warm(f"{STUDENTS}/{sb}", admin_b_school)
        self.student()  # a write of school A: its student family's generation moves
        before = hits(self.a)
        admin_b_school.get(f"{STUDENTS}/{sb}", expect=200)
        self.assertEqual(hits(self.a), before + 2)  # the session check and the profile, both from L1

    def test_keys_carry_the_schools_hash_tag(self):
        self.warm(f"{STUDENTS}/{self.student()['id']}", self.admin_a)
        # the job queue's keys (an absence alert after a save) carry the queue's own tag, {q:<name>}
        keys = [k for k in services.redis_cli(self.redis.port, "--scan").split() if not k.startswith("{q:")]
        self.assertTrue(keys)
        for k in keys:
            self.assertRegex(k, r"^\{t:[0-9a-f-]{36}\}:")

    def test_redis_down_is_not_an_outage(self):
        sid = self.student()["id"]
        path = f"{STUDENTS}/{sid}"
        self.warm(path, self.admin_a)
        self.redis.stop()
        try:
            for _ in range(20):
                self.admin_a.get(path, expect=200)
                self.admin_b.get(path, expect=200)
            self.assertEqual(self.a.get("/readyz").status, 200)
            # a write while Redis is down still reads back on the instance that made it
            etag = self.admin_a.get(path, expect=200).headers["etag"]
            self.admin_a.patch(path, json={"lastName": "Offline"}, headers={"If-Match": etag}, expect=200)
            self.assertEqual(self.admin_a.get(path, expect=200).json["lastName"], "Offline")
            self.assertEqual(self.admin_b.get(path, expect=200).json["lastName"], "Offline")
            self.assertTrue(self.a.log_entries(msg="cache: Redis unreachable; serving from L1 and the database"))
        finally:
            subscribed = {s: len(s.log_entries(msg="redis subscribed")) for s in (self.a, self.b)}
            self.redis.start()
        # both instances subscribe again (and forget the generations they hold: messages may have been lost)
        wait_until(lambda: all(len(s.log_entries(msg="redis subscribed")) > n for s, n in subscribed.items()),
                   timeout=10)
        before = self.b.metrics().value("school_erp_cache_sets_total", level="l2") or 0
        wait_until(lambda: self.admin_b.get(path, expect=200) and
                   (self.b.metrics().value("school_erp_cache_sets_total", level="l2") or 0) > before, timeout=20)
        self.assertEqual(self.admin_b.get(path, expect=200).json["lastName"], "Offline")


class TestRedisCluster(TwoInstances):
    @classmethod
    def redis_start(cls):
        cls.cluster = services.RedisCluster(masters=3, replicas=1, node_timeout_ms=1000).start()

    @classmethod
    def redis_url(cls):
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in cls.cluster.ports[:2])

    @classmethod
    def redis_stop(cls):
        cls.cluster.stop()

    def test_a_write_on_a_is_read_on_b(self):
        s = self.student()
        path = f"{STUDENTS}/{s['id']}"
        self.warm(path, self.admin_a, self.admin_b)
        etag = self.admin_a.get(path, expect=200).headers["etag"]
        self.admin_a.patch(path, json={"firstName": "Clustered"}, headers={"If-Match": etag}, expect=200)
        self.assertEqual(self.admin_b.get(path, expect=200).json["firstName"], "Clustered")

    def test_a_schools_keys_share_one_slot(self):
        self.cluster.wait_ok(timeout=30)
        errors = {s: s.metrics().value("school_erp_cache_errors_total", level="l2") for s in (self.a, self.b)}
        self.warm(f"{STUDENTS}/{self.student()['id']}", self.admin_a, self.admin_b)
        slots = {}
        for port in self.cluster.masters():
            for k in services.redis_cli(port, "--scan").split():
                tag = k.split("}", 1)[0] + "}"
                slots.setdefault(tag, set()).add(int(services.redis_cli(port, "CLUSTER", "KEYSLOT", k)))
        self.assertTrue(slots)
        for tag, s in slots.items():
            self.assertEqual(len(s), 1, tag)
        # no command was refused (a CROSSSLOT among them) while the Cluster is whole
        for server in (self.a, self.b):
            self.assertEqual(server.metrics().value("school_erp_cache_errors_total", level="l2"), errors[server])

    def test_a_master_killed_under_load_costs_no_5xx(self):
        sids = [self.student()["id"] for _ in range(6)]
        for sid in sids:
            self.warm(f"{STUDENTS}/{sid}", self.admin_a, self.admin_b)
        statuses, stop = [], threading.Event()

        def load(server):
            c = Client(server, token=self.w.A.token("admin"), keep_alive=True, contract=False)
            i = 0
            while not stop.is_set():
                statuses.append(c.get(f"{STUDENTS}/{sids[i % len(sids)]}").status)
                i += 1
            c.close()

        threads = [threading.Thread(target=load, args=(s,), daemon=True) for s in (self.a, self.b)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        tag_owner = self.cluster.owner("{t:%s}:gen" % self.w.A.id)
        self.cluster.kill(tag_owner)
        time.sleep(4)  # the replica is promoted after the node timeout (1 s) and the failover election
        stop.set()
        for t in threads:
            t.join(30)
        errors = [s for s in statuses if s >= 500]
        print(f"\nmaster {tag_owner} killed: {len(statuses)} reads, {len(errors)} answered 5xx")
        self.assertGreater(len(statuses), 100)
        self.assertEqual(errors, [])
        self.cluster.wait_ok(timeout=30)
