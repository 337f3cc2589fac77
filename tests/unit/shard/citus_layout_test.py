#!/usr/bin/env python3
"""
The Citus layout of docs/CITUS.md, checked against the code: every statement the store runs (the static
stmt_t declarations of src/, their SQL texts expanded by the C preprocessor exactly as the compiler sees them)
is single-shard routable when the school tables are distributed by tenant_id and co-located, or it is a
declared exception (ALLOWED below, each with why). Also checked on the PostgreSQL migrations: every table is
placed (distributed, reference or local), every primary key and unique constraint or index of a distributed
table includes tenant_id, and every foreign key between distributed tables carries tenant_id.

Routable means: each occurrence of a distributed table in the statement has its tenant_id tied to a bound
parameter, directly (`x.tenant_id = $1`, an INSERT whose tenant_id value is a parameter) or through equalities
(`a.tenant_id = b.tenant_id`, `a.tenant_id = t.id` with `t.id = $1`, `JOIN … USING (tenant_id, …)`), which is
what lets Citus's router planner send the statement to one shard (PostgreSQL derives the implied equalities
before Citus prunes shards). The check is textual: it reads SQL, it does not run Citus (not packaged for
Debian 12); see docs/CITUS.md for what that leaves unverified.

Run: python3 tests/unit/shard/citus_layout_test.py (meson: the unit suite's shard_citus_layout).
"""
import glob
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SRC = os.path.join(ROOT, "src")

# Global tables: copied to every node (create_reference_table); what the catalog or the platform reads by
# something other than a school (login by slug, the platform's lists, throttles keyed by address or slug).
REFERENCE = {"tenants", "login_throttle", "mail_throttle", "queue_meta", "tenant_shards"}
# Tables left on the coordinator only: the SQL job queue (claims across schools with SKIP LOCKED; the
# production queue is Redis) and the migration ledger.
LOCAL = {"jobs", "schema_migrations"}

# Statements that are not single-shard routable, by name, with why that is right under Citus.
# Unique keys of distributed tables without tenant_id (Citus cannot enforce them across shards), with why
# dropping them to UNIQUE (tenant_id, …) under Citus loses nothing: the value is random and long, so two
# schools never draw the same one, and every lookup of it either names the school or tolerates one row per shard.
_RANDOM = "a digest of 32 random bytes: unique across schools by construction; under Citus UNIQUE (tenant_id, {})"
GLOBAL_KEYS = {
    ("absence_alert_recipients", ("unsubscribe_hash",)): _RANDOM.format("unsubscribe_hash"),
    ("account_tokens", ("token_hash",)): _RANDOM.format("token_hash"),
    ("mail_outbox", ("message_id",)): "a Message-ID made of a UUIDv7 and the sending domain: unique by construction; "
                                      "under Citus UNIQUE (tenant_id, message_id)",
}

_PLATFORM_LIST = ("the platform's list of schools counts each school's accounts (a correlated count per row of the "
                  "reference table tenants): an operator's page, not a school's request; under Citus rewrite it as "
                  "one GROUP BY tenant_id over users joined to the page's schools (multi-shard, pushed down)")
ALLOWED = {
    "account_tokens.account": "a password-reset request names its school by slug, not id: the school row comes from "
                              "the reference table, so the router cannot prune; Citus pushes the reference join down "
                              "to every shard (rare: one per reset request)",
    "account_tokens.find": "a link in an e-mail (reset, invitation, e-mail change) carries only its token: looked up "
                           "by the token's digest on every shard (our sharding does the same: app_find_on_shards)",
    "alerts.by_token": "an unsubscribe link carries only its token: looked up on every shard, as account_tokens.find",
    "audit.insert_batch": "the audit writer inserts a batch of events (json_to_recordset) whose rows name their "
                          "schools; Citus routes INSERT … SELECT from a function through the coordinator, each row "
                          "to its shard",
    "idempotency.purge": "upkeep run by one request in 64: expired keys of every school (multi-shard DELETE); "
                         "under Citus move it to the worker's upkeep or purge the requesting school's only",
    "mail.trim": "upkeep: the oldest finished mails of every school, a bounded batch (multi-shard DELETE whose "
                 "subquery Citus plans first; off the request path)",
    "tenants.list_name": _PLATFORM_LIST,
    "tenants.list_name_desc": _PLATFORM_LIST,
    "tenants.list_slug": _PLATFORM_LIST,
    "tenants.list_slug_desc": _PLATFORM_LIST,
    "tenants.list_created": _PLATFORM_LIST,
    "tenants.list_created_desc": _PLATFORM_LIST,
}


# ---------------------------------------------------------------- statements

