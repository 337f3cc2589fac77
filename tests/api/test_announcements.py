"""
Announcements (audiences resolved on the day, the publish window, attachments, read receipts, e-mail once when
published) and absence alerts (one per student per day after the school's grace period, none after a quick
correction, none to a guardian who opted out), with their roles and input checks.

The school (A of a World) gets a current year and term around today, classes 5A and 5B (grade 5) and 6A (grade 6),
teacher records for the "teacher" account (class teacher of 5A) and "teacher2" (teaches a subject in 6A), students
S1 (the "student" account, 5A), S2 (account stu2, 5B), S3 (no account, 6A), S4 (account stu4, 6A) and guardians
G1 (the "parent" account, of S1, record address g1@), G2 (no account, g2@, of S3), G3 (no account, no address, of
S4), G4 (no account, g4@, of S1). Each audience kind's members are then known exactly.
"""

import datetime
import html
import os
import re
import subprocess
import uuid

import dates
from harness import Client, ServerTestCase, skip_allowed, wait_until
from mailsink import MailSink, html_body
from world import World, school_today

V1 = "/api/v1"


def ms_of(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def iso_ms(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Setting:
    """The school described in the module's docstring."""

    def __init__(self, world):
        self.w = world
        A = world.A
        self.A = A
        admin = self.admin = A.client("admin")
        today = datetime.date.fromisoformat(school_today("Europe/Paris"))
        self.today = today
        year = admin.post(f"{V1}/academic-years", json={
            "name": "Current", "startDate": (today - datetime.timedelta(days=100)).isoformat(),
            "endDate": (today + datetime.timedelta(days=200)).isoformat(), "isCurrent": True}, expect=201).json
        admin.post(f"{V1}/terms", json={"academicYearId": year["id"], "name": "Term",
                                         "startDate": (today - datetime.timedelta(days=100)).isoformat(),
                                         "endDate": (today + datetime.timedelta(days=200)).isoformat()}, expect=201)
        self.year = year
        self.day = dates.on_or_before(today - datetime.timedelta(days=1), 2).isoformat()  # a past Wednesday
        t1 = admin.post(f"{V1}/teachers", json={"employeeNo": "T1", "firstName": "Tea", "lastName": "One",
                                                 "userId": A.users["teacher"]["id"]}, expect=201).json
        t2 = admin.post(f"{V1}/teachers", json={"employeeNo": "T2", "firstName": "Tea", "lastName": "Two",
                                                 "userId": A.users["teacher2"]["id"]}, expect=201).json
        subject = admin.post(f"{V1}/subjects", json={"code": "ART", "name": "Art"}, expect=201).json

        def cls(grade, section, **kw):
            return admin.post(f"{V1}/classes", json={"academicYearId": year["id"], "gradeLevel": grade,
                                                     "section": section, **kw}, expect=201).json["id"]
        self.c5a, self.c5b, self.c6a = cls(5, "A", classTeacherId=t1["id"]), cls(5, "B"), cls(6, "A")
        admin.post(f"{V1}/classes/{self.c6a}/subjects", json={"subjectId": subject["id"], "teacherId": t2["id"]},
                   expect=201)
        A.add_user("stu2", "student")
        A.add_user("stu4", "student")
        start = (today - datetime.timedelta(days=100)).isoformat()

        def student(no, cls_id, user=None):
            body = {"admissionNo": no, "firstName": "Stu", "lastName": no, "dateOfBirth": "2015-03-04"}
            if user:
                body["userId"] = A.users[user]["id"]
            s = admin.post(f"{V1}/students", json=body, expect=201).json
            admin.post(f"{V1}/enrollments", json={"studentId": s["id"], "classId": cls_id, "startDate": start},
                       expect=201)
            return s["id"]
        self.s1, self.s2 = student("S1", self.c5a, "student"), student("S2", self.c5b, "stu2")
        self.s3, self.s4 = student("S3", self.c6a), student("S4", self.c6a, "stu4")

        def guardian(name, student_id, email=None, user=None):
            body = {"firstName": "Guar", "lastName": name}
            if email:
                body["email"] = email
            if user:
                body["userId"] = A.users[user]["id"]
            g = admin.post(f"{V1}/guardians", json=body, expect=201).json
            admin.put(f"{V1}/students/{student_id}/guardians/{g['id']}", json={"relationship": "guardian"},
                      expect=200)
            return g["id"]
        self.g1 = guardian("G1", self.s1, f"g1@{A.domain}", "parent")
        self.g2 = guardian("G2", self.s3, f"g2@{A.domain}")
        self.g3 = guardian("G3", self.s4)
        self.g4 = guardian("G4", self.s1, f"g4@{A.domain}")

    def accounts(self, *keys):
        return {self.A.users[k]["id"] for k in keys}


def ids(page):
    return [x["id"] for x in page["items"]]


class WithMail(ServerTestCase):
    """A server that mails through a real SMTP server on loopback (mailsink.MailSink), and the school above."""

    REDIS = False  # the job queue on Redis (ERP_TEST_REDIS_URL), a queue of this class's own

    @classmethod
    def setUpClass(cls):
        env = {}
        if cls.REDIS:
            if not os.environ.get("ERP_TEST_REDIS_URL"):
                skip_allowed("needs ERP_TEST_REDIS_URL (tests/run starts Redis)")
            env = {"ERP_REDIS_URL": os.environ["ERP_TEST_REDIS_URL"], "QUEUE_NAME": f"ann-{uuid.uuid4().hex[:8]}"}
        cls.sink = MailSink().start()
        # a delivery job that starts before its message's transaction commits (Redis) tries again soon, and
        # for long enough (5 attempts, backoff from 1 s: about 15 s) that a slow commit (ASan) is waited for
        cls.SERVER_ENV = {"ERP_SMTP_URL": cls.sink.url, "ERP_MAIL_BACKOFF_MS": "1000", **env}
        cls.worker = None
        try:
            super().setUpClass()
            if cls.REDIS:  # serve runs no job threads with Redis: a worker process does
                cls.worker = subprocess.Popen([cls.server.binary, "worker"], stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              env={**cls.server.environment(), "ERP_WORKER_LISTEN": "127.0.0.1:0"})
            cls.world = World(cls.server)
            cls.s = Setting(cls.world)
        except BaseException:
            if cls.worker is not None:
                cls.worker.kill()
                cls.worker.wait()
            cls.sink.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.worker is not None:
                cls.worker.terminate()
                cls.worker.wait(timeout=30)
            super().tearDownClass()
        finally:
            cls.sink.stop()

    def mailed(self, subject, count):
        """The envelope recipients of the messages with this subject, once count of them arrived (sorted)."""
        def got():
            rcpts = sorted(r for m in self.sink.messages() if m["Subject"] == subject for r in m.envelope["rcptTos"])
            return rcpts if len(rcpts) >= count else None
        return wait_until(got, timeout=90, message=f"{count} message(s) '{subject}'")

    def mailed_now(self, subject):
        return sorted(r for m in self.sink.messages() if m["Subject"] == subject for r in m.envelope["rcptTos"])

    def addresses(self, *keys):
        return sorted(self.s.A.users[k]["email"] for k in keys)


class TestAnnouncements(WithMail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.everyone = ["admin", "teacher", "teacher2", "staff", "student", "parent", "bursar", "stu2", "stu4"]

    def announce(self, audience, who="admin", expect=201, **kw):
        body = {"title": f"Notice {uuid.uuid4().hex[:6]}", "body": "Text of the notice.", "audience": audience,
                "email": False, **kw}
        return self.s.A.client(who).post(f"{V1}/announcements", json=body, expect=expect).json

    def shown_to(self, ann_id):
        """The accounts of school A whose /me/announcements lists the announcement."""
        out = set()
        for key in self.everyone:
            items = self.s.A.client(key).get(f"{V1}/me/announcements?limit=500", expect=200).json["items"]
            if ann_id in [x["id"] for x in items]:
                out.add(self.s.A.users[key]["id"])
        return out

    def test_each_audience_kind_reaches_exactly_its_members(self):
        s = self.s
        cases = [
            ([{"kind": "school"}], self.everyone),
            ([{"kind": "grade", "gradeLevel": 5}], ["student", "stu2", "teacher"]),
            ([{"kind": "grade", "gradeLevel": 6}], ["stu4", "teacher2"]),
            ([{"kind": "class", "classId": s.c6a}], ["stu4", "teacher2"]),
            ([{"kind": "class", "classId": s.c5b}], ["stu2"]),
            ([{"kind": "role", "role": "parent"}], ["parent"]),
            ([{"kind": "role", "role": "bursar"}, {"kind": "role", "role": "staff"}], ["bursar", "staff"]),
            ([{"kind": "guardians", "classId": s.c5a}], ["parent"]),
            ([{"kind": "guardians", "classId": s.c6a}], []),
            ([{"kind": "grade", "gradeLevel": 7}], []),
        ]
        for audience, members in cases:
            with self.subTest(audience=audience):
                a = self.announce(audience)
                self.assertEqual(a["audience"], audience)
                self.assertEqual(a["state"], "published")
                self.assertEqual(self.shown_to(a["id"]), s.accounts(*members))
                self.assertEqual(a["audienceSize"], len(members))
                self.assertEqual(a["readCount"], 0)

    def test_each_audience_kind_is_mailed_once_to_exactly_its_addresses(self):
        s = self.s
        d = s.A.domain
        cases = [
            ([{"kind": "school"}], self.addresses(*self.everyone)),
            ([{"kind": "grade", "gradeLevel": 5}], self.addresses("student", "stu2", "teacher")),
            ([{"kind": "class", "classId": s.c6a}], self.addresses("stu4", "teacher2")),
            ([{"kind": "role", "role": "parent"}], self.addresses("parent")),
            # the parent account's address (not its guardian record's), and G4's, who has no account
            ([{"kind": "guardians", "classId": s.c5a}], sorted([s.A.users["parent"]["email"], f"g4@{d}"])),
            ([{"kind": "guardians", "classId": s.c6a}], [f"g2@{d}"]),  # G3 has no address
            # parts that overlap: each address once
            ([{"kind": "class", "classId": s.c5a}, {"kind": "grade", "gradeLevel": 5},
              {"kind": "role", "role": "student"}], self.addresses("student", "stu2", "stu4", "teacher")),
        ]
        made = []
        for audience, want in cases:
            a = self.announce(audience, email=True)
            made.append((a, want))
        for a, want in made:
            with self.subTest(audience=a["audience"]):
                self.assertEqual(self.mailed(a["title"], len(want)), want)
                got = s.admin.get(f"{V1}/announcements/{a['id']}", expect=200).json
                self.assertIsNotNone(got["mailedAt"])
        # a change after it was mailed sends nothing more: a later announcement's message arrives, none of these
        a, want = made[3]
        cur = s.admin.get(f"{V1}/announcements/{a['id']}", expect=200).json
        s.admin.patch(f"{V1}/announcements/{a['id']}", json={"title": a["title"], "body": "Corrected.",
                                                              "publishAt": "2025-01-01"},
                      headers={"If-Match": f'"{cur["version"]}"'}, expect=200)
        marker = self.announce([{"kind": "role", "role": "parent"}], email=True)
        self.mailed(marker["title"], 1)
        self.assertEqual(self.mailed_now(a["title"]), want)
        # without email, nothing is mailed (the marker's message came, this one's did not)
        quiet = self.announce([{"kind": "role", "role": "bursar"}])
        marker = self.announce([{"kind": "role", "role": "bursar"}], email=True)
        self.mailed(marker["title"], 1)
        self.assertEqual(self.mailed_now(quiet["title"]), [])
        self.assertIsNone(s.admin.get(f"{V1}/announcements/{quiet['id']}", expect=200).json["mailedAt"])

    def test_a_scheduled_announcement_is_mailed_when_it_is_published(self):
        s = self.s
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
        a = self.announce([{"kind": "role", "role": "staff"}], email=True, publishAt=iso_ms(soon))
        self.assertEqual((a["state"], a["mailedAt"]), ("scheduled", None))
        self.assertEqual(self.mailed(a["title"], 1), self.addresses("staff"))
        got = s.admin.get(f"{V1}/announcements/{a['id']}", expect=200).json
        self.assertEqual(got["state"], "published")
        self.assertGreaterEqual(ms_of(got["mailedAt"]), ms_of(got["publishAt"]))
        # withdrawn before its time: never mailed
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        b = self.announce([{"kind": "role", "role": "staff"}], email=True, publishAt=iso_ms(later))
        s.admin.delete(f"{V1}/announcements/{b['id']}", headers={"If-Match": f'"{b["version"]}"'}, expect=204)
        job = s.admin.get(f"{V1}/jobs/ann-{b['id']}-{ms_of(b['publishAt'])}", expect=200).json
        done = wait_until(lambda: (lambda j: j if j["state"] == "completed" else None)(
            s.admin.get(f"{V1}/jobs/{job['id']}", expect=200).json), message="the withdrawn one's job")
        self.assertEqual(done["result"], {"mailed": False})
        self.assertEqual(self.mailed_now(b["title"]), [])

    def test_read_receipts_are_idempotent_and_counted(self):
        s = self.s
        a = self.announce([{"kind": "grade", "gradeLevel": 5}])
        stu = s.A.client("student")
        mine = stu.get(f"{V1}/me/announcements", expect=200).json["items"]
        item = [x for x in mine if x["id"] == a["id"]][0]
        self.assertFalse(item["read"])
        self.assertIsNone(item["readAt"])
        self.assertNotIn("readCount", item)
        for _ in range(2):
            self.assertEqual(stu.post(f"{V1}/announcements/{a['id']}/read", expect=204).status, 204)
        s.A.client("teacher").post(f"{V1}/announcements/{a['id']}/read", expect=204)
        item = [x for x in stu.get(f"{V1}/me/announcements", expect=200).json["items"] if x["id"] == a["id"]][0]
        self.assertTrue(item["read"])
        got = s.admin.get(f"{V1}/announcements/{a['id']}", expect=200).json
        self.assertEqual((got["readCount"], got["audienceSize"]), (2, 3))
        # a member reads it, without the counts; one outside the audience cannot read or mark it
        self.assertNotIn("readCount", stu.get(f"{V1}/announcements/{a['id']}", expect=200).json)
        for key in ("stu4", "parent"):
            self.assertProblem(s.A.client(key).get(f"{V1}/announcements/{a['id']}"), 404)
            self.assertProblem(s.A.client(key).post(f"{V1}/announcements/{a['id']}/read"), 404)

    def test_publish_window(self):
        s = self.s
        now = datetime.datetime.now(datetime.timezone.utc)
        later = self.announce([{"kind": "school"}], publishAt=iso_ms(now + datetime.timedelta(days=2)))
        self.assertEqual(later["state"], "scheduled")
        gone = self.announce([{"kind": "school"}], publishAt="2020-01-01",
                             expiresAt=iso_ms(now - datetime.timedelta(days=1)))
        self.assertEqual(gone["state"], "expired")
        live = self.announce([{"kind": "school"}], publishAt="2020-01-01",
                             expiresAt=iso_ms(now + datetime.timedelta(days=1)))
        mine = ids(s.A.client("staff").get(f"{V1}/me/announcements?limit=500", expect=200).json)
        self.assertIn(live["id"], mine)
        self.assertNotIn(later["id"], mine)
        self.assertNotIn(gone["id"], mine)
        self.assertProblem(s.A.client("staff").get(f"{V1}/announcements/{later['id']}"), 404)
        # newest publishAt first
        pos = {i: n for n, i in enumerate(mine)}
        newer = self.announce([{"kind": "school"}])
        mine = ids(s.A.client("staff").get(f"{V1}/me/announcements?limit=500", expect=200).json)
        self.assertEqual(mine[0], newer["id"])
        self.assertTrue(pos)
        # the author moves it: it shows at once; then ends it
        p = s.admin.patch(f"{V1}/announcements/{later['id']}", json={"publishAt": "2021-01-01"},
                          headers={"If-Match": f'"{later["version"]}"'}, expect=200).json
        self.assertEqual(p["state"], "published")
        self.assertIn(later["id"], ids(s.A.client("staff").get(f"{V1}/me/announcements?limit=500", expect=200).json))
        self.assertProblem(s.admin.patch(f"{V1}/announcements/{later['id']}", json={"expiresAt": "2020-06-01"},
                                         headers={"If-Match": f'"{p["version"]}"'}), 422, fields=["expiresAt"])
        p = s.admin.patch(f"{V1}/announcements/{later['id']}", json={"expiresAt": None},
                          headers={"If-Match": f'"{p["version"]}"'}, expect=200).json
        self.assertIsNone(p["expiresAt"])

    def test_paging(self):
        s = self.s
        made = [self.announce([{"kind": "role", "role": "stu" if False else "student"}])["id"] for _ in range(3)]
        seen, cursor = [], None
        while True:
            q = f"{V1}/me/announcements?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = s.A.client("stu2").get(q, expect=200).json
            seen += ids(page)
            cursor = page["nextCursor"]
            if not cursor:
                break
        self.assertEqual([i for i in seen if i in made], list(reversed(made)))
        self.assertEqual(len(seen), len(set(seen)))
        self.assertProblem(s.A.client("stu2").get(f"{V1}/me/announcements?cursor=nonsense"), 400)
        self.assertProblem(s.admin.get(f"{V1}/announcements?limit=0"), 422)
        lst = s.admin.get(f"{V1}/announcements?limit=500", expect=200).json
        self.assertTrue(set(made) <= set(ids(lst)))

    def test_teachers_announce_to_the_classes_they_teach(self):
        s = self.s
        t = s.A.client("teacher")
        mine = self.announce([{"kind": "class", "classId": s.c5a}, {"kind": "guardians", "classId": s.c5a}],
                             who="teacher")
        self.assertEqual(self.shown_to(mine["id"]), s.accounts("student", "teacher", "parent"))
        self.assertProblem(t.post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "class", "classId": s.c6a}]}), 404)
        self.assertProblem(t.post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "school"}]}), 422, fields=["audience[0].kind"])
        # their own only: another teacher's (or an admin's) is not theirs to change
        other = self.announce([{"kind": "class", "classId": s.c5a}])
        self.assertProblem(t.patch(f"{V1}/announcements/{other['id']}", json={"title": "Mine now"},
                                   headers={"If-Match": "*"}), 404)
        self.assertProblem(t.delete(f"{V1}/announcements/{other['id']}", headers={"If-Match": "*"}), 404)
        listed = ids(t.get(f"{V1}/announcements?limit=500", expect=200).json)
        self.assertIn(mine["id"], listed)
        self.assertNotIn(other["id"], listed)
        got = t.patch(f"{V1}/announcements/{mine['id']}", json={"title": "Changed"},
                      headers={"If-Match": f'"{mine["version"]}"'}, expect=200).json
        self.assertEqual(got["title"], "Changed")
        self.assertEqual(t.delete(f"{V1}/announcements/{mine['id']}", headers={"If-Match": f'"{got["version"]}"'},
                                  expect=204).status, 204)
        self.assertProblem(s.A.client("student").get(f"{V1}/announcements/{mine['id']}"), 404)
        self.assertNotIn(mine["id"], ids(s.A.client("student").get(f"{V1}/me/announcements?limit=500",
                                                                     expect=200).json))

    def test_attachments_are_readable_by_the_audience(self):
        s = self.s
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        f = s.admin.post(f"{V1}/files?kind=document&filename=trip.pdf", body=pdf,
                         headers={"Content-Type": "application/pdf"}, expect=201).json
        a = self.announce([{"kind": "class", "classId": s.c6a}], fileIds=[f["id"]])
        self.assertEqual([x["id"] for x in a["attachments"]], [f["id"]])
        self.assertEqual(s.A.client("stu4").get(f"{V1}/files/{f['id']}/content", expect=200).body, pdf)
        self.assertProblem(s.A.client("stu2").get(f"{V1}/files/{f['id']}/content"), 404)
        # a teacher attaches only their own documents; another school's file is no file
        self.assertProblem(s.A.client("teacher").post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "class", "classId": s.c5a}], "fileIds": [f["id"]]}), 404)
        fb = self.world.B.client("admin").post(f"{V1}/files?kind=document&filename=b.pdf", body=pdf,
                                               headers={"Content-Type": "application/pdf"}, expect=201).json
        self.assertProblem(s.admin.post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "school"}], "fileIds": [fb["id"]]}), 404)
        # withdrawn: the attachment is no longer the audience's
        s.admin.delete(f"{V1}/announcements/{a['id']}", headers={"If-Match": "*"}, expect=204)
        self.assertProblem(s.A.client("stu4").get(f"{V1}/files/{f['id']}/content"), 404)

    def test_bad_input(self):
        s = self.s
        post = s.admin.post
        cases = [
            ({"body": "y", "audience": [{"kind": "school"}]}, ["title"]),
            ({"title": "x", "body": "y"}, ["audience"]),
            ({"title": "x", "body": "y", "audience": []}, ["audience"]),
            ({"title": 5, "body": "y", "audience": [{"kind": "school"}]}, ["title"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "planet"}]}, ["audience[0].kind"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "grade"}]}, ["audience[0].gradeLevel"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "class", "classId": "x"}]}, ["audience[0].classId"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "role", "role": "king"}]}, ["audience[0].role"]),
            ({"title": "x", "body": "y", "audience": ["school"]}, ["audience[0]"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "school"}], "publishAt": "soon"}, ["publishAt"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "school"}], "fileIds": ["nope"]}, ["fileIds[0]"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "school"}], "colour": "red"}, ["colour"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "school"}], "email": "yes"}, ["email"]),
            ({"title": "x", "body": "y", "audience": [{"kind": "school"}], "publishAt": "2026-01-02",
              "expiresAt": "2026-01-01"}, ["expiresAt"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                self.assertProblem(post(f"{V1}/announcements", json=body), 422, fields=fields)
        self.assertProblem(post(f"{V1}/announcements", body=b"{not json", headers={"Content-Type":
                                                                                   "application/json"}), 400)
        self.assertProblem(post(f"{V1}/announcements", body=b"{}", headers={"Content-Type": "text/plain"}), 415)
        self.assertProblem(post(f"{V1}/announcements", json={"title": "x", "body": "y" * (2 << 20),
                                                             "audience": [{"kind": "school"}]}), 413)
        self.assertProblem(post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "class", "classId": str(uuid.uuid4())}]}), 404)
        self.assertProblem(post(f"{V1}/announcements", json={
            "title": "x", "body": "y", "audience": [{"kind": "guardians", "classId": self.world.B.id}]}), 404)
        self.assertProblem(s.admin.get(f"{V1}/announcements/not-an-id"), 404)
        self.assertProblem(s.admin.get(f"{V1}/announcements/{uuid.uuid4()}"), 404)
        a = self.announce([{"kind": "school"}])
        path = f"{V1}/announcements/{a['id']}"
        self.assertProblem(s.admin.patch(path, json={"title": "x"}), 428)
        self.assertProblem(s.admin.patch(path, json={"title": "x"}, headers={"If-Match": '"99"'}), 412)
        self.assertProblem(s.admin.patch(path, json={"title": ""}, headers={"If-Match": "*"}), 422, fields=["title"])
        self.assertProblem(s.admin.patch(path, body=b"[", headers={"If-Match": "*", "Content-Type":
                                                                   "application/json"}), 400)
        self.assertEqual(s.admin.patch(path, json={}, headers={"If-Match": "*"}, expect=200).json["version"],
                         a["version"])
        self.assertProblem(s.admin.patch(path, body=b"{}", headers={"If-Match": "*"}, content_type="text/plain"), 415)
        self.assertProblem(s.admin.patch(path, json={"body": "y" * (2 << 20)}, headers={"If-Match": "*"}), 413)
        self.assertProblem(s.admin.get(f"{V1}/announcements?cursor=nonsense"), 400)
        self.assertProblem(s.admin.delete(path), 428)
        self.assertProblem(s.admin.delete(path, headers={"If-Match": '"99"'}), 412)
        r = s.admin.get(path, expect=200)
        self.assertEqual(s.admin.get(path, headers={"If-None-Match": r.headers["etag"]}).status, 304)
        # receipts: a malformed Idempotency-Key, and a key used again for another announcement
        self.assertProblem(s.admin.post(f"{V1}/announcements/{a['id']}/read", headers={"Idempotency-Key": ""}), 400)
        key = str(uuid.uuid4())
        s.admin.post(f"{V1}/announcements/{a['id']}/read", headers={"Idempotency-Key": key}, expect=204)
        b = self.announce([{"kind": "school"}])
        self.assertProblem(s.admin.post(f"{V1}/announcements/{b['id']}/read", headers={"Idempotency-Key": key}), 422)

    def test_other_schools_announcements_are_not_found(self):
        s = self.s
        b = self.world.B.client("admin").post(f"{V1}/announcements", json={
            "title": "B's", "body": "Only B.", "audience": [{"kind": "school"}], "email": False}, expect=201).json
        path = f"{V1}/announcements/{b['id']}"
        for key in ("admin", "teacher", "student"):
            c = s.A.client(key)
            self.assertProblem(c.get(path), 404)
            self.assertProblem(c.post(f"{path}/read"), 404)
            self.assertNotIn(b["id"], ids(c.get(f"{V1}/me/announcements?limit=500", expect=200).json))
        self.assertProblem(s.admin.patch(path, json={"title": "Taken"}, headers={"If-Match": "*"}), 404)
        self.assertProblem(s.admin.delete(path, headers={"If-Match": "*"}), 404)
        self.assertNotIn(b["id"], ids(s.admin.get(f"{V1}/announcements?limit=500", expect=200).json))
        self.assertEqual(self.world.B.client("admin").get(path, expect=200).json["title"], "B's")


