"""Shared parts of bench/load and bench/drill: the cluster (scripts/cluster), the demo data, the
request mix written for bench/load-gen, one open-loop run, and the express-erp peer behind nginx.

Everything started here is stopped by Session.close(), which the scripts call from a finally block
and on SIGTERM/SIGINT, so a failed run leaves nothing running."""
import datetime
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
BIN = os.path.abspath(os.environ.get("BIN", os.path.join(ROOT, "build", "school-erp")))
LOADGEN = os.environ.get("LOADGEN", os.path.join(os.path.dirname(BIN), "bench", "load-gen"))
PEER_DIR = os.environ.get("PEER_DIR", os.path.join(ROOT, "..", "shared", "peers", "express-erp"))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from services import Postgres  # noqa: E402

# The school mix, per 1,000 requests. Logins hash a password (argon2id, 64 MiB): a user logs in once
# per session, then reads and saves for a while, so logins are a small share.
MIX = {"login": 1, "roster": 200, "timetable": 200, "student": 249, "attendance_read": 100,
       "attendance_save": 100, "gradebook": 150}
# The targets of the original design.
TARGETS = {"p95_ms": 200.0, "p99_ms": 500.0, "mean_ms": 100.0, "error_ratio": 0.001}


def log(*a):
    print("[%s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def raise_nofile():
    """Raises this process's open-file limit to its hard limit; the cluster's members inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def meets_targets(step):
    return (step["p95_ms"] < TARGETS["p95_ms"] and step["p99_ms"] < TARGETS["p99_ms"] and
            step["mean_ms"] < TARGETS["mean_ms"] and error_ratio(step) < TARGETS["error_ratio"])


def error_ratio(step):
    return step["error_total"] / max(1, step["scheduled"])


# -- HTTP, for preparing --------------------------------------------------------------------------

def call(url, path, token=None, body=None, method=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.load(res)


def all_pages(url, path, token):
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = call(url, path + sep + "limit=500" + (f"&cursor={cursor}" if cursor else ""), token)
        items += page["items"]
        cursor = page.get("nextCursor")
        if not cursor:
            return items


# -- the session: the cluster, the peer, temporary files ------------------------------------------

class Session:
    def __init__(self, keep=False):
        self.work = tempfile.mkdtemp(prefix="school-erp-load.")
        os.chmod(self.work, 0o755)
        self.cluster_dir = os.path.join(self.work, "cluster")
        self.cluster_up = False
        self.procs = []  # (Popen, kill the process group)
        self.nginx_pids = []
        self.keep = keep
        self.state = None
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def path(self, *p):
        return os.path.join(self.work, *p)

    # -- the cluster --
    def cluster(self, *args, check=True, capture=False):
        r = subprocess.run([CLUSTER, *args, "--dir", self.cluster_dir, "--bin", BIN], text=True,
                           stdout=subprocess.PIPE if capture else None, stderr=None if not capture else subprocess.PIPE)
        if check and r.returncode != 0:
            raise RuntimeError(f"scripts/cluster {' '.join(args)} failed: {r.stderr if capture else ''}")
        return r

    def up(self, redis_cluster=False, env=None):
        args = ["up"] + (["--redis-cluster"] if redis_cluster else [])
        self.cluster_up = True
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            self.cluster(*args, capture=True)
        finally:
            os.environ.clear()
            os.environ.update(old)
        self.reload()
        log("cluster up:", self.url)

    def reload(self):
        with open(os.path.join(self.cluster_dir, "cluster.json")) as f:
            self.state = json.load(f)
        self.url = self.state["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self.state

    def promote(self, name):
        """pg_ctl promote of a PostgreSQL member (a standby)."""
        m = self.member(name)
        Postgres(os.path.join(self.cluster_dir, "pg"), m["pgname"], port=m["port"]).promote()

    def member(self, name):
        return self.state["members"][name]

    def app_env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **self.state["env"]}

    def close(self):
        for p, group in reversed(self.procs):
            try:
                if group:
                    os.killpg(p.pid, signal.SIGTERM)
                else:
                    p.terminate()
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(p.pid, signal.SIGKILL) if group else p.kill()
                except OSError:
                    pass
        for pid in self.nginx_pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        if self.cluster_up:
            self.cluster("down", check=False)
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- demo data --
    def seed(self, tenants, students):
        """Demo schools in the cluster's database; returns [(slug, admin email, password)]."""
        t = time.time()
        out = subprocess.run([BIN, "demo", "--tenants", str(tenants), "--students", str(students)],
                             env=self.app_env(), cwd=self.work, check=True, stdout=subprocess.PIPE, text=True).stdout
        schools = re.findall(r'tenant "([^"]+)".*\n\s+admin login:\s+(\S+) / (\S+)', out)
        if len(schools) != tenants:
            raise RuntimeError("unexpected output of school-erp demo:\n" + out)
        log(f"demo data: {tenants} schools x {students} students in {time.time() - t:.0f} s")
        return schools

    # -- an nginx in front of another upstream, with the cluster's own configuration --
    def nginx_for(self, name, upstream_port):
        src_dir = os.path.join(self.cluster_dir, "nginx")
        conf = open(os.path.join(src_dir, "nginx.conf")).read()
        d = self.path(name)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(d, "tmp", sub), exist_ok=True)
            os.chmod(os.path.join(d, "tmp", sub), 0o777)
        os.chmod(d, 0o755)
        os.chmod(os.path.join(d, "tmp"), 0o755)
        port = free_port()
        conf = re.sub(r"(\n\s*server 127\.0\.0\.1:\d+ [^\n]*)+", f"\n        server 127.0.0.1:{upstream_port} max_fails=2 fail_timeout=5s;", conf, count=1)
        conf = re.sub(r"listen 127\.0\.0\.1:\d+", f"listen 127.0.0.1:{port}", conf)
        conf = conf.replace(src_dir, d)
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        subprocess.run(["nginx", "-p", d, "-c", path, "-e", os.path.join(d, "error.log")], check=True)
        for _ in range(100):
            try:
                self.nginx_pids.append(int(open(os.path.join(d, "nginx.pid")).read()))
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        return port

    # -- the express-erp peer: 3 cluster workers, its Redis cache, behind an nginx like ours --
    def start_peer(self, workers=3):
        if not os.path.exists(os.path.join(PEER_DIR, "server.js")):
            return None, f"no peer at {PEER_DIR}"
        peer = self.path("peer")
        shutil.copytree(PEER_DIR, peer)
        r = subprocess.run("npm ci --omit=dev --no-audit --no-fund --loglevel=error || "
                           "npm install --omit=dev --no-audit --no-fund --loglevel=error", shell=True, cwd=peer,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            return None, "npm could not install the peer"
        pg = self.member("pg-primary")
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", str(pg["port"]), "-U", "postgres", "-d", "erp",
                        "-f", os.path.join(peer, "setup.sql")], check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(pg["port"]), "PGUSER": "postgres",
               "PGDATABASE": "erp", "REDIS_URL": self.state["env"]["ERP_REDIS_URL"]}
        with open(self.path("peer.log"), "w") as out:
            p = subprocess.Popen(["node", "server.js", str(port), str(workers)], cwd=peer, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((p, True))
        token = subprocess.run(["node", "token.js"], cwd=peer, check=True, stdout=subprocess.PIPE,
                               text=True).stdout.strip()
        nport = self.nginx_for("peer-nginx", port)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{nport}/", timeout=1)
            except urllib.error.HTTPError:
                return {"port": nport, "token": token}, None  # its 401: it answers
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        return None, "the peer did not answer"


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- the mix -----------------------------------------------------------------------------------

def school_data(url, slug, email, password, rng):
    """What the mix needs of one school, read through the API as its admin."""
    token = call(url, "/api/v1/auth/login", body={"tenant": slug, "email": email, "password": password})["accessToken"]
    classes = [c["id"] for c in all_pages(url, "/api/v1/classes", token)]
    students = [s["id"] for s in all_pages(url, "/api/v1/students", token)]
    today = datetime.date.today()
    terms = call(url, "/api/v1/terms", token)["items"]
    term = next((t for t in terms if t["startDate"] <= today.isoformat() <= t["endDate"]), terms[0])
    start = max(datetime.date.fromisoformat(term["startDate"]), today - datetime.timedelta(days=40))
    end = min(today - datetime.timedelta(days=1), datetime.date.fromisoformat(term["endDate"]))
    days = call(url, f"/api/v1/calendar/school-days?from={start}&to={end}", token)["days"] if start <= end else []
    sample = rng.sample(classes, min(12, len(classes)))
    rosters, subjects = {}, {}
    for c in sample:
        rosters[c] = [s["studentId"] for s in call(url, f"/api/v1/classes/{c}/students", token)["items"]]
        tt = call(url, f"/api/v1/classes/{c}/timetable", token)
        subjects[c] = sorted({s["subjectId"] for d in tt["days"] for s in d["slots"]})
    return {"slug": slug, "email": email, "password": password, "token": token, "classes": classes,
            "students": students, "term": term["id"], "days": days, "rosters": rosters, "subjects": subjects}


def raw_request(method, path, token=None, body=None):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    data = b""
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    return (head + "\r\n").encode() + data


def mix_request(kind, s, rng):
    tok = s["token"]
    if kind == "login":
        return raw_request("POST", "/api/v1/auth/login", body={"tenant": s["slug"], "email": s["email"],
                                                               "password": s["password"]})
    if kind == "roster":
        return raw_request("GET", f"/api/v1/classes/{rng.choice(s['classes'])}/students", tok)
    if kind == "timetable":
        return raw_request("GET", f"/api/v1/classes/{rng.choice(s['classes'])}/timetable", tok)
    if kind == "student":
        return raw_request("GET", f"/api/v1/students/{rng.choice(s['students'])}", tok)
    if kind == "gradebook":
        c = rng.choice(sorted(k for k, v in s["subjects"].items() if v))
        subj = rng.choice(s["subjects"][c])
        return raw_request("GET", f"/api/v1/classes/{c}/gradebook?subjectId={subj}&termId={s['term']}", tok)
    c = rng.choice(sorted(k for k, v in s["rosters"].items() if v))
    day = rng.choice(s["days"])
    if kind == "attendance_read":
        return raw_request("GET", f"/api/v1/classes/{c}/attendance/{day}", tok)
    roster = s["rosters"][c]
    marks = [{"studentId": st, "status": rng.choice(["present"] * 8 + ["absent", "late"])}
             for st in rng.sample(roster, min(len(roster), rng.randint(1, 5)))]
    return raw_request("PUT", f"/api/v1/classes/{c}/attendance/{day}", tok, {"marks": marks})


def write_requests(path, records):
    with open(path, "wb") as f:
        for kind, raw in records:
            f.write(f"{kind} {len(raw)}\n".encode() + raw)


def write_mix(url, schools, path, count=20000, seed=7, mix=None):
    """The school mix as bench/load-gen's requests file; also a file of student reads alone (path + '.student')."""
    rng = random.Random(seed)
    data = [school_data(url, *s, rng) for s in schools]
    write_kinds(data, path, mix or MIX, rng, count)
    write_requests(path + ".student", [("student", mix_request("student", rng.choice(data), rng))
                                       for _ in range(count)])
    return data


def refresh_tokens(url, data):
    """New access tokens for every school of data (write_mix's): an access token lives at most 15 minutes."""
    for s in data:
        s["token"] = call(url, "/api/v1/auth/login", body={"tenant": s["slug"], "email": s["email"],
                                                           "password": s["password"]})["accessToken"]


def write_kinds(data, path, mix, rng, count=20000):
    """count requests drawn from mix ({kind: share}) over the schools of data (write_mix's), to path."""
    if not any(s["days"] for s in data):
        mix = {k: v for k, v in mix.items() if not k.startswith("attendance")}  # no past school day this term
    kinds, weights = zip(*sorted(mix.items()))
    records = []
    for _ in range(count):
        s = rng.choice(data)
        kind = rng.choices(kinds, weights)[0]
        if kind.startswith("attendance") and not s["days"]:
            kind = "student"
        records.append((kind, mix_request(kind, s, rng)))
    write_requests(path, records)


def write_peer_requests(path, token, count=20000, seed=7):
    """GET /api/v1/students/{id} on the peer's data (setup.sql: tenant 1, students 1..1200)."""
    rng = random.Random(seed)
    write_requests(path, [("student", raw_request("GET", "/api/v1/students/00000000-0000-0000-0001-%012d"
                                                  % rng.randint(1, 1200), token)) for _ in range(count)])


# -- one open-loop run -------------------------------------------------------------------------

def run_load(port, rate, seconds, connections, requests, timeline=None, drain=10, background=False, stderr=None):
    """bench/load-gen at one rate; its JSON result (or the Popen when background)."""
    argv = [LOADGEN, "--port", str(port), "--rate", str(rate), "--seconds", str(seconds),
            "--connections", str(connections), "--requests", requests, "--drain", str(drain)]
    if timeline:
        argv += ["--timeline", timeline]
    if background:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True)
    r = subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lost = [line for line in r.stderr.splitlines() if "lost" in line]
    if lost:
        log("\n".join(lost))
    out = r.stdout
    return json.loads(out)


def summary(step):
    errs = {k: v for k, v in step["errors"].items() if v}
    return (f"offered {step['offered']:.0f}/s achieved {step['achieved']:.0f}/s p50 {step['p50_ms']:.1f} "
            f"p95 {step['p95_ms']:.1f} p99 {step['p99_ms']:.1f} max {step['max_ms']:.0f} mean {step['mean_ms']:.1f} ms"
            f" errors {step['error_total']} {errs or ''}")


def machine_line():
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return (f"Machine: {os.cpu_count()} cores, {mem / 1048576:.0f} GiB, {os.uname().release}; "
            f"{datetime.date.today().isoformat()}; "
            f"1-minute load average {os.getloadavg()[0]:.1f} as the figures were written (the run's own load included); "
            "the load generator runs on the same cores.")


def replace_section(name, text):
    """Puts text between the markers of section name in bench/RESULTS.md."""
    path = os.path.join(BENCH, "RESULTS.md")
    body = open(path).read()
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in body:
        body = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda m: block, body, flags=re.S)
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(body)
