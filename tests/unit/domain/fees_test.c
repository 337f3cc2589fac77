/* Tests of src/domain/fees.c: discounts and their rounding, allocation, balances, refunds, credit notes (hand-computed). */
#include "../unit.h"

#include "domain/fees.h"

static int64_t pct(int64_t amount, int64_t bp)
{
    int64_t v = -1;
    if (fees_percent_of(amount, bp, &v) != 0)
        return -1;
    return v;
}

static void test_percent_rounds_half_up(void **state)
{
    (void)state;
    assert_int_equal(pct(1001, 1250), 125); /* 125.125 */
    assert_int_equal(pct(3, 5000), 2);      /* 1.5 */
    assert_int_equal(pct(1, 4999), 0);      /* 0.4999 */
    assert_int_equal(pct(1, 5000), 1);      /* 0.5 */
    assert_int_equal(pct(150000, 1000), 15000);
    assert_int_equal(pct(99999, 3333), 33330); /* 33329.6667 */
    assert_int_equal(pct(0, 10000), 0);
    assert_int_equal(pct(FEES_AMOUNT_MAX, 10000), FEES_AMOUNT_MAX);
    assert_int_equal(pct(100, 10001), -1);
    assert_int_equal(pct(100, -1), -1);
    assert_int_equal(pct(-1, 100), -1);
    assert_int_equal(pct(FEES_AMOUNT_MAX + 1, 100), -1);
}

static void test_discounts(void **state)
{
    (void)state;
    int64_t net, off;
    /* tuition 1 200.00 with 10 % sibling then 50.00 scholarship: 1200 - 120 = 1080 - 50 = 1030 */
    fees_discount_t d[] = {{FEES_DISCOUNT_PERCENT, 1000}, {FEES_DISCOUNT_FIXED, 5000}};
    assert_int_equal(fees_line_net(120000, d, 2, &net, &off), 0);
    assert_int_equal(net, 103000);
    assert_int_equal(off, 17000);
    /* order matters: fixed first, then 10 % of 1150 = 115: 1035 */
    fees_discount_t e[] = {{FEES_DISCOUNT_FIXED, 5000}, {FEES_DISCOUNT_PERCENT, 1000}};
    assert_int_equal(fees_line_net(120000, e, 2, &net, &off), 0);
    assert_int_equal(net, 103500);
    /* a fixed discount larger than the line is capped: never below zero */
    fees_discount_t f[] = {{FEES_DISCOUNT_FIXED, 9999}};
    assert_int_equal(fees_line_net(5000, f, 1, &net, &off), 0);
    assert_int_equal(net, 0);
    assert_int_equal(off, 5000);
    /* a full scholarship */
    fees_discount_t g[] = {{FEES_DISCOUNT_PERCENT, 10000}};
    assert_int_equal(fees_line_net(7777, g, 1, &net, NULL), 0);
    assert_int_equal(net, 0);
    /* no discount */
    assert_int_equal(fees_line_net(7777, NULL, 0, &net, &off), 0);
    assert_int_equal(net, 7777);
    assert_int_equal(off, 0);
    /* bad input leaves the outputs untouched */
    net = 42;
    fees_discount_t bad[] = {{FEES_DISCOUNT_FIXED, -1}};
    assert_int_equal(fees_line_net(100, bad, 1, &net, NULL), -1);
    assert_int_equal(net, 42);
    fees_discount_t bad2[] = {{FEES_DISCOUNT_PERCENT, 10001}};
    assert_int_equal(fees_line_net(100, bad2, 1, &net, NULL), -1);
    assert_int_equal(fees_discount_kind_parse("percentage"), FEES_DISCOUNT_PERCENT);
    assert_int_equal(fees_discount_kind_parse("fixed"), FEES_DISCOUNT_FIXED);
    assert_int_equal(fees_discount_kind_parse("Fixed"), -1);
    assert_int_equal(fees_discount_kind_parse(NULL), -1);
}

static void test_sum(void **state)
{
    (void)state;
    int64_t s = 7;
    static const int64_t a[] = {103000, 25000, 12050};
    assert_int_equal(fees_sum(a, 3, &s), 0);
    assert_int_equal(s, 140050);
    assert_int_equal(fees_sum(a, 0, &s), 0);
    assert_int_equal(s, 0);
    static const int64_t big[] = {INT64_MAX, 1};
    s = 7;
    assert_int_equal(fees_sum(big, 2, &s), -1);
    assert_int_equal(s, 7);
    static const int64_t neg[] = {5, -1};
    assert_int_equal(fees_sum(neg, 2, &s), -1);
}

