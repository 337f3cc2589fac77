"""
harness.py - the black-box test harness of school-erp, shared by every suite
under tests/api.

    from harness import Server, ServerTestCase, wait_until

    class TestSomething(ServerTestCase):
        SERVER_ENV = {"ERP_POOL_SIZE": "2"}         # one server per class

        def test_it(self):
            status, headers, body = self.server.get("/healthz")
            res = self.server.post("/api/v1/x", json={...}, token=tok, expect=201)
            other = self.start_server({"ERP_DRAIN_SECONDS": "1"})   # one per test

What it gives:

* Server: runs `school-erp migrate`, then starts `school-erp serve` (ERP_BIN,
  default build/school-erp) on a free port with a temporary data directory and
  env overrides (ERP_* of the caller's environment are dropped, a value of None
  unsets a variable; cheap password hashing by default); collects stdout JSON
  log lines; at stop sends SIGTERM, waits (kills after a timeout), checks the
  exit code and fails on any AddressSanitizer / UBSan / LeakSanitizer report in
  stderr, on a "fatal signal" log line, or on a stdout line that is not JSON.
  The temporary directory is always removed (ERP_TEST_KEEP=1 keeps it).
* Client: a small HTTP/1.1 client returning Response objects that unpack as
  (status, headers, json); optional token, JSON or raw body, extra headers, and
  keep-alive (one connection reused).
* Contract checking: each Server fetches /api/v1/openapi.json once; every
  response a Client receives is checked against it: the path is matched to a
  path template, the operation picked by method, the response by status code
  (a status the operation does not declare is a failure), the media type must
  be declared and a JSON body must validate (Draft 2020-12, $refs resolved over
  the whole document). Unmatched paths must answer 404, a known path with an
  undeclared method 405 with an Allow header listing the document's methods.
  Every response must carry a sane X-Request-Id (the one sent, when it was
  sane); every error with a body must be application/problem+json whose
  status and requestId agree with the response.
* COVERAGE: a Counter of (method, path template, status) over all checked
  responses of the process, for suites that assert coverage.
* Engines: with ERP_TEST_ENGINE=postgres (and ERP_TEST_PG_URL naming a server
  tests may create databases on, as tests/run provides), every Server gets a
  fresh PostgreSQL database instead of an SQLite file, and drops it at stop.
* The test clock: with ERP_TEST_CLOCK (YYYY-MM-DD, noon UTC, or
  YYYY-MM-DDTHH:MM:SSZ) every server with the test routes, and every command
  run with its environment (demo, admin create), starts its wall clock at that
  instant; test_now() is the same clock here (dates.py builds on it).
* wait_until(predicate): polls until the predicate holds; only "not yet" (a
  falsy result, a connection error) keeps it polling, a failed assertion inside
  the predicate fails at once.
* skip_allowed(reason) and known_bug(reason, when): the only skips tests/run
  accepts (a reason why a test may skip on some machine or partial run), and an
  expected failure a server bug causes; tests/run lists both under the stage.
"""

import atexit
import collections
import http.client
import json
import os
import re
import shutil
import signal
import string
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import weakref

from jsonschema import Draft202012Validator, RefResolver

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ERP_BIN = os.environ.get("ERP_BIN") or os.path.join(ROOT, "build", "school-erp")
TOOLS = os.path.join(ROOT, "tests", "tools")

# Timeouts are generous: the suite also runs under ASan on a loaded 2-core machine.
START_TIMEOUT = float(os.environ.get("ERP_TEST_START_TIMEOUT", "60"))
STOP_TIMEOUT = float(os.environ.get("ERP_TEST_STOP_TIMEOUT", "60"))
HTTP_TIMEOUT = float(os.environ.get("ERP_TEST_HTTP_TIMEOUT", "60"))

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
GENERATED_ID_RE = re.compile(r"^[0-9a-f]{32}$")
PROBLEM_TYPE_PREFIX = "urn:school-erp:problem:"
SANITIZER_RE = re.compile(
    r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|AddressSanitizer:DEADLYSIGNAL|"
    r"UndefinedBehaviorSanitizer|ThreadSanitizer|MemorySanitizer|runtime error:)"
)

# (METHOD, template or None when no path matched, status) -> count, over the process.
COVERAGE = collections.Counter()
# Test modules that started a server (for the suite-level coverage check).
RAN_MODULES = set()

_live = weakref.WeakSet()


@atexit.register
def _kill_leftovers():
    for s in list(_live):
        s.kill()
        s._cleanup()


class ContractError(AssertionError):
    """A response that breaks the published contract."""


class ServerError(AssertionError):
    """The server process misbehaved: did not start, crashed, sanitizer report."""


