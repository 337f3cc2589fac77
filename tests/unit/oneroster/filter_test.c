/* Tests of src/oneroster/rest/filter.c: the OneRoster 1.1 filter grammar and its evaluation on records. */
#include "../unit.h"

#include "oneroster/rest/filter.h"

static const char *const fields[] = {"sourcedId", "status", "dateLastModified", "email", "role", "givenName",
                                     "orgs", "school", "grades", "score", NULL};

static int parse(arena_t *a, const char *text, or_filter_t *f, const char **why)
{
    *why = NULL;
    return or_filter_parse(a, text, fields, f, why);
}

static void test_predicates(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_filter_t f;
    const char *why;
    assert_int_equal(parse(&a, "email='x@y.z'", &f, &why), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].field, "email");
    assert_int_equal(f.v[0].op, OR_EQ);
    assert_string_equal(f.v[0].value, "x@y.z");
    static const struct {
        const char *text;
        or_op_t op;
    } ops[] = {{"role!='a'", OR_NE}, {"role>'a'", OR_GT},  {"role>='a'", OR_GE},    {"role<'a'", OR_LT},
               {"role<='a'", OR_LE}, {"role = 'a'", OR_EQ}, {"role~'a'", OR_CONTAINS}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        assert_int_equal(parse(&a, ops[i].text, &f, &why), 0);
        assert_int_equal(f.v[0].op, ops[i].op);
        assert_string_equal(f.v[0].value, "a");
    }
    assert_int_equal(parse(&a, "givenName='O''Brien'", &f, &why), 0);
    assert_string_equal(f.v[0].value, "O'Brien");
    assert_int_equal(parse(&a, "givenName='a AND b=''c'''", &f, &why), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].value, "a AND b='c'");
    assert_int_equal(parse(&a, "school.sourcedId='s1'", &f, &why), 0);
    assert_string_equal(f.v[0].field, "school.sourcedId");
    assert_int_equal(parse(&a, "email=''", &f, &why), 0);
    assert_string_equal(f.v[0].value, "");
    arena_destroy(&a);
}

static void test_logic(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_filter_t f;
    const char *why;
    assert_int_equal(parse(&a, "role='teacher' AND email='t@x' OR role='student'", &f, &why), 0);
    assert_int_equal(f.n, 3);
    assert_false(f.v[0].or_before);
    assert_false(f.v[1].or_before);
    assert_true(f.v[2].or_before);
    json_t *teacher = json_pack("{s:s,s:s}", "role", "teacher", "email", "t@x");
    json_t *other_teacher = json_pack("{s:s,s:s}", "role", "teacher", "email", "u@x");
    json_t *student = json_pack("{s:s}", "role", "student");
    assert_true(or_filter_match(&f, teacher));
    assert_false(or_filter_match(&f, other_teacher));
    assert_true(or_filter_match(&f, student)); /* AND binds tighter than OR */
    assert_int_equal(parse(&a, "role='student' OR role='teacher' AND email='t@x'", &f, &why), 0);
    assert_true(or_filter_match(&f, student));
    assert_true(or_filter_match(&f, teacher));
    assert_false(or_filter_match(&f, other_teacher));
    f.n = 0;
    assert_true(or_filter_match(&f, student)); /* no filter */
    json_decref(teacher);
    json_decref(other_teacher);
    json_decref(student);
    arena_destroy(&a);
}

static void test_malformed(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_filter_t f;
    const char *why;
    static const char *const bad[] = {"",          "email",       "email=",          "email=x",
                                      "email='x",  "='x'",        "email=='x'",      "email='x' AND",
                                      "email='x' and role='y'",   "email='x' XOR role='y'",
                                      "email='x' role='y'",       ".email='x'",      "email.='x'",
                                      "email='x'AND role='y'",    "email 'x'",       "email='x' AND  'y'",
                                      NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        if (parse(&a, bad[i], &f, &why) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(why);
    }
    assert_int_equal(parse(&a, "shoeSize='9'", &f, &why), -2);
    assert_string_equal(why, "shoeSize is not a field of these records");
    assert_int_equal(parse(&a, "role='a' AND shoe.size='9'", &f, &why), -2);
    assert_int_equal(parse(&a, "email='x' AND AND role='y'", &f, &why), -2); /* "AND" is no field */
    char many[1024] = "role='a'";
    for (int i = 1; i <= OR_FILTER_MAX; i++)
        strncat(many, " OR role='a'", sizeof(many) - strlen(many) - 1);
    assert_int_equal(parse(&a, many, &f, &why), -1);
    arena_destroy(&a);
}

static int matches(const char *filter, json_t *rec)
{
    arena_t a;
    arena_init(&a);
    or_filter_t f;
    const char *why;
    int rc = or_filter_parse(&a, filter, fields, &f, &why);
    int m = rc == 0 && or_filter_match(&f, rec);
    arena_destroy(&a);
    if (rc != 0)
        fail_msg("did not parse %s: %s", filter, why);
    return m;
}

static void test_values(void **state)
{
    (void)state;
    json_t *rec = json_pack("{s:s,s:s,s:s,s:[{s:s},{s:s}],s:{s:s,s:s},s:[s,s],s:i}", "sourcedId", "u1",
                            "dateLastModified", "2026-11-20T10:00:00.000Z", "givenName", "Zoë", "orgs", "sourcedId",
                            "o1", "sourcedId", "o2", "school", "href", "/x", "sourcedId", "s1", "grades", "09", "10",
                            "score", 95);
    assert_true(matches("dateLastModified>'2026-11-20'", rec));
    assert_false(matches("dateLastModified<'2026-11-20'", rec));
    assert_true(matches("dateLastModified>='2026-11-20T10:00:00.000Z'", rec));
    assert_true(matches("givenName~'zo'", rec)); /* contains, ASCII letters case-insensitively */
    assert_true(matches("givenName~'Zoë'", rec));
    assert_false(matches("givenName~'zoe'", rec));
    assert_true(matches("orgs.sourcedId='o2'", rec));
    assert_true(matches("orgs='o1'", rec));
    assert_false(matches("orgs='o3'", rec));
    assert_true(matches("orgs!='o3'", rec));
    assert_false(matches("orgs!='o1'", rec));
    assert_true(matches("school='s1'", rec));
    assert_true(matches("school.sourcedId='s1'", rec));
    assert_false(matches("school.sourcedId!='s1'", rec));
    assert_true(matches("grades='10'", rec));
    assert_true(matches("score>'9'", rec)); /* numbers compare as numbers: 95 > 9 */
    assert_false(matches("score>'100'", rec));
    assert_true(matches("score='95'", rec));
    assert_false(matches("email='x'", rec)); /* absent: only != matches */
    assert_true(matches("email!='x'", rec));
    assert_true(matches("status!='active' AND sourcedId='u1'", rec));
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
