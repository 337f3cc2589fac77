"""
fixtures_people.py - people records for the World (teachers, students,
guardians, their links) and the people routes' entries in the isolation
registry (isolation.py).

build_people(world) gives each World school (A and B), through the API:

    school.teachers["teacher"], ["teacher2"]   teacher records linked to those accounts
    school.students["student"]                 a student linked to the student account
    school.students["other"]                   a student without an account
    school.guardians["parent"]                 a guardian linked to the parent account,
                                               primary guardian (mother) of students["student"]

(records some earlier builder already linked to those accounts are reused).
Each value is the record as the API returned it. A school's accounts then
have their people records, so the access policy applies to them as in real use
(the parent sees their child, the student themselves; the teachers teach no
class until a suite enrolls students in one of theirs).
"""

import dates
import isolation

TEACHERS = "/api/v1/teachers"
STUDENTS = "/api/v1/students"
GUARDIANS = "/api/v1/guardians"


def _existing(admin, path, user_id):
    """The record of a collection linked to an account, if one is."""
    items = admin.get(f"{path}?limit=500", expect=200).json["items"]
    return next((x for x in items if x.get("userId") == user_id), None)


def _make(admin, path, user_id, body):
    found = _existing(admin, path, user_id) if user_id else None
    if found is not None:
        return found
    if user_id:
        body = dict(body, userId=user_id)
    return admin.post(path, json=body, expect=201).json


def build_school(school, tag):
    admin = school.client("admin")
    school.teachers = getattr(school, "teachers", None) or {}
    school.students = getattr(school, "students", None) or {}
    school.guardians = getattr(school, "guardians", None) or {}
    for n, key in enumerate(("teacher", "teacher2"), 1):
        if key not in school.teachers:
            school.teachers[key] = _make(admin, TEACHERS, school.users[key]["id"], {
                "employeeNo": f"W{tag}-T{n}", "firstName": f"{key.title()}", "lastName": f"School {tag}",
                "email": f"{key}.record@{school.domain}"})
    if "student" not in school.students:
        school.students["student"] = _make(admin, STUDENTS, school.users["student"]["id"], {
            "admissionNo": f"W{tag}-S1", "firstName": "Sam", "lastName": f"Student {tag}",
            "dateOfBirth": "2012-04-05", "gender": "other"})
    if "other" not in school.students:
        school.students["other"] = admin.post(STUDENTS, json={
            "admissionNo": f"W{tag}-S2", "firstName": "Olly", "lastName": f"Other {tag}",
            "dateOfBirth": "2013-06-07"}, expect=201).json
    if "parent" not in school.guardians:
        school.guardians["parent"] = _make(admin, GUARDIANS, school.users["parent"]["id"], {
            "firstName": "Pat", "lastName": f"Parent {tag}", "phone": "+1 555 0100"})
    sid, gid = school.students["student"]["id"], school.guardians["parent"]["id"]
    admin.put(f"{STUDENTS}/{sid}/guardians/{gid}", json={"relationship": "mother", "isPrimary": True}, expect=200)


def build_people(w):
    build_school(w.A, "A")
    build_school(w.B, "B")


isolation.WORLD_BUILDERS.append(build_people)


# ---- path parameters: school B's records

def _fixture(method, template, params, snapshot, body=None, if_match=False):
    @isolation.path_fixture(method, template)
    def make(w):
        p = params(w.B)
        return {"params": p, "body": body, "if_match": if_match, "snapshot": snapshot.format(**p)}
    return make


_teacher = lambda s: {"id": s.teachers["teacher"]["id"]}  # noqa: E731
_student = lambda s: {"id": s.students["student"]["id"]}  # noqa: E731
_guardian = lambda s: {"id": s.guardians["parent"]["id"]}  # noqa: E731
_link = lambda s: {"id": s.students["student"]["id"], "guardianId": s.guardians["parent"]["id"]}  # noqa: E731

_fixture("GET", TEACHERS + "/{id}", _teacher, TEACHERS + "/{id}")
_fixture("PATCH", TEACHERS + "/{id}", _teacher, TEACHERS + "/{id}",
         {"firstName": "Changed by another school", "status": "inactive"}, True)
_fixture("GET", STUDENTS + "/{id}", _student, STUDENTS + "/{id}")
_fixture("PATCH", STUDENTS + "/{id}", _student, STUDENTS + "/{id}",
         {"firstName": "Changed by another school", "status": "withdrawn"}, True)
_fixture("DELETE", STUDENTS + "/{id}", _student, STUDENTS + "/{id}")
_fixture("GET", STUDENTS + "/{id}/guardians", _student, STUDENTS + "/{id}/guardians")
_fixture("PUT", STUDENTS + "/{id}/guardians/{guardianId}", _link, STUDENTS + "/{id}/guardians",
         {"relationship": "other", "isPrimary": False, "canPickUp": False})
_fixture("DELETE", STUDENTS + "/{id}/guardians/{guardianId}", _link, STUDENTS + "/{id}/guardians")
_fixture("GET", GUARDIANS + "/{id}", _guardian, GUARDIANS + "/{id}")
_fixture("PATCH", GUARDIANS + "/{id}", _guardian, GUARDIANS + "/{id}",
         {"lastName": "Changed by another school", "phone": None}, True)
_fixture("GET", GUARDIANS + "/{id}/students", _guardian, GUARDIANS + "/{id}/students")


# ---- ids of school B in bodies and queries (as school A's admin, nothing of A may change either)