def wait_until(predicate, timeout=30.0, interval=0.02, message="condition"):
    """
    Polls predicate() until it returns a truthy value, which is returned.

    Only "not yet" keeps it polling: a falsy result, or a connection error
    (OSError, http.client.HTTPException) while a server or database comes and
    goes. A check that fails inside the predicate (AssertionError, including
    ContractError and a Client's expect=) fails the test at once: a predicate
    may assert what must hold meanwhile ("503 meanwhile, never another error").
    """
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except (OSError, http.client.HTTPException) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}{extra}")
        time.sleep(interval)


# A skip whose reason starts with this is one the test declared legitimate on some machine or run
# (tests/run counts every other skip as a failure).
ALLOWED_SKIP = "allowed skip: "


def skip_allowed(reason):
    """
    Skips the running test (or class, from setUpClass) for a reason tests/run accepts: only for what
    may legitimately be missing on a machine or in a partial run (a module's coverage check when
    only part of it ran, an IPv6 loopback a container lacks). Every other skip fails the stage.
    """
    raise unittest.SkipTest(ALLOWED_SKIP + reason)


def known_bug(reason, when=True):
    """
    Decorator of a test that fails because of a server bug, while `when` holds (say, on the dates that show
    it): an expected failure, listed by tests/run under its stage. reason says what is wrong; the test asserts
    the documented behaviour. Once the server is fixed the test passes "unexpectedly", which fails the stage:
    the mark goes with the fix.
    """
    def mark(fn):
        fn.known_bug = reason
        return unittest.expectedFailure(fn) if when else fn

    return mark


# ---------------------------------------------------------------- headers, responses


class Headers:
    """Response headers: case-insensitive, keeps repeated fields."""

    def __init__(self, items):
        self._items = [(k, v) for k, v in items]

    def get(self, name, default=None):
        name = name.lower()
        for k, v in self._items:
            if k.lower() == name:
                return v
        return default

    def get_all(self, name):
        name = name.lower()
        return [v for k, v in self._items if k.lower() == name]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self._items)

    def __repr__(self):
        return f"Headers({self._items!r})"


def full_name(person):
    """A person's name as a document shows it ({firstName, lastName}), written out."""
    return f"{person['firstName']} {person['lastName']}"


def media_type(content_type):
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_media(mt):
    return mt == "application/json" or mt.endswith("+json")


class Response:
    """One response. Unpacks as (status, headers, json)."""

    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.media_type = media_type(headers.get("content-type"))
        self.json = None
        self.json_error = None
        if body and is_json_media(self.media_type):
            try:
                self.json = json.loads(body)
            except ValueError as e:
                self.json_error = e

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def request_id(self):
        return self.headers.get("x-request-id")

    def __iter__(self):
        return iter((self.status, self.headers, self.json))

    def __repr__(self):
        snippet = self.text[:300]
        return f"<{self.method} {self.path} -> {self.status} {self.media_type} {snippet!r}>"


# ---------------------------------------------------------------- the OpenAPI contract


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")


def normalize_path(path):
    """The path as the server routes it: no query, unreserved %XX decoded, dot segments removed."""
    path = path.split("?", 1)[0].split("#", 1)[0]

    def dec(m):
        c = chr(int(m.group(1), 16))
        return c if c in _UNRESERVED else m.group(0)

    path = re.sub(r"%([0-9A-Fa-f]{2})", dec, path)
    if not path.startswith("/"):
        return path
    segs = path.split("/")[1:]
    out = []
    for i, s in enumerate(segs):
        last = i == len(segs) - 1
        if s == ".":
            if last:
                out.append("")
        elif s == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(s)
    return "/" + "/".join(out)


