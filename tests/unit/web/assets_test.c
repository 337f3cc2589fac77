/* Tests of src/web/assets.c: Accept-Encoding's gzip and br, brotli twins, the URL paths of the app's files, loading a built directory. */
#include "../unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web/assets.h"

static void gzip_is_accepted_as_a_token(void **state)
{
    (void)state;
    assert_true(web_accepts_gzip("gzip"));
    assert_true(web_accepts_gzip("br, gzip, deflate"));
    assert_true(web_accepts_gzip("deflate,gzip;q=0.5"));
    assert_true(web_accepts_gzip("gzip; q=1"));
    assert_true(web_accepts_gzip("gzip;q=0.01"));
    assert_false(web_accepts_gzip(NULL));
    assert_false(web_accepts_gzip(""));
    assert_false(web_accepts_gzip("br"));
    assert_false(web_accepts_gzip("x-gzip2"));
    assert_false(web_accepts_gzip("gzipper"));
    assert_false(web_accepts_gzip("gzip;q=0"));
    assert_false(web_accepts_gzip("gzip; q=0.000, br"));
}

static void br_is_accepted_as_a_token(void **state)
{
    (void)state;
    assert_true(web_accepts_br("br"));
    assert_true(web_accepts_br("gzip, deflate, br"));
    assert_true(web_accepts_br("br;q=0.5, gzip"));
    assert_false(web_accepts_br(NULL));
    assert_false(web_accepts_br("gzip, deflate"));
    assert_false(web_accepts_br("brotli"));
    assert_false(web_accepts_br("x-br"));
    assert_false(web_accepts_br("br;q=0, gzip"));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void a_built_directory_is_served_by_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/erp-web-unit.XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    char err[256] = "";
    assert_null(web_assets_load(dir, err, sizeof(err))); /* no index.html: not an app */
    assert_non_null(strstr(err, "index.html"));
    snprintf(path, sizeof(path), "%s/index.html", dir);
    write_file(path, "<!doctype html>");
    snprintf(path, sizeof(path), "%s/assets", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/assets/app.0123456789.js", dir);
    write_file(path, "export {};");
    snprintf(path, sizeof(path), "%s/assets/app.0123456789.js.gz", dir);
    write_file(path, "zz");
    snprintf(path, sizeof(path), "%s/assets/big.0123456789.css", dir);
    write_file(path, "body { color: red; } body { color: red; } body { color: red; } body { color: red; }");
    snprintf(path, sizeof(path), "%s/assets/i.0123456789.png", dir);
    write_file(path, "not a text file, not a text file, not a text file, not a text file, not a text file");

    web_assets_t *a = web_assets_load(dir, err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(web_assets_count(a), 4);
    const web_asset_t *doc = web_assets_find(a, "/", 1), *js = web_assets_find(a, "/assets/app.0123456789.js", 25);
    assert_ptr_equal(doc, web_assets_find(a, "/index.html", 11));
    assert_string_equal(doc->cache_control, "no-cache");
    assert_non_null(doc->csp);
    assert_null(doc->gz);
    assert_non_null(js);
    assert_string_equal(js->content_type, "text/javascript; charset=utf-8");
    assert_string_equal(js->cache_control, "public, max-age=31536000, immutable");
    assert_null(js->csp);
    assert_int_equal(js->gz_len, 2);
    assert_null(js->br); /* too short to gain */
    const web_asset_t *css = web_assets_find(a, "/assets/big.0123456789.css", 26);
    assert_non_null(css);
    assert_non_null(css->br);
    assert_true(css->br_len > 0 && css->br_len < css->len);
    assert_null(web_assets_find(a, "/assets/i.0123456789.png", 24)->br); /* images are not text */
    assert_string_not_equal(doc->etag, js->etag);
    assert_null(web_assets_find(a, "/assets/app.0123456789.js.gz", 28));
    assert_null(web_assets_find(a, "/assets/app.js", 14));
    assert_null(web_assets_find(a, "/assets/", 8));
    assert_null(web_assets_find(a, "//", 2));
    assert_null(web_assets_find(NULL, "/", 1));
    web_assets_free(a);

    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

static void the_directory_beside_the_executable(void **state)
{
    (void)state;
    assert_null(web_assets_dir(""));
    char *d = web_assets_dir("/srv/app");
    assert_string_equal(d, "/srv/app");
    free(d);
    d = web_assets_dir(NULL);
    size_t n = strlen(d);
    assert_true(n > 4 && strcmp(d + n - 4, "/web") == 0);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gzip_is_accepted_as_a_token),
        cmocka_unit_test(br_is_accepted_as_a_token),
        cmocka_unit_test(a_built_directory_is_served_by_path),
        cmocka_unit_test(the_directory_beside_the_executable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
