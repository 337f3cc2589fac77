#include "domain/people.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int people_valid_name(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of an extension at s (" x12", " ext 12", " ext. 12", case-insensitive) running to the end; 0 if none. */
static size_t extension(const char *s)
{
    const char *p = s;
    if (*p++ != ' ')
        return 0;
    if (*p == 'x' || *p == 'X') {
        p++;
    } else if (strncasecmp(p, "ext", 3) == 0) {
        p += 3;
        if (*p == '.')
            p++;
    } else {
        return 0;
    }
    if (*p == ' ')
        p++;
    size_t digits = 0;
    for (; is_digit(*p); p++)
        digits++;
    return *p == '\0' && digits >= 1 && digits <= 6 ? (size_t)(p - s) : 0;
}

int people_valid_phone(const char *s)
{
    size_t n = strlen(s), digits = 0;
    if (n < 3 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (is_digit(c)) {
            digits++;
        } else if (c == '+') {
            if (i != 0)
                return 0;
        } else if (c == ' ' && extension(s + i) > 0) {
            break;
        } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.' && c != '/') {
            return 0;
        }
    }
    return digits >= 3;
}

int people_valid_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 32 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || is_digit(s[0])))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '/' ||
              c == '-'))
            return 0;
    }
    return 1;
}

people_date_t people_check_birth(const char *dob, const char *today)
{
    if (strcmp(dob, today) >= 0)
        return PEOPLE_DATE_NOT_PAST;
    if (strcmp(dob, "1900-01-01") < 0)
        return PEOPLE_DATE_TOO_EARLY;
    return PEOPLE_DATE_OK;
}

people_date_t people_check_admission(const char *admitted_on, const char *dob)
{
    if (admitted_on != NULL && dob != NULL && strcmp(admitted_on, dob) < 0)
        return PEOPLE_DATE_BEFORE_BIRTH;
    return PEOPLE_DATE_OK;
}

/* snprintf into out; 0, or -1 (out emptied) when it did not fit. */
static int fits(char *out, size_t outlen, int n)
{
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int people_search_text(char *out, size_t outlen, const char *first, const char *middle, const char *last,
                       const char *admission_no)
{
    int n = middle != NULL ? snprintf(out, outlen, "%s %s %s %s", first, middle, last, admission_no)
                           : snprintf(out, outlen, "%s %s %s", first, last, admission_no);
    return fits(out, outlen, n);
}

int people_like_pattern(char *out, size_t outlen, const char *q)
{
    size_t j = 0;
    if (outlen < 3)
        return fits(out, outlen, -1);
    out[j++] = '%';
    for (; *q != '\0'; q++) {
        int esc = *q == '%' || *q == '_' || *q == '\\';
        if (j + (size_t)esc + 1 + 2 > outlen) /* room for this character, '%' and the NUL */
            return fits(out, outlen, -1);
        if (esc)
            out[j++] = '\\';
        out[j++] = *q;
    }
    out[j++] = '%';
    out[j] = '\0';
    return 0;
}

int people_key_join(char *out, size_t outlen, const char *a, const char *b)
{
    return fits(out, outlen, snprintf(out, outlen, "%s%c%s", a, PEOPLE_KEY_SEP, b));
}

int people_key_split(char *key, const char **a, const char **b)
{
    char *sep = strchr(key, PEOPLE_KEY_SEP);
    if (sep == NULL)
        return -1;
    *sep = '\0';
    *a = key;
    *b = sep + 1;
    return 0;
}