class Contract:
    """Checks responses against an OpenAPI 3.1 document."""

    # Answered before a request is routed, so possible for any path and method.
    PRE_ROUTING = (413, 431)

    METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

    def __init__(self, doc):
        self.doc = doc
        self.resolver = RefResolver.from_schema(doc)
        self._validators = {}
        self.templates = []
        for template, item in doc.get("paths", {}).items():
            parts = template.strip("/").split("/") if template != "/" else []
            rx = "".join(
                "/[^/]+" if (p.startswith("{") and p.endswith("}")) else "/" + re.escape(p) for p in parts
            )
            literal = sum(1 for p in parts if not p.startswith("{"))
            self.templates.append((template, re.compile("^" + (rx or "/") + "$"), literal, item))
        self.coverage = collections.Counter()

    def operations(self):
        """[(METHOD, template, operation)] of the document."""
        out = []
        for template, _, _, item in self.templates:
            for m in self.METHODS:
                if m in item:
                    out.append((m.upper(), template, item[m]))
        return out

    def validator(self, schema):
        """A Draft 2020-12 validator of a schema inside the document (cached; formats checked)."""
        key = id(schema)  # schemas of self.doc live as long as the contract
        v = self._validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[key] = v
        return v

    def schema(self, name):
        return self.doc["components"]["schemas"][name]

    def match(self, method, path):
        """(template, path item, operation or None); template None when no path matches."""
        path = normalize_path(path)
        # Method names are case-sensitive: "get" is not GET.
        want = "get" if method == "HEAD" else method.lower() if method.isupper() else None
        found = [t for t in self.templates if t[1].match(path)]
        if not found:
            return None, None, None
        with_method = [t for t in found if want is not None and want in t[3]]
        pick = max(with_method or found, key=lambda t: t[2])
        return pick[0], pick[3], pick[3].get(want) if want is not None else None

    def allowed_methods(self, item):
        ms = {m.upper() for m in self.METHODS if m in item}
        if "GET" in ms:
            ms.add("HEAD")
        return ms

    def validate(self, schema, instance, what):
        errors = sorted(self.validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [
                f"  at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in errors[:8]
            ]
            raise ContractError(f"{what} does not match its schema:\n" + "\n".join(lines))

    @staticmethod
    def _lookup_status(responses, status):
        if str(status) in responses:
            return responses[str(status)]
        xx = f"{status // 100}XX"
        if xx in responses:
            return responses[xx]
        return responses.get("default")

    def check(self, res, sent_request_id=None):
        """Raises ContractError when res breaks the contract; records coverage."""
        where = f"{res.method} {res.path} -> {res.status}"
        problems = []

        # Invariants of every response.
        rid = res.headers.get("x-request-id")
        if rid is None:
            problems.append("no X-Request-Id header")
        elif not REQUEST_ID_RE.match(rid):
            problems.append(f"X-Request-Id {rid!r} is not 1-64 chars of [A-Za-z0-9._:-]")
        elif sent_request_id is not None:
            if REQUEST_ID_RE.match(sent_request_id):
                if rid != sent_request_id:
                    problems.append(f"X-Request-Id {sent_request_id!r} was sent, {rid!r} came back")
            elif not GENERATED_ID_RE.match(rid):
                problems.append(f"insane X-Request-Id sent; expected a generated 32-hex id, got {rid!r}")
        if res.json_error is not None:
            problems.append(f"{res.media_type} body is not JSON: {res.json_error}")
        # the OneRoster binding answers its own errors as OneRoster clients expect (imsx_StatusInfo, RFC 6749)
        oneroster = res.path.startswith("/ims/oneroster/") and res.media_type == "application/json"
        # a page for browsers answers its errors as pages (the document declares text/html for them; checked below)
        page = res.media_type == "text/html"
        if res.status >= 400 and res.body and res.media_type != "application/problem+json" and not oneroster \
                and not page:
            problems.append(f"error response with body of type {res.media_type!r}, not application/problem+json")
        if res.media_type == "application/problem+json" and res.json is not None:
            p = res.json
            if not isinstance(p, dict):
                problems.append("problem document is not an object")
            else:
                if p.get("status") != res.status:
                    problems.append(f"problem status {p.get('status')!r} differs from HTTP status")
                if "requestId" in p and rid is not None and p["requestId"] != rid:
                    problems.append(f"problem requestId {p['requestId']!r} differs from X-Request-Id {rid!r}")
                if not str(p.get("type", "")).startswith(PROBLEM_TYPE_PREFIX):
                    problems.append(f"problem type {p.get('type')!r} does not start with {PROBLEM_TYPE_PREFIX}")
        if problems:
            raise ContractError(f"{where}: " + "; ".join(problems) + f"\nbody: {res.text[:500]}")

        template, item, op = self.match(res.method, res.path)
        method = res.method
        COVERAGE[(method, template, res.status)] += 1
        self.coverage[(method, template, res.status)] += 1
        problem_schema = self.doc.get("components", {}).get("schemas", {}).get("Problem")

        if op is None:
            # No operation: the only answers are 404 (no such path) and 405 (no such method).
            expected = 404 if template is None else 405
            if res.status in self.PRE_ROUTING:
                expected = res.status
            if res.status != expected:
                what = "no path template matches" if template is None else f"{template} has no {method} operation"
                raise ContractError(f"{where}: {what}, so the answer must be {expected}\nbody: {res.text[:500]}")
            if expected == 405:
                allow = res.headers.get("allow")
                if allow is None:
                    raise ContractError(f"{where}: 405 without an Allow header")
                got = {m.strip() for m in allow.split(",") if m.strip()}
                want = self.allowed_methods(item)
                if got != want:
                    raise ContractError(f"{where}: Allow {allow!r}; the document has {sorted(want)}")
            if method != "HEAD":
                if res.media_type != "application/problem+json" or res.json is None:
                    raise ContractError(f"{where}: expected a problem+json body, got {res.media_type!r}")
                if problem_schema is not None:
                    self.validate(problem_schema, res.json, f"{where}: problem")
            return template, None

        declared = self._lookup_status(op.get("responses", {}), res.status)
        if declared is None:
            raise ContractError(
                f"{where}: status {res.status} is not declared for {method} {template} "
                f"(declared: {sorted(op.get('responses', {}))})\nbody: {res.text[:500]}"
            )
        if "$ref" in declared:
            declared = self.resolver.resolve(declared["$ref"])[1]
        if res.headers.get("etag") is not None and res.status != 304 and "ETag" not in (declared.get("headers") or {}):
            raise ContractError(f"{where}: an ETag header the document does not declare for this response")
        content = declared.get("content") or {}
        if method == "HEAD" or res.status in (204, 304):
            if res.body:
                raise ContractError(f"{where}: a body where none may be")
            return template, op
        if not content:
            if res.body:
                raise ContractError(f"{where}: the document declares no body, got {res.media_type!r}")
            return template, op
        if not res.body:
            raise ContractError(f"{where}: empty body; the document declares {sorted(content)}")
        if res.media_type not in content:
            raise ContractError(f"{where}: content type {res.media_type!r} is not declared ({sorted(content)})")
        schema = content[res.media_type].get("schema")
        if schema is not None:
            if is_json_media(res.media_type):
                self.validate(schema, res.json, f"{where}: body")
            elif res.media_type.startswith("text/"):
                self.validate(schema, res.text, f"{where}: body")
        return template, op


# ---------------------------------------------------------------- client

_NOTSET = object()


class Client:
    """HTTP/1.1 client of one server. keep_alive=True reuses one connection."""

    def __init__(self, server, token=None, keep_alive=False, timeout=None, contract=True):
        self.server = server
        self.token = token
        self.keep_alive = keep_alive
        self.timeout = timeout or HTTP_TIMEOUT
        self.contract = contract
        self.conn = None

    def _connection(self):
        if self.keep_alive and self.conn is not None:
            return self.conn
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=self.timeout)
        if self.keep_alive:
            self.conn = conn
        return conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(
        self,
        method,
        path,
        json=_NOTSET,
        body=None,
        headers=None,
        token=_NOTSET,
        content_type=_NOTSET,
        contract=None,
        expect=None,
    ):
        """
        Sends one request; returns a Response (unpacks as status, headers, json).
        json=obj sends it as application/json; body= sends bytes/str as they are.
        headers: dict or list of (name, value) pairs (repeats allowed).
        content_type=None sends no Content-Type even with a JSON body.
        expect=STATUS fails the test unless the status is that.
        """
        hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        tok = self.token if token is _NOTSET else token
        if tok:
            hdrs.append(("Authorization", f"Bearer {tok}"))
        if json is not _NOTSET:
            body = _json_dumps(json)
            if content_type is _NOTSET:
                content_type = "application/json"
        if content_type is not _NOTSET and content_type is not None:
            hdrs.append(("Content-Type", content_type))
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is None and method.upper() in ("POST", "PUT", "PATCH"):
            body = b""
        if body is not None:
            hdrs.append(("Content-Length", str(len(body))))

        conn = self._connection()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdrs:
                conn.putheader(k, v)
            try:
                conn.endheaders(body if body else None)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (413) and close before reading the whole body;
                # its response is still there to read.
                pass
            r = conn.getresponse()
            data = r.read()
            res = Response(method, path, r.status, r.reason, Headers(r.getheaders()), data)
        except Exception:
            conn.close()
            if conn is self.conn:
                self.conn = None
            raise
        finally:
            if not self.keep_alive:
                conn.close()

        check = self.contract if contract is None else contract
        if check and self.server.contract is not None:
            sent = [v for k, v in hdrs if k.lower() == "x-request-id"]
            self.server.contract.check(res, sent[0] if len(sent) == 1 else None)
        if expect is not None and res.status != expect:
            raise AssertionError(f"expected {expect}, got {res!r}")
        return res

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def _json_dumps(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- raw HTTP


def read_raw_response(sock, buf=b""):
    """
    Reads one HTTP/1.1 response (Content-Length bodies) from sock.
    Returns ((status, Headers, body), rest) or (None, buf) at EOF before a full response.
    """
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = Headers([tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:] if ":" in ln])
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, head + b"\r\n\r\n" + buf
        buf += chunk
    return (status, headers, buf[:length]), buf[length:]


