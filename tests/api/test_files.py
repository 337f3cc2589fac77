"""
Files (issue: files): uploads kept in the blob store, their records, their bytes and signed
download links. Runs on both engines, with the blob store on a directory (the default) and, in
TestFilesOnS3, on npm's s3rver started here (tests/lib/services.py).

The signed links are checked against an independent signer written here from the scheme
(HMAC-SHA256 over school, file id and expiry with a key derived from ERP_FILE_URL_SECRET), so an
expired link can be made without waiting.
"""

import base64
import concurrent.futures
import hashlib
import hmac
import os
import sys
import threading
import time
import uuid

import unittest

from harness import Client, ServerTestCase
from world import World

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

from services import S3rver  # noqa: E402

FILES, STUDENTS = "/api/v1/files", "/api/v1/students"
SECRET = "files-test-secret-0123456789-abcdefghij"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(200)
PDF = b"%PDF-1.4\n" + os.urandom(300)
_n = [0]


def sign(tenant, file_id, exp):
    key = hmac.new(SECRET.encode(), b"school-erp file links", hashlib.sha256).digest()
    mac = hmac.new(key, f"{tenant}\n{file_id}\n{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def content_hash(data):
    return "sha256-" + hashlib.sha256(data).hexdigest()


class FilesCase(ServerTestCase):
    SERVER_ENV = {"ERP_FILE_URL_SECRET": SECRET}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.A, cls.B = cls.world.A, cls.world.B

    def new_student(self, school=None, **fields):
        _n[0] += 1
        body = {"admissionNo": f"F-{_n[0]}-{time.monotonic_ns()}", "firstName": "Fay", "lastName": "Filer",
                "dateOfBirth": "2013-02-03"}
        body.update(fields)
        return (school or self.A).client("admin").post(STUDENTS, json=body, expect=201).json

    def upload(self, data, ctype, kind="document", student=None, client=None, expect=201, query=""):
        q = f"?kind={kind}" + (f"&studentId={student}" if student else "") + query
        return (client or self.A.client("admin")).post(FILES + q, body=data, content_type=ctype, expect=expect)


class FilesTests:
    """The API's behaviour, whatever the blob store: mixed into a class per store."""

    def test_photo_round_trip(self):
        s = self.new_student()
        data = PNG + os.urandom(32)
        doc = self.upload(data, "image/png", "studentPhoto", s["id"], query="&filename=fay.png").json
        self.assertEqual((doc["kind"], doc["contentType"], doc["size"], doc["studentId"], doc["filename"]),
                         ("studentPhoto", "image/png", len(data), s["id"], "fay.png"))
        self.assertEqual(doc["contentHash"], content_hash(data))
        self.assertEqual(doc["ownerId"], self.A.users["admin"]["id"])
        admin = self.A.client("admin")
        meta = admin.get(f"{FILES}/{doc['id']}", expect=200)
        self.assertEqual(meta.json, doc)
        self.assertIn("private", meta.headers["cache-control"])
        got = admin.get(doc["contentUrl"], expect=200)
        self.assertEqual(got.body, data)
        self.assertEqual(got.headers["content-type"], "image/png")
        self.assertIn("private", got.headers["cache-control"])
        self.assertEqual(got.headers["etag"], f'"{content_hash(data)}"')
        again = admin.get(doc["contentUrl"], headers={"If-None-Match": got.headers["etag"]}, expect=304)
        self.assertEqual(again.body, b"")
        admin.get(doc["contentUrl"], headers={"If-None-Match": '"sha256-00"'}, expect=200)
        # the photo is the student's now, its version moved on
        now = admin.get(f"{STUDENTS}/{s['id']}", expect=200).json
        self.assertEqual((now["photoFileId"], now["version"]), (doc["id"], s["version"] + 1))
        self.assertIsNone(s["photoFileId"])
        # a document of the student changes nothing of that
        self.upload(PDF + os.urandom(4), "application/pdf", "document", s["id"])
        self.assertEqual(admin.get(f"{STUDENTS}/{s['id']}", expect=200).json["photoFileId"], doc["id"])

    def test_put_student_photo(self):
        s = self.new_student()
        admin = self.A.client("admin")
        first = admin.put(f"{STUDENTS}/{s['id']}/photo?filename=a.jpg", body=JPEG, content_type="image/jpeg",
                          expect=200).json
        self.assertEqual((first["kind"], first["studentId"], first["filename"]), ("studentPhoto", s["id"], "a.jpg"))
        second = self.A.client("staff").put(f"{STUDENTS}/{s['id']}/photo", body=PNG, content_type="image/png",
                                            expect=200).json
        now = admin.get(f"{STUDENTS}/{s['id']}", expect=200).json
        self.assertEqual((now["photoFileId"], now["version"]), (second["id"], s["version"] + 2))
        self.assertEqual(admin.get(second["contentUrl"], expect=200).body, PNG)
        # the photo's rules: type, bytes, size, a student of this school, the office only
        put = f"{STUDENTS}/{s['id']}/photo"
        admin.put(put, body=PDF, content_type="application/pdf", expect=415)
        admin.put(put, body=PDF, content_type="image/png", expect=422)
        p = admin.put(put, body=PNG + b"\x00" * (2 * 1024 * 1024), content_type="image/png", expect=413).json
        self.assertIn(str(2 * 1024 * 1024), p["detail"])
        admin.put(put + "?filename=a/b", body=PNG, content_type="image/png", expect=422)
        admin.put(put + "?kind=document", body=PNG, content_type="image/png", expect=422)
        admin.put(f"{STUDENTS}/{uuid.uuid4()}/photo", body=PNG, content_type="image/png", expect=404)
        self.B.client("admin").put(put, body=PNG, content_type="image/png", expect=404)
        self.A.client("teacher").put(put, body=PNG, content_type="image/png", expect=403)
        self.assertEqual(admin.get(f"{STUDENTS}/{s['id']}", expect=200).json["photoFileId"], second["id"])

    def test_same_bytes_stored_once(self):
        data = PDF + os.urandom(16)
        one = self.upload(data, "application/pdf").json
        path = self.object_path(one["contentHash"])
        before = os.stat(path).st_mtime_ns
        time.sleep(0.02)
        two = self.upload(data, "application/pdf; charset=binary").json
        self.assertNotEqual(one["id"], two["id"])
        self.assertEqual(one["contentHash"], two["contentHash"])
        self.assertEqual(os.stat(path).st_mtime_ns, before, "the stored object was written again")
        for f in (one, two):
            self.assertEqual(self.A.client("admin").get(f["contentUrl"], expect=200).body, data)

    def test_size_limits(self):
        s = self.new_student()
        big_photo = PNG + b"\x00" * (2 * 1024 * 1024)
        p = self.upload(big_photo, "image/png", "studentPhoto", s["id"], expect=413).json
        self.assertIn("2097152", p["detail"])
        # over the largest limit: refused by h2o on the headers, with this route's limit named
        p = self.upload(PDF + b"\x00" * (10 * 1024 * 1024), "application/pdf", expect=413).json
        self.assertIn(str(10 * 1024 * 1024), p["detail"])
        # just under each limit passes
        self.upload(PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG) - 1), "image/png", "studentPhoto", s["id"])
        self.upload(PDF + os.urandom(5 * 1024 * 1024), "application/pdf")
        # the uploads' larger limit is theirs alone: a JSON route still refuses 1.5 MiB
        self.A.client("admin").post(STUDENTS, body=b"{" + b" " * (1536 * 1024) + b"}",
                                    content_type="application/json", expect=413)

    def test_wrong_types(self):
        s = self.new_student()
        p = self.upload(PDF, "application/pdf", "studentPhoto", s["id"], expect=415).json
        self.assertIn("image/jpeg", p["detail"])
        self.upload(b"a,b\n", "application/zip", expect=415)
        self.upload(JPEG, None, "studentPhoto", s["id"], expect=415)
        # the bytes must be what the Content-Type says
        self.upload(JPEG, "image/png", "studentPhoto", s["id"], expect=422)
        self.upload(b"GIF89a....", "image/jpeg", "studentPhoto", s["id"], expect=422)
        self.upload(b"name\x00,x\n", "text/csv", expect=422)
        self.upload(b"\xff\xfe bad utf-8", "text/csv", expect=422)
        self.upload(b"", "application/pdf", expect=422)
        ok = self.upload("name,grade\nZoë,3\n".encode(), "text/csv; charset=utf-8").json
        self.assertEqual(ok["contentType"], "text/csv")

    def test_malformed_query(self):
        admin = self.A.client("admin")
        for q in ("", "?kind=photo", "?kind=document&studentId=nope", "?kind=studentPhoto",
                  "?kind=document&filename=a/b.pdf", "?kind=document&filename=", "?kind=document&x=1",
                  "?kind=document&kind=document"):
            with self.subTest(query=q):
                admin.post(FILES + q, body=PDF, content_type="application/pdf", expect=422)
        admin.post(f"{FILES}?kind=document&studentId={uuid.uuid4()}", body=PDF, content_type="application/pdf",
                   expect=404)
        # the reads declare no query parameter: any is 422
        doc = self.upload(PDF + os.urandom(4), "application/pdf", "document", self.new_student()["id"]).json
        for path in (f"{FILES}/{doc['id']}", doc["contentUrl"], f"{FILES}/{doc['id']}/url",
                     f"{STUDENTS}/{doc['studentId']}/files"):
            with self.subTest(path=path):
                admin.get(path + "?limit=1", expect=422)
        admin.get(f"{FILES}/not-an-id", expect=404)
        admin.get(f"{FILES}/{uuid.uuid4()}", expect=404)
        admin.get(f"{FILES}/{uuid.uuid4()}/content", expect=404)
        admin.get(f"{FILES}/{uuid.uuid4()}/url", expect=404)

    def test_other_school_sees_nothing(self):
        s = self.new_student()
        doc = self.upload(JPEG + os.urandom(8), "image/jpeg", "studentPhoto", s["id"]).json
        for key in ("admin", "staff", "teacher", "parent", "student"):
            b = self.B.client(key)
            with self.subTest(role=key):
                b.get(f"{FILES}/{doc['id']}", expect=404)
                b.get(f"{FILES}/{doc['id']}/content", expect=404)
                b.get(f"{FILES}/{doc['id']}/url", expect=404)
                b.get(f"{STUDENTS}/{s['id']}/files", expect=404)
        # nor may B's admin attach a file to A's student
        self.upload(PDF, "application/pdf", "document", s["id"], client=self.B.client("admin"), expect=404)

    def test_roles_and_policy(self):
        s = self.new_student()
        doc = self.upload(PDF + os.urandom(8), "application/pdf", "document", s["id"]).json
        loose = self.upload(PDF + os.urandom(8), "application/pdf").json  # of no student
        for key in ("teacher", "student", "parent"):
            with self.subTest(uploader=key):
                self.upload(PDF, "application/pdf", client=self.A.client(key), expect=403)
        self.upload(PDF + os.urandom(4), "application/pdf", client=self.A.client("staff"))
        for key in ("admin", "staff"):
            self.A.client(key).get(f"{FILES}/{doc['id']}/content", expect=200)
            self.A.client(key).get(f"{FILES}/{loose['id']}", expect=200)
        # a teacher who does not teach the student, a parent and a student not linked to it: as if absent
        for key in ("teacher", "parent", "student"):
            with self.subTest(reader=key):
                c = self.A.client(key)
                c.get(f"{FILES}/{doc['id']}", expect=404)
                c.get(f"{FILES}/{doc['id']}/content", expect=404)
                c.get(f"{FILES}/{loose['id']}", expect=404)
                c.get(f"{STUDENTS}/{s['id']}/files", expect=404)
        # the student's own account, and a guardian's
        own = self.new_student(userId=self.A.add_user(f"kid{_n[0]}", "student")["id"])
        mine = self.upload(PNG + os.urandom(8), "image/png", "studentPhoto", own["id"]).json
        kid = Client(self.server, token=self.A.users[f"kid{_n[0] - 1}"]["token"])
        self.assertEqual(kid.get(mine["contentUrl"], expect=200).body[:8], PNG[:8])
        kid.get(f"{FILES}/{doc['id']}", expect=404)
        parent_user = self.A.add_user(f"mum{_n[0]}", "parent")
        g = self.A.client("admin").post("/api/v1/guardians", json={"firstName": "Mum", "lastName": "Filer",
                                                                   "userId": parent_user["id"]}, expect=201).json
        self.A.client("admin").put(f"{STUDENTS}/{s['id']}/guardians/{g['id']}", json={"relationship": "mother"},
                                   expect=200)
        mum = Client(self.server, token=parent_user["token"])
        mum.get(f"{FILES}/{doc['id']}/content", expect=200)
        mum.get(f"{FILES}/{mine['id']}", expect=404)
        items = mum.get(f"{STUDENTS}/{s['id']}/files", expect=200).json["items"]
        self.assertEqual([f["id"] for f in items], [doc["id"]])

    def test_one_upload_per_idempotency_key(self):
        # uploads sent at once with one key: one is stored, the others wait their turn (409) or get its answer
        seen = set()
        for round_ in range(6):
            data = PDF + os.urandom(3 * 1024 * 1024)
            key = {"Idempotency-Key": f"files-{round_}-{uuid.uuid4()}"}
            barrier = threading.Barrier(6)

            def one(_):
                barrier.wait(30)
                return self.A.client("admin").post(f"{FILES}?kind=document", body=data, headers=key,
                                                   content_type="application/pdf")

            with concurrent.futures.ThreadPoolExecutor(6) as ex:
                results = list(ex.map(one, range(6)))
            statuses = {r.status for r in results}
            self.assertTrue(statuses <= {201, 409}, statuses)
            self.assertEqual(len({r.json["id"] for r in results if r.status == 201}), 1)
            seen |= statuses
            if 409 in seen:
                break
        self.assertIn(201, seen)

    def test_student_files_list(self):
        s = self.new_student()
        a = self.upload(PDF + os.urandom(8), "application/pdf", "document", s["id"]).json
        b = self.upload(JPEG + os.urandom(8), "image/jpeg", "studentPhoto", s["id"]).json
        res = self.A.client("admin").get(f"{STUDENTS}/{s['id']}/files", expect=200).json
        self.assertEqual([f["id"] for f in res["items"]], [b["id"], a["id"]])
        self.assertIsNone(res["nextCursor"])
        self.A.client("admin").get(f"{STUDENTS}/{uuid.uuid4()}/files", expect=404)

    def test_signed_links(self):
        s = self.new_student()
        data = JPEG + os.urandom(64)
        doc = self.upload(data, "image/jpeg", "studentPhoto", s["id"]).json
        link = self.A.client("admin").get(f"{FILES}/{doc['id']}/url", expect=200).json
        self.assertTrue(link["url"].startswith(f"/files/signed/{doc['id']}?"))
        anon = Client(self.server)
        got = anon.get(link["url"], expect=200)
        self.assertEqual(got.body, data)
        self.assertEqual(got.headers["content-type"], "image/jpeg")
        cc = got.headers["cache-control"]
        self.assertTrue(cc.startswith("public, max-age="), cc)
        self.assertTrue(0 < int(cc.split("=")[1]) <= 300, cc)
        self.assertEqual(got.headers["etag"], f'"{content_hash(data)}"')
        anon.get(link["url"], headers={"If-None-Match": got.headers["etag"]}, expect=304)
        # made by the scheme, independently of the server: the same link
        exp = int(link["url"].split("exp=")[1].split("&")[0])
        self.assertIn(f"sig={sign(self.A.id, doc['id'], exp)}", link["url"])
        base = f"/files/signed/{doc['id']}?school={self.A.id}"
        # tampered: another expiry, another file, another school, a flipped signature
        anon.get(f"{base}&exp={exp + 3600}&sig={sign(self.A.id, doc['id'], exp)}", expect=403)
        other = self.upload(PDF + os.urandom(8), "application/pdf").json
        anon.get(f"/files/signed/{other['id']}?school={self.A.id}&exp={exp}&sig={sign(self.A.id, doc['id'], exp)}",
                 expect=403)
        anon.get(f"/files/signed/{doc['id']}?school={self.B.id}&exp={exp}&sig={sign(self.A.id, doc['id'], exp)}",
                 expect=403)
        sig = sign(self.A.id, doc["id"], exp)
        anon.get(f"{base}&exp={exp}&sig={('A' if sig[0] != 'A' else 'B') + sig[1:]}", expect=403)
        # expired, though signed right
        past = int(time.time()) - 5
        p = anon.get(f"{base}&exp={past}&sig={sign(self.A.id, doc['id'], past)}", expect=403).json
        self.assertIn("expired", p["detail"])
        # signed right for a file that is not there
        ghost = str(uuid.uuid4())
        anon.get(f"/files/signed/{ghost}?school={self.A.id}&exp={exp}&sig={sign(self.A.id, ghost, exp)}",
                 expect=404)
        # malformed
        for q in (f"school={self.A.id}&exp={exp}", f"school={self.A.id}&sig={sig}", f"exp={exp}&sig={sig}",
                  f"school=x&exp={exp}&sig={sig}", f"school={self.A.id}&exp=soon&sig={sig}",
                  f"school={self.A.id}&exp={exp}&sig=short"):
            with self.subTest(query=q):
                anon.get(f"/files/signed/{doc['id']}?{q}", expect=422)


