"""
fixtures_accounts.py - the account-flow routes' entries in the isolation registry (see isolation.py): an admin
sending a reset link to another school's account gets 404 and nothing is sent; PATCH /me is the caller's own;
each school's deliveries list shows its own messages only (build_world mails a reset link in each school).
"""

import isolation

isolation.EXEMPT[("PATCH", "/api/v1/me")] = "the caller's own account, from the token"
for _m in ("PUT", "DELETE"):
    isolation.EXEMPT[(_m, "/api/v1/school/logo")] = "the caller's own school's logo; refers to no record"
for _m in ("GET", "PATCH"):
    isolation.EXEMPT[(_m, "/api/v1/me/guardian")] = "the guardian record linked to the caller's own account"


@isolation.path_fixture("POST", "/api/v1/users/{id}/password-reset")
def _reset_link_of_bs_account(w):
    uid = w.B.users["teacher"]["id"]
    return {"params": {"id": uid}, "snapshot": f"/api/v1/users/{uid}"}


def build_world(w):
    for school in (w.A, w.B):
        school.client("admin").post(f"/api/v1/users/{school.users['teacher']['id']}/password-reset", expect=202)


isolation.WORLD_BUILDERS.append(build_world)
isolation.collection("/api/v1/mail/deliveries")
