"""
fixtures_jobs.py - the jobs routes' entries in the isolation registry (see isolation.py).

build_world gives schools A and B of the World one job each, asked for by their admin through the test route
(delayed by a day: it stays as it is while the checks run); school.jobs["admin"] is its id.
"""

import isolation

DAY_MS = 86_400_000


def make_job(client, **spec):
    spec.setdefault("type", "test.sleep")
    spec.setdefault("delayMs", DAY_MS)
    return client.post("/api/v1/_test/jobs", json=spec, expect=202).json["jobId"]


def build_world(w):
    for school in (w.A, w.B):
        school.jobs = {"admin": make_job(school.client("admin"), payload={"ms": 1})}


isolation.WORLD_BUILDERS.append(build_world)
isolation.collection("/api/v1/jobs")
isolation.EXEMPT[("POST", "/api/v1/_test/jobs")] = "enqueues a job of the caller's school from values"


def _b_job(w):
    jid = w.B.jobs["admin"]
    return {"params": {"id": jid}, "snapshot": f"/api/v1/jobs/{jid}"}


isolation.PATH_FIXTURES[("GET", "/api/v1/jobs/{id}")] = _b_job
isolation.PATH_FIXTURES[("DELETE", "/api/v1/jobs/{id}")] = _b_job
