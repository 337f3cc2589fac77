"""
world.py - a platform operator and two schools with the same cast, for access,
isolation and domain tests.

    world = World(server)            # creates everything through the API (and the CLI for the operator)
    world.A.client("teacher").get("/api/v1/me", expect=200)
    world.B.users["student"]["id"]

Each school ("A" and "B") has one account per role (admin, teacher, staff,
student, parent, bursar) plus a second teacher ("teacher2"), each logged in. Suites
that need more (classes, students) build on it.
"""

import datetime
import itertools
import zoneinfo

from harness import ERP_BIN, Client, run, test_now

PASSWORD = "correct-horse-battery-staple"
PLATFORM_EMAIL = "operator@platform.example"
SCHOOL_ROLES = ["admin", "teacher", "staff", "student", "parent", "bursar"]
ALL_ROLES = ["platform_admin"] + SCHOOL_ROLES

_slug_counter = itertools.count(1)
DEMO_TIME_ZONE = "America/New_York"  # the time zone of the school `school-erp demo` makes


def school_today(time_zone):
    """Today's date in a school's time zone, as the server reckons it ("YYYY-MM-DD")."""
    return test_now().astimezone(zoneinfo.ZoneInfo(time_zone)).date().isoformat()


def login(server, tenant, email, password=PASSWORD, expect=200):
    """Logs in; returns the token pair document."""
    body = {"email": email, "password": password}
    if tenant is not None:
        body["tenant"] = tenant
    return server.http.post("/api/v1/auth/login", json=body, expect=expect).json


def create_platform_admin(server, email=PLATFORM_EMAIL, password=PASSWORD):
    """Runs `school-erp admin create` against the server's database; returns the account id."""
    r = run([server.binary, "admin", "create", "--email", email, "--password-stdin", "--name", "Platform operator"],
            env=server.environment(), input=password + "\n")
    if r.returncode != 0:
        raise AssertionError(f"admin create failed ({r.returncode}): {r.stderr}")
    return r.stdout.strip()


class School:
    """One school made through the API, with one logged-in account per role."""

    def __init__(self, server, platform, name, slug=None):
        self.server = server
        self.slug = slug or f"school-{next(_slug_counter)}-{name.lower()}"
        self.domain = f"{self.slug}.example"
        admin_email = f"admin@{self.domain}"
        doc = platform.post("/api/v1/tenants", json={
            "name": f"School {name}", "slug": self.slug, "timeZone": "Europe/Paris", "currency": "EUR",
            "admin": {"email": admin_email, "password": PASSWORD, "displayName": f"Admin {name}"},
        }, expect=201).json
        self.id = doc["id"]
        self.tenant = doc
        self.users = {"admin": {"id": doc["admin"]["id"], "email": admin_email}}
        self.users["admin"]["token"] = login(server, self.slug, admin_email)["accessToken"]
        admin = self.client("admin")
        for role, key in [("teacher", "teacher"), ("teacher", "teacher2"), ("staff", "staff"),
                          ("student", "student"), ("parent", "parent"), ("bursar", "bursar")]:
            email = f"{key}@{self.domain}"
            u = admin.post("/api/v1/users", json={"email": email, "displayName": f"{key.title()} {name}",
                                                  "roles": [role], "password": PASSWORD}, expect=201).json
            self.users[key] = {"id": u["id"], "email": email}
            self.users[key]["token"] = login(server, self.slug, email)["accessToken"]

    def token(self, key):
        return self.users[key]["token"]

    def client(self, key, **kw):
        return Client(self.server, token=self.users[key]["token"], **kw)

    def add_user(self, key, role, email=None):
        """Creates and logs in one more account."""
        email = email or f"{key}@{self.domain}"
        u = self.client("admin").post("/api/v1/users", json={"email": email, "displayName": key, "roles": [role],
                                                             "password": PASSWORD}, expect=201).json
        self.users[key] = {"id": u["id"], "email": email, "token": login(self.server, self.slug, email)["accessToken"]}
        return self.users[key]


class World:
    """The platform operator and schools A and B."""

    def __init__(self, server):
        self.server = server
        self.platform_id = create_platform_admin(server)
        self.platform_token = login(server, None, PLATFORM_EMAIL)["accessToken"]
        self.platform = Client(server, token=self.platform_token)
        self.A = School(server, self.platform, "A")
        self.B = School(server, self.platform, "B")

    def token(self, role, school="A"):
        """A token for a role: the operator's for platform_admin, school A's (or B's) otherwise."""
        if role == "platform_admin":
            return self.platform_token
        return getattr(self, school).token(role)
