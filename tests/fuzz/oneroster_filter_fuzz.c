/*
 * oneroster_filter_fuzz.c - the OneRoster 1.1 filter grammar (?filter=,
 * src/oneroster/rest/filter.c): or_filter_parse() and or_filter_match().
 *
 * Input: the filter text (to the first NUL).
 *
 * Properties: parsing answers 0, -1 (malformed) or -2 (unknown field) with a
 * reason for each refusal; a parsed filter has 1 to OR_FILTER_MAX predicates,
 * each on a field of the list and with an operator of the grammar; matching it
 * against a record (scalars, a reference, an array of references, a missing
 * field) answers 0 or 1, and the first predicate alone matches its own value
 * (when UTF-8) when its operator is = (or ~) and the field holds that value.
 */
#include "fuzz.h"

#include <jansson.h>

#include "oneroster/rest/filter.h"

static const char *const fields[] = {"sourcedId", "status", "email", "role", "orgs", "school", "score", NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    size_t len;
    char *text = fuzz_field(&in, 0, &len);
    arena_t a;
    arena_init(&a);
    or_filter_t f;
    const char *why = NULL;
    int rc = or_filter_parse(&a, text, fields, &f, &why);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    FUZZ_CHECK(rc == 0 || why != NULL);
    if (rc == 0) {
        FUZZ_CHECK(f.n >= 1 && f.n <= OR_FILTER_MAX);
        for (int i = 0; i < f.n; i++)
            FUZZ_CHECK(f.v[i].op >= OR_EQ && f.v[i].op <= OR_CONTAINS && f.v[i].value != NULL);
        json_t *rec = json_pack("{s:s,s:s,s:[{s:s}],s:{s:s},s:i}", "sourcedId", "u1", "role", "teacher", "orgs",
                                "sourcedId", "o1", "school", "sourcedId", "s1", "score", 7);
        if (rec == NULL)
            abort();
        int m = or_filter_match(&f, rec);
        FUZZ_CHECK(m == 0 || m == 1);
        json_t *value = json_string(f.v[0].value); /* NULL for a value that is not UTF-8: JSON holds none */
        if (value != NULL && strchr(f.v[0].field, '.') == NULL && (f.v[0].op == OR_EQ || f.v[0].op == OR_CONTAINS)) {
            or_filter_t one = {.n = 1, .v = {f.v[0]}};
            json_object_set_new(rec, f.v[0].field, value);
            FUZZ_CHECK(or_filter_match(&one, rec) == 1);
        } else {
            json_decref(value);
        }
        json_decref(rec);
    }
    arena_destroy(&a);
    free(text);
    return 0;
}
