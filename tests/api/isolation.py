"""
isolation.py - the registry that makes every route take part in the access and
isolation checks of test_isolation.py.

Every operation whose path has parameters needs an entry here, or the check
fails and names it: a function of the World giving school B's values for the
parameters, and, for writes, a body that would be valid. test_isolation.py
then calls the route as each allowed role of school A with B's ids and
expects 404 with B's record unchanged.

Routes whose query or body refer to other records add REFERENCES entries: a
function giving (query, body) pairs that carry B's ids; A's admin must get 404
for each and nothing may change.

Area suites register their routes by importing this module and adding entries
(see the identity entries at the end), keyed by (METHOD, template).
"""

# (METHOD, template) -> fn(world) -> dict(params={...}, body={...} or None, if_match=bool, snapshot="/path" or None)
PATH_FIXTURES = {}
# (METHOD, template) -> fn(world) -> list of dict(query={...}, body={...}, params={...})
REFERENCES = {}
# (METHOD, template) -> reason the path check does not apply
EXEMPT = {}
# fn(world) run once after the World is built, to add the records fixtures refer to (classes, students, …)
WORLD_BUILDERS = []


def path_fixture(method, template):
    def register(fn):
        PATH_FIXTURES[(method, template)] = fn
        return fn

    return register


def references(method, template):
    def register(fn):
        REFERENCES[(method, template)] = fn
        return fn

    return register


# ---- identity routes

for _m in ("GET", "PATCH"):
    EXEMPT[(_m, "/api/v1/tenants/{id}")] = "platform operators manage every school; no school owns a school"


@path_fixture("GET", "/api/v1/users/{id}")
def _user_get(w):
    return {"params": {"id": w.B.users["teacher"]["id"]}, "snapshot": f"/api/v1/users/{w.B.users['teacher']['id']}"}


@path_fixture("PATCH", "/api/v1/users/{id}")
def _user_patch(w):
    uid = w.B.users["teacher"]["id"]
    return {"params": {"id": uid}, "body": {"displayName": "Changed by another school", "status": "disabled"},
            "if_match": True, "snapshot": f"/api/v1/users/{uid}"}


@references("GET", "/api/v1/audit-events")
def _audit_refs(w):
    return [{"query": {"userId": w.B.users["admin"]["id"]}}]