class TestAbsenceAlerts(WithMail):

    def settings(self, **changes):
        cur = self.s.admin.get(f"{V1}/absence-alerts/settings", expect=200)
        return self.s.admin.patch(f"{V1}/absence-alerts/settings", json=changes,
                                  headers={"If-Match": cur.headers["etag"]}, expect=200).json

    def mark(self, cls_id, day, marks, who="admin"):
        sheet = self.s.A.client(who).put(f"{V1}/classes/{cls_id}/attendance/{day}", json={"marks": [
            {"studentId": sid, "status": st} for sid, st in marks]}, expect=200).json
        return sheet

    def job_of(self, cls_id, day, sheet, student):
        at = [m for m in sheet["items"] if m["studentId"] == student][0]["mark"]["markedAt"]
        return f"a-{cls_id}-{day.replace('-', '')}-{ms_of(at)}"

    def finished(self, job_id):
        def done():
            j = self.s.admin.get(f"{V1}/jobs/{job_id}", expect=200).json
            return j if j["state"] in ("completed", "failed") else None
        j = wait_until(done, timeout=90, message=f"job {job_id}")
        self.assertEqual(j["state"], "completed", j)
        return j["result"]

    def alerted_guardians(self, days_ago):
        """S1 marked absent days_ago: the day, and the alert's message to each of their two guardians by address."""
        s = self.s
        self.settings(enabled=True, graceSeconds=0)
        day = (datetime.date.fromisoformat(s.day) - datetime.timedelta(days=days_ago)).isoformat()
        sheet = self.mark(s.c5a, day, [(s.s1, "absent")])
        self.finished(self.job_of(s.c5a, day, sheet, s.s1))
        subject = f"Stu S1 was marked absent on {day}"
        self.mailed(subject, 2)
        return day, {m.envelope["rcptTos"][0]: m for m in self.sink.messages() if m["Subject"] == subject}

    def alerts(self, day):
        return self.s.admin.get(f"{V1}/absence-alerts?date={day}", expect=200).json["items"]

    def test_settings(self):
        s = self.s
        got = s.admin.get(f"{V1}/absence-alerts/settings", expect=200)
        self.assertEqual(s.admin.get(f"{V1}/absence-alerts/settings", headers={"If-None-Match": got.headers["etag"]})
                         .status, 304)
        self.assertProblem(s.admin.patch(f"{V1}/absence-alerts/settings", json={"graceSeconds": 5}), 428)
        self.assertProblem(s.admin.patch(f"{V1}/absence-alerts/settings", json={"graceSeconds": 5},
                                         headers={"If-Match": '"77"'}), 412)
        for body, field in (({"graceSeconds": -1}, "graceSeconds"), ({"graceSeconds": 86401}, "graceSeconds"),
                            ({"graceSeconds": "5"}, "graceSeconds"), ({"enabled": 1}, "enabled"),
                            ({"wat": True}, "wat")):
            self.assertProblem(s.admin.patch(f"{V1}/absence-alerts/settings", json=body, headers={"If-Match": "*"}),
                               422, fields=[field])
        url = f"{V1}/absence-alerts/settings"
        self.assertProblem(s.admin.get(url, headers={"If-None-Match": "3"}), 400)
        self.assertProblem(s.admin.patch(url, json={"graceSeconds": 5}, headers={"If-Match": "one"}), 400)
        self.assertProblem(s.admin.patch(url, body=b"{", headers={"If-Match": "*"}, content_type="application/json"),
                           400)
        self.assertProblem(s.admin.patch(url, body=b"{}", headers={"If-Match": "*"}, content_type="text/plain"), 415)
        self.assertProblem(s.admin.patch(url, json={"pad": "x" * (2 << 20)}, headers={"If-Match": "*"}), 413)
        b = self.world.B.client("admin").get(f"{V1}/absence-alerts/settings", expect=200).json
        self.settings(graceSeconds=3600)
        self.assertEqual(self.world.B.client("admin").get(f"{V1}/absence-alerts/settings", expect=200).json, b)

    def test_one_alert_per_student_per_day_to_each_guardian_with_an_address(self):
        s = self.s
        self.settings(enabled=True, includeLate=False, graceSeconds=0)
        day = (datetime.date.fromisoformat(s.day) - datetime.timedelta(days=7)).isoformat()
        sheet = self.mark(s.c5a, day, [(s.s1, "absent")], who="teacher")
        self.assertEqual(self.finished(self.job_of(s.c5a, day, sheet, s.s1)), {"alerts": 1, "messages": 2})
        got = self.alerts(day)
        self.assertEqual([(a["studentId"], a["status"], a["classId"]) for a in got], [(s.s1, "absent", s.c5a)])
        self.assertEqual(got[0]["student"], {"id": s.s1, "firstName": "Stu", "lastName": "S1"})
        self.assertEqual(sorted(r["email"] for r in got[0]["recipients"]),
                         [f"g1@{s.A.domain}", f"g4@{s.A.domain}"])
        subject = f"Stu S1 was marked absent on {day}"
        self.assertEqual(self.mailed(subject, 2), [f"g1@{s.A.domain}", f"g4@{s.A.domain}"])
        # marked again that day (late, then absent with a note): no second alert
        self.settings(includeLate=True)
        sheet = self.mark(s.c5a, day, [(s.s1, "late")])
        self.assertEqual(self.finished(self.job_of(s.c5a, day, sheet, s.s1)), {"alerts": 0, "messages": 0})
        self.assertEqual(len(self.alerts(day)), 1)
        self.assertEqual(self.mailed_now(f"Stu S1 was marked late on {day}"), [])
        self.assertEqual(len(self.mailed_now(subject)), 2)
        # another school sees none of it
        self.assertEqual(self.world.B.client("admin").get(f"{V1}/absence-alerts?date={day}", expect=200)
                         .json["items"], [])

    def test_late_alerts_only_when_the_school_says_so(self):
        s = self.s
        day = (datetime.date.fromisoformat(s.day) - datetime.timedelta(days=14)).isoformat()
        self.settings(includeLate=False, graceSeconds=0)
        self.mark(s.c6a, day, [(s.s3, "late")])
        self.settings(includeLate=True, graceSeconds=0)
        sheet = self.mark(s.c6a, day, [(s.s3, "late"), (s.s4, "late")])
        # S3's mark did not change, so it belongs to the first save (which enqueued nothing); S4's alerts
        self.assertEqual(self.finished(self.job_of(s.c6a, day, sheet, s.s4)), {"alerts": 1, "messages": 0})
        got = self.alerts(day)
        self.assertEqual([(a["studentId"], a["status"], a["recipients"]) for a in got], [(s.s4, "late", [])])

    def test_a_quick_correction_sends_nothing(self):
        s = self.s
        self.settings(enabled=True, graceSeconds=5)
        day = (datetime.date.fromisoformat(s.day) - datetime.timedelta(days=21)).isoformat()
        sheet = self.mark(s.c5b, day, [(s.s2, "absent")])
        job = self.job_of(s.c5b, day, sheet, s.s2)
        self.mark(s.c5b, day, [(s.s2, "present")])
        self.assertEqual(s.admin.get(f"{V1}/jobs/{job}", expect=200).json["state"], "delayed",
                         "the correction came after the grace period: this machine is too slow for this test")
        self.assertEqual(self.finished(job), {"alerts": 0, "messages": 0})
        self.assertEqual(self.alerts(day), [])
        self.assertEqual(self.mailed_now(f"Stu S2 was marked absent on {day}"), [])

    def test_guardians_may_opt_out(self):
        s = self.s
        parent = s.A.client("parent")
        self.assertEqual(parent.put(f"{V1}/guardians/{s.g1}/absence-alerts", json={"enabled": False}, expect=200).json,
                         {"guardianId": s.g1, "enabled": False})
        self.assertProblem(parent.put(f"{V1}/guardians/{s.g4}/absence-alerts", json={"enabled": False}), 404)
        s.A.client("staff").put(f"{V1}/guardians/{s.g4}/absence-alerts", json={"enabled": False}, expect=200)
        self.settings(enabled=True, graceSeconds=0)
        day = (datetime.date.fromisoformat(s.day) - datetime.timedelta(days=28)).isoformat()
        sheet = self.mark(s.c5a, day, [(s.s1, "absent")])
        self.assertEqual(self.finished(self.job_of(s.c5a, day, sheet, s.s1)), {"alerts": 1, "messages": 0})
        self.assertEqual(self.alerts(day)[0]["recipients"], [])
        self.assertEqual(self.mailed_now(f"Stu S1 was marked absent on {day}"), [])
        s.admin.put(f"{V1}/guardians/{s.g4}/absence-alerts", json={"enabled": True}, expect=200)
        parent.put(f"{V1}/guardians/{s.g1}/absence-alerts", json={"enabled": True}, expect=200)
        # bad input, another school's guardian
        for body, field in (({}, "enabled"), ({"enabled": "no"}, "enabled"), ({"enabled": True, "x": 1}, "x")):
            self.assertProblem(s.admin.put(f"{V1}/guardians/{s.g1}/absence-alerts", json=body), 422, fields=[field])
        self.assertProblem(s.admin.put(f"{V1}/guardians/{s.g1}/absence-alerts", body=b"{",
                                       headers={"Content-Type": "application/json"}), 400)
        self.assertProblem(s.admin.put(f"{V1}/guardians/{s.g1}/absence-alerts", body=b"{}",
                                       headers={"Content-Type": "text/plain"}), 415)
        self.assertProblem(s.admin.put(f"{V1}/guardians/{s.g1}/absence-alerts", json={"enabled": True,
                                                                                       "pad": "x" * (2 << 20)}), 413)
        self.assertProblem(s.admin.put(f"{V1}/guardians/{uuid.uuid4()}/absence-alerts", json={"enabled": True}), 404)

    def test_one_click_unsubscribe(self):
        s = self.s
        day, messages = self.alerted_guardians(35)
        links = {rcpt: m["List-Unsubscribe"].strip("<>") for rcpt, m in messages.items()}
        self.assertEqual(len(set(links.values())), 2)  # a token of each message's own
        g4 = links[f"g4@{s.A.domain}"]
        self.assertTrue(g4.startswith("http://localhost:8080/api/v1/absence-alerts/unsubscribe?token="), g4)
        path = g4[len("http://localhost:8080"):]
        anonymous = Client(self.server)
        for _ in range(2):  # RFC 8058's one-click POST; again: no change
            self.assertEqual(anonymous.post(path, body="List-Unsubscribe=One-Click",
                                            content_type="application/x-www-form-urlencoded").status, 204)
        later = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
        sheet = self.mark(s.c5a, later, [(s.s1, "absent")])
        self.assertEqual(self.finished(self.job_of(s.c5a, later, sheet, s.s1)), {"alerts": 1, "messages": 1})
        self.assertEqual([r["email"] for r in self.alerts(later)[0]["recipients"]], [f"g1@{s.A.domain}"])
        s.admin.put(f"{V1}/guardians/{s.g4}/absence-alerts", json={"enabled": True}, expect=200)
        url = f"{V1}/absence-alerts/unsubscribe"
        self.assertProblem(anonymous.post(url), 422, fields=["token"])
        self.assertProblem(anonymous.post(f"{url}?token=short"), 422, fields=["token"])
        self.assertProblem(anonymous.post(f"{url}?token={'x' * 43}"), 404)

    def test_unsubscribe_in_a_browser(self):
        s = self.s
        day, messages = self.alerted_guardians(42)
        msg = messages[f"g4@{s.A.domain}"]
        link = msg["List-Unsubscribe"].strip("<>")
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn(f'href="{html.escape(link)}"', html_body(msg))  # the footer's link is the same
        path = link[len("http://localhost:8080"):]
        browser = Client(self.server)
        for _ in range(2):  # opening the link changes nothing
            page = browser.get(path)
            self.assertEqual((page.status, page.media_type), (200, "text/html"))
            self.assertIn("<h1>Stop absence alerts?</h1>", page.text)
            self.assertIn(f"<strong>g4@{s.A.domain}</strong>", page.text)
            self.assertIn(f"<strong>{html.escape(s.A.tenant['name'])}</strong>", page.text)
            self.assertNotIn("<script", page.text)
            self.assertIn("default-src 'none'", page.headers["content-security-policy"])
            self.assertIn("form-action 'self'", page.headers["content-security-policy"])
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)">', page.text).group(1))
        self.assertTrue(action.startswith(f"{V1}/absence-alerts/unsubscribe/confirm?token="), action)
        done = browser.post(action, body="", content_type="application/x-www-form-urlencoded")
        self.assertEqual((done.status, done.media_type), (200, "text/html"))
        self.assertIn("<h1>Absence alerts stopped</h1>", done.text)
        self.assertIn("<h1>Absence alerts are stopped</h1>", browser.get(path).text)
        later = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
        sheet = self.mark(s.c5a, later, [(s.s1, "absent")])
        self.assertEqual(self.finished(self.job_of(s.c5a, later, sheet, s.s1)), {"alerts": 1, "messages": 1})
        self.assertEqual([r["email"] for r in self.alerts(later)[0]["recipients"]], [f"g1@{s.A.domain}"])
        s.admin.put(f"{V1}/guardians/{s.g4}/absence-alerts", json={"enabled": True}, expect=200)
        # links no message carried, damaged ones: a page that says so, nothing changed
        for url in (f"{V1}/absence-alerts/unsubscribe", f"{V1}/absence-alerts/unsubscribe/confirm"):
            send = browser.get if url.endswith("unsubscribe") else browser.post
            bad = send(f"{url}?token={'x' * 43}")
            self.assertEqual((bad.status, bad.media_type), (404, "text/html"))
            self.assertIn("This unsubscribe link is not valid", bad.text)
            bad = send(f"{url}?token=short")
            self.assertEqual((bad.status, bad.media_type), (422, "text/html"))
            self.assertIn("This unsubscribe link is incomplete", bad.text)
            self.assertEqual(send(url).status, 422)
        self.assertEqual(s.admin.get(f"{V1}/guardians/{s.g4}/absence-alerts").status, 405)

    def test_alert_list_input(self):
        s = self.s
        self.assertProblem(s.admin.get(f"{V1}/absence-alerts?date=yesterday"), 422)
        self.assertProblem(s.admin.get(f"{V1}/absence-alerts?cursor=zzz"), 400)
        self.assertEqual(s.admin.get(f"{V1}/absence-alerts", expect=200).json["nextCursor"], None)


class TestAbsenceAlertsOnRedis(TestAbsenceAlerts):
    """The same on the Redis queue, where a job is enqueued before the register's transaction commits."""

    REDIS = True


class TestAnnouncementMailOnRedis(WithMail):
    REDIS = True

    def test_published_at_once_and_scheduled(self):
        s = self.s
        body = {"body": "On Redis.", "audience": [{"kind": "role", "role": "staff"}]}
        now = s.admin.post(f"{V1}/announcements", json=dict(body, title="Now on Redis"), expect=201).json
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        later = s.admin.post(f"{V1}/announcements", json=dict(body, title="Soon on Redis", publishAt=iso_ms(soon)),
                             expect=201).json
        for a in (now, later):
            self.assertEqual(self.mailed(a["title"], 1), self.addresses("staff"))
