/*
 * token_fuzz.c - tokens (src/auth/token.c): token_verify() of access tokens
 * (its own reading of the header's alg and kid, then libjwt's decoding and the
 * claims checks), and refresh_token_parse() of "rt1.<school>.<random>", the
 * one parser of refresh tokens (src/auth/sessions.c calls it).
 *
 * The keys are set up once, as start-up does (token_setup() with
 * ERP_JWT_SECRET and two ERP_JWT_PREVIOUS_SECRETS). The first byte picks a mode:
 *   't'  the rest is a token as a client sends it
 *   's'  the rest is "KEYNO\nHEADER\nPAYLOAD": the harness signs the two JSON
 *        texts as they are with key KEYNO (0 current, 1-2 previous, other: a key
 *        the server does not know), so the fuzzer reaches the checks behind
 *        the signature (alg, kid, issuer, ids, roles, times)
 *   'i'  the rest is "TENANT\nUSER\nSESSION\nTOKEN\nROLES\nIAT\nEXP":
 *        token_issue() then token_verify() (the round trip)
 *   'r'  the rest is a refresh token: refresh_token_parse(); and
 *        refresh_token_new() for the first 39 bytes as a school id, parsed back
 *   other bytes: 't' on the whole input.
 *
 * Properties: a status of the enum; TOKEN_OK only with ids that are UUIDs
 * (the school's may be ""), roles > 0 and an expiry after now; a token
 * signed with a key the server does not hold, or by another key than the one
 * its header names, is never accepted (neither OK nor EXPIRED); the round
 * trip gives the claims back exactly when they are valid; a parsed refresh
 * token gives a lower-case UUID and the SHA-256 of the token; one made for a
 * school id parses back to it.
 */
#include "fuzz.h"

#include <ctype.h>
#include <sodium.h>

#include "auth/crypto.h"
#include "auth/token.h"
#include "core/ids.h"

#define NOW 1760000000LL

static const char *const secrets[] = {
    "fuzz-current-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "fuzz-previous-secret-one-0123456789abcdefghijklmnopqrstuv",
    "fuzz-previous-secret-two-0123456789abcdefghijklmnopqrstuv",
    "fuzz-unknown-secret-0123456789abcdefghijklmnopqrstuvwxyz",
};
static char kids[4][17];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (crypto_setup() != 0)
        abort();
    char prev[256];
    snprintf(prev, sizeof(prev), "%s,%s", secrets[1], secrets[2]);
    config_t c;
    memset(&c, 0, sizeof(c));
    c.jwt_secret = (char *)secrets[0];
    c.jwt_previous = prev;
    c.database_url = (char *)"sqlite:/nonexistent/erp.db";
    c.data_dir = (char *)"/nonexistent";
    char err[256];
    if (token_setup(&c, err, sizeof(err)) != 0) {
        fprintf(stderr, "token_setup: %s\n", err);
        abort();
    }
    for (int i = 0; i < 4; i++) {
        char digest[65];
        crypto_sha256_hex(secrets[i], strlen(secrets[i]), digest);
        memcpy(kids[i], digest, 16);
        kids[i][16] = '\0';
    }
    return 0;
}

static int lower_uuid(const char *s)
{
    if (!ids_uuid_valid(s, strlen(s)))
        return 0;
    for (; *s != '\0'; s++)
        if (isupper((unsigned char)*s))
            return 0;
    return 1;
}

static token_status_t verify(const char *token, token_claims_t *c)
{
    token_status_t st = token_verify(token, NOW, c);
    FUZZ_CHECK(st >= TOKEN_OK && st <= TOKEN_EXPIRED);
    FUZZ_CHECK(token_status_text(st) != NULL);
    if (st == TOKEN_OK || st == TOKEN_EXPIRED) {
        FUZZ_CHECK(c->tenant_id[0] == '\0' || ids_uuid_valid(c->tenant_id, strlen(c->tenant_id)));
        FUZZ_CHECK(ids_uuid_valid(c->user_id, strlen(c->user_id)));
        FUZZ_CHECK(ids_uuid_valid(c->session_id, strlen(c->session_id)));
        FUZZ_CHECK(ids_uuid_valid(c->token_id, strlen(c->token_id)));
        FUZZ_CHECK(c->roles > 0 && c->expires_at > 0);
        FUZZ_CHECK(st == TOKEN_OK ? c->expires_at > NOW : c->expires_at <= NOW);
    }
    return st;
}

static void raw_token(const uint8_t *data, size_t size)
{
    char *t = fuzz_strndup(data, size);
    token_claims_t c;
    verify(t, &c);
    free(t);
}

/* base64url of n bytes, malloc'd. */
static char *b64(const void *p, size_t n)
{
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(len);
    if (out == NULL)
        abort();
    crypto_b64_encode(p, n, out, len);
    return out;
}