static void test_allocation_oldest_first(void **state)
{
    (void)state;
    int64_t alloc[3], credit;
    static const int64_t bal[] = {30000, 50000, 20000};
    /* partial: 650.00 pays the first, 350 of the second, nothing of the third */
    assert_int_equal(fees_allocate(65000, bal, 3, alloc, &credit), 0);
    assert_int_equal(alloc[0], 30000);
    assert_int_equal(alloc[1], 35000);
    assert_int_equal(alloc[2], 0);
    assert_int_equal(credit, 0);
    /* exact */
    assert_int_equal(fees_allocate(100000, bal, 3, alloc, &credit), 0);
    assert_int_equal(alloc[2], 20000);
    assert_int_equal(credit, 0);
    /* over-payment becomes credit */
    assert_int_equal(fees_allocate(100001, bal, 3, alloc, &credit), 0);
    assert_int_equal(credit, 1);
    /* a paid invoice takes nothing */
    static const int64_t paid[] = {0, 400};
    int64_t a2[2];
    assert_int_equal(fees_allocate(500, paid, 2, a2, &credit), 0);
    assert_int_equal(a2[0], 0);
    assert_int_equal(a2[1], 400);
    assert_int_equal(credit, 100);
    /* nothing open: all credit */
    assert_int_equal(fees_allocate(500, NULL, 0, NULL, &credit), 0);
    assert_int_equal(credit, 500);
    /* bad input */
    credit = 9;
    assert_int_equal(fees_allocate(-1, bal, 3, alloc, &credit), -1);
    static const int64_t negb[] = {-5};
    assert_int_equal(fees_allocate(10, negb, 1, alloc, &credit), -1);
    assert_int_equal(credit, 9);
}

static void test_balances_refunds_credit_notes(void **state)
{
    (void)state;
    int64_t b = -1;
    /* 1000 invoiced, 700 paid, 200 of it refunded, 100 credited: 1000 - 700 + 200 - 100 = 400 */
    assert_int_equal(fees_invoice_balance(1000, 700, 200, 100, &b), 0);
    assert_int_equal(b, 400);
    assert_int_equal(fees_invoice_balance(1000, 1000, 0, 0, &b), 0);
    assert_int_equal(b, 0);
    b = 3;
    assert_int_equal(fees_invoice_balance(1000, 900, 0, 200, &b), -1); /* below zero */
    assert_int_equal(fees_invoice_balance(1000, 100, 200, 0, &b), -1); /* refunded more than paid */
    assert_int_equal(b, 3);
    /* refunds: up to what is left of the payment */
    assert_int_equal(fees_refund_check(5000, 0, 5000), 0);
    assert_int_equal(fees_refund_check(5000, 2000, 3000), 0);
    assert_int_equal(fees_refund_check(5000, 2000, 3001), -1);
    assert_int_equal(fees_refund_check(5000, 0, 0), -1);
    assert_int_equal(fees_refund_check(5000, 6000, 1), -1);
    /* credit notes: up to the balance */
    assert_int_equal(fees_credit_note_check(400, 400), 0);
    assert_int_equal(fees_credit_note_check(400, 401), -1);
    assert_int_equal(fees_credit_note_check(400, 0), -1);
    assert_int_equal(fees_credit_note_check(400, -1), -1);
}

static void test_status_and_ageing(void **state)
{
    (void)state;
    assert_int_equal(fees_invoice_status(1000, 1000, 10, 10), FEES_INVOICE_ISSUED);
    assert_int_equal(fees_invoice_status(1000, 400, 10, 10), FEES_INVOICE_PARTIAL);
    assert_int_equal(fees_invoice_status(1000, 0, 10, 99), FEES_INVOICE_PAID);
    assert_int_equal(fees_invoice_status(1000, 400, 10, 11), FEES_INVOICE_OVERDUE);
    assert_string_equal(fees_invoice_status_names[FEES_INVOICE_PARTIAL], "partially_paid");
    assert_int_equal(fees_ageing_bucket(100, 90), 0);  /* not yet due */
    assert_int_equal(fees_ageing_bucket(100, 130), 0); /* 30 days */
    assert_int_equal(fees_ageing_bucket(100, 131), 1);
    assert_int_equal(fees_ageing_bucket(100, 160), 1);
    assert_int_equal(fees_ageing_bucket(100, 161), 2);
    assert_int_equal(fees_ageing_bucket(100, 190), 2);
    assert_int_equal(fees_ageing_bucket(100, 191), 3);
}

static void test_receipt_number(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(fees_receipt_number(2026, 123, buf, sizeof buf), 0);
    assert_string_equal(buf, "R-2026-000123");
    assert_int_equal(fees_receipt_number(2026, 1234567, buf, sizeof buf), 0);
    assert_string_equal(buf, "R-2026-1234567");
    assert_int_equal(fees_receipt_number(2026, 1, buf, 13), -1); /* needs 14 with the NUL */
    assert_int_equal(fees_receipt_number(2026, 0, buf, sizeof buf), -1);
    assert_int_equal(fees_receipt_number(0, 1, buf, sizeof buf), -1);
}

