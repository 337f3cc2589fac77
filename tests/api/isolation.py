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

Collections and reports (every list, {items, nextCursor}, with or without
path parameters, and the other reads that gather a school's records) add
LISTS entries: a function of a school giving its own values for the path
parameters (and the query a report needs, never a narrowing filter). Each
role of school A the access table (access.py) allows then lists it, every
page, and no answer may carry an id of school B's records (which B's admin
lists the same way).

A route without path parameters needs a LISTS or REFERENCES entry too, or an
EXEMPT one saying why it needs none (it creates from values only, it is the
caller's own account, …): a new route cannot go unchecked by accident.

Area suites register their routes by importing this module and adding entries
(see the identity entries at the end), keyed by (METHOD, template).
"""

# (METHOD, template) -> fn(world) -> dict(params={...}, body={...} or None, if_match=bool, snapshot="/path" or None)
PATH_FIXTURES = {}
# (METHOD, template) -> fn(world) -> list of dict(query={...}, body={...}, params={...})
REFERENCES = {}
# (GET, template) -> fn(school) -> dict(params={...}, query={...}): a collection or report of the school's own
LISTS = {}
# (METHOD, template) -> why the route needs no path fixture (with path parameters) or no LISTS/REFERENCES entry
EXEMPT = {}
# fn(world) run once after the World is built, to add the records fixtures refer to (classes, students, …)
WORLD_BUILDERS = []
# fn(world) run after every WORLD_BUILDER: records that link those of several areas (an account's record
# teaching or enrolled in another area's class), so every role has something of its own to list
FINAL_BUILDERS = []


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


def lists(template, query=None):
    """Registers GET template as a collection: fn(school) -> its path parameters (a dict), query a fixed query."""
    def register(fn):
        LISTS[("GET", template)] = lambda school: {"params": fn(school), "query": dict(query or {})}
        return fn

    return register


def collection(template, query=None):
    """A collection without path parameters."""
    lists(template, query)(lambda school: {})


def report(template):
    """Registers GET template as a report: fn(school) -> the query it needs (of the school's own records)."""
    def register(fn):
        LISTS[("GET", template)] = lambda school: {"params": {}, "query": fn(school)}
        return fn

    return register


# ---- identity routes

for _m in ("GET", "PATCH"):
    EXEMPT[(_m, "/api/v1/tenants/{id}")] = "platform operators manage every school; no school owns a school"
for _m in ("GET", "POST"):
    EXEMPT[(_m, "/api/v1/tenants")] = "platform operators manage every school: the list is the platform's"
EXEMPT[("POST", "/api/v1/users")] = "creates an account of the caller's school from values; refers to no record"
EXEMPT[("GET", "/api/v1/me")] = "the caller's own account and school, from the token"
EXEMPT[("POST", "/api/v1/auth/logout")] = "ends the caller's own session"
EXEMPT[("POST", "/api/v1/auth/password")] = "changes the caller's own password"
collection("/api/v1/users")
collection("/api/v1/audit-events")


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
    return [{"query": {"actorId": w.B.users["admin"]["id"]}}]
