"""
Sharding by school (src/shard/): the tenant directory over several PostgreSQL clusters.

Runs in tests/run's shard-pg stage, where ERP_TEST_SHARD_PG_URLS names two more PostgreSQL servers besides
ERP_TEST_PG_URL: each server of these tests gets a database on all three (main: the catalog, s2, s3). What is
checked: schools spread over the clusters by the placement rule and each school's rows exist on its own
cluster only (read with psql, the oracle); login, reads and writes of a school on a second cluster; the
platform's list sees every school; a suspension reaches the school's cluster; `tenant create --shard`;
`migrate` applies to every cluster; `serve` refuses a cluster whose schema is behind, naming it; a bad
ERP_SHARDS stops start-up with one line naming the variable (this one on any engine).
"""

import subprocess
import unittest

import harness
from harness import Client, Server, ServerTestCase, run
from world import PASSWORD, PLATFORM_EMAIL, create_platform_admin, login

V1 = "/api/v1"
SHARDED = harness.ENGINE == "postgres" and len(harness.SHARD_PG_URLS) >= 2


def need_shards():
    if not SHARDED:
        harness.skip_allowed("needs ERP_TEST_ENGINE=postgres and two servers in ERP_TEST_SHARD_PG_URLS "
                             "(tests/run's shard-pg stage)")


def psql(url, sql):
    """Rows of a query on the database at url, as tuples of text."""
    r = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"psql: {r.stderr}")
    return [tuple(line.split("\t")) for line in r.stdout.splitlines() if line]


def cluster_urls(server):
    """{shard name: database URL} of a server's three clusters."""
    urls = {"main": harness.pg_url(server.pg_db)}
    for name, url, db in server.shard_dbs:
        urls[name] = harness.shard_url(url, db)
    return urls


def new_school(platform, slug, expect=201):
    return platform.post(f"{V1}/tenants", json={
        "name": f"School {slug}", "slug": slug, "timeZone": "Europe/Paris", "currency": "EUR",
        "admin": {"email": f"admin@{slug}.example", "password": PASSWORD, "displayName": "Admin"},
    }, expect=expect).json


class TestShardConfig(ServerTestCase):
    CLASS_SERVER = False

    def refused(self, env, pattern):
        if harness.ENGINE == "postgres":
            env.setdefault("ERP_DATABASE_URL", harness.PG_URL)
        r = run([harness.ERP_BIN, "migrate", "--check"], env=harness.clean_env(**env), timeout=60)
        self.assertGreater(r.returncode, 0, r.stdout)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, pattern)

    def test_bad_shard_lists_stop_start_up_naming_the_variable(self):
        RAN = harness.RAN_MODULES
        RAN.add(__name__)
        if harness.ENGINE == "postgres":
            self.refused({"ERP_SHARDS": "postgresql://127.0.0.1/x"}, r"ERP_SHARDS: an entry is not NAME=URL")
            self.refused({"ERP_SHARDS": "main=postgresql://127.0.0.1/x"}, r"ERP_SHARDS: 'main' is not a shard name")
            self.refused({"ERP_SHARDS": "s2=postgresql://127.0.0.1/x;s2=postgresql://127.0.0.1/y"},
                         r"ERP_SHARDS: shard s2 is named twice")
            self.refused({"ERP_SHARDS": "s2=sqlite:/tmp/x.db"}, r"ERP_SHARDS: shard s2: shards are PostgreSQL")
        else:
            self.refused({"ERP_DATA_DIR": "/nonexistent-erp", "ERP_DATABASE_URL": "sqlite:/tmp/erp-shard-test.db",
                          "ERP_SHARDS": "s2=postgresql://127.0.0.1/x"}, r"ERP_SHARDS: needs a PostgreSQL catalog")


