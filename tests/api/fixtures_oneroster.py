"""
The OneRoster binding's OAuth clients in the isolation registry (isolation.py): each school registers one client;
school A's admin meets school B's client in paths (404, B's unchanged) and lists only A's. The binding's own
routes take a client's token, not an account's, so they are public to the access table; their school isolation
(404 for another school's sourcedIds, empty collections) is test_oneroster_rest.py's.
"""

import isolation

CLIENTS = "/api/v1/oauth-clients"


def build_clients(w):
    for school in (w.A, w.B):
        if getattr(school, "oauth_client", None) is None:
            school.oauth_client = school.client("admin").post(CLIENTS, json={
                "name": "Learning platform", "scopes": ["roster-core.readonly"]}, expect=201).json


isolation.WORLD_BUILDERS.append(build_clients)
isolation.EXEMPT[("POST", CLIENTS)] = "registers a client of the caller's school from values; refers to no record"
isolation.collection(CLIENTS)


def _client(method):
    @isolation.path_fixture(method, CLIENTS + "/{id}")
    def make(w):
        cid = w.B.oauth_client["id"]
        return {"params": {"id": cid}, "snapshot": f"{CLIENTS}/{cid}"}
    return make


for _m in ("GET", "DELETE"):
    _client(_m)
