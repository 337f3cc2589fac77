"""
How the server serves the web app (src/web/assets.h, scripts/web-build), over real HTTP:

* / and /index.html: the document, Cache-Control: no-cache, an ETag (304 for it), a strict
  Content-Security-Policy (scripts and styles from this origin only, nothing inline), no framing;
* /assets/<name>.<hash>.<ext>: the files the document names, with their media types and
  Cache-Control: public, max-age=31536000, immutable; brotli for a client that takes br, else
  gzip'd for one that takes gzip (the same bytes once decompressed: brotli checked by Node's zlib),
  Vary: Accept-Encoding;
* anything else — an unknown or unhashed asset name, another method, a path outside the
  app — is the API's 404 problem, and the API's own routes are untouched;
* ERP_WEB_DIR="" (or a directory without the app) serves the API alone;
* ERP_PUBLIC_URL's origin is a CORS origin of the API (the app served from a CDN).
"""

import gzip
import os
import re
import subprocess
import sys
import tempfile

from harness import ServerTestCase

HASHED = re.compile(r"^/assets/[a-z0-9_-]+\.[0-9a-f]{10}\.(js|css)$")


def brotli_decompress(data):
    """Decodes brotli with Node's zlib (Python's standard library has no brotli)."""
    r = subprocess.run(["node", "-e", "process.stdout.write(require('zlib').brotliDecompressSync("
                        "require('fs').readFileSync(0)))"], input=data, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("not brotli: " + r.stderr.decode(errors="replace")[-500:])
    return r.stdout


class TestWebApp(ServerTestCase):
    def get(self, path, **kw):
        return self.server.client(contract=False).get(path, **kw)

    def index(self):
        res = self.get("/")
        self.assertEqual(res.status, 200, res)
        return res

    def asset_paths(self):
        refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', self.index().text)
        self.assertTrue(refs, "the document names its files")
        return refs

    def test_document_is_revalidated_and_locked_down(self):
        res = self.index()
        h = res.headers
        self.assertEqual(h.get("content-type"), "text/html; charset=utf-8")
        self.assertEqual(h.get("cache-control"), "no-cache")
        self.assertEqual(h.get("x-content-type-options"), "nosniff")
        self.assertEqual(h.get("x-frame-options"), "DENY")
        csp = dict(d.strip().split(" ", 1) for d in h.get("content-security-policy").split(";"))
        self.assertEqual(csp["default-src"], "'none'")
        self.assertEqual(csp["script-src"], "'self'")
        self.assertEqual(csp["style-src"], "'self'")
        self.assertEqual(csp["frame-ancestors"], "'none'")
        self.assertNotIn("unsafe", h.get("content-security-policy"))
        self.assertEqual(self.get("/index.html").body, res.body)

    def test_document_has_nothing_inline(self):
        text = self.index().text
        self.assertFalse(re.search(r"<script(?![^>]*\bsrc=)", text), "an inline script")
        self.assertNotIn("<style", text)
        self.assertFalse(re.search(r"\sstyle=", text), "an inline style")
        self.assertFalse(re.search(r"\son[a-z]+=", text), "an inline event handler")

    def test_document_etag_answers_304(self):
        etag = self.index().headers.get("etag")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        res = self.get("/", headers={"If-None-Match": etag})
        self.assertEqual(res.status, 304, res)
        self.assertEqual(res.body, b"")
        self.assertEqual(self.get("/", headers={"If-None-Match": '"0000000000000000"'}).status, 200)

    def test_hashed_files_are_immutable(self):
        types = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
        for path in self.asset_paths():
            with self.subTest(path=path):
                self.assertRegex(path, HASHED)
                res = self.get(path)
                self.assertEqual(res.status, 200, res)
                self.assertEqual(res.headers.get("cache-control"), "public, max-age=31536000, immutable")
                self.assertEqual(res.headers.get("content-type"), types[path.rsplit(".", 1)[1]])
                self.assertIsNone(res.headers.get("content-encoding"))
                self.assertIsNone(res.headers.get("content-security-policy"))

    def test_gzip_for_clients_that_take_it(self):
        for path in ["/"] + self.asset_paths():
            with self.subTest(path=path):
                plain = self.get(path)
                packed = self.get(path, headers={"Accept-Encoding": "gzip, deflate"})
                self.assertEqual(packed.headers.get("content-encoding"), "gzip")
                self.assertIn("Accept-Encoding", packed.headers.get("vary"))
                self.assertIn("Accept-Encoding", plain.headers.get("vary"))
                self.assertEqual(gzip.decompress(packed.body), plain.body)
                self.assertLess(len(packed.body), len(plain.body))
                refused = self.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
                self.assertIsNone(refused.headers.get("content-encoding"))
                self.assertEqual(refused.body, plain.body)

    def test_brotli_for_clients_that_take_it(self):
        plain_total = br_total = 0
        for path in ["/"] + self.asset_paths():
            with self.subTest(path=path):
                plain = self.get(path)
                packed = self.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
                self.assertEqual(packed.headers.get("content-encoding"), "br")
                self.assertIn("Accept-Encoding", packed.headers.get("vary"))
                self.assertEqual(packed.headers.get("etag"), plain.headers.get("etag"))
                self.assertEqual(brotli_decompress(packed.body), plain.body)
                self.assertLess(len(packed.body), len(self.get(path, headers={"Accept-Encoding": "gzip"}).body),
                                "brotli is smaller than gzip here")
                refused = self.get(path, headers={"Accept-Encoding": "br;q=0, gzip"})
                self.assertEqual(refused.headers.get("content-encoding"), "gzip")
                plain_total += len(plain.body)
                br_total += len(packed.body)
        print(f"\nthe app: {plain_total} bytes, {br_total} with brotli", file=sys.stderr)

    def test_modules_import_hashed_names_only(self):
        for path in self.asset_paths():
            if path.endswith(".js"):
                text = self.get(path).text
                for spec in re.findall(r"""from\s*["']([^"']+)["']""", text):
                    self.assertRegex("/assets/" + spec[2:], HASHED, f"{path} imports {spec}")

    def test_unknown_files_are_404(self):
        unhashed = re.sub(r"\.[0-9a-f]{10}\.", ".", self.asset_paths()[0])
        for path in ["/assets/nope.js", unhashed, "/assets/", "/assets", "/favicon.ico", "/index.htm",
                     "/assets/../index.html.gz", "/index.html.gz", "/web/index.html"]:
            with self.subTest(path=path):
                self.assertProblem(self.server.get(path), 404, "not-found")

    def test_other_methods_are_404(self):
        for method in ["POST", "PUT", "DELETE"]:
            with self.subTest(method=method):
                self.assertProblem(self.server.client().request(method, "/", body=b""), 404, "not-found")

    def test_head_has_no_body(self):
        res = self.server.client(contract=False).head("/")
        self.assertEqual(res.status, 200)
        self.assertEqual(res.body, b"")
        self.assertEqual(res.headers.get("cache-control"), "no-cache")

    def test_api_is_untouched(self):
        res = self.server.get("/api/v1/version", expect=200)
        self.assertEqual(res.headers.get("cache-control"), "no-store")
        self.assertEqual(res.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'")
        self.assertProblem(self.server.get("/api/v1/nope"), 404, "not-found")


class TestWebAppOff(ServerTestCase):
    def test_empty_web_dir_serves_the_api_alone(self):
        s = self.start_server({"ERP_WEB_DIR": ""})
        self.assertProblem(s.get("/"), 404, "not-found")
        s.get("/api/v1/version", expect=200)

    def test_a_directory_without_the_app_is_logged(self):
        with tempfile.TemporaryDirectory() as empty_dir:
            s = self.start_server({"ERP_WEB_DIR": empty_dir})
            self.assertProblem(s.get("/"), 404, "not-found")
            s.wait_log(lambda e: e.get("msg") == "web app not served" and empty_dir in e.get("detail", ""))

    def test_another_build_directory(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "assets"))
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write("<!doctype html><title>x</title>")
            with open(os.path.join(d, "assets", "a.0123456789.css"), "w") as f:
                f.write("body{}")
            s = self.start_server({"ERP_WEB_DIR": d})
            res = s.client(contract=False).get("/")
            self.assertEqual(res.body, b"<!doctype html><title>x</title>")
            self.assertIsNone(res.headers.get("content-encoding"), "no gzip twin: the plain bytes")
            css = s.client(contract=False).get("/assets/a.0123456789.css", headers={"Accept-Encoding": "gzip"})
            self.assertEqual(css.body, b"body{}")
            self.assertEqual(css.headers.get("content-type"), "text/css; charset=utf-8")


class TestPublicUrl(ServerTestCase):
    SERVER_ENV = {"ERP_PUBLIC_URL": "https://cdn.school.example/erp/", "ERP_CORS_ORIGINS": "https://other.example"}

    def test_public_origin_may_call_the_api(self):
        res = self.server.get("/api/v1/version", headers={"Origin": "https://cdn.school.example"}, expect=200)
        self.assertEqual(res.headers.get("access-control-allow-origin"), "https://cdn.school.example")
        res = self.server.get("/api/v1/version", headers={"Origin": "https://other.example"}, expect=200)
        self.assertEqual(res.headers.get("access-control-allow-origin"), "https://other.example")
        res = self.server.get("/api/v1/version", headers={"Origin": "https://cdn.school.example.evil"}, expect=200)
        self.assertIsNone(res.headers.get("access-control-allow-origin"))

    def test_public_origin_preflight(self):
        res = self.server.client(contract=False).request("OPTIONS", "/api/v1/students", headers={
            "Origin": "https://cdn.school.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(res.status, 204, res)
        self.assertEqual(res.headers.get("access-control-allow-origin"), "https://cdn.school.example")

    def test_listed_origin_is_not_doubled(self):
        s = self.start_server({"ERP_PUBLIC_URL": "https://other.example", "ERP_CORS_ORIGINS": "https://other.example"})
        res = s.get("/api/v1/version", headers={"Origin": "https://other.example"}, expect=200)
        self.assertEqual(res.headers.get_all("access-control-allow-origin"), ["https://other.example"])
