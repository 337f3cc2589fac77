/*
 * sigv4_test.c - AWS Signature Version 4 (src/blob/sigv4.c) against AWS's
 * published example "GET Bucket Lifecycle" (S3 API reference, "Examples:
 * Signature Calculations in AWS Signature Version 4"): the test server
 * (s3rver) accepts any V4 signature, so this is what proves ours.
 */
#include "../unit.h"

#include "blob/sigv4.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static sigv4_in_t example(void)
{
    return (sigv4_in_t){.method = "GET", .path = "/", .query = "lifecycle=", .host = "examplebucket.s3.amazonaws.com",
                        .region = "us-east-1", .access_key = "AKIAIOSFODNN7EXAMPLE",
                        .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", .payload_hash = EMPTY_SHA256,
                        .when = 1369353600 /* 2013-05-24T00:00:00Z */};
}

static void aws_example(void **state)
{
    (void)state;
    sigv4_in_t in = example();
    char date[17], auth[512];
    assert_int_equal(sigv4_sign(&in, date, auth, sizeof(auth)), 0);
    assert_string_equal(date, "20130524T000000Z");
    assert_string_equal(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                              "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                              "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

/* Every input takes part: changing any one changes the signature. */
static void every_input_counts(void **state)
{
    (void)state;
    sigv4_in_t base = example();
    char date[17], want[512], got[512];
    assert_int_equal(sigv4_sign(&base, date, want, sizeof(want)), 0);
    for (int i = 0; i < 7; i++) {
        sigv4_in_t in = base;
        switch (i) {
        case 0: in.method = "PUT"; break;
        case 1: in.path = "/x"; break;
        case 2: in.query = ""; break;
        case 3: in.host = "127.0.0.1:9000"; break;
        case 4: in.secret_key = "other"; break;
        case 5: in.payload_hash = "00"; break;
        default: in.when += 1; break;
        }
        assert_int_equal(sigv4_sign(&in, date, got, sizeof(got)), 0);
        assert_string_not_equal(strstr(got, "Signature="), strstr(want, "Signature="));
    }
}

static void small_buffer_fails(void **state)
{
    (void)state;
    sigv4_in_t in = example();
    char date[17], auth[40];
    assert_int_equal(sigv4_sign(&in, date, auth, sizeof(auth)), -1);
    assert_string_equal(auth, "");
}

static void sha256(void **state)
{
    (void)state;
    char hex[65];
    sigv4_sha256_hex("", 0, hex);
    assert_string_equal(hex, EMPTY_SHA256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aws_example),
        cmocka_unit_test(every_input_counts),
        cmocka_unit_test(small_buffer_fails),
        cmocka_unit_test(sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
