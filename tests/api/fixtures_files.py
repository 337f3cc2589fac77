"""
Files in the isolation registry (isolation.py): each school gets a photo of its student (the
World's "student"), uploaded once the people exist; school A's users then meet school B's file
and student in paths and queries (404), and list their own student's files.
"""

import os

import isolation

FILES, STUDENTS = "/api/v1/files", "/api/v1/students"
PNG = b"\x89PNG\r\n\x1a\n"


def build_files(w):
    for school in (w.A, w.B):
        if getattr(school, "files", None):
            continue
        sid = school.students["student"]["id"]
        photo = school.client("admin").post(f"{FILES}?kind=studentPhoto&studentId={sid}",
                                            body=PNG + school.id.encode() + os.urandom(16),
                                            content_type="image/png", expect=201).json
        school.files = {"photo": photo}


isolation.FINAL_BUILDERS.append(build_files)


def _file(template):
    @isolation.path_fixture("GET", template)
    def make(w):
        fid = w.B.files["photo"]["id"]
        return {"params": {"id": fid}, "snapshot": f"{FILES}/{fid}"}
    return make


for _t in (FILES + "/{id}", FILES + "/{id}/content", FILES + "/{id}/url"):
    _file(_t)


@isolation.path_fixture("GET", STUDENTS + "/{id}/files")
def _student_files(w):
    sid = w.B.students["student"]["id"]
    return {"params": {"id": sid}, "snapshot": f"{STUDENTS}/{sid}/files"}


@isolation.path_fixture("PUT", STUDENTS + "/{id}/photo")
def _student_photo(w):
    sid = w.B.students["student"]["id"]
    return {"params": {"id": sid}, "snapshot": f"{STUDENTS}/{sid}"}


isolation.lists(STUDENTS + "/{id}/files")(lambda school: {"id": school.students["student"]["id"]})


@isolation.references("POST", FILES)
def _upload_refs(w):
    return [{"query": {"kind": kind, "studentId": w.B.students["student"]["id"]}}
            for kind in ("studentPhoto", "document")]