def _if_match(school, path):
    return {"If-Match": school.client("admin").get(path, expect=200).headers["etag"]}


@isolation.references("POST", TEACHERS)
def _teacher_refs(w):
    return [{"body": {"employeeNo": "X-B-USER", "firstName": "X", "lastName": "Y",
                      "userId": w.B.users["teacher"]["id"]}}]


@isolation.references("PATCH", TEACHERS + "/{id}")
def _teacher_patch_refs(w):
    path = f"{TEACHERS}/{w.A.teachers['teacher2']['id']}"
    return [{"params": {"id": w.A.teachers["teacher2"]["id"]}, "body": {"userId": w.B.users["teacher2"]["id"]},
             "headers": _if_match(w.A, path), "snapshot": None}]


@isolation.references("POST", STUDENTS)
def _student_refs(w):
    return [{"body": {"admissionNo": "X-B-USER", "firstName": "X", "lastName": "Y", "dateOfBirth": "2010-01-01",
                      "userId": w.B.users["student"]["id"]}}]


@isolation.references("PATCH", STUDENTS + "/{id}")
def _student_patch_refs(w):
    sid = w.A.students["other"]["id"]
    return [{"params": {"id": sid}, "body": {"userId": w.B.users["student"]["id"]},
             "headers": _if_match(w.A, f"{STUDENTS}/{sid}"), "snapshot": None}]


@isolation.references("GET", STUDENTS)
def _students_refs(w):
    academic = getattr(w.B, "academic", None)  # classes, once the academic builder made them
    return [{"query": {"classId": academic["classes"][0]["id"]}}] if academic else []


@isolation.references("POST", GUARDIANS)
def _guardian_refs(w):
    return [{"body": {"firstName": "X", "lastName": "Y", "userId": w.B.users["parent"]["id"]}}]


@isolation.references("PATCH", GUARDIANS + "/{id}")
def _guardian_patch_refs(w):
    gid = w.A.guardians["parent"]["id"]
    return [{"params": {"id": gid}, "body": {"userId": w.B.users["parent"]["id"]},
             "headers": _if_match(w.A, f"{GUARDIANS}/{gid}"), "snapshot": None}]


@isolation.references("PUT", STUDENTS + "/{id}/guardians/{guardianId}")
def _link_refs(w):
    a_student, a_guardian = w.A.students["other"]["id"], w.A.guardians["parent"]["id"]
    b_student, b_guardian = w.B.students["other"]["id"], w.B.guardians["parent"]["id"]
    body = {"relationship": "guardian"}
    return [{"params": {"id": a_student, "guardianId": b_guardian}, "body": body,
             "snapshot": f"{STUDENTS}/{b_student}/guardians"},
            {"params": {"id": b_student, "guardianId": a_guardian}, "body": body,
             "snapshot": f"{STUDENTS}/{b_student}/guardians"}]


@isolation.references("DELETE", STUDENTS + "/{id}/guardians/{guardianId}")
def _unlink_refs(w):
    return [{"params": {"id": w.A.students["student"]["id"], "guardianId": w.B.guardians["parent"]["id"]}},
            {"params": {"id": w.B.students["student"]["id"], "guardianId": w.A.guardians["parent"]["id"]},
             "snapshot": f"{STUDENTS}/{w.B.students['student']['id']}/guardians"}]


# ---- collections: each school's own (test_isolation lists them as every allowed role of school A)

for _t in (TEACHERS, STUDENTS, GUARDIANS, "/api/v1/me/students"):
    isolation.collection(_t)
isolation.lists(STUDENTS + "/{id}/guardians")(lambda school: {"id": school.students["student"]["id"]})
isolation.lists(GUARDIANS + "/{id}/students")(lambda school: {"id": school.guardians["parent"]["id"]})


def link_school(school, tag):
    """
    After every builder: the teacher account's record teaches a subject in the first class of the academic
    fixtures (fixtures_academic), which gets a timetable slot of it; the student account's record is enrolled
    there from the term's first day and marked present on a school day since (school.links["day"]). So each
    role of the school has records of its own in every collection (test_isolation's list checks).
    """
    admin = school.client("admin")
    academic = school.academic
    cls, teacher = academic["classes"][0], school.teachers["teacher"]
    subject = admin.post("/api/v1/subjects", json={"code": f"LINK-{tag}", "name": f"Linked subject {tag}"},
                         expect=201).json
    admin.post(f"/api/v1/classes/{cls['id']}/subjects", json={"subjectId": subject["id"], "teacherId": teacher["id"]},
               expect=201)
    student = school.students["student"]["id"]
    admin.post("/api/v1/enrollments", json={"studentId": student, "classId": cls["id"],
                                            "startDate": academic["term"]["startDate"]}, expect=201)
    admin.post("/api/v1/timetable-slots", json={
        "classId": cls["id"], "subjectId": subject["id"], "teacherId": teacher["id"], "weekday": "tuesday",
        "startTime": "09:00", "endTime": "09:45", "room": f"LINK-{tag}"}, expect=201)
    day = dates.on_or_after(dates.day(academic["term"]["startDate"]) + dates.WEEK, dates.TUESDAY)
    admin.put(f"/api/v1/classes/{cls['id']}/attendance/{dates.iso(day)}",
              json={"marks": [{"studentId": student, "status": "present"}]}, expect=200)
    school.links = {"subject": subject, "day": dates.iso(day)}


def link_world(w):
    link_school(w.A, "A")
    link_school(w.B, "B")


isolation.FINAL_BUILDERS.append(link_world)
