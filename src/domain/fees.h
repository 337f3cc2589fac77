/*
 * fees.h - the arithmetic of school fees, without I/O: discounts, invoice
 * totals, the allocation of a payment to open invoices, refunds and credit
 * notes. Nothing here uses floating point.
 *
 * Units
 *   amount      integer minor units of the school's ISO currency (cents for
 *               USD, yen for JPY); a fee, a payment, a refund is >= 0
 *   percentage  basis points: hundredths of a percent (12.5 % = 1250), 0..10000
 *
 * The rounding rule (one rule, everywhere): a percentage discount on an
 * amount is amount * bp / 10000 rounded half up to a whole minor unit
 * (12.5 % of 1 001 = 125.125 -> 125; 50 % of 3 = 1.5 -> 2), computed once on
 * each line, never on a total, so a reader can redo every line of an
 * invoice. A fixed discount is taken as given. A discount never takes a line
 * below zero: it is capped at the line's amount (the cap is what is shown).
 * Several discounts on one line apply in order, each to what the previous
 * ones left.
 *
 * Allocation (fees_allocate)
 *   A payment pays open invoices oldest first: by due date, then by issue
 *   order (the caller's order breaks ties: pass invoices sorted by due date
 *   and creation). Each invoice takes min(remaining payment, its balance); an
 *   invoice with balance 0 takes nothing. What is left after every invoice is
 *   paid becomes credit on the student's account. A caller naming invoices
 *   passes only those, in the order named.
 *
 * Balances
 *   An invoice's balance = total - allocations + refunded allocations -
 *   credit notes; never below 0 (a credit note larger than the balance is
 *   refused). A student's account balance = sum of invoice balances - credit,
 *   where credit = unallocated payments - refunds of credit.
 *
 * Functions return 0, or -1 on bad input (negative amounts, percentage over
 * 10000) or when a sum would overflow int64; outputs are then untouched.
 */
#ifndef ERP_DOMAIN_FEES_H
#define ERP_DOMAIN_FEES_H

#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted anywhere (10^15 minor units: far above any school fee, far below int64 overflow on sums). */
#define FEES_AMOUNT_MAX INT64_C(1000000000000000)

/* How a discount is given. */
typedef enum {
    FEES_DISCOUNT_PERCENT, /* value in basis points, 0..10000 */
    FEES_DISCOUNT_FIXED,   /* value in minor units, >= 0 */
} fees_discount_kind_t;

/* "percentage", "fixed" (FEES_DISCOUNT_PERCENT + index). */
extern const char *const fees_discount_kind_names[];
/* The kind of one of those names, or -1 when unknown (NULL too). */
int fees_discount_kind_parse(const char *s);

typedef struct fees_discount {
    fees_discount_kind_t kind;
    int64_t value;
} fees_discount_t;

/* Whether an amount is in 0..FEES_AMOUNT_MAX. */
int fees_amount_valid(int64_t amount);

/* amount * bp / 10000, half up, into *out; -1 on bad input. */
int fees_percent_of(int64_t amount, int64_t bp, int64_t *out);

/* The discount d takes off amount (capped at amount) into *off; -1 on bad input. */
int fees_discount_off(int64_t amount, const fees_discount_t *d, int64_t *off);

/* The net of a line after discounts d[0..n) in order into *net and the total taken off into *off (either may be NULL). */
int fees_line_net(int64_t amount, const fees_discount_t *d, size_t n, int64_t *net, int64_t *off);

/* The sum of amounts[0..n) into *out; -1 on a negative amount or overflow. */
int fees_sum(const int64_t *amounts, size_t n, int64_t *out);

/*
 * Splits payment over balances[0..n) oldest first (the order given):
 * alloc[i] = what invoice i takes, *credit = what is left. -1 on bad input
 * (alloc and credit are then untouched).
 */
int fees_allocate(int64_t payment, const int64_t *balances, size_t n, int64_t *alloc, int64_t *credit);

/* An invoice's balance (see above) into *out; -1 when negative or on bad input. */
int fees_invoice_balance(int64_t total, int64_t allocated, int64_t refunded, int64_t credited, int64_t *out);

/*
 * Whether a refund of `amount` may be made from a payment of `paid` of which
 * `refunded` was already refunded: 0 when amount is in 1..paid - refunded.
 */
int fees_refund_check(int64_t paid, int64_t refunded, int64_t amount);

/* Whether a credit note of `amount` may be made on an invoice with balance `balance`: 0 when 1..balance. */
int fees_credit_note_check(int64_t balance, int64_t amount);

/* The status of an invoice from its figures. */
typedef enum {
    FEES_INVOICE_DRAFT,
    FEES_INVOICE_ISSUED,
    FEES_INVOICE_PARTIAL,
    FEES_INVOICE_PAID,
    FEES_INVOICE_OVERDUE,
    FEES_INVOICE_VOID,
} fees_invoice_status_t;

/* "draft", "issued", "partially_paid", "paid", "overdue", "void" (FEES_INVOICE_DRAFT + index), NULL-terminated. */
extern const char *const fees_invoice_status_names[];

/*
 * The status of an issued, not void invoice: paid when balance is 0, overdue
 * when due_day < today_day and something is owed, partially paid when
 * something was paid, else issued. Days are any monotonic day numbers.
 */
fees_invoice_status_t fees_invoice_status(int64_t total, int64_t balance, int64_t due_day, int64_t today_day);

/* Ageing buckets of what is owed: 0-30, 31-60, 61-90, over 90 days past due (not yet due counts in 0-30). */
#define FEES_AGEING_BUCKETS 4
/* The bucket (0..3) of an amount due on due_day seen on today_day. */
int fees_ageing_bucket(int64_t due_day, int64_t today_day);

/* Formats a receipt number "R-YYYY-NNNNNN" (at least six digits) into buf; -1 when it does not fit or on bad input. */
int fees_receipt_number(int year, int64_t seq, char *buf, size_t size);

/*
 * Instalments (fees_instalment_line)
 *   A structure bills each item in instalments of shares in basis points that
 *   add up to 10000. The line of an item in instalment k takes, of the item's
 *   amount and of its whole discount (fees_line_net on the full amount),
 *   what the shares of instalments 0..k take, rounded half up
 *   (fees_percent_of), less what the shares of 0..k-1 take: no part is
 *   negative, and the instalments of an item add up to it exactly (10 000 in
 *   shares 3334/3333/3333 -> 3334, 3333, 3333; 2 in four shares of 2500 ->
 *   1, 0, 1, 0). A line's discount is capped at its amount (never a negative
 *   net).
 */
/*
 * The amount and discount of instalment k (0-based) of n with shares[0..n) of
 * an item of `amount` with a whole `discount` (0..amount): *line_amount,
 * *line_discount. -1 on bad input (shares not adding up to 10000, k out of range).
 */
int fees_instalment_line(int64_t amount, int64_t discount, const int64_t *shares, size_t n, size_t k,
                         int64_t *line_amount, int64_t *line_discount);

/* The minor unit digits of an ISO 4217 currency: 0 (JPY, KRW, …), 3 (BHD, KWD, …) or 2 (the rest). */
int fees_currency_digits(const char *currency);
/*
 * Formats amount (minor units) of currency for people: "1,234.56 EUR", "-0.05 USD", "1,500 JPY",
 * "12.345 KWD" (digits grouped by three with ','). -1 when it does not fit in size.
 */
int fees_format_amount(int64_t amount, const char *currency, char *buf, size_t size);

#endif