def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _includes(path, seen):
    """Project headers included by path, transitively (files under src/)."""
    out = []
    for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', _read(path), re.M):
        for base in (os.path.dirname(path), SRC):
            p = os.path.normpath(os.path.join(base, inc))
            if os.path.exists(p):
                if p not in seen:
                    seen.add(p)
                    out += _includes(p, seen) + [p]
                break
    return out


def _defines(path):
    """The #define lines of a file (with their continuations)."""
    lines, out, cont = _read(path).split("\n"), [], False
    for line in lines:
        if cont or re.match(r"\s*#\s*define\b", line):
            out.append(line)
            cont = line.endswith("\\")
    return out


def _skip_string(text, i):
    """Index just past the C string or character literal starting at text[i]."""
    q = text[i]
    i += 1
    while text[i] != q:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _initializers(text):
    """The `static stmt_t NAME… = …;` declarations of a C file, as text."""
    out = []
    for m in re.finditer(r"\bstatic\s+stmt_t\s+\w+(\s*\[[^\]]*\])*\s*=", text):
        i, depth = m.end(), 0
        while True:
            c = text[i]
            if c in "\"'":
                i = _skip_string(text, i)
                continue
            if text.startswith("/*", i):
                i = text.index("*/", i) + 2
                continue
            if text.startswith("//", i):
                i = text.index("\n", i)
                continue
            depth += c in "({["
            depth -= c in ")}]"
            i += 1
            if c == ";" and depth == 0:
                break
        out.append(text[m.start():i])
    return out


def _strings_in_parens(text, i):
    """The concatenated C string literals of `( "a" "b" )` starting at text[i] == '('; (value, end) or None."""
    i += 1
    parts = []
    while True:
        while text[i].isspace():
            i += 1
        if text[i] == ")":
            return "".join(parts), i + 1
        if text[i] != '"':
            return None
        j = _skip_string(text, i)
        parts.append(bytes(text[i + 1:j - 1], "utf-8").decode("unicode_escape"))
        i = j


def statements():
    """{name: {"sql": …, "sql_pg": …, "sql_sqlite": …, "file": …}} of every stmt_t in src/."""
    found, problems = {}, []
    for path in sorted(glob.glob(os.path.join(SRC, "**", "*.c"), recursive=True)):
        text = _read(path)
        decls = _initializers(text)
        if not decls:
            continue
        defines = []
        for h in _includes(path, set()):
            defines += _defines(h)
        unit = "\n".join(defines + _defines(path) + decls) + "\n"
        cpp = subprocess.run(["cc", "-E", "-P", "-w", "-x", "c", "-"], input=unit, capture_output=True, text=True)
        if cpp.returncode != 0:
            problems.append(f"{path}: the preprocessor failed: {cpp.stderr.strip()[:300]}")
            continue
        out = cpp.stdout
        heads = list(re.finditer(r'\.name\s*=\s*\(\s*"([^"]+)"\s*\)', out))
        for k, m in enumerate(heads):
            body = out[m.end():heads[k + 1].start() if k + 1 < len(heads) else len(out)]
            st = {"file": os.path.relpath(path, ROOT)}
            for f in re.finditer(r"\.(sql|sql_pg|sql_sqlite)\s*=\s*(?=\()", body):
                got = _strings_in_parens(body, f.end())
                if got is None:
                    problems.append(f"{path}: {m.group(1)}.{f.group(1)} is not a string after preprocessing")
                else:
                    st[f.group(1)] = got[0]
            found.setdefault(m.group(1), st)
    return found, problems


# ---------------------------------------------------------------- the schema

