/* Tests of src/shard/spec.c: ERP_SHARDS parsing and the placement rule. */
#include "../unit.h"

#include <string.h>

#include "shard/spec.h"

static void parses_names_primaries_and_replicas(void **state)
{
    (void)state;
    shard_spec_t s[4];
    char err[256];
    int n = shard_spec_parse("s2=postgresql://a:5432,b:5432/erp?target_session_attrs=read-write;"
                             " s3 = postgresql://c/erp | postgresql://d/erp|postgresql://e/erp ;",
                             s, 4, err, sizeof(err));
    assert_int_equal(n, 2);
    assert_string_equal(s[0].name, "s2");
    assert_string_equal(s[0].primary, "postgresql://a:5432,b:5432/erp?target_session_attrs=read-write");
    assert_int_equal(s[0].nreads, 0);
    assert_string_equal(s[1].name, "s3");
    assert_string_equal(s[1].primary, "postgresql://c/erp");
    assert_int_equal(s[1].nreads, 2);
    assert_string_equal(s[1].reads[0], "postgresql://d/erp");
    assert_string_equal(s[1].reads[1], "postgresql://e/erp");
    shard_spec_free(s, n);
}

static void empty_text_is_no_shard(void **state)
{
    (void)state;
    shard_spec_t s[2];
    char err[256];
    assert_int_equal(shard_spec_parse("", s, 2, err, sizeof(err)), 0);
    assert_int_equal(shard_spec_parse(" ; ;", s, 2, err, sizeof(err)), 0);
    assert_int_equal(shard_spec_parse(NULL, s, 2, err, sizeof(err)), 0);
}

static void expect_refused(const char *text, const char *why)
{
    shard_spec_t s[2];
    char err[256] = "";
    assert_int_equal(shard_spec_parse(text, s, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ERP_SHARDS"));
    assert_non_null(strstr(err, why));
}

static void bad_entries_are_refused_naming_the_variable(void **state)
{
    (void)state;
    expect_refused("postgresql://a/erp", "not NAME=URL");
    expect_refused("main=postgresql://a/erp", "not a shard name");
    expect_refused("S2=postgresql://a/erp", "not a shard name");
    expect_refused("=postgresql://a/erp", "not a shard name");
    expect_refused("s2=", "empty URL");
    expect_refused("s2=postgresql://a/erp|", "empty URL");
    expect_refused("s2=postgresql://a/erp;s2=postgresql://b/erp", "named twice");
    expect_refused("a=x;b=y;c=z", "more than 2");
}

static void names(void **state)
{
    (void)state;
    assert_true(shard_name_valid("main"));
    assert_true(shard_name_valid("eu-west_2"));
    assert_false(shard_name_valid(""));
    assert_false(shard_name_valid("a b"));
    char long_name[80];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[79] = '\0';
    assert_false(shard_name_valid(long_name));
    long_name[63] = '\0';
    assert_true(shard_name_valid(long_name));
}

static void placement_takes_the_fewest_schools_ties_by_name(void **state)
{
    (void)state;
    const char *n3[] = {"main", "s2", "s3"};
    long long c1[] = {5, 2, 3};
    assert_int_equal(shard_place(n3, c1, 3), 1);
    long long c2[] = {2, 2, 2};
    assert_int_equal(shard_place(n3, c2, 3), 0);
    const char *unsorted[] = {"main", "zeta", "alpha"};
    long long c3[] = {4, 1, 1};
    assert_int_equal(shard_place(unsorted, c3, 3), 2);
    long long c4[] = {0, 1, 1};
    assert_int_equal(shard_place(unsorted, c4, 3), 0);
    assert_int_equal(shard_place(n3, c1, 1), 0);
    assert_int_equal(shard_place(n3, c1, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_names_primaries_and_replicas),
        cmocka_unit_test(empty_text_is_no_shard),
        cmocka_unit_test(bad_entries_are_refused_naming_the_variable),
        cmocka_unit_test(names),
        cmocka_unit_test(placement_takes_the_fewest_schools_ties_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
