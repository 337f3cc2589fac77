/* fees.c - the arithmetic of school fees (see fees.h for the units and the rounding rule). */
#include "domain/fees.h"

#include <stdio.h>
#include <string.h>

const char *const fees_discount_kind_names[] = {"percentage", "fixed", NULL};

const char *const fees_invoice_status_names[] = {"draft", "issued", "partially_paid", "paid", "overdue", "void", NULL};

int fees_discount_kind_parse(const char *s)
{
    for (int i = 0; s != NULL && fees_discount_kind_names[i] != NULL; i++)
        if (strcmp(s, fees_discount_kind_names[i]) == 0)
            return FEES_DISCOUNT_PERCENT + i;
    return -1;
}

int fees_amount_valid(int64_t amount)
{
    return amount >= 0 && amount <= FEES_AMOUNT_MAX;
}

int fees_percent_of(int64_t amount, int64_t bp, int64_t *out)
{
    if (!fees_amount_valid(amount) || bp < 0 || bp > 10000)
        return -1;
    /* amount <= 10^15 and bp <= 10^4: the product fits in 128 bits with room to spare */
    __int128 p = (__int128)amount * bp;
    *out = (int64_t)((p + 5000) / 10000);
    return 0;
}

int fees_discount_off(int64_t amount, const fees_discount_t *d, int64_t *off)
{
    int64_t v;
    if (!fees_amount_valid(amount))
        return -1;
    if (d->kind == FEES_DISCOUNT_PERCENT) {
        if (fees_percent_of(amount, d->value, &v) != 0)
            return -1;
    } else if (d->kind == FEES_DISCOUNT_FIXED) {
        if (!fees_amount_valid(d->value))
            return -1;
        v = d->value;
    } else {
        return -1;
    }
    *off = v < amount ? v : amount;
    return 0;
}

int fees_line_net(int64_t amount, const fees_discount_t *d, size_t n, int64_t *net, int64_t *off)
{
    int64_t left = amount;
    if (!fees_amount_valid(amount))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t o;
        if (fees_discount_off(left, &d[i], &o) != 0)
            return -1;
        left -= o;
    }
    if (net != NULL)
        *net = left;
    if (off != NULL)
        *off = amount - left;
    return 0;
}

int fees_sum(const int64_t *amounts, size_t n, int64_t *out)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        if (amounts[i] < 0 || __builtin_add_overflow(s, amounts[i], &s))
            return -1;
    }
    *out = s;
    return 0;
}

int fees_allocate(int64_t payment, const int64_t *balances, size_t n, int64_t *alloc, int64_t *credit)
{
    if (!fees_amount_valid(payment))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (balances[i] < 0)
            return -1;
    int64_t left = payment;
    for (size_t i = 0; i < n; i++) {
        alloc[i] = balances[i] < left ? balances[i] : left;
        left -= alloc[i];
    }
    *credit = left;
    return 0;
}

int fees_invoice_balance(int64_t total, int64_t allocated, int64_t refunded, int64_t credited, int64_t *out)
{
    int64_t b;
    if (!fees_amount_valid(total) || !fees_amount_valid(allocated) || !fees_amount_valid(refunded) ||
        !fees_amount_valid(credited) || refunded > allocated)
        return -1;
    b = total - allocated + refunded - credited;
    if (b < 0)
        return -1;
    *out = b;
    return 0;
}

int fees_refund_check(int64_t paid, int64_t refunded, int64_t amount)
{
    if (!fees_amount_valid(paid) || !fees_amount_valid(refunded) || refunded > paid)
        return -1;
    return amount >= 1 && amount <= paid - refunded ? 0 : -1;
}

int fees_credit_note_check(int64_t balance, int64_t amount)
{
    if (!fees_amount_valid(balance))
        return -1;
    return amount >= 1 && amount <= balance ? 0 : -1;
}

fees_invoice_status_t fees_invoice_status(int64_t total, int64_t balance, int64_t due_day, int64_t today_day)
{
    if (balance <= 0)
        return FEES_INVOICE_PAID;
    if (due_day < today_day)
        return FEES_INVOICE_OVERDUE;
    if (balance < total)
        return FEES_INVOICE_PARTIAL;
    return FEES_INVOICE_ISSUED;
}

int fees_ageing_bucket(int64_t due_day, int64_t today_day)
{
    int64_t late = today_day - due_day;
    if (late <= 30)
        return 0;
    if (late <= 60)
        return 1;
    if (late <= 90)
        return 2;
    return 3;
}

int fees_receipt_number(int year, int64_t seq, char *buf, size_t size)
{
    if (year < 1 || year > 9999 || seq < 1)
        return -1;
    int n = snprintf(buf, size, "R-%04d-%06lld", year, (long long)seq);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * What instalment k of shares[0..n) takes of total: what the shares up to and
 * including k take, rounded half up, less what those before k take, so no part
 * is negative and the parts add up to total exactly. -1 on bad input.
 */
static int instalment_share(int64_t total, const int64_t *shares, size_t n, size_t k, int64_t *out)
{
    int64_t sum = 0, before = 0, upto = 0;
    for (size_t i = 0; i < n; i++) {
        if (shares[i] < 1 || shares[i] > 10000)
            return -1;
        sum += shares[i];
        if (i + 1 == k)
            before = sum;
        if (i == k)
            upto = sum;
    }
    if (n == 0 || k >= n || sum != 10000)
        return -1;
    int64_t a, b;
    if (fees_percent_of(total, before, &b) != 0 || fees_percent_of(total, upto, &a) != 0)
        return -1;
    *out = a - b;
    return 0;
}

int fees_instalment_line(int64_t amount, int64_t discount, const int64_t *shares, size_t n, size_t k,
                         int64_t *line_amount, int64_t *line_discount)
{
    int64_t a, d;
    if (!fees_amount_valid(amount) || discount < 0 || discount > amount ||
        instalment_share(amount, shares, n, k, &a) != 0 || instalment_share(discount, shares, n, k, &d) != 0)
        return -1;
    *line_amount = a;
    *line_discount = d < 0 ? 0 : d > a ? a : d;
    return 0;
}

int fees_currency_digits(const char *currency)
{
    static const char *const zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                                       "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", NULL};
    static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", NULL};
    for (int i = 0; currency != NULL && zero[i] != NULL; i++)
        if (strcmp(currency, zero[i]) == 0)
            return 0;
    for (int i = 0; currency != NULL && three[i] != NULL; i++)
        if (strcmp(currency, three[i]) == 0)
            return 3;
    return 2;
}

int fees_format_amount(int64_t amount, const char *currency, char *buf, size_t size)
{
    int digits = fees_currency_digits(currency);
    uint64_t v = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount, scale = 1;
    for (int i = 0; i < digits; i++)
        scale *= 10;
    char whole[40], grouped[60];
    int n = snprintf(whole, sizeof whole, "%llu", (unsigned long long)(v / scale));
    size_t g = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = whole[i];
    }
    grouped[g] = '\0';
    int w = digits > 0 ? snprintf(buf, size, "%s%s.%0*llu %s", amount < 0 ? "-" : "", grouped, digits,
                                  (unsigned long long)(v % scale), currency != NULL ? currency : "")
                       : snprintf(buf, size, "%s%s %s", amount < 0 ? "-" : "", grouped, currency != NULL ? currency : "");
    return w < 0 || (size_t)w >= size ? -1 : 0;
}