class TestShards(ServerTestCase):
    CLASS_SERVER = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        need_shards()
        # the placement rule, not the harness's fixed placement
        cls.server = Server(env={"ERP_SHARD_PLACEMENT": None}).start()
        cls.urls = cluster_urls(cls.server)
        create_platform_admin(cls.server)
        cls.platform = Client(cls.server, token=login(cls.server, None, PLATFORM_EMAIL)["accessToken"])
        # no school yet: all three tie, main first by name; then s2, s3; then main again
        cls.schools = [new_school(cls.platform, f"spread-{i}") for i in range(4)]

    def directory(self):
        return dict(psql(self.urls["main"], "SELECT tenant_id, shard FROM tenant_shards"))

    def shard_of(self, school):
        return self.directory().get(school["id"], "main")

    def test_placement_spreads_schools_fewest_first_ties_by_name(self):
        self.assertEqual([self.shard_of(s) for s in self.schools], ["main", "s2", "s3", "main"])

    def test_each_school_has_rows_on_its_own_cluster_only(self):
        for school in self.schools:
            home = self.shard_of(school)
            for name, url in self.urls.items():
                users = psql(url, f"SELECT count(*) FROM users WHERE tenant_id = '{school['id']}'")[0][0]
                self.assertEqual(users, "1" if name == home else "0", f"{school['slug']} users on {name}")
                # the school's row: on its cluster, and in the catalog (login, the platform's lists)
                rows = psql(url, f"SELECT count(*) FROM tenants WHERE id = '{school['id']}'")[0][0]
                self.assertEqual(rows, "1" if name in (home, "main") else "0", f"{school['slug']} row on {name}")

    def test_login_read_write_on_a_second_cluster(self):
        school = self.schools[1]
        self.assertEqual(self.shard_of(school), "s2")
        tokens = login(self.server, school["slug"], f"admin@{school['slug']}.example")
        admin = Client(self.server, token=tokens["accessToken"])
        me = admin.get(f"{V1}/me", expect=200).json
        self.assertEqual(me["tenantId"] if "tenantId" in me else me["user"]["tenantId"], school["id"])
        st = admin.post(f"{V1}/students", json={"admissionNo": "ADM-S2-1", "firstName": "Ada", "lastName": "Shard",
                                                "dateOfBirth": "2014-05-06"}, expect=201).json
        self.assertEqual(admin.get(f"{V1}/students/{st['id']}", expect=200).json["firstName"], "Ada")
        self.assertIn(st["id"], [s["id"] for s in admin.get(f"{V1}/students", expect=200).json["items"]])
        where = f"SELECT count(*) FROM students WHERE tenant_id = '{school['id']}' AND id = '{st['id']}'"
        self.assertEqual({n: psql(u, where)[0][0] for n, u in self.urls.items()}, {"main": "0", "s2": "1", "s3": "0"})
        # a refresh finds the session on the school's cluster
        fresh = self.server.http.post(f"{V1}/auth/refresh", json={"refreshToken": tokens["refreshToken"]},
                                      expect=200).json
        Client(self.server, token=fresh["accessToken"]).get(f"{V1}/students/{st['id']}", expect=200)
        # another school's token never reaches it
        other = self.schools[2]
        tok = login(self.server, other["slug"], f"admin@{other['slug']}.example")["accessToken"]
        Client(self.server, token=tok).get(f"{V1}/students/{st['id']}", expect=404)

    def test_platform_list_sees_every_school(self):
        items = self.platform.get(f"{V1}/tenants?limit=100", expect=200).json["items"]
        listed = {t["id"]: t for t in items}
        self.assertTrue({s["id"] for s in self.schools} <= set(listed))
        # each school's accounts are counted on its own cluster (the admin, and no one else yet)
        self.assertEqual({listed[s["id"]]["userCount"] for s in self.schools}, {1})
        doc = self.platform.get(f"{V1}/tenants/{self.schools[2]['id']}", expect=200).json
        self.assertEqual(doc["userCount"], 1)

    def test_suspension_reaches_the_schools_cluster(self):
        school = new_school(self.platform, "spread-suspend")
        home = self.shard_of(school)
        self.assertNotEqual(home, "main")
        email = f"admin@{school['slug']}.example"
        token = login(self.server, school["slug"], email)["accessToken"]
        cur = self.platform.get(f"{V1}/tenants/{school['id']}", expect=200)
        self.platform.patch(f"{V1}/tenants/{school['id']}", json={"status": "suspended"},
                            headers={"If-Match": cur.headers["etag"]}, expect=200)
        status = f"SELECT status FROM tenants WHERE id = '{school['id']}'"
        self.assertEqual(psql(self.urls[home], status), [("suspended",)])
        self.assertEqual(psql(self.urls["main"], status), [("suspended",)])
        Client(self.server, token=token).get(f"{V1}/me", expect=401)
        login(self.server, school["slug"], email, expect=401)

    def test_taken_slug_on_another_cluster_is_409_and_leaves_nothing(self):
        new_school(self.platform, "spread-1", expect=409)
        for url in self.urls.values():
            self.assertEqual(psql(url, "SELECT count(*) FROM tenants WHERE slug = 'spread-1'")[0][0],
                             "1" if url in (self.urls["main"], self.urls["s2"]) else "0")

    def test_tenant_create_on_a_named_shard(self):
        cmd = [self.server.binary, "tenant", "create", "--name", "Named", "--slug", "named-s3", "--admin-email",
               "admin@named.example", "--admin-password-stdin", "--shard", "s3"]
        r = run(cmd, env=self.server.environment(), input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        tid = r.stdout.strip()
        self.assertEqual(self.directory().get(tid), "s3")
        self.assertEqual(psql(self.urls["s3"], f"SELECT slug FROM tenants WHERE id = '{tid}'"), [("named-s3",)])
        login(self.server, "named-s3", "admin@named.example")
        cmd[cmd.index("named-s3")] = "named-nowhere"
        cmd[-1] = "nowhere"
        r = run(cmd, env=self.server.environment(), input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("No shard is named nowhere", r.stderr)
        for url in self.urls.values():
            self.assertEqual(psql(url, "SELECT count(*) FROM tenants WHERE slug = 'named-nowhere'"), [("0",)])

    def test_commands_find_the_school_on_its_cluster(self):
        school = self.schools[2]
        self.assertEqual(self.shard_of(school), "s3")
        tok = login(self.server, school["slug"], f"admin@{school['slug']}.example")["accessToken"]
        Client(self.server, token=tok).post(f"{V1}/students", json={
            "admissionNo": "ADM-S3-1", "firstName": "Grace", "lastName": "Cluster", "dateOfBirth": "2013-02-03"},
            expect=201)
        r = run([self.server.binary, "export", "students", "--school", school["slug"]], env=self.server.environment())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ADM-S3-1", r.stdout)
        self.assertIn("Grace", r.stdout)

    def test_metrics_name_each_family_once(self):
        text = self.server.http.get("/metrics", expect=200).text
        for family in ("db_query_duration_seconds", "db_connections_open", "db_connections_in_use"):
            self.assertEqual(text.count(f"# TYPE {family} "), 1, family)
        self.assertIn('statement="shards.place"', text)

    def test_migrate_applied_to_every_cluster(self):
        counts = {n: psql(u, "SELECT count(*) FROM schema_migrations")[0][0] for n, u in self.urls.items()}
        self.assertEqual(len(set(counts.values())), 1, counts)
        self.assertGreater(int(counts["main"]), 17)
        r = run([self.server.binary, "migrate", "--check"], env=self.server.environment())
        self.assertEqual(r.returncode, 0, r.stderr)


class TestBehindShard(ServerTestCase):
    CLASS_SERVER = False

    def test_serve_refuses_a_cluster_whose_schema_is_behind_naming_it(self):
        need_shards()
        # a fresh cluster set, migrated; then s3 loses its last migration
        s = Server()
        s.pg_db = harness.pg_create_database()
        s.shard_dbs = [(f"s{i + 2}", url, s.pg_db) for i, url in enumerate(harness.SHARD_PG_URLS)]
        try:
            for _, url, db in s.shard_dbs:
                harness._psql(f'CREATE DATABASE "{db}"', url)
            s.data_dir = "/nonexistent-erp-data"
            env = s.environment()
            r = run([harness.ERP_BIN, "migrate"], env=env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("shard s3:", r.stdout)
            s3 = harness.shard_url(harness.SHARD_PG_URLS[1], s.pg_db)
            psql(s3, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
            r = run([harness.ERP_BIN, "serve"], env=env, timeout=60)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("shard s3", r.stderr)
            r = run([harness.ERP_BIN, "migrate", "--check"], env=env, timeout=60)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("shard s3", r.stderr)
        finally:
            for _, url, db in s.shard_dbs:
                harness.pg_drop_database(db, url)
            harness.pg_drop_database(s.pg_db)


if __name__ == "__main__":
    unittest.main()
