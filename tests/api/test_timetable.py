"""
Timetable: slots with clash detection (teacher, room, class), their list, and
the week of a class or a teacher. Runs on both engines.

The school is the demo school (fixtures_daily.DemoSchool), whose timetable
fills Monday to Friday; the tests write their slots on the weekend, each test
in hours of its own.
"""

import threading
import unittest
import uuid

from fixtures_daily import DemoSchool, uncovered
from harness import Client, Contract, ServerTestCase, full_name, skip_allowed

SLOTS = "/api/v1/timetable-slots"
DOC = []  # the OpenAPI document, once a server ran
RAN = set()  # test classes that ran
UNREACHABLE = set()


class TimetableCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN.add(cls.__name__)
        DOC[:] = [cls.server.openapi]
        cls.demo = DemoSchool(cls.server)
        cls.admin = cls.demo.client("admin")
        cls.demo_slots = cls.all_slots(cls.admin, SLOTS)
        cls.teachers = {}  # teacher id -> name
        cls.subjects = {}
        for s in cls.demo_slots:
            cls.teachers[s["teacherId"]] = full_name(s["teacher"])
            cls.subjects[s["subjectId"]] = s["subjectName"]
        cls.class_ids = {c["className"]: c["classId"] for c in cls.demo.classes}
        cls.login_of = cls.demo.teacher_logins()  # teacher name -> login key
        cls.teacher_ids = sorted(cls.teachers)
        cls.subject_ids = sorted(cls.subjects)
        # the suite's lessons go where the demo has none: the current year's terms get lessons every day
        year = cls.admin.get("/api/v1/academic-years/current", expect=200).json["id"]
        for t in cls.admin.get(f"/api/v1/terms?academicYearId={year}", expect=200).json["items"]:
            cls.admin.patch(f"/api/v1/terms/{t['id']}", json={"weekdays": [
                "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]},
                headers={"If-Match": f'"{t["version"]}"'}, expect=200)
        cls.own_subjects = {}  # teacher index -> the subject this suite has them teach
        cls.assigned = set()  # (class, teacher, subject) assigned by this suite

    def subject_of(self, teacher):
        """A subject of this suite's own that teacher (an index) teaches, in whichever classes assign() says."""
        if teacher not in self.own_subjects:
            self.own_subjects[teacher] = self.admin.post("/api/v1/subjects", json={
                "code": f"TT-{teacher}", "name": f"Timetable subject {teacher}"}, expect=201).json
        return self.own_subjects[teacher]

    def assign(self, cls, teacher, subject=None):
        """Makes sure the teacher teaches the subject (default: subject_of(teacher)) in the class; its id."""
        sid = subject if subject is not None else self.subject_of(teacher)["id"]
        if (cls, teacher, sid) not in self.assigned:
            self.admin.post(f"/api/v1/classes/{self.class_ids[cls]}/subjects",
                            json={"subjectId": sid, "teacherId": self.teacher_ids[teacher]}, expect=201)
            self.assigned.add((cls, teacher, sid))
        return sid

    @staticmethod
    def all_slots(client, path):
        out, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            page = client.get(f"{path}{sep}limit=500" + (f"&cursor={cursor}" if cursor else ""), expect=200).json
            out += page["items"]
            cursor = page["nextCursor"]
            if cursor is None:
                return out

    def body(self, cls="7-A", teacher=0, room="LAB-1", weekday="saturday", start="10:00", end="10:45"):
        """A lesson of the teacher's own subject in the class (assigned on the way)."""
        return {"classId": self.class_ids[cls], "subjectId": self.assign(cls, teacher),
                "teacherId": self.teacher_ids[teacher], "weekday": weekday, "startTime": start, "endTime": end,
                "room": room}

    def create(self, expect=201, **kw):
        return self.admin.post(SLOTS, json=self.body(**kw), expect=expect)


class TestSlots(TimetableCase):
    def test_create_read_and_location(self):
        res = self.create(start="07:00", end="07:40", weekday=6, room="Hall")
        s = res.json
        self.assertEqual(res.headers["location"], f"{SLOTS}/{s['id']}")
        self.assertEqual(res.headers["etag"], '"1"')
        self.assertEqual((s["weekday"], s["weekdayName"], s["startTime"], s["endTime"], s["room"], s["version"]),
                         (6, "saturday", "07:00", "07:40", "Hall", 1))
        self.assertEqual((s["classId"], s["className"]), (self.class_ids["7-A"], "7-A"))
        self.assertEqual((s["teacher"]["id"], full_name(s["teacher"])),
                         (self.teacher_ids[0], self.teachers[self.teacher_ids[0]]))
        self.assertEqual((s["subjectId"], s["subjectName"]), (self.subject_of(0)["id"], "Timetable subject 0"))
        got = self.demo.client("staff").get(f"{SLOTS}/{s['id']}", expect=200)
        self.assertEqual((got.json, got.headers["etag"]), (s, '"1"'))
        year = self.demo.admin_get(f"/api/v1/classes/{s['classId']}/timetable")["academicYearId"]
        self.assertEqual(s["academicYearId"], year)
        # no room, and the last minutes of the day
        late = self.create(start="23:00", end="24:00", weekday="sunday", room=None).json
        self.assertEqual((late["room"], late["endTime"], late["weekday"]), (None, "24:00", 7))

    def test_clashes_name_the_resource_and_the_other_slot(self):
        base = self.create(start="10:00", end="10:45").json
        when = "saturday 10:00-10:45"
        cases = [
            (dict(cls="8-A", teacher=0, room="LAB-2"), ["teacherId"]),
            (dict(cls="8-A", teacher=1, room="LAB-1"), ["room"]),
            (dict(cls="7-A", teacher=1, room="LAB-2"), ["classId"]),
            (dict(cls="7-A", teacher=0, room="LAB-1"), ["teacherId", "room", "classId"]),
        ]
        for kw, fields in cases:
            with self.subTest(fields=fields):
                res = self.create(expect=409, start="10:30", end="11:15", **kw)
                p = self.assertProblem(res, 409, "conflict", fields=fields)
                for e in p["errors"]:
                    for part in (base["id"], when, "7-A", base["subjectName"], full_name(base["teacher"])):
                        self.assertIn(part, e["message"])
                self.assertIn(base["id"], p["detail"])
                self.assertIn(when, p["detail"])
        # touching slots do not clash; nor do other days, or slots without a room
        self.create(start="10:45", end="11:30")
        self.create(start="09:15", end="10:00")
        self.create(start="10:00", end="10:45", weekday="sunday")
        self.create(cls="9-A", teacher=2, room=None, start="10:00", end="10:45")
        self.create(cls="10-A", teacher=3, room=None, start="10:00", end="10:45")
        # one slot over two others: both named
        res = self.create(expect=409, start="09:30", end="10:15", cls="11-A", teacher=4, room="LAB-1")
        p = self.assertProblem(res, 409, fields=["room", "room"])
        self.assertEqual(p["detail"].count("slot 0"), 2)

    def test_the_demo_timetable_is_checked_too(self):
        mine = next(s for s in self.demo_slots if s["weekday"] == 1 and s["startTime"] == "08:00")
        cls = "12-A" if mine["className"] != "12-A" else "11-A"
        teacher = self.teacher_ids.index(mine["teacherId"])
        body = {"classId": self.class_ids[cls], "subjectId": self.assign(cls, teacher),
                "teacherId": mine["teacherId"], "weekday": 1, "startTime": "08:10", "endTime": "08:20",
                "room": "Elsewhere"}
        p = self.assertProblem(self.admin.post(SLOTS, json=body), 409)
        teacher = [e for e in p["errors"] if e["field"] == "teacherId"]
        self.assertEqual(len(teacher), 1)
        self.assertIn(mine["id"], teacher[0]["message"])
        self.assertIn(mine["id"], p["detail"])

    def test_an_assignment_with_slots_stays(self):
        # a subject's teaching assignment cannot go while the class has slots of that subject
        slot = next(s for s in self.demo_slots if s["className"] == "5-A")
        assignments = self.admin.get(f"/api/v1/classes/{slot['classId']}/subjects", expect=200).json["items"]
        a = next(x for x in assignments if x["subjectId"] == slot["subjectId"])
        path = f"/api/v1/classes/{slot['classId']}/subjects/{a['id']}"
        p = self.assertProblem(self.admin.delete(path, headers={"If-Match": f'"{a["version"]}"'}), 409)
        self.assertIn("timetable slot", p["detail"])
        self.assertEqual(self.admin.get(f"/api/v1/classes/{slot['classId']}/subjects", expect=200).json["items"],
                         assignments)

    def test_moving_a_slot(self):
        a = self.create(start="13:00", end="13:45").json
        b = self.create(start="14:00", end="14:45").json
        path = f"{SLOTS}/{b['id']}"
        move = {"startTime": "13:30", "endTime": "14:15"}
        self.assertProblem(self.admin.patch(path, json=move), 428)
        p = self.assertProblem(self.admin.patch(path, json=move, headers={"If-Match": '"1"'}), 409,
                               fields=["teacherId", "room", "classId"])
        self.assertIn(a["id"], p["detail"])
        # a slot is not its own clash: it can move over its own old time
        res = self.admin.patch(path, json={"startTime": "14:15", "endTime": "15:00"}, headers={"If-Match": '"1"'})
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json["startTime"], res.json["version"], res.headers["etag"]), ("14:15", 2, '"2"'))
        # stale versions are refused, nothing changes
        self.assertProblem(self.admin.patch(path, json={"room": "X"}, headers={"If-Match": '"1"'}), 412)
        self.assertProblem(self.admin.patch(path, json={"room": "X"}, headers={"If-Match": "2"}), 400)
        # a teacher who does not teach the subject in the class: refused
        self.assertProblem(self.admin.patch(path, json={"teacherId": self.teacher_ids[5]}, headers={"If-Match": '"2"'}),
                           422, fields=["teacherId"])
        # moving to another class, weekday, subject and teacher; clearing the room
        res = self.admin.patch(path, json={"classId": self.class_ids["9-A"], "weekday": 7,
                                           "subjectId": self.assign("9-A", 5), "teacherId": self.teacher_ids[5],
                                           "room": None}, headers={"If-Match": '"2"'}, expect=200).json
        self.assertEqual((res["className"], res["weekday"], res["teacherId"], res["room"], res["version"]),
                         ("9-A", 7, self.teacher_ids[5], None, 3))
        # the times of a patch are checked against the stored ones
        p = self.assertProblem(self.admin.patch(path, json={"endTime": "14:00"}, headers={"If-Match": '"3"'}), 422,
                               fields=["endTime"])
        other = self.demo.class_named("7-A", school=2)["classId"]
        p = self.assertProblem(self.admin.patch(path, json={"classId": other}, headers={"If-Match": '"3"'}), 404)
        self.assertEqual(p["detail"], "No such class (classId).")
        self.assertProblem(self.admin.patch(path, json={"version": 9, "id": b["id"]}, headers={"If-Match": '"3"'}),
                           422, fields=["version", "id"])
        ifm = {"If-Match": '"3"'}
        self.assertProblem(self.admin.patch(path, body="{", content_type="application/json", headers=ifm), 400)
        self.assertProblem(self.admin.patch(path, body="room=X", content_type="text/plain", headers=ifm), 415)
        self.assertProblem(self.admin.patch(path, json={"room": "R" * (1 << 20)}, headers=ifm), 413)
        self.assertEqual(self.admin.get(path, expect=200).json, res)

    def test_delete(self):
        s = self.create(start="16:00", end="16:45").json
        path = f"{SLOTS}/{s['id']}"
        self.assertProblem(self.demo.client("staff").delete(path), 403)
        self.assertProblem(self.demo.client("staff").patch(path, json={"room": "X"}, headers={"If-Match": '"1"'}), 403)
        self.assertProblem(self.demo.client("teacher1").get(path), 403)
        self.assertProblem(self.admin.delete(path), 428)
        self.admin.delete(path, headers={"If-Match": '"1"'}, expect=204)
        self.assertProblem(self.admin.get(path), 404)
        self.assertProblem(self.admin.delete(path, headers={"If-Match": '"1"'}), 404)
        self.create(start="16:00", end="16:45")  # the time is free again

    def test_bad_bodies(self):
        good = self.body(start="18:00", end="18:45")
        cases = [
            ({}, ["classId", "subjectId", "teacherId", "weekday", "startTime", "endTime"]),
            (dict(good, endTime="18:00"), ["endTime"]),
            (dict(good, endTime="17:00"), ["endTime"]),
            (dict(good, startTime="8:00", endTime="25:00"), ["startTime", "endTime"]),
            (dict(good, startTime="24:00"), ["startTime"]),
            (dict(good, startTime=800), ["startTime"]),
            (dict(good, weekday=0), ["weekday"]),
            (dict(good, weekday=8), ["weekday"]),
            (dict(good, weekday="Monday"), ["weekday"]),
            (dict(good, weekday=1.5), ["weekday"]),
            (dict(good, room=""), ["room"]),
            (dict(good, room="R" * 51), ["room"]),
            (dict(good, room=" R1"), ["room"]),
            (dict(good, classId="7-A", teacherId=5), ["classId", "teacherId"]),
            (dict(good, tenantId=str(uuid.uuid4()), academicYearId=str(uuid.uuid4())), ["tenantId", "academicYearId"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                self.assertProblem(self.admin.post(SLOTS, json=body), 422, "validation", fields=fields)
        self.assertProblem(self.admin.post(SLOTS, body="{", content_type="application/json"), 400)
        self.assertProblem(self.admin.post(SLOTS, body="x", content_type="text/plain"), 415)
        self.assertProblem(self.admin.post(SLOTS, json=dict(good, room="R" * (1 << 20))), 413)
        for key in ("staff", "parent4", "student7", "teacher1"):
            self.assertProblem(self.demo.client(key).post(SLOTS, json=good), 403)

    def test_other_schools_records_are_404_naming_the_field(self):
        b = self.all_slots(self.demo.client("admin", school=2), SLOTS)[0]
        good = self.body(start="19:00", end="19:45")
        for field, value in (("classId", b["classId"]), ("subjectId", b["subjectId"]), ("teacherId", b["teacherId"]),
                             ("classId", str(uuid.uuid4()))):
            with self.subTest(field=field):
                p = self.assertProblem(self.admin.post(SLOTS, json=dict(good, **{field: value})), 404)
                self.assertIn(f"({field})", p["detail"])
        for method in ("get", "delete"):
            self.assertProblem(getattr(self.admin, method)(f"{SLOTS}/{b['id']}", headers={"If-Match": '"1"'}), 404)
        self.assertProblem(self.admin.patch(f"{SLOTS}/{b['id']}", json={"room": "X"}, headers={"If-Match": '"1"'}),
                           404)
        self.assertProblem(self.admin.get(f"{SLOTS}/not-an-id"), 404)
        self.assertEqual(self.demo.client("admin", school=2).get(f"{SLOTS}/{b['id']}", expect=200).json, b)

    def test_inactive_teachers_get_no_new_slots(self):
        slot = self.create(teacher=11, start="17:00", end="17:45", weekday="sunday", room="Gym").json
        tid = self.teacher_ids[11]
        etag = self.admin.get(f"/api/v1/teachers/{tid}", expect=200).headers["etag"]
        self.admin.patch(f"/api/v1/teachers/{tid}", json={"status": "inactive"}, headers={"If-Match": etag},
                         expect=200)
        self.assertProblem(self.create(expect=None, teacher=11, start="18:00", end="18:45", weekday="sunday"), 422,
                           fields=["teacherId"])
        # a slot that keeps its teacher can still be moved
        res = self.admin.patch(f"{SLOTS}/{slot['id']}", json={"startTime": "16:00", "endTime": "16:45"},
                               headers={"If-Match": '"1"'}, expect=200).json
        self.assertEqual((res["teacherId"], res["startTime"]), (tid, "16:00"))
        self.assertProblem(self.admin.patch(f"{SLOTS}/{slot['id']}", json={"teacherId": tid},
                                            headers={"If-Match": '"2"'}), 422, fields=["teacherId"])

    def test_concurrent_clashing_creates_one_wins(self):
        for round_, start, end in ((0, "20:00", "20:45"), (1, "21:00", "21:45"), (2, "22:00", "22:45")):
            classes = ["1-A", "2-A", "3-A", "4-A", "5-A", "6-A"]
            bodies = [self.body(cls=c, teacher=6, room=f"R-{round_}-{i}", start=start, end=end, weekday="sunday")
                      for i, c in enumerate(classes)]
            barrier = threading.Barrier(len(bodies))
            statuses = [None] * len(bodies)

            def go(i):
                client = Client(self.server, token=self.demo.token("admin"))
                barrier.wait()
                statuses[i] = client.post(SLOTS, json=bodies[i]).status

            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(statuses), [201] + [409] * (len(bodies) - 1), statuses)
            got = self.all_slots(self.admin, f"{SLOTS}?teacherId={self.teacher_ids[6]}&weekday=sunday")
            self.assertEqual(len([s for s in got if s["startTime"] == start]), 1)


class TestViewsAndList(TimetableCase):
    def test_list_filters_and_pages(self):
        cid = self.class_ids["7-A"]
        mine = [s for s in self.demo_slots if s["classId"] == cid]
        self.assertEqual(self.all_slots(self.admin, f"{SLOTS}?classId={cid}"), mine)
        key = [(s["weekday"], s["startTime"]) for s in mine]
        self.assertEqual(key, sorted(key))
        seen, cursor = [], None
        while True:
            page = self.admin.get(f"{SLOTS}?classId={cid}&limit=7" + (f"&cursor={cursor}" if cursor else ""),
                                  expect=200).json
            self.assertLessEqual(len(page["items"]), 7)
            seen += page["items"]
            cursor = page["nextCursor"]
            if cursor is None:
                break
        self.assertEqual(seen, mine)
        desc = self.all_slots(self.admin, f"{SLOTS}?classId={cid}&sort=-time")
        self.assertEqual([s["id"] for s in desc], [s["id"] for s in reversed(mine)])
        created = self.all_slots(self.admin, f"{SLOTS}?classId={cid}&sort=createdAt")
        self.assertEqual(sorted(s["id"] for s in created), sorted(s["id"] for s in mine))
        # by teacher, weekday (number or name), room, year
        t = self.teacher_ids[0]
        self.assertEqual(self.all_slots(self.admin, f"{SLOTS}?teacherId={t}"),
                         [s for s in self.demo_slots if s["teacherId"] == t])
        monday = [s for s in self.demo_slots if s["weekday"] == 1]
        self.assertEqual(self.all_slots(self.admin, f"{SLOTS}?weekday=1"), monday)
        self.assertEqual(self.all_slots(self.demo.client("staff"), f"{SLOTS}?weekday=monday"), monday)
        room = mine[0]["room"]
        self.assertEqual(self.all_slots(self.admin, f"{SLOTS}?room={room}&classId={cid}"),
                         [s for s in mine if s["room"] == room])
        year = mine[0]["academicYearId"]
        self.assertEqual(len(self.all_slots(self.admin, f"{SLOTS}?academicYearId={year}")), len(self.demo_slots))
        # bad and foreign filters
        for q, fields in (("weekday=0", ["weekday"]), ("weekday=Mon", ["weekday"]), ("classId=x", ["classId"]),
                          ("teacherId=x&academicYearId=y", ["teacherId", "academicYearId"]), ("sort=room", ["sort"]),
                          ("limit=501", ["limit"]), (f"room={'r' * 51}", ["room"])):
            self.assertProblem(self.admin.get(f"{SLOTS}?{q}"), 422, fields=fields)
        self.assertProblem(self.admin.get(f"{SLOTS}?cursor=bogus"), 400)
        b = self.demo.class_named("7-A", school=2)["classId"]
        p = self.assertProblem(self.admin.get(f"{SLOTS}?classId={b}"), 404)
        self.assertEqual(p["detail"], "No such class (classId).")
        self.assertProblem(self.admin.get(f"{SLOTS}?teacherId={uuid.uuid4()}"), 404)
        self.assertProblem(self.admin.get(f"{SLOTS}?academicYearId={uuid.uuid4()}"), 404)
        for key in ("teacher1", "parent4", "student7"):
            self.assertProblem(self.demo.client(key).get(SLOTS), 403)

    def test_class_week(self):
        cid = self.class_ids["7-A"]
        doc = self.admin.get(f"/api/v1/classes/{cid}/timetable", expect=200).json
        self.assertEqual((doc["classId"], doc["className"]), (cid, "7-A"))
        self.assertEqual([d["weekday"] for d in doc["days"]], list(range(1, 8)))
        self.assertEqual([d["name"] for d in doc["days"]][:2], ["monday", "tuesday"])
        flat = [s for d in doc["days"] for s in d["slots"]]
        self.assertEqual(flat, [s for s in self.demo_slots if s["classId"] == cid])
        for d in doc["days"]:
            self.assertTrue(all(s["weekday"] == d["weekday"] for s in d["slots"]))
            starts = [s["startTime"] for s in d["slots"]]
            self.assertEqual(starts, sorted(starts))
        self.assertEqual(len(doc["days"][0]["slots"]), 6)  # the demo's six periods
        # who may read it: the class's teachers, its students and their parents; staff
        teaching = {self.login_of[full_name(s["teacher"])] for s in flat}
        for key in sorted(teaching)[:2] + ["staff", "student7", "parent4"]:
            with self.subTest(reader=key):
                self.demo.client(key).get(f"/api/v1/classes/{cid}/timetable", expect=200)
        outsiders = [k for k in self.login_of.values()
                     if self.demo.client(k).get(f"/api/v1/classes/{cid}/timetable").status == 404]
        self.assertTrue(outsiders)
        # a student sees their class only; a parent their children's (parent4: 7-A and 8-A)
        self.assertProblem(self.demo.client("student7").get(f"/api/v1/classes/{self.class_ids['8-A']}/timetable"), 404)
        self.demo.client("parent4").get(f"/api/v1/classes/{self.class_ids['8-A']}/timetable", expect=200)
        self.assertProblem(self.demo.client("parent4").get(f"/api/v1/classes/{self.class_ids['9-A']}/timetable"), 404)
        for cid2 in (self.demo.class_named("7-A", school=2)["classId"], str(uuid.uuid4()), "x"):
            self.assertProblem(self.admin.get(f"/api/v1/classes/{cid2}/timetable"), 404)

    def test_teacher_week(self):
        tid = self.teacher_ids[0]
        name = self.teachers[tid]
        path = f"/api/v1/teachers/{tid}/timetable"
        doc = self.admin.get(path, expect=200).json
        self.assertEqual((doc["teacherId"], doc["teacher"]["id"], full_name(doc["teacher"])), (tid, tid, name))
        self.assertEqual(doc["academicYearId"], self.demo_slots[0]["academicYearId"])
        flat = [s for d in doc["days"] for s in d["slots"]]
        self.assertEqual(flat, [s for s in self.demo_slots if s["teacherId"] == tid])
        # the teacher themselves; not another teacher
        self.assertEqual(self.demo.client(self.login_of[name]).get(path, expect=200).json, doc)
        other = next(k for n, k in self.login_of.items() if n != name)
        self.assertProblem(self.demo.client(other).get(path), 404)
        self.demo.client("staff").get(path, expect=200)
        for key in ("parent4", "student7"):
            self.assertProblem(self.demo.client(key).get(path), 403)
        # a year asked for explicitly; a year of another school or none
        self.assertEqual(self.admin.get(f"{path}?academicYearId={doc['academicYearId']}", expect=200).json, doc)
        b_year = self.all_slots(self.demo.client("admin", school=2), SLOTS)[0]["academicYearId"]
        p = self.assertProblem(self.admin.get(f"{path}?academicYearId={b_year}"), 404)
        self.assertIn("academicYearId", p["detail"])
        self.assertProblem(self.admin.get(f"{path}?academicYearId=2025"), 422, fields=["academicYearId"])
        b_teacher = self.all_slots(self.demo.client("admin", school=2), SLOTS)[0]["teacherId"]
        for t in (b_teacher, str(uuid.uuid4()), "x"):
            self.assertProblem(self.admin.get(f"/api/v1/teachers/{t}/timetable"), 404)


class TestZZTimetableCoverage(unittest.TestCase):
    """Runs after the other classes of the module: every timetable operation answered its statuses."""

    def test_every_operation_answered_its_statuses(self):
        if not DOC or not {c.__name__ for c in TimetableCase.__subclasses__()} <= RAN:
            skip_allowed("only after the whole module")
        ops = [m for m, _, op in Contract(DOC[0]).operations() if "timetable" in op.get("tags", [])]
        self.assertEqual(len(ops), 7)
        self.assertEqual(uncovered(DOC[0], "timetable", UNREACHABLE), [])
