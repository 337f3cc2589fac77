"""
The access policy's edges, on both engines:

* a record the caller may not see gets the same answer whatever the
  operation: a teacher marking the attendance of a class they do not teach
  gets the 404 a read of that class (or of no class at all) gets, word for
  word;
* a teacher's access through their classes lasts while their teacher record
  is active: an inactive teacher whose account still works sees none of those
  students, classes or registers;
* a policy lookup that fails in the database is an error of the server (5xx),
  never "no such record" or an empty list: the teachers table taken away while
  the server runs gives 500, and (PostgreSQL) a lookup stuck behind a lock
  past the statement timeout gives 503 with Retry-After.
"""

import datetime
import subprocess

from harness import ENGINE, ServerTestCase, pg_url, run
from world import World, school_today

STUDENTS = "/api/v1/students"


def last_weekday(today):
    """The latest Monday-to-Friday date on or before today."""
    d = today
    while d.weekday() >= 5:
        d -= datetime.timedelta(days=1)
    return d


class PolicyCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = w = World(cls.server)
        admin = w.A.client("admin")
        today = datetime.date.fromisoformat(school_today("Europe/Paris"))
        start = today - datetime.timedelta(days=120)
        year = admin.post("/api/v1/academic-years", json={
            "name": "Policy year", "startDate": start.isoformat(),
            "endDate": (today + datetime.timedelta(days=200)).isoformat(), "isCurrent": True}, expect=201).json
        admin.post("/api/v1/terms", json={"academicYearId": year["id"], "name": "Term", "startDate": start.isoformat(),
                                          "endDate": (today + datetime.timedelta(days=100)).isoformat()}, expect=201)
        cls.day = last_weekday(today).isoformat()
        cls.teacher_rec = admin.post("/api/v1/teachers", json={
            "employeeNo": "POL-1", "firstName": "Tina", "lastName": "Teach", "userId": w.A.users["teacher"]["id"]},
            expect=201).json
        admin.post("/api/v1/teachers", json={"employeeNo": "POL-2", "firstName": "Otto", "lastName": "Other",
                                             "userId": w.A.users["teacher2"]["id"]}, expect=201)
        cls.cls = admin.post("/api/v1/classes", json={"academicYearId": year["id"], "gradeLevel": 4, "section": "P",
                                                      "classTeacherId": cls.teacher_rec["id"]}, expect=201).json
        cls.student = admin.post(STUDENTS, json={"admissionNo": "POL-S", "firstName": "Sam", "lastName": "Pupil",
                                                 "dateOfBirth": "2016-03-04"}, expect=201).json
        admin.post("/api/v1/enrollments", json={"studentId": cls.student["id"], "classId": cls.cls["id"],
                                                "startDate": start.isoformat()}, expect=201)

    def teacher(self, key="teacher"):
        return self.world.A.client(key)

    def register(self, key="teacher", cls=None):
        return self.teacher(key).put(f"/api/v1/classes/{cls or self.cls['id']}/attendance/{self.day}",
                                     json={"marks": [{"studentId": self.student["id"], "status": "present"}]})


class TestSameAnswerWhateverTheOperation(PolicyCase):
    def test_marking_a_class_one_does_not_teach_is_the_404_of_a_read(self):
        self.assertEqual(self.register().status, 200)  # the class's teacher may
        read = self.assertProblem(self.teacher("teacher2").get(f"/api/v1/classes/{self.cls['id']}"), 404)
        mark = self.assertProblem(self.register("teacher2"), 404)
        self.assertEqual(mark["detail"], read["detail"])
        missing = self.assertProblem(self.register("teacher2", cls="01900000-0000-7000-8000-000000000000"), 404)
        self.assertEqual(missing["detail"], read["detail"])
        for p in (read, mark, missing):
            self.assertNotIn("4-P", p["detail"])  # the class's name is not revealed


