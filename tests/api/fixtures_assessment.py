"""
fixtures_assessment.py - the assessment routes' entries in the isolation registry (see isolation.py).

build_assessment (a FINAL_BUILDER) gives schools A and B of the World, on the records of fixtures_daily's
build_school (a past year's term, a subject taught in a class with one enrolled student), a default grading
scale and an open assessment of that class, subject and term on DAY with the student's mark
(school.assess[...]). School A's users then meet school B's assessment, student, subject and term in paths and
bodies (404, nothing changes), and list their own school's scales.
"""

import isolation
from fixtures_daily import DAY

V1 = "/api/v1"
SCALE_BANDS = [{"minPercent": 90, "label": "A", "gradePoint": 4}, {"minPercent": 80, "label": "B", "gradePoint": 3},
               {"minPercent": 70, "label": "C", "gradePoint": 2}, {"minPercent": 60, "label": "D", "gradePoint": 1},
               {"minPercent": 0, "label": "F", "descriptor": "Fail", "gradePoint": 0}]


def build_school(school, tag):
    admin = school.client("admin")
    d = school.daily
    term = admin.get(f"{V1}/terms?academicYearId={d['year']['id']}", expect=200).json["items"][0]
    scale = admin.post(f"{V1}/grading-scales", json={"name": f"Letters {tag}", "isDefault": True,
                                                      "bands": SCALE_BANDS}, expect=201).json
    assessment = admin.post(f"{V1}/assessments", json={
        "classId": d["class"]["id"], "subjectId": d["subject"]["id"], "termId": term["id"], "name": f"Quiz {tag}",
        "category": "test", "date": DAY, "maxMarks": 20}, expect=201).json
    admin.put(f"{V1}/assessments/{assessment['id']}/marks",
              json={"marks": [{"studentId": d["student"]["id"], "mark": 17.5}]}, expect=200)
    school.assess = {"term": term, "scale": scale, "assessment": assessment}


def taught_class(school, year_id, prefix, grade_level):
    """
    A class of the year (grade_level, section prefix) with teacher2 its class teacher, and subjects
    {prefix}-MATH "Mathematics" taught in it by the "teacher" account and {prefix}-SCI "Science" by teacher2:
    (class id, MATH id, SCI id).
    """
    admin = school.client("admin")
    math, sci = (admin.post(f"{V1}/subjects", json={"code": f"{prefix}-{code}", "name": name}, expect=201).json["id"]
                 for code, name in (("MATH", "Mathematics"), ("SCI", "Science")))
    t1, t2 = school.teachers["teacher"]["id"], school.teachers["teacher2"]["id"]
    cls = admin.post(f"{V1}/classes", json={"academicYearId": year_id, "gradeLevel": grade_level, "section": prefix,
                                            "classTeacherId": t2}, expect=201).json["id"]
    for subject, teacher in ((math, t1), (sci, t2)):
        admin.post(f"{V1}/classes/{cls}/subjects", json={"subjectId": subject, "teacherId": teacher}, expect=201)
    return cls, math, sci


def build_world(w):
    for school, tag in ((w.A, "A"), (w.B, "B")):
        if not getattr(school, "assess", None):
            build_school(school, tag)


isolation.FINAL_BUILDERS.append(build_world)


def _b(w):
    return w.B.assess["assessment"]["id"]


def _grades(w):
    return f"{V1}/students/{w.B.daily['student']['id']}/grades?termId={w.B.assess['term']['id']}"


isolation.EXEMPT[("POST", V1 + "/grading-scales")] = "creates a scale of the caller's school from values only"
isolation.collection(V1 + "/grading-scales")

for _m, _body in (("GET", None), ("PATCH", {"name": "Renamed by another school", "isDefault": True}), ("DELETE", None)):
    def _scale(w, m=_m, body=_body):
        sid = w.B.assess["scale"]["id"]
        return {"params": {"id": sid}, "snapshot": f"{V1}/grading-scales/{sid}", "body": body, "if_match": m != "GET"}
    isolation.path_fixture(_m, V1 + "/grading-scales/{id}")(_scale)


@isolation.path_fixture("GET", V1 + "/assessments/{id}")
def _get(w):
    return {"params": {"id": _b(w)}, "snapshot": f"{V1}/assessments/{_b(w)}"}


@isolation.path_fixture("PATCH", V1 + "/assessments/{id}")
def _patch(w):
    return {"params": {"id": _b(w)}, "snapshot": f"{V1}/assessments/{_b(w)}", "if_match": True,
            "body": {"name": "Renamed by another school", "state": "closed"}}


