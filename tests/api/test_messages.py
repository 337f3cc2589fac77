"""
Messages people can act on, on both engines:

* a duplicate (409) names the field and the value in use, in the field error
  and in the detail ("Subject code math is already used.");
* codes a school issues (subject codes, admission numbers, employee numbers)
  are unique whatever their case;
* format errors say what is expected ("must be exactly 3 characters long",
  "must be an email address").
"""

import datetime

from harness import ServerTestCase
from world import PASSWORD, World, school_today


class TestMessages(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = World(cls.server)
        cls.admin = cls.world.A.client("admin")

    def conflict(self, res, field, message):
        p = self.assertProblem(res, 409, fields=[field])
        self.assertEqual(p["errors"][0]["message"], message)
        self.assertEqual(p["detail"], message[0].upper() + message[1:] + ".")

    def test_codes_are_unique_whatever_their_case(self):
        self.admin.post("/api/v1/subjects", json={"code": "MATH", "name": "Mathematics"}, expect=201)
        self.conflict(self.admin.post("/api/v1/subjects", json={"code": "math", "name": "Maths again"}), "code",
                      "subject code math is already used")
        self.admin.post("/api/v1/students", json={"admissionNo": "S-100", "firstName": "Ada", "lastName": "One",
                                                  "dateOfBirth": "2015-01-02"}, expect=201)
        self.conflict(self.admin.post("/api/v1/students", json={"admissionNo": "s-100", "firstName": "Bea",
                                                                "lastName": "Two", "dateOfBirth": "2015-01-02"}),
                      "admissionNo", "admission number s-100 is already used by another student")
        self.admin.post("/api/v1/teachers", json={"employeeNo": "T-9", "firstName": "Cy", "lastName": "Three"},
                        expect=201)
        self.conflict(self.admin.post("/api/v1/teachers", json={"employeeNo": "t-9", "firstName": "Di",
                                                                "lastName": "Four"}),
                      "employeeNo", "employee number t-9 is already used by another teacher")
        # another school may use the same codes
        b = self.world.B.client("admin")
        b.post("/api/v1/subjects", json={"code": "math", "name": "Mathematics"}, expect=201)
        # a change to a code in use (in another case) is refused the same way
        other = self.admin.post("/api/v1/subjects", json={"code": "PHYS", "name": "Physics"}, expect=201).json
        self.conflict(self.admin.patch(f"/api/v1/subjects/{other['id']}", json={"code": "Math"},
                                       headers={"If-Match": '"1"'}), "code", "subject code Math is already used")

    def test_duplicates_name_the_value(self):
        email = self.world.A.users["staff"]["email"]
        self.conflict(self.admin.post("/api/v1/users", json={"email": email.upper(), "displayName": "Dup",
                                                             "roles": ["staff"], "password": PASSWORD}),
                      "email", f"email {email} is already used by another account of this school")
        self.conflict(self.world.platform.post("/api/v1/tenants", json={
            "name": "Again", "slug": self.world.A.slug,
            "admin": {"email": "x@again.example", "password": PASSWORD, "displayName": "Head"}}),
            "slug", f"slug {self.world.A.slug} is already used by another school")
        today = datetime.date.fromisoformat(school_today("Europe/Paris"))
        start = today - datetime.timedelta(days=30)
        body = {"name": "Messages year", "startDate": start.isoformat(),
                "endDate": (start + datetime.timedelta(days=300)).isoformat()}
        year = self.admin.post("/api/v1/academic-years", json=body, expect=201).json
        self.conflict(self.admin.post("/api/v1/academic-years", json=body), "name",
                      "academic year name Messages year is already used")
        term = {"academicYearId": year["id"], "name": "Autumn", "startDate": start.isoformat(),
                "endDate": (start + datetime.timedelta(days=60)).isoformat()}
        self.admin.post("/api/v1/terms", json=term, expect=201)
        later = dict(term, startDate=(start + datetime.timedelta(days=61)).isoformat(),
                     endDate=(start + datetime.timedelta(days=90)).isoformat())
        self.conflict(self.admin.post("/api/v1/terms", json=later), "name",
                      "term name Autumn is already used in this academic year")
        cls = {"academicYearId": year["id"], "gradeLevel": 7, "section": "B"}
        self.admin.post("/api/v1/classes", json=cls, expect=201)
        self.conflict(self.admin.post("/api/v1/classes", json=cls), "section",
                      "grade 7 section B is already a class of this academic year")
        day = (start + datetime.timedelta(days=10)).isoformat()
        self.admin.post("/api/v1/holidays", json={"date": day, "name": "A day off"}, expect=201)
        self.conflict(self.admin.post("/api/v1/holidays", json={"date": day, "name": "Again"}), "date",
                      f"{day} is already a holiday")

    def test_a_change_to_a_value_in_use(self):
        u = self.admin.post("/api/v1/users", json={"email": "renamed@msg.example", "displayName": "R",
                                                   "roles": ["staff"], "password": PASSWORD}, expect=201).json
        taken = self.world.A.users["teacher"]["email"]
        self.conflict(self.admin.patch(f"/api/v1/users/{u['id']}", json={"email": taken}, headers={"If-Match": '"1"'}),
                      "email", f"email {taken} is already used by another account of this school")
        self.assertEqual(self.admin.get(f"/api/v1/users/{u['id']}", expect=200).json["email"], "renamed@msg.example")

    def test_formats_say_what_is_expected(self):
        res = self.world.platform.post("/api/v1/tenants", json={
            "name": "Formats", "slug": "formats-school", "currency": "EU",
            "admin": {"email": "not-an-email", "password": PASSWORD, "displayName": "Head"}})
        p = self.assertProblem(res, 422)
        msgs = {e["field"]: e["message"] for e in p["errors"]}
        self.assertEqual(msgs["currency"], "must be exactly 3 characters long")
        self.assertEqual(msgs["admin.email"], "must be an email address")
        p = self.assertProblem(self.admin.post("/api/v1/users", json={"email": "nobody", "displayName": "N",
                                                                      "roles": ["staff"], "password": PASSWORD}), 422)
        self.assertEqual({e["field"]: e["message"] for e in p["errors"]}["email"], "must be an email address")