static void signed_token(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    char *keyno = fuzz_field(&in, '\n', NULL);
    char *header = fuzz_field(&in, '\n', NULL);
    char *payload = fuzz_field(&in, '\n', NULL);
    int k = keyno[0] >= '0' && keyno[0] <= '2' ? keyno[0] - '0' : 3;

    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    size_t n = strlen(h) + strlen(p) + 1 + 44 + 2;
    char *token = malloc(n);
    if (token == NULL)
        abort();
    snprintf(token, n, "%s.%s", h, p);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secrets[k], strlen(secrets[k]));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_final(&st, mac);
    char *sig = b64(mac, sizeof(mac));
    size_t used = strlen(token);
    snprintf(token + used, n - used, ".%s", sig);

    token_claims_t c;
    token_status_t s = verify(token, &c);
    if (k == 3) /* signed with a key the server does not hold: refused whatever the header says */
        FUZZ_CHECK(s != TOKEN_OK && s != TOKEN_EXPIRED);
    /* a header naming another known key than the one that signed can never pass */
    json_t *hj = json_loads(header, 0, NULL);
    const char *kid = json_string_value(json_object_get(hj, "kid"));
    if (kid != NULL && strcmp(kid, kids[k]) != 0)
        FUZZ_CHECK(s != TOKEN_OK && s != TOKEN_EXPIRED);
    json_decref(hj);

    free(sig);
    free(token);
    free(h);
    free(p);
    free(keyno);
    free(header);
    free(payload);
}

static void copy_field(fuzz_in_t *in, char out[40])
{
    char *s = fuzz_field(in, '\n', NULL);
    snprintf(out, 40, "%s", s);
    free(s);
}

static long long number_field(fuzz_in_t *in)
{
    char *s = fuzz_field(in, '\n', NULL);
    long long v = strtoll(s, NULL, 10);
    free(s);
    return v;
}

static int id_ok(const char *s, int allow_empty)
{
    return s[0] == '\0' ? allow_empty : ids_uuid_valid(s, strlen(s));
}

static void round_trip(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    token_claims_t want;
    memset(&want, 0, sizeof(want));
    copy_field(&in, want.tenant_id);
    copy_field(&in, want.user_id);
    copy_field(&in, want.session_id);
    copy_field(&in, want.token_id);
    want.roles = (unsigned)number_field(&in);
    want.issued_at = number_field(&in);
    want.expires_at = number_field(&in);

    char *t = token_issue(&want);
    int valid = id_ok(want.tenant_id, 1) && id_ok(want.user_id, 0) && id_ok(want.session_id, 0) &&
                id_ok(want.token_id, 0) && want.roles > 0 && (long)want.roles > 0 && want.expires_at > 0;
    if (t == NULL) {
        /* jansson refuses strings that are not UTF-8; valid claims are ASCII */
        FUZZ_CHECK(!valid);
        return;
    }
    token_claims_t got;
    token_status_t st = verify(t, &got);
    if (valid) {
        FUZZ_CHECK(st == (want.expires_at > NOW ? TOKEN_OK : TOKEN_EXPIRED));
        FUZZ_CHECK(strcmp(got.tenant_id, want.tenant_id) == 0 && strcmp(got.user_id, want.user_id) == 0 &&
                   strcmp(got.session_id, want.session_id) == 0 && strcmp(got.token_id, want.token_id) == 0);
        FUZZ_CHECK(got.roles == want.roles && got.issued_at == want.issued_at && got.expires_at == want.expires_at);
    } else {
        FUZZ_CHECK(st == TOKEN_MALFORMED);
    }
    free(t);
}

static void refresh(const uint8_t *data, size_t size)
{
    char *t = fuzz_strndup(data, size);
    char *tenant = malloc(40), *digest = malloc(65);
    if (tenant == NULL || digest == NULL)
        abort();
    if (refresh_token_parse(t, tenant, digest) == 0) {
        FUZZ_CHECK(lower_uuid(tenant));
        char want[65];
        crypto_sha256_hex(t, strlen(t), want);
        FUZZ_CHECK(strcmp(digest, want) == 0);
    }

    char school[40];
    snprintf(school, sizeof(school), "%s", t);
    char *token = malloc(REFRESH_TOKEN_MAX);
    if (token == NULL)
        abort();
    refresh_token_new(school, token, digest);
    FUZZ_CHECK(memchr(token, '\0', REFRESH_TOKEN_MAX) != NULL && strlen(digest) == 64);
    if (lower_uuid(school)) {
        char *back = malloc(40);
        if (back == NULL)
            abort();
        FUZZ_CHECK(refresh_token_parse(token, back, digest) == 0 && strcmp(back, school) == 0);
        free(back);
    }
    free(token);
    free(tenant);
    free(digest);
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0]) {
    case 't':
        raw_token(data + 1, size - 1);
        break;
    case 's':
        signed_token(data + 1, size - 1);
        break;
    case 'i':
        round_trip(data + 1, size - 1);
        break;
    case 'r':
        refresh(data + 1, size - 1);
        break;
    default:
        raw_token(data, size);
        break;
    }
    return 0;
}
