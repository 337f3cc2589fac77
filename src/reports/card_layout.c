/* card_layout.c - the geometry of a printed report card (see card_layout.h). */
#include "reports/card_layout.h"

#include <math.h>

void card_page_size(int letter, double *w, double *h)
{
    *w = letter ? CARD_LETTER_W : CARD_A4_W;
    *h = letter ? CARD_LETTER_H : CARD_A4_H;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The longest prefix of s[0..n) no wider than width, ending at a character boundary (at least one character). */
static size_t fit_chars(const char *s, size_t n, double width, card_measure_fn measure, void *ctx)
{
    size_t best = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (measure(ctx, s, i) > width)
            break;
        best = i;
    }
    if (best == 0) /* not even one character fits: take it anyway */
        for (best = 1; best < n && ((unsigned char)s[best] & 0xC0) == 0x80; best++)
            ;
    return best;
}

/* The end of the next line of s from start (bytes), given its limit n: at the last space that fits. */
static size_t line_end(const char *s, size_t start, size_t n, double width, card_measure_fn measure, void *ctx)
{
    size_t end = start, i = start;
    while (i < n && s[i] != '\n') {
        size_t w = i;
        while (w < n && !is_space(s[w]) && s[w] != '\n')
            w++;
        if (measure(ctx, s + start, w - start) > width)
            break;
        end = w;
        while (w < n && is_space(s[w]))
            w++;
        i = w;
    }
    if (end == start && i < n && s[i] != '\n') /* the first word alone is too wide */
        end = start + fit_chars(s + start, n - start, width, measure, ctx);
    return end;
}

int card_wrap(const char *s, double width, card_measure_fn measure, void *ctx, card_line_t *lines, int max, int *cut)
{
    size_t n = 0, i = 0;
    int count = 0;
    *cut = 0;
    if (s == NULL)
        return 0;
    while (s[n] != '\0')
        n++;
    for (;;) {
        while (i < n && (is_space(s[i]) || s[i] == '\n'))
            i++;
        if (i >= n)
            break;
        if (count == max) {
            *cut = 1;
            break;
        }
        size_t end = line_end(s, i, n, width, measure, ctx);
        size_t len = end - i;
        while (len > 0 && is_space(s[i + len - 1]))
            len--;
        lines[count++] = (card_line_t){i, len};
        i = end;
    }
    return count;
}

int card_rows(int nsubjects, double room, double line_h, double pad, int max_lines, double *row_h)
{
    if (nsubjects <= 0) {
        *row_h = line_h + pad;
        return max_lines > 0 ? max_lines : 1;
    }
    double per_row = room / nsubjects;
    int lines = (int)floor((per_row - pad) / line_h + 1e-9);
    if (lines < 1)
        return -1;
    if (lines > max_lines)
        lines = max_lines > 0 ? max_lines : 1;
    *row_h = lines * line_h + pad;
    return lines;
}