static void test_instalments(void **state)
{
    (void)state;
    const int64_t thirds[] = {3334, 3333, 3333}, quarters[] = {2500, 2500, 2500, 2500}, whole[] = {10000};
    int64_t a = -1, d = -1;
    /* 100 000 less a discount of 12 345, in thirds: cumulative 33 340 / 66 670 / 100 000 of the amount, and of the
       discount 4 115.823 -> 4 116, 8 230.4115 -> 8 230, 12 345 */
    assert_int_equal(fees_instalment_line(100000, 12345, thirds, 3, 0, &a, &d), 0);
    assert_int_equal(a, 33340);
    assert_int_equal(d, 4116);
    assert_int_equal(fees_instalment_line(100000, 12345, thirds, 3, 1, &a, &d), 0);
    assert_int_equal(a, 33330);
    assert_int_equal(d, 4114); /* 8 230 - 4 116 */
    assert_int_equal(fees_instalment_line(100000, 12345, thirds, 3, 2, &a, &d), 0);
    assert_int_equal(a, 33330);
    assert_int_equal(d, 4115); /* 12 345 - 8 230 */
    /* 2 in quarters: 0.5 -> 1, 1 -> 1, 1.5 -> 2, 2: parts 1, 0, 1, 0 (never negative, adding up to 2) */
    int64_t parts[4], sum = 0;
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(fees_instalment_line(2, 0, quarters, 4, k, &parts[k], &d), 0);
        assert_int_equal(d, 0);
        sum += parts[k];
    }
    assert_int_equal(parts[0], 1);
    assert_int_equal(parts[1], 0);
    assert_int_equal(parts[2], 1);
    assert_int_equal(parts[3], 0);
    assert_int_equal(sum, 2);
    /* 3 with a whole discount of 2 in quarters: amounts 1, 1, 0, 1; discounts 1, 0, 1, 0 -> the third capped at 0 */
    assert_int_equal(fees_instalment_line(3, 2, quarters, 4, 2, &a, &d), 0);
    assert_int_equal(a, 0);
    assert_int_equal(d, 0);
    assert_int_equal(fees_instalment_line(5000, 5000, whole, 1, 0, &a, &d), 0);
    assert_int_equal(a, 5000);
    assert_int_equal(d, 5000);
    /* bad input: shares not adding up to 10000, k out of range, a discount above the amount */
    const int64_t short_shares[] = {5000, 4999};
    assert_int_equal(fees_instalment_line(100, 0, short_shares, 2, 0, &a, &d), -1);
    assert_int_equal(fees_instalment_line(100, 0, thirds, 3, 3, &a, &d), -1);
    assert_int_equal(fees_instalment_line(100, 101, thirds, 3, 0, &a, &d), -1);
    assert_int_equal(fees_instalment_line(-1, 0, whole, 1, 0, &a, &d), -1);
}

static void test_format_amount(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(fees_format_amount(123456, "EUR", buf, sizeof buf), 0);
    assert_string_equal(buf, "1,234.56 EUR");
    assert_int_equal(fees_format_amount(-5, "USD", buf, sizeof buf), 0);
    assert_string_equal(buf, "-0.05 USD");
    assert_int_equal(fees_format_amount(1500, "JPY", buf, sizeof buf), 0);
    assert_string_equal(buf, "1,500 JPY");
    assert_int_equal(fees_format_amount(12345, "KWD", buf, sizeof buf), 0);
    assert_string_equal(buf, "12.345 KWD");
    assert_int_equal(fees_format_amount(100000000000000, "EUR", buf, sizeof buf), 0);
    assert_string_equal(buf, "1,000,000,000,000.00 EUR");
    assert_int_equal(fees_format_amount(0, "EUR", buf, sizeof buf), 0);
    assert_string_equal(buf, "0.00 EUR");
    assert_int_equal(fees_format_amount(INT64_MIN, "EUR", buf, sizeof buf), 0);
    assert_string_equal(buf, "-92,233,720,368,547,758.08 EUR");
    assert_int_equal(fees_format_amount(123456, "EUR", buf, 12), -1); /* needs 13 with the NUL */
    assert_int_equal(fees_currency_digits("BHD"), 3);
    assert_int_equal(fees_currency_digits("GBP"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_rounds_half_up),
        cmocka_unit_test(test_discounts),
        cmocka_unit_test(test_sum),
        cmocka_unit_test(test_allocation_oldest_first),
        cmocka_unit_test(test_balances_refunds_credit_notes),
        cmocka_unit_test(test_status_and_ageing),
        cmocka_unit_test(test_receipt_number),
        cmocka_unit_test(test_instalments),
        cmocka_unit_test(test_format_amount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