def schema():
    """{table: {"columns": [...], "keys": [[cols]...], "refs": [(cols, table, refcols)]}} from the PostgreSQL migrations."""
    tables = {}
    text = "\n".join(_read(p) for p in sorted(glob.glob(os.path.join(SRC, "store", "sql", "pg", "*.sql"))))
    text = re.sub(r"--[^\n]*", "", text)
    for m in re.finditer(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)\s*(\(|PARTITION OF)", text):
        if m.group(2) == "PARTITION OF":
            continue
        i, depth = m.end() - 1, 0
        j = i
        while True:
            depth += text[j] == "("
            depth -= text[j] == ")"
            j += 1
            if depth == 0:
                break
        body = text[i + 1:j - 1]
        t = tables.setdefault(m.group(1), {"columns": [], "keys": [], "refs": []})
        for item in _split_top(body):
            item = " ".join(item.split())
            first = item.split(" ")[0].upper()
            if first in ("PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK", "EXCLUDE"):
                k = re.search(r"(?:PRIMARY KEY|UNIQUE)\s*\(([^)]*)\)", item)
                if k:
                    t["keys"].append(_cols(k.group(1)))
                f = re.search(r"FOREIGN KEY\s*\(([^)]*)\)\s*REFERENCES\s+(\w+)\s*\(([^)]*)\)", item)
                if f:
                    t["refs"].append((_cols(f.group(1)), f.group(2), _cols(f.group(3))))
                continue
            col = item.split(" ")[0]
            t["columns"].append(col)
            if re.search(r"\bPRIMARY KEY\b|\bUNIQUE\b", item):
                t["keys"].append([col])
            f = re.search(r"REFERENCES\s+(\w+)\s*(?:\(([^)]*)\))?", item)
            if f:
                t["refs"].append(([col], f.group(1), _cols(f.group(2) or "id")))
    for m in re.finditer(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", text):
        if m.group(1) in tables:
            tables[m.group(1)]["columns"].append(m.group(2))
    for m in re.finditer(r"CREATE UNIQUE INDEX (?:IF NOT EXISTS )?\w+ ON (\w+)\s*(?:USING \w+\s*)?\(([^;]*)\)", text):
        if m.group(1) in tables:
            tables[m.group(1)]["keys"].append(_cols(m.group(2)))
    return tables


def _split_top(body):
    parts, depth, cur = [], 0, ""
    for c in body:
        depth += c == "("
        depth -= c == ")"
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    return [p for p in parts + [cur] if p.strip()]


def _cols(text):
    return [c.strip().split(" ")[0].strip('"') for c in text.split(",") if c.strip()]


def distributed(tables):
    return {t for t, d in tables.items() if "tenant_id" in d["columns"]} - REFERENCE - LOCAL


# ---------------------------------------------------------------- routability

KEYWORDS = {"where", "on", "join", "left", "right", "inner", "outer", "full", "cross", "set", "using", "group", "order",
            "limit", "values", "select", "as", "natural", "lateral", "returning", "for", "union", "except", "intersect",
            "having", "window", "offset", "default", "and", "or", "not", "when", "then", "do", "fetch", "with"}


def _occurrences(sql, dist):
    """[(table, alias)] of each reference to a distributed table (alias: the table's name when none)."""
    occ = []
    for m in re.finditer(r"\b(?:from|join|update|into)\s+(?:only\s+)?(\w+)(?:\s+(?:as\s+)?(\w+))?", sql):
        t = m.group(1)
        if t not in dist:
            continue
        alias = m.group(2)
        if alias is None or alias in KEYWORDS:
            alias = t
        occ.append((t, alias, m.start()))
    return occ


PARAM = r"\$\d+(?:::\w+)?"


def routable(sql, dist):
    """None when every distributed table's occurrence is tied to a parameter; else why not."""
    sql = " ".join(sql.lower().split())
    occ = _occurrences(sql, dist)
    if not occ:
        return None
    tied = set()
    links = []  # (alias, alias) pairs of equal tenant ids
    tenant_aliases = {m.group(1) or "tenants" for m in
                      re.finditer(r"\b(?:from|join)\s+tenants(?:\s+(?:as\s+)?(\w+))?", sql)
                      if (m.group(1) or "tenants") not in KEYWORDS} | {"tenants"}
    # alias.col = $n / $n = alias.col
    for m in re.finditer(r"(?:(\w+)\.)?tenant_id\s*=\s*" + PARAM, sql):
        tied.add(m.group(1) or "*")
    for m in re.finditer(PARAM + r"\s*=\s*(?:(\w+)\.)?tenant_id\b", sql):
        tied.add(m.group(1) or "*")
    for m in re.finditer(r"\b(\w+)\.id\s*=\s*" + PARAM, sql):
        if m.group(1) in tenant_aliases:
            tied.add(m.group(1))
    # alias.tenant_id = alias.tenant_id | alias.tenant_id = t.id (tenants)
    for m in re.finditer(r"\b(\w+)\.(tenant_id|id)\s*=\s*(\w+)\.(tenant_id|id)\b", sql):
        a, ca, b, cb = m.groups()
        ok_a = ca == "tenant_id" or a in tenant_aliases
        ok_b = cb == "tenant_id" or b in tenant_aliases
        if ok_a and ok_b:
            links.append((a, b))
    # join … using (tenant_id, …): the joined table and the ones before it
    for m in re.finditer(r"\bjoin\s+(\w+)(?:\s+(?:as\s+)?(\w+))?\s+using\s*\(([^)]*)\)", sql):
        if "tenant_id" in _cols(m.group(3)):
            alias = m.group(2) if m.group(2) and m.group(2) not in KEYWORDS else m.group(1)
            for _, other, pos in occ:
                if pos < m.start():
                    links.append((alias, other))
    # insert into t (…, tenant_id, …) values (…, $n, …) | select …, $n, …
    for m in re.finditer(r"\binsert into (\w+)(?:\s+as\s+\w+)?\s*\(([^)]*)\)\s*(values\s*\(|select\s)", sql):
        cols = _cols(m.group(2))
        if "tenant_id" not in cols:
            continue
        rest = sql[m.end():]
        vals = _split_top(rest.split(" from ")[0] if m.group(3).startswith("select") else rest[:_close(rest)])
        k = cols.index("tenant_id")
        if k < len(vals) and re.fullmatch(r"\s*" + PARAM + r"\s*", vals[k]):
            tied.add(m.group(1))
    # equalities make classes; a class holding a tied alias is tied
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    tied_roots = {find(a) for a in tied}
    loose = []
    for t, alias, _ in occ:
        if "*" in tied and alias == t:
            continue  # an unqualified tenant_id = $n: the table named without an alias
        if find(alias) not in tied_roots:
            loose.append(f"{t} {alias}" if alias != t else t)
    return None if not loose else "not tied to a parameter: " + ", ".join(sorted(set(loose)))


def _close(text):
    depth = 1
    for i, c in enumerate(text):
        depth += c == "("
        depth -= c == ")"
        if depth == 0:
            return i
    return len(text)


# ---------------------------------------------------------------- the tests

class CitusLayout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tables = schema()
        cls.dist = distributed(cls.tables)
        cls.stmts, cls.problems = statements()

    def test_every_statement_is_read(self):
        self.assertEqual(self.problems, [])
        self.assertGreater(len(self.stmts), 400)

    def test_every_table_is_placed(self):
        for t, d in sorted(self.tables.items()):
            if t in REFERENCE or t in LOCAL:
                continue
            self.assertIn("tenant_id", d["columns"], f"{t}: no tenant_id; declare it a reference or local table")
        self.assertEqual(set(REFERENCE) - set(self.tables), set(), "a reference table the migrations lack")

    def test_keys_of_distributed_tables_hold_tenant_id(self):
        bad = {(t, tuple(k)) for t in sorted(self.dist) for k in self.tables[t]["keys"] if "tenant_id" not in k}
        self.assertEqual(sorted(bad - set(GLOBAL_KEYS)), [], "unique keys Citus cannot enforce: add tenant_id")
        self.assertEqual(sorted(set(GLOBAL_KEYS) - bad), [], "GLOBAL_KEYS lists keys that hold tenant_id now (or are gone)")

    def test_foreign_keys_between_distributed_tables_carry_tenant_id(self):
        bad = []
        for t in sorted(self.dist):
            for cols, ref, refcols in self.tables[t]["refs"]:
                if ref in self.dist and not ("tenant_id" in cols and "tenant_id" in refcols):
                    bad.append(f"{t} ({', '.join(cols)}) -> {ref} ({', '.join(refcols)})")
                if ref in LOCAL:
                    bad.append(f"{t} -> {ref}: a distributed table cannot reference a local one")
        self.assertEqual(bad, [])

    def test_every_statement_is_single_shard_or_declared(self):
        loose = {}
        for name, st in sorted(self.stmts.items()):
            why = routable(st.get("sql_pg") or st.get("sql") or "", self.dist)
            if why is not None:
                loose[name] = f"{st['file']}: {why}"
        undeclared = {n: w for n, w in loose.items() if n not in ALLOWED}
        stale = sorted(set(ALLOWED) - set(loose))
        self.assertEqual(undeclared, {}, "statements that do not route to one shard; filter on tenant_id or "
                                         "declare them in ALLOWED with why")
        self.assertEqual(stale, [], "ALLOWED lists statements that are routable now (or gone)")

    def test_the_check_can_fail(self):
        dist = {"students", "enrollments"}
        self.assertIsNone(routable("SELECT * FROM students WHERE tenant_id = $1 AND id = $2", dist))
        self.assertIsNone(routable("SELECT * FROM students s JOIN enrollments e ON e.tenant_id = s.tenant_id"
                                   " AND e.student_id = s.id WHERE s.tenant_id = $1", dist))
        self.assertIsNone(routable("INSERT INTO students (tenant_id, id) VALUES ($1::uuid, $2)", dist))
        self.assertIsNotNone(routable("SELECT * FROM students WHERE id = $1", dist))
        self.assertIsNotNone(routable("SELECT * FROM students s JOIN enrollments e ON e.student_id = s.id"
                                      " WHERE s.tenant_id = $1", dist))
        self.assertIsNotNone(routable("INSERT INTO students (id, tenant_id) VALUES ($1, 'x')", dist))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--list":
        st, probs = statements()
        dist = distributed(schema())
        for n, s in sorted(st.items()):
            why = routable(s.get("sql_pg") or s.get("sql") or "", dist)
            if why:
                print(f"{n}\t{s['file']}\t{why}\t{' '.join((s.get('sql_pg') or s.get('sql')).split())[:200]}")
        print("\n".join(probs), file=sys.stderr)
        sys.exit(0)
    unittest.main()