def recv_until_closed(sock, timeout=HTTP_TIMEOUT):
    """Reads until the peer closes; returns the bytes (raises socket.timeout if it never does)."""
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


# ---------------------------------------------------------------- metrics text

_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """Parsed Prometheus text exposition."""

    def __init__(self, text):
        self.text = text
        self.types = {}
        self.helps = {}
        self.samples = []
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, typ = line.split(" ", 3)
                self.types[name] = typ
            elif line.startswith("# HELP "):
                parts = line.split(" ", 3)
                self.helps[parts[2]] = parts[3] if len(parts) > 3 else ""
            elif line and not line.startswith("#"):
                m = _SAMPLE_RE.match(line)
                if not m:
                    raise AssertionError(f"unparsable metrics line: {line!r}")
                labels = dict(_LABEL_RE.findall(m.group(3) or ""))
                self.samples.append((m.group(1), labels, float(m.group(4))))

    def find(self, name, **labels):
        return [(lab, v) for n, lab, v in self.samples if n == name and all(lab.get(k) == w for k, w in labels.items())]

    def value(self, name, **labels):
        """The sum of the matching samples, or None when there is none."""
        found = self.find(name, **labels)
        return sum(v for _, v in found) if found else None


# ---------------------------------------------------------------- server


class Server:
    """One `school-erp` process. Use as a context manager or call start()/stop()."""

    def __init__(self, env=None, args=("serve",), contract=True, test_routes=True, expect_exit=0, binary=None,
                 migrate=True):
        self.binary = binary or ERP_BIN
        self.migrate = migrate
        self.args = list(args)
        self.env_overrides = dict(env or {})
        self.want_contract = contract
        self.test_routes = test_routes
        self.expect_exit = expect_exit
        self.proc = None
        self.tmp = None
        self.data_dir = None
        self.url = None
        self.host = None
        self.port = None
        self.pid = None
        self.contract = None
        self.openapi = None
        self.lines = []  # raw stdout lines
        self.logs = []  # parsed stdout lines (dicts)
        self.bad_lines = []  # stdout lines that are not JSON objects
        self._cond = threading.Condition()
        self._reader = None
        self._stderr_file = None
        self.returncode = None
        self._client = None
        self.stopped = False
        self.signalled = False
        self.pg_db = None  # the database made for this server (ERP_TEST_ENGINE=postgres)
        self.shard_dbs = []  # (name, url, database) of its shards (ERP_TEST_SHARD_PG_URLS)

    # -- lifecycle

    def environment(self):
        env = clean_env()
        env.update(
            {
                "ERP_LISTEN": "127.0.0.1:0",
                "ERP_DATA_DIR": self.data_dir,
                "ERP_DRAIN_SECONDS": "10",
                "ERP_CLIENT_TIMEOUT_SECONDS": "30",
                # the cheapest password hashing the server accepts: logins stay fast under ASan
                "ERP_PASSWORD_HASH_MEMORY_KIB": "8192",
                "ERP_PASSWORD_HASH_PASSES": "1",
            }
        )
        if self.test_routes:
            env["ERP_ENABLE_TEST_ROUTES"] = "1"
            if TEST_CLOCK:
                env["ERP_TEST_CLOCK"] = TEST_CLOCK
        if self.pg_db is not None:
            env["ERP_DATABASE_URL"] = pg_url(self.pg_db)
            env["ERP_JWT_SECRET"] = "test-secret-for-the-black-box-suite-0123456789"
        if self.shard_dbs:
            env["ERP_SHARDS"] = ";".join(f"{name}={shard_url(url, db)}" for name, url, db in self.shard_dbs)
            env["ERP_SHARD_PLACEMENT"] = SHARD_PLACEMENT
            _SHARDS_OF_CATALOG[env["ERP_DATABASE_URL"]] = env["ERP_SHARDS"]
        elif self.env_overrides.get("ERP_DATABASE_URL") in _SHARDS_OF_CATALOG:
            # another server on a sharded server's catalog: the same shards
            env["ERP_SHARDS"] = _SHARDS_OF_CATALOG[self.env_overrides["ERP_DATABASE_URL"]]
            env["ERP_SHARD_PLACEMENT"] = SHARD_PLACEMENT
        for k, v in self.env_overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return _without_a_refused_clock(env)

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise ServerError(f"no executable at {self.binary} (set ERP_BIN or run make build)")
        self.tmp = tempfile.mkdtemp(prefix="erp-api-")
        self.data_dir = os.path.join(self.tmp, "data")
        os.mkdir(self.data_dir)
        self._stderr_file = open(os.path.join(self.tmp, "stderr.log"), "w+b")
        try:
            if ENGINE == "postgres" and "ERP_DATABASE_URL" not in self.env_overrides:
                self.pg_db = pg_create_database()
                if SHARD_PG_URLS and "ERP_SHARDS" not in self.env_overrides:
                    self.shard_dbs = [(f"s{i + 2}", url, self.pg_db) for i, url in enumerate(SHARD_PG_URLS)]
                    for _, url, db in self.shard_dbs:
                        _psql(f'DROP DATABASE IF EXISTS "{db}"', url)
                        _psql(f'CREATE DATABASE "{db}"', url)
            if self.migrate and self.args[:1] == ["serve"]:
                migrate(self.binary, self.environment())
            self.proc = subprocess.Popen(
                [self.binary] + self.args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr_file,
                env=self.environment(),
                cwd=self.tmp,
            )
            _live.add(self)
            self._reader = threading.Thread(target=self._read_stdout, daemon=True)
            self._reader.start()
            first = self.wait_log(lambda e: e.get("msg") == "listening", timeout=START_TIMEOUT, check_alive=True)
            self.url = first["url"]
            hostport = self.url.split("://", 1)[1]
            self.host, port = hostport.rsplit(":", 1)
            self.host = self.host.strip("[]")
            self.port = int(port)
            self.pid = first.get("pid")
            if self.want_contract:
                self._load_contract()
        except BaseException:
            self.kill()
            self._cleanup()
            raise
        return self

    def _load_contract(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request("GET", "/api/v1/openapi.json")
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise ServerError(f"GET /api/v1/openapi.json answered {r.status}: {data[:300]!r}")
            self.openapi = json.loads(data)
            headers = Headers(r.getheaders())
        finally:
            conn.close()
        self.contract = Contract(self.openapi)
        self.contract.check(Response("GET", "/api/v1/openapi.json", r.status, r.reason, headers, data))

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                entry = json.loads(line)
                ok = isinstance(entry, dict)
            except ValueError:
                ok = False
            with self._cond:
                self.lines.append(line)
                if ok:
                    self.logs.append(entry)
                else:
                    self.bad_lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        if self._stderr_file is None:
            return ""
        try:
            self._stderr_file.flush()
            with open(self._stderr_file.name, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def describe(self, lines=25):
        out = "\n".join(self.lines[-lines:])
        err = self.stderr_text()[-4000:]
        return f"--- stdout (last {lines} lines) ---\n{out}\n--- stderr ---\n{err}"

    def send_signal(self, sig=signal.SIGTERM):
        if sig in (signal.SIGTERM, signal.SIGINT):
            self.signalled = True
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; returns its code (kills it and fails after timeout)."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"server did not exit within {timeout:.0f} s\n{self.describe()}")
        if self._reader is not None:
            self._reader.join(timeout=10)
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        _live.discard(self)

    def check_health(self):
        """Fails on sanitizer reports, crash log lines, or stdout lines that are not JSON."""
        err = self.stderr_text()
        if SANITIZER_RE.search(err):
            raise ServerError(f"sanitizer report in stderr of {self.binary}:\n{err[-8000:]}")
        crashes = [e for e in self.logs if e.get("msg") == "fatal signal" or e.get("level") == "fatal"]
        if crashes:
            raise ServerError(f"the server logged a crash: {crashes}\n{self.describe()}")
        if self.bad_lines:
            raise ServerError(f"stdout lines that are not JSON objects: {self.bad_lines[:5]}")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT, expect_exit=_NOTSET):
        """
        Stops the server (if still running) and checks how it went. Returns the exit code.
        Always removes the temporary directory.
        """
        if self.stopped:
            return self.returncode
        self.stopped = True
        want = self.expect_exit if expect_exit is _NOTSET else expect_exit
        try:
            if self._client is not None:
                self._client.close()
            if self.proc is None:
                return None
            if self.proc.poll() is None and not self.signalled:
                # (a test that already signalled it gets no second signal, which would cut its drain short)
                self.send_signal(sig)
            code = self.wait_exit(timeout)
            self.check_health()
            if want is not None and code != want:
                raise ServerError(f"server exited with {code}, expected {want}\n{self.describe()}")
            return code
        finally:
            self.kill()
            self._cleanup()

    def _cleanup(self):
        if self._stderr_file is not None:
            try:
                self._stderr_file.close()
            except OSError:
                pass
        if self.proc is not None and self.proc.stdout is not None:
            try:
                self.proc.stdout.close()
            except OSError:
                pass
        if self.tmp and os.environ.get("ERP_TEST_KEEP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.pg_db is not None and os.environ.get("ERP_TEST_KEEP") != "1":
            pg_drop_database(self.pg_db)
            self.pg_db = None
            for _, url, db in self.shard_dbs:
                pg_drop_database(db, url)
            self.shard_dbs = []

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not self.stopped:
            # The test failed: still look for a sanitizer report, but do not wait long.
            try:
                self.stop(timeout=15, expect_exit=None)
            except ServerError as e:
                raise e from exc
            return False
        self.stop()
        return False

    # -- logs

    def wait_log(self, predicate, timeout=30.0, after=0, check_alive=False):
        """Waits for a parsed stdout line (index >= after) for which predicate holds; returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = after
            while True:
                while i < len(self.logs):
                    if predicate(self.logs[i]):
                        return self.logs[i]
                    i += 1
                if check_alive and self.proc.poll() is not None and not self._reader.is_alive():
                    raise ServerError(f"server exited with {self.proc.returncode} before logging it\n{self.describe()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such log line within {timeout:.0f} s\n{self.describe()}")
                self._cond.wait(min(left, 0.2))

    def log_entries(self, **fields):
        with self._cond:
            return [e for e in self.logs if all(e.get(k) == v for k, v in fields.items())]

    def access_log(self, request_id, timeout=30.0):
        """The access log line of a request (the loop writes it after the response)."""
        return self.wait_log(lambda e: e.get("msg") == "request" and e.get("requestId") == request_id, timeout)

    # -- requests

    def client(self, **kw):
        return Client(self, **kw)

    @property
    def http(self):
        if self._client is None:
            self._client = Client(self)
        return self._client

    def request(self, method, path, **kw):
        return self.http.request(method, path, **kw)

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def head(self, path, **kw):
        return self.http.head(path, **kw)

    def post(self, path, **kw):
        return self.http.post(path, **kw)

    def put(self, path, **kw):
        return self.http.put(path, **kw)

    def patch(self, path, **kw):
        return self.http.patch(path, **kw)

    def delete(self, path, **kw):
        return self.http.delete(path, **kw)

    def check_raw(self, method, path, raw, sent_request_id=None):
        """Contract-checks a (status, Headers, body) read with read_raw_response; returns a Response."""
        self.assert_raw(raw)
        status, headers, body = raw
        res = Response(method, path, status, "", headers, body)
        if self.contract is not None:
            self.contract.check(res, sent_request_id)
        return res

    @staticmethod
    def assert_raw(raw):
        if raw is None:
            raise AssertionError("the connection closed before a whole response came")

    def metrics(self):
        res = self.get("/metrics", expect=200)
        return Metrics(res.text)

    def connect(self, timeout=HTTP_TIMEOUT):
        """A raw TCP connection to the server."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


# ---------------------------------------------------------------- test case base


class ServerTestCase(unittest.TestCase):
    """
    Base class: one server per class (SERVER_ENV overrides; CLASS_SERVER = False
    for none) plus start_server() for a server of one test.
    """

    SERVER_ENV = {}
    CLASS_SERVER = True

    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        RAN_MODULES.add(cls.__module__)
        cls.server = None
        if cls.CLASS_SERVER:
            cls.server = Server(env=cls.SERVER_ENV).start()

    @classmethod
    def tearDownClass(cls):
        s, cls.server = cls.server, None
        try:
            if s is not None:
                s.stop()
        finally:
            super().tearDownClass()

    def start_server(self, env=None, **kw):
        """Starts a server for this test only; stopped (and checked) at cleanup."""
        RAN_MODULES.add(type(self).__module__)
        s = Server(env=env, **kw).start()
        self.addCleanup(s.stop)
        return s

    def assertProblem(self, res, status, type_suffix=None, fields=None):
        """res is a problem+json response with this status (and type, and error fields)."""
        self.assertEqual(res.status, status, repr(res))
        self.assertEqual(res.media_type, "application/problem+json", repr(res))
        p = res.json
        self.assertIsInstance(p, dict, repr(res))
        self.assertEqual(p.get("status"), status)
        self.assertIsInstance(p.get("title"), str)
        self.assertTrue(p.get("title"))
        self.assertEqual(p.get("requestId"), res.request_id)
        if type_suffix is not None:
            self.assertEqual(p.get("type"), PROBLEM_TYPE_PREFIX + type_suffix)
        if fields is not None:
            got = [e["field"] for e in p.get("errors", [])]
            self.assertEqual(sorted(got), sorted(fields), repr(res))
        return p


def node_available():
    return shutil.which("node") is not None and os.path.isdir(os.path.join(TOOLS, "node_modules"))


def run(cmd, env=None, timeout=60, input=None):
    """Runs a command; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run(cmd, env=env, timeout=timeout, input=input, capture_output=True, text=True)


def clean_env(**overrides):
    """
    os.environ without the server's ERP_* variables (ERP_TEST_* stay), plus overrides; ERP_TEST_CLOCK only
    with ERP_ENABLE_TEST_ROUTES=1 (a server or command without the test routes refuses a test clock).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_") or k.startswith("ERP_TEST_")}
    env.update({k: str(v) for k, v in overrides.items()})
    return _without_a_refused_clock(env)


def _without_a_refused_clock(env):
    if env.get("ERP_ENABLE_TEST_ROUTES") not in ("1", "on", "true"):
        env.pop("ERP_TEST_CLOCK", None)
    return env


# The test clock: with ERP_TEST_CLOCK set (YYYY-MM-DD for noon UTC, or YYYY-MM-DDTHH:MM:SSZ), every server
# with the test routes (and every command run with its environment) starts its wall clock at that
# instant; test_now() is the same clock on this side.
TEST_CLOCK = os.environ.get("ERP_TEST_CLOCK", "")
_clock_origin = time.monotonic()


def test_now():
    """
    The servers' "now" as an aware UTC datetime: the test clock when one is set, else the real time.
    With a test clock, each process starts its clock at that instant when it starts, and this one when the
    harness was imported: they differ by the seconds (minutes, over a whole run) in between. Good for dates;
    a test that needs a server's own second asks the server (the iat of a token it just issued).
    """
    import datetime

    if not TEST_CLOCK:
        return datetime.datetime.now(datetime.timezone.utc)
    if len(TEST_CLOCK) == 10:
        start = datetime.datetime.fromisoformat(TEST_CLOCK + "T12:00:00+00:00")
    else:
        start = datetime.datetime.fromisoformat(TEST_CLOCK.replace("Z", "+00:00"))
    return start + datetime.timedelta(seconds=time.monotonic() - _clock_origin)


ENGINE = os.environ.get("ERP_TEST_ENGINE", "sqlite")
PG_URL = os.environ.get("ERP_TEST_PG_URL", "")
_db_counter = [0]


def pg_url(db):
    """URL of a database on the test PostgreSQL server."""
    return PG_URL.rsplit("/", 1)[0] + "/" + db


# Sharding (tests/run's shard-pg stage): ERP_TEST_SHARD_PG_URLS names further PostgreSQL servers, comma-separated;
# every Server then gets a database on each, named in ERP_SHARDS as s2, s3, …, and new schools are placed on
# ERP_TEST_SHARD_PLACEMENT (s2 by default), so every suite runs with its schools off the catalog's cluster.
SHARD_PG_URLS = [u for u in os.environ.get("ERP_TEST_SHARD_PG_URLS", "").split(",") if u]
SHARD_PLACEMENT = os.environ.get("ERP_TEST_SHARD_PLACEMENT", "s2")
_SHARDS_OF_CATALOG = {}  # catalog URL -> ERP_SHARDS of the server that made it


def shard_url(server_url, db):
    """URL of database db on another PostgreSQL server (a URL of any database there)."""
    return server_url.rsplit("/", 1)[0] + "/" + db


def _psql(sql, server_url=None):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", server_url or PG_URL, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise ServerError(f"psql failed: {sql}: {r.stderr}")


def pg_create_database():
    """A new empty database on the test PostgreSQL server; returns its name."""
    if not PG_URL:
        raise ServerError("ERP_TEST_ENGINE=postgres needs ERP_TEST_PG_URL (tests/run sets both)")
    _db_counter[0] += 1
    name = f"api_{os.getpid()}_{_db_counter[0]}"
    _psql(f'DROP DATABASE IF EXISTS "{name}"')
    _psql(f'CREATE DATABASE "{name}"')
    return name


def pg_drop_database(name, server_url=None):
    try:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', server_url)
    except (ServerError, subprocess.TimeoutExpired):
        pass


def db_rows(server, sql):
    """
    Rows of a read-only query on the server's database (the test oracle), as tuples of text. With shards
    (ERP_TEST_SHARD_PG_URLS), first the database of the shard new schools are placed on (the tests' schools'
    rows), then, when it has none, the catalog's (the demo school, the platform, the SQL job queue's table).
    """
    if server.pg_db is not None:
        urls = [pg_url(server.pg_db)]
        for name, server_url, db in server.shard_dbs:
            if name == SHARD_PLACEMENT and server.env_overrides.get("ERP_SHARD_PLACEMENT", name) is not None:
                urls.insert(0, shard_url(server_url, db))
        for url in urls:
            r = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url,
                                "-c", sql], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise AssertionError(f"psql: {r.stderr}")
            rows = [tuple(line.split("\t")) for line in r.stdout.splitlines() if line]
            if rows:
                break
        return rows
    con = sqlite3.connect(f"file:{os.path.join(server.data_dir, 'erp.db')}?mode=ro", uri=True)
    try:
        return [tuple(str(c) for c in row) for row in con.execute(sql).fetchall()]
    finally:
        con.close()


def migrate(binary, env, timeout=120):
    """Runs `school-erp migrate` with env (a fresh ERP_DATA_DIR or ERP_DATABASE_URL); fails loudly."""
    r = subprocess.run([binary, "migrate"], env=env, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0 or SANITIZER_RE.search(r.stderr):
        raise ServerError(f"school-erp migrate failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return r


__all__ = [
    "ENGINE",
    "TEST_CLOCK",
    "test_now",
    "pg_url",
    "COVERAGE",
    "Client",
    "Contract",
    "ContractError",
    "ERP_BIN",
    "Headers",
    "Metrics",
    "RAN_MODULES",
    "Response",
    "ROOT",
    "Server",
    "ServerError",
    "ServerTestCase",
    "TOOLS",
    "clean_env",
    "db_rows",
    "migrate",
    "read_raw_response",
    "recv_until_closed",
    "run",
    "wait_until",
    "ALLOWED_SKIP",
    "known_bug",
    "skip_allowed",
]

if __name__ == "__main__":
    sys.exit("harness.py is a library; run the suites with: python3 -m unittest discover -s tests/api")
