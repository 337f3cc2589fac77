/* Tests of src/shard/move.c's plan (move_next: what a run does from the recorded state) and relay's id check. */
#include "../unit.h"

#include <string.h>

#include "shard/move.h"
#include "shard/relay.h"

static const move_opts_t TO_S3 = {.school = "x", .to = "s3", .grace_s = MOVE_GRACE_S};
static const move_opts_t TO_S3_KEEP = {.school = "x", .to = "s3", .keep_source = 1, .grace_s = MOVE_GRACE_S};
static const move_opts_t CLEANUP = {.school = "x", .cleanup = 1, .grace_s = MOVE_GRACE_S};
static const move_opts_t ABORT = {.school = "x", .abort_move = 1, .grace_s = MOVE_GRACE_S};

static move_step_t next(const char *state, const move_opts_t *o, const char **why)
{
    return move_next(state, "s3", o, why);
}

static void a_school_without_a_move_starts_one(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(next("", &TO_S3, &why), MOVE_START);
    assert_null(why);
    assert_int_equal(next("", &TO_S3_KEEP, &why), MOVE_START);
}

static void an_unfinished_move_resumes_where_it_stopped(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(next("copying", &TO_S3, &why), MOVE_COPY);
    assert_int_equal(next("frozen", &TO_S3, &why), MOVE_FREEZE);
    assert_int_equal(next("switched", &TO_S3, &why), MOVE_CLEANUP_AFTER_GRACE);
    assert_int_equal(next("switched", &TO_S3_KEEP, &why), MOVE_KEEP);
    assert_int_equal(next("switched", &CLEANUP, &why), MOVE_CLEANUP);
}

static void a_move_elsewhere_is_refused_while_one_is_unfinished(void **state)
{
    (void)state;
    const char *why;
    move_opts_t to_main = TO_S3;
    to_main.to = "main";
    const char *const states[] = {"copying", "frozen", "switched"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(next(states[i], &to_main, &why), MOVE_REFUSE);
        assert_non_null(strstr(why, "goes elsewhere"));
    }
    assert_int_equal(next("", &to_main, &why), MOVE_START);
}

static void abort_and_cleanup_need_their_state(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(next("copying", &ABORT, &why), MOVE_ABORT);
    assert_int_equal(next("frozen", &ABORT, &why), MOVE_ABORT);
    assert_int_equal(next("switched", &ABORT, &why), MOVE_REFUSE);
    assert_non_null(strstr(why, "move the school back"));
    assert_int_equal(next("", &ABORT, &why), MOVE_REFUSE);
    assert_non_null(strstr(why, "no unfinished move"));
    assert_int_equal(next("", &CLEANUP, &why), MOVE_REFUSE);
    assert_int_equal(next("copying", &CLEANUP, &why), MOVE_REFUSE);
    assert_int_equal(next("frozen", &CLEANUP, &why), MOVE_REFUSE);
    assert_non_null(strstr(why, "--cleanup"));
}

static void school_ids_written_into_sql_are_uuids(void **state)
{
    (void)state;
    assert_true(relay_uuid_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    assert_true(relay_uuid_valid("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"));
    assert_false(relay_uuid_valid(NULL));
    assert_false(relay_uuid_valid(""));
    assert_false(relay_uuid_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5"));
    assert_false(relay_uuid_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b0"));
    assert_false(relay_uuid_valid("0190a1b2-c3d4-7e5f-8a9b'0c1d2e3f4a5b"));
    assert_false(relay_uuid_valid("x' OR '1'='1' --xxxxxxxxxxxxxxxxxxxx"));
    assert_false(relay_uuid_valid("0190a1b2c3d4-7e5f-8a9b-0c1d2e3f4a5b-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_school_without_a_move_starts_one),
        cmocka_unit_test(an_unfinished_move_resumes_where_it_stopped),
        cmocka_unit_test(a_move_elsewhere_is_refused_while_one_is_unfinished),
        cmocka_unit_test(abort_and_cleanup_need_their_state),
        cmocka_unit_test(school_ids_written_into_sql_are_uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