class TestInactiveTeachers(PolicyCase):
    def set_status(self, status):
        path = f"/api/v1/teachers/{self.teacher_rec['id']}"
        cur = self.world.A.client("admin").get(path, expect=200)
        self.world.A.client("admin").patch(path, json={"status": status}, headers={"If-Match": cur.headers["etag"]},
                                           expect=200)

    def test_an_inactive_teacher_keeps_no_access_through_their_classes(self):
        t, sid, cid = self.teacher(), self.student["id"], self.cls["id"]
        t.get(f"{STUDENTS}/{sid}", expect=200)
        t.get(f"/api/v1/classes/{cid}", expect=200)
        self.assertEqual([s["id"] for s in t.get(STUDENTS, expect=200).json["items"]], [sid])
        self.assertEqual([c["id"] for c in t.get("/api/v1/classes", expect=200).json["items"]], [cid])
        self.set_status("inactive")
        try:
            t.get("/api/v1/me", expect=200)  # the account still works
            self.assertProblem(t.get(f"{STUDENTS}/{sid}"), 404)
            self.assertProblem(t.get(f"/api/v1/classes/{cid}"), 404)
            self.assertProblem(t.get(f"/api/v1/classes/{cid}/students"), 404)
            self.assertProblem(t.get(f"/api/v1/classes/{cid}/attendance/{self.day}"), 404)
            self.assertProblem(self.register(), 404)
            self.assertProblem(t.get(f"/api/v1/teachers/{self.teacher_rec['id']}/timetable"), 404)
            self.assertEqual(t.get(STUDENTS, expect=200).json["items"], [])
            self.assertEqual(t.get("/api/v1/classes", expect=200).json["items"], [])
            self.assertEqual(t.get("/api/v1/enrollments", expect=200).json["items"], [])
        finally:
            self.set_status("active")
        t.get(f"{STUDENTS}/{sid}", expect=200)
        self.assertEqual(self.register().status, 200)


class TestPolicyLookupFailures(PolicyCase):
    def sql(self, statement):
        """Runs a statement on the server's database from outside (the fault)."""
        if self.server.pg_db is not None:
            r = run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", pg_url(self.server.pg_db), "-c", statement])
        else:
            r = run(["sqlite3", f"{self.server.data_dir}/erp.db", statement])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_failing_lookup_is_a_server_error_not_a_hidden_record(self):
        t, sid = self.teacher(), self.student["id"]
        t.get(STUDENTS, expect=200)
        self.sql("ALTER TABLE teachers RENAME TO teachers_away")
        try:
            for path in (STUDENTS, f"{STUDENTS}/{sid}", f"/api/v1/classes/{self.cls['id']}", "/api/v1/classes"):
                with self.subTest(path=path):
                    self.assertProblem(t.get(path), 500)
            self.assertProblem(self.register(), 500)
        finally:
            self.sql("ALTER TABLE teachers_away RENAME TO teachers")
        self.assertEqual([s["id"] for s in t.get(STUDENTS, expect=200).json["items"]], [sid])
        self.server.wait_log(lambda e: e.get("msg") == "database error")


if ENGINE == "postgres":  # SQLite locks the whole file, so the session check itself would wait: no table-level case

    class TestPolicyLookupTimeouts(PolicyCase):
        SERVER_ENV = {"ERP_DB_STATEMENT_TIMEOUT_MS": "300"}

        def test_a_lookup_stuck_behind_a_lock_is_503(self):
            t = self.teacher()
            t.get(STUDENTS, expect=200)
            # another session holds the teachers table; the session check does not need it, the policy lookup does
            holder = subprocess.Popen(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", pg_url(self.server.pg_db)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            try:
                holder.stdin.write("BEGIN; LOCK TABLE teachers IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
                holder.stdin.flush()
                self.assertEqual(holder.stdout.readline().strip(), "locked")
                res = t.get(STUDENTS)
                self.assertProblem(res, 503)
                self.assertEqual(res.headers["retry-after"], "1")
                self.assertProblem(t.get(f"{STUDENTS}/{self.student['id']}"), 503)
                t.get("/api/v1/me", expect=200)
            finally:
                holder.stdin.write("ROLLBACK;\n")
                holder.stdin.close()
                holder.wait(timeout=30)
            t.get(STUDENTS, expect=200)
