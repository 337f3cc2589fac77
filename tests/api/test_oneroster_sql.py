"""
test_oneroster_sql.py - the two ways the OneRoster binding answers a users listing give the same answer.

A listing of users (users, students, teachers, schools/{id}/students) whose filter is a conjunction of
predicates on plain columns and whose sort is a text column is filtered, sorted, counted and cut by the
database (records.c, Q_USERS_PAGE); any other is built in memory and filtered there (filter.c). Each query here
is asked both ways (the memory path forced by "… OR <always false>", which the SQL path does not take) and
checked against the other and against the records computed here from the whole collection: the same records in
the same order, the same X-Total-Count. Statement counts (the server's metrics) show which path answered.
Cases where SQL and C semantics could part: ties of the sort field, absent (null) fields and "!=",
tobedeleted records, dateLastModified compared as text, '~' in any case, values that read as numbers,
quotes, non-ASCII text. Also: classes/{id}/students reads only the class's students.
"""

import unittest
import urllib.parse

from test_oneroster_rest import BASE, OneRosterRestCase

NEVER = "sourcedId='\u2400never'"  # no record has it: "X OR NEVER" is X, answered in memory


def key_of(record, field):
    v = record.get(field)
    if isinstance(v, list):
        v = v[0] if v else None
    if isinstance(v, dict):
        v = v.get("sourcedId")
    return v


