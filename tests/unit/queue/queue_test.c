/* Tests of the pure parts of src/queue/queue.c: backoff with jitter, options from the environment, spec checks,
 * state names and a job's API rendering. */
#include "../unit.h"

#include "queue/queue_int.h"

static void backoff_doubles_with_bounded_jitter(void **state)
{
    (void)state;
    assert_int_equal(queue_backoff_ms(1000, 0, 0.5), 1000);
    assert_int_equal(queue_backoff_ms(1000, 1, 0.5), 2000);
    assert_int_equal(queue_backoff_ms(1000, 2, 0.5), 4000);
    assert_int_equal(queue_backoff_ms(1000, 0, 0.0), 750);
    assert_true(queue_backoff_ms(1000, 0, 0.999999) <= 1250);
    assert_true(queue_backoff_ms(1000, 0, 0.999999) >= 1249);
    assert_int_equal(queue_backoff_ms(1000, 500, 0.5), 7LL * 24 * 3600 * 1000); /* capped, no overflow */
    assert_int_equal(queue_backoff_ms(0, 0, 0.0), 1);
    assert_int_equal(queue_backoff_ms(1000, -3, 0.5), 1000);
    assert_int_equal(queue_backoff_ms(1000, 0, 7.0), 1000); /* out-of-range jitter: none */
}

static void defaults_and_env(void **state)
{
    (void)state;
    queue_options_t o;
    char err[200];
    queue_options_default(&o);
    assert_int_equal(o.lock_ms, 30000);
    assert_int_equal(o.stalled_interval_ms, 30000);
    assert_int_equal(o.max_stalled, 1);
    assert_int_equal(o.limiter_max, 1000);
    assert_int_equal(o.limiter_window_ms, 5000);
    setenv("ERP_QUEUE_LOCK_MS", "1500", 1);
    setenv("ERP_QUEUE_LIMIT_MAX", "7", 1);
    assert_int_equal(queue_options_from_env(&o, err, sizeof(err)), 0);
    assert_int_equal(o.lock_ms, 1500);
    assert_int_equal(o.limiter_max, 7);
    setenv("ERP_QUEUE_MAX_STALLED", "-1", 1);
    assert_int_equal(queue_options_from_env(&o, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ERP_QUEUE_MAX_STALLED"));
    setenv("ERP_QUEUE_MAX_STALLED", "2x", 1);
    assert_int_equal(queue_options_from_env(&o, err, sizeof(err)), -1);
    unsetenv("ERP_QUEUE_MAX_STALLED");
    unsetenv("ERP_QUEUE_LOCK_MS");
    unsetenv("ERP_QUEUE_LIMIT_MAX");
}

static void spec_checks(void **state)
{
    (void)state;
    queue_options_t o;
    queue_options_default(&o);
    job_spec_t out;
    job_spec_t s = {.tenant_id = "0190f0e4-7a3b-7c2d-8e4f-0123456789ab", .type = "test.sleep"};
    assert_int_equal(queue_spec_check(&s, &o, &out), 0);
    assert_string_equal(out.payload, "{}");
    assert_int_equal(out.attempts, 3);
    assert_int_equal(out.backoff_ms, 1000);
    s.payload = "[1";
    assert_int_equal(queue_spec_check(&s, &o, &out), -1);
    assert_non_null(strstr(queue_error(NULL), "payload"));
    s.payload = "{}";
    s.tenant_id = "school";
    assert_int_equal(queue_spec_check(&s, &o, &out), -1);
    s.tenant_id = "0190f0e4-7a3b-7c2d-8e4f-0123456789ab";
    s.id = "has space";
    assert_int_equal(queue_spec_check(&s, &o, &out), -1);
    s.id = "import:2026-11";
    s.type = "";
    assert_int_equal(queue_spec_check(&s, &o, &out), -1);
}

static void states_and_json(void **state)
{
    (void)state;
    for (int i = JOB_WAITING; i <= JOB_CANCELLED; i++)
        assert_int_equal(job_state_parse(job_state_name((job_state_t)i)), i);
    assert_int_equal(job_state_parse("done"), -1);
    job_view_t v = {.id = "j1", .type = "t", .state = JOB_COMPLETED, .progress = 100, .attempts = 3,
                    .attempts_made = 1, .created_ms = 1700000000123, .finished_ms = 1700000001000,
                    .result = "{\"n\":2}", .error = NULL};
    json_t *j = queue_job_json(&v);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "completed");
    assert_string_equal(json_string_value(json_object_get(j, "createdAt")), "2023-11-14T22:13:20.123Z");
    assert_null(json_object_get(j, "startedAt"));
    assert_null(json_object_get(j, "ownerId"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "result"), "n")), 2);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_with_bounded_jitter),
        cmocka_unit_test(defaults_and_env),
        cmocka_unit_test(spec_checks),
        cmocka_unit_test(states_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
