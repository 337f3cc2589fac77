/* Tests of src/oneroster/files.c: what a zip may hold (a file in one folder, a file twice, a zip bomb). */
#include "../unit.h"

#include "oneroster/oneroster_int.h"

/* A zip in memory of n files (name, text). */
static sbuf_t make_zip(arena_t *a, const char *const *names, const char *const *texts, int n)
{
    or_files_t fs = {.n = n};
    for (int i = 0; i < n; i++)
        fs.v[i] = (or_file_t){names[i], texts[i], strlen(texts[i])};
    sbuf_t z;
    sbuf_init(&z, a, 4096);
    const char *why = NULL;
    assert_int_equal(or_files_to_zip(a, &fs, &z, &why), 0);
    return z;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Sets every entry's uncompressed size, in its local header and in the central directory, to size. */
static void claim_size(sbuf_t *z, uint32_t size)
{
    unsigned char *p = (unsigned char *)z->p;
    for (size_t i = 0; i + 46 <= z->len; i++) {
        if (memcmp(p + i, "PK\x03\x04", 4) == 0)
            put_le32(p + i + 22, size);
        else if (memcmp(p + i, "PK\x01\x02", 4) == 0)
            put_le32(p + i + 24, size);
    }
}

static void test_folder(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const char *names[] = {"export/manifest.csv", "export/users.csv", "a/b/orgs.csv", "notes.txt"};
    const char *texts[] = {"propertyName,value\n", "sourcedId\n", "sourcedId\n", "hello"};
    sbuf_t z = make_zip(&a, names, texts, 4);
    or_files_t fs;
    const char *why = NULL;
    assert_int_equal(or_files_from_zip(&a, z.p, z.len, &fs, &why), 0);
    assert_int_equal(fs.n, 2); /* two folders deep and other files are left unread */
    assert_string_equal(or_files_get(&fs, "users.csv")->data, "sourcedId\n");
    assert_non_null(or_files_get(&fs, "manifest.csv"));
    arena_destroy(&a);
}

static void test_twice(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const char *names[] = {"manifest.csv", "users.csv", "old/users.csv"};
    const char *texts[] = {"propertyName,value\n", "sourcedId\nU1\n", "sourcedId\nU2\n"};
    sbuf_t z = make_zip(&a, names, texts, 3);
    or_files_t fs;
    const char *why = NULL;
    assert_int_equal(or_files_from_zip(&a, z.p, z.len, &fs, &why), -1);
    assert_non_null(why);
    assert_non_null(strstr(why, "users.csv twice"));
    arena_destroy(&a);
}

static void test_bomb(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    /* each under the limit of one file (256 MiB) and of a zip (32 MiB), together over the limit of a zip */
    const char *names[] = {"users.csv", "enrollments.csv"};
    const char *texts[] = {"sourcedId\n", "sourcedId\n"};
    sbuf_t z = make_zip(&a, names, texts, 2);
    claim_size(&z, 20u << 20);
    or_files_t fs;
    const char *why = NULL;
    assert_int_equal(or_files_from_zip(&a, z.p, z.len, &fs, &why), -1);
    assert_non_null(why);
    assert_non_null(strstr(why, "32 MiB uncompressed"));
    assert_true(a.allocated < (1u << 20)); /* refused before anything was inflated */
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_twice),
        cmocka_unit_test(test_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