class TestSqlAndMemoryPaths(OneRosterRestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a deleted student (tobedeleted), a teacher without email and a student with odd text to sort and match
        students = cls.admin.get("/api/v1/students?limit=5", expect=200).json["items"]
        victim = students[0]
        etag = cls.admin.get(f"/api/v1/students/{victim['id']}", expect=200).headers["etag"]
        cls.admin.delete(f"/api/v1/students/{victim['id']}", headers={"If-Match": etag}, expect=204)
        cls.deleted = victim["id"]
        odd = students[1]
        etag = cls.admin.get(f"/api/v1/students/{odd['id']}", expect=200).headers["etag"]
        cls.admin.patch(f"/api/v1/students/{odd['id']}", json={"lastName": "Ölçer-O'Brien", "middleName": "Zoë"},
                        headers={"If-Match": etag}, expect=200)
        cls.odd = odd["id"]

    def statements(self, name):
        return sum(v for lab, v in self.server.metrics().find("db_query_duration_seconds_count")
                   if lab.get("statement", "").startswith(name))

    def listing(self, path, filt=None, sort=None, desc=False, limit=10000, offset=0):
        q = {"limit": limit, "offset": offset}
        if filt is not None:
            q["filter"] = filt
        if sort is not None:
            q["sort"] = sort
        if desc:
            q["orderBy"] = "desc"
        res = self.get(f"{path}?{urllib.parse.urlencode(q)}")
        return res.json["users"], int(res.headers["x-total-count"])

    def both(self, path, filt=None, sort=None, desc=False, limit=10000, offset=0):
        """The listing by SQL (checked to be) and in memory; asserts they agree and returns the SQL one."""
        before = self.statements("oneroster.rest_user_keys")
        fast = self.listing(path, filt, sort, desc, limit, offset)
        self.assertEqual(self.statements("oneroster.rest_user_keys"), before + 1, f"{path} {filt} not by SQL")
        slow = self.listing(path, f"{filt} OR {NEVER}" if filt else f"status='active' OR status!='active'", sort,
                            desc, limit, offset)
        self.assertEqual(self.statements("oneroster.rest_user_keys"), before + 1, f"{path} {filt} not in memory")
        self.assertEqual([u["sourcedId"] for u in fast[0]], [u["sourcedId"] for u in slow[0]], f"{filt} {sort}")
        self.assertEqual(fast, slow)
        return fast

    def expect(self, records, keep, sort=None, desc=False):
        """What the specification's semantics give: kept records, by sort (absent first) then sourcedId."""
        kept = [r for r in records if keep(r)]

        def k(r):
            v = key_of(r, sort) if sort else None
            return (v is not None, v or "", r["sourcedId"])
        return [r["sourcedId"] for r in sorted(kept, key=k, reverse=desc)]

    def check(self, path, filt, keep, sort=None, desc=False):
        everyone = self.all_records(path)
        got, total = self.both(path, filt, sort, desc)
        want = self.expect(everyone, keep, sort, desc)
        self.assertEqual([u["sourcedId"] for u in got], want, f"{path} filter={filt} sort={sort} desc={desc}")
        self.assertEqual(total, len(want))

    def test_without_a_filter_every_sort_and_page(self):
        users = self.all_records("/users")
        for sort in (None, "sourcedId", "familyName", "givenName", "middleName", "email", "role", "status"):
            for desc in (False, True):
                with self.subTest(sort=sort, desc=desc):
                    self.check("/users", None, lambda u: True, sort, desc)
        for offset, limit in ((0, 1), (7, 5), (len(users) - 3, 10), (len(users), 10), (len(users) + 50, 1)):
            with self.subTest(offset=offset, limit=limit):
                got, total = self.both("/users", None, None, False, limit, offset)
                self.assertEqual(total, len(users))
                self.assertEqual(got, users[offset:offset + limit])

    def test_plain_column_filters(self):
        users = self.all_records("/users")
        teacher = next(u for u in users if u["role"] == "teacher" and u.get("email"))
        odd = next(u for u in users if u["sourcedId"] == self.odd)
        cases = [
            (f"email='{teacher['email']}'", lambda u: u.get("email") == teacher["email"]),
            ("role='guardian'", lambda u: u["role"] == "guardian"),
            ("role!='guardian'", lambda u: u["role"] != "guardian"),
            ("status='tobedeleted'", lambda u: u["status"] == "tobedeleted"),
            ("status!='active' AND role='student'", lambda u: u["status"] != "active" and u["role"] == "student"),
            ("enabledUser='false'", lambda u: u["enabledUser"] == "false"),
            ("middleName!='nobody'", lambda u: u.get("middleName") != "nobody"),  # absent fields match !=
            ("middleName='Zoë'", lambda u: u.get("middleName") == "Zoë"),
            ("middleName>'A'", lambda u: u.get("middleName") is not None and u["middleName"] > "A"),
            ("familyName>='M' AND familyName<'T'", lambda u: "M" <= u["familyName"] < "T"),
            ("familyName<='M'", lambda u: u["familyName"] <= "M"),
            ("familyName='Ölçer-O''Brien'", lambda u: u["familyName"] == "Ölçer-O'Brien"),
            ("familyName>'Z'", lambda u: u["familyName"] > "Z"),  # byte order: Ö after Z
            ("email=''", lambda u: u.get("email") == ""),
            (f"sourcedId>'{teacher['sourcedId']}'", lambda u: u["sourcedId"] > teacher["sourcedId"]),
            (f"sourcedId='{odd['sourcedId']}' AND givenName='{odd['givenName']}'",
             lambda u: u["sourcedId"] == odd["sourcedId"]),
            ("username!='' AND identifier!='' AND phone!='' AND role='student'",
             lambda u: u["role"] == "student" and all(u.get(f) != "" for f in ("username", "identifier", "phone"))),
        ]
        for filt, keep in cases:
            for sort in (None, "familyName"):
                with self.subTest(filter=filt, sort=sort):
                    self.check("/users", filt, keep, sort)

    def test_contains_in_any_case(self):
        users = self.all_records("/users")
        part = next(u for u in users if u["role"] == "teacher")["familyName"][1:3]
        for value in (part.upper(), part.lower(), part.swapcase(), "", "@", "ÖLÇ", "ölç", "o'b"):
            q = value.replace("'", "''")
            for field in ("familyName", "email"):
                with self.subTest(field=field, value=value):
                    self.check("/users", f"{field}~'{q}'", lambda u: u.get(field) is not None and (
                        value.encode().lower() in u[field].encode().lower()))

    def test_date_last_modified_compares_as_text(self):
        users = self.all_records("/users")
        stamps = sorted({u["dateLastModified"] for u in users})
        mid = stamps[len(stamps) // 2]
        values = [mid, mid[:10], mid[:16], mid[:-1], mid + "0", "2000", "9999-12-31T23:59:59.999Z", "a", ""]
        ops = {"=": str.__eq__, "!=": str.__ne__, ">": str.__gt__, ">=": str.__ge__, "<": str.__lt__,
               "<=": str.__le__}
        for value in values:
            for op, fn in ops.items():
                with self.subTest(value=value, op=op):
                    self.check("/users", f"dateLastModified{op}'{value}'",
                               lambda u, fn=fn, value=value: fn(u["dateLastModified"], value))
        deleted = next(u for u in users if u["sourcedId"] == self.deleted)
        got, _ = self.both("/users", f"dateLastModified>='{deleted['dateLastModified']}' AND status='tobedeleted'")
        self.assertIn(self.deleted, [u["sourcedId"] for u in got])

    def test_collections_of_a_role(self):
        org = self.get("/orgs").json["orgs"][0]["sourcedId"]
        for path, role in (("/students", "student"), ("/teachers", "teacher"), (f"/schools/{org}/students", "student"),
                           (f"/schools/{org}/teachers", "teacher")):
            with self.subTest(path=path):
                self.check(path, None, lambda u, role=role: u["role"] == role, "givenName", True)
                self.check(path, "role='guardian'", lambda u: False)
                self.check(path, "status='tobedeleted'",
                           lambda u, role=role: u["role"] == role and u["status"] == "tobedeleted")

    def test_what_stays_in_memory_is_still_right(self):
        users = self.all_records("/users")
        before = self.statements("oneroster.rest_user_keys")
        org = self.get("/orgs").json["orgs"][0]["sourcedId"]
        for filt, keep in ((f"orgs.sourcedId='{org}'", lambda u: True),
                           ("identifier>'5'", lambda u: u.get("identifier") is not None),  # numbers where both are
                           ("role='teacher' OR role='guardian'", lambda u: u["role"] != "student")):
            with self.subTest(filter=filt):
                got, total = self.listing("/users", filt)
                self.assertEqual(total, len(got))
                self.assertLessEqual({u["sourcedId"] for u in got}, {u["sourcedId"] for u in users if keep(u)})
        got, _ = self.listing("/users", None, "dateLastModified")
        self.assertEqual([u["dateLastModified"] for u in got], sorted(u["dateLastModified"] for u in users))
        self.assertEqual(self.statements("oneroster.rest_user_keys"), before)

    def test_a_class_reads_only_its_students(self):
        classes = self.all_records("/classes")
        enrollments = self.all_records("/enrollments")
        for cls in (next(c for c in classes if c["classType"] == "homeroom"),
                    next(c for c in classes if c["classType"] == "scheduled")):
            for role, child in (("student", "students"), ("teacher", "teachers")):
                with self.subTest(cls=cls["classType"], child=child):
                    before = self.statements("oneroster.rest_users")
                    got = self.get(f"/classes/{cls['sourcedId']}/{child}?limit=500").json["users"]
                    self.assertEqual(self.statements("oneroster.rest_users"), before)  # not the school's users
                    want = sorted({e["user"]["sourcedId"] for e in enrollments
                                   if e["class"]["sourcedId"] == cls["sourcedId"] and e["role"] == role})
                    self.assertEqual([u["sourcedId"] for u in got], want)
                    self.assertTrue(all(u["role"] == role for u in got))
        self.get("/classes/nope/students", expect=404)


if __name__ == "__main__":
    unittest.main()