class TestFiles(FilesTests, FilesCase):
    def object_path(self, blob_id):
        h = blob_id[len("sha256-"):]
        return os.path.join(self.server.data_dir, "blobs", h[:2], h[2:4], blob_id)


class TestFilesOnS3(FilesTests, FilesCase):
    """The same, with the bytes in s3rver; and an outage answered 503, then healed."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.s3_root = tempfile.mkdtemp(prefix="erp-files-s3-")
        cls.s3 = S3rver(cls.s3_root).start()
        cls.SERVER_ENV = dict(FilesCase.SERVER_ENV, **cls.s3.env())
        try:
            super().setUpClass()
        except Exception:
            cls.s3.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        import shutil
        try:
            super().tearDownClass()
        finally:
            cls.s3.stop()
            shutil.rmtree(cls.s3_root, ignore_errors=True)

    def object_path(self, blob_id):
        return os.path.join(self.s3.dir, "data", self.s3.bucket, blob_id + "._S3rver_object")

    def test_zz_outage(self):
        s = self.new_student()
        doc = self.upload(PDF + os.urandom(8), "application/pdf", "document", s["id"]).json
        self.s3.stop()
        try:
            p = self.upload(PDF + os.urandom(8), "application/pdf", expect=503)
            self.assertEqual(p.headers["retry-after"], "1")
            self.A.client("admin").get(doc["contentUrl"], expect=503)
            self.A.client("admin").get(f"{FILES}/{doc['id']}", expect=200)  # the record needs no blob store
            self.assertTrue(self.server.alive())
        finally:
            self.s3.start()
        self.assertEqual(self.A.client("admin").get(doc["contentUrl"], expect=200).body[:5], b"%PDF-")


if __name__ == "__main__":
    unittest.main()