@isolation.path_fixture("GET", V1 + "/assessments/{id}/marks")
def _sheet(w):
    return {"params": {"id": _b(w)}, "snapshot": f"{V1}/assessments/{_b(w)}/marks"}


@isolation.path_fixture("PUT", V1 + "/assessments/{id}/marks")
def _mark(w):
    return {"params": {"id": _b(w)}, "snapshot": f"{V1}/assessments/{_b(w)}/marks",
            "body": {"marks": [{"studentId": w.B.daily["student"]["id"], "mark": 1, "comment": "another school"}]}}


@isolation.path_fixture("GET", V1 + "/students/{id}/grades")
def _student_grades(w):
    return {"params": {"id": w.B.daily["student"]["id"]}, "snapshot": _grades(w)}


@isolation.path_fixture("PUT", V1 + "/subjects/{id}/grade-weights")
def _weights(w):
    return {"params": {"id": w.B.daily["subject"]["id"]}, "snapshot": _grades(w),
            "body": {"termId": w.B.assess["term"]["id"], "weights": [{"category": "test", "weight": 100}]}}


@isolation.path_fixture("POST", V1 + "/terms/{id}/publish-grades")
def _publish(w):
    return {"params": {"id": w.B.assess["term"]["id"]}, "snapshot": _grades(w)}


@isolation.references("POST", V1 + "/assessments")
def _create_refs(w):
    a, b = w.A, w.B
    body = {"classId": a.daily["class"]["id"], "subjectId": a.daily["subject"]["id"],
            "termId": a.assess["term"]["id"], "name": "Refers to another school", "category": "test", "date": DAY,
            "maxMarks": 10}
    return [{"body": dict(body, classId=b.daily["class"]["id"])},
            {"body": dict(body, subjectId=b.daily["subject"]["id"])},
            {"body": dict(body, termId=b.assess["term"]["id"])}]


@isolation.references("PUT", V1 + "/subjects/{id}/grade-weights")
def _weights_refs(w):
    return [{"params": {"id": w.A.daily["subject"]["id"]}, "snapshot": _grades(w),
             "body": {"termId": w.B.assess["term"]["id"], "weights": [{"category": "test", "weight": 100}]}}]


@isolation.path_fixture("GET", V1 + "/classes/{id}/gradebook")
def _gradebook(w):
    return {"params": {"id": w.B.daily["class"]["id"]},
            "snapshot": f"{V1}/classes/{w.B.daily['class']['id']}/gradebook?subjectId={w.B.daily['subject']['id']}"
                        f"&termId={w.B.assess['term']['id']}"}


@isolation.references("GET", V1 + "/classes/{id}/gradebook")
def _gradebook_refs(w):
    a, b = w.A, w.B
    q = {"subjectId": a.daily["subject"]["id"], "termId": a.assess["term"]["id"]}
    return [{"params": {"id": a.daily["class"]["id"]}, "query": dict(q, subjectId=b.daily["subject"]["id"])},
            {"params": {"id": a.daily["class"]["id"]}, "query": dict(q, termId=b.assess["term"]["id"])}]


def _card(w):
    return f"{V1}/students/{w.B.daily['student']['id']}/report-cards/{w.B.assess['term']['id']}"


@isolation.path_fixture("GET", V1 + "/students/{id}/report-cards/{termId}")
def _report_card(w):
    return {"params": {"id": w.B.daily["student"]["id"], "termId": w.B.assess["term"]["id"]}, "snapshot": _card(w)}


@isolation.path_fixture("GET", V1 + "/students/{id}/report-cards/{termId}/pdf")
def _report_card_pdf(w):
    return {"params": {"id": w.B.daily["student"]["id"], "termId": w.B.assess["term"]["id"]}, "snapshot": _card(w)}


@isolation.path_fixture("PUT", V1 + "/students/{id}/remarks/{termId}")
def _remark(w):
    return {"params": {"id": w.B.daily["student"]["id"], "termId": w.B.assess["term"]["id"]}, "snapshot": _card(w),
            "body": {"remark": "Written from another school"}}


@isolation.references("PUT", V1 + "/students/{id}/remarks/{termId}")
def _remark_refs(w):
    a, b = w.A, w.B
    params = {"id": a.daily["student"]["id"], "termId": a.assess["term"]["id"]}
    return [{"params": dict(params, termId=b.assess["term"]["id"]), "body": {"remark": "x"}},
            {"params": params, "body": {"remark": "x", "subjectId": b.daily["subject"]["id"]}}]
