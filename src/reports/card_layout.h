/*
 * card_layout.h - the geometry of a printed report card, without I/O or
 * drawing: the page size of the school's paper, how a remark wraps into lines
 * of a width, and how tall the rows of the subjects' table are so that every
 * subject fits on the one page of a student.
 *
 * Units are PDF points (1/72 inch); widths come from a measure function (the
 * drawing passes cairo's text advance; unit tests pass their own).
 */
#ifndef ERP_REPORTS_CARD_LAYOUT_H
#define ERP_REPORTS_CARD_LAYOUT_H

#include <stddef.h>

/* A4 portrait and US Letter portrait, in points. */
#define CARD_A4_W 595.28
#define CARD_A4_H 841.89
#define CARD_LETTER_W 612.0
#define CARD_LETTER_H 792.0

/* The page size of the paper (letter 1: US Letter, 0: A4) into *w and *h. */
void card_page_size(int letter, double *w, double *h);

/* The width of the first n bytes of s. */
typedef double (*card_measure_fn)(void *ctx, const char *s, size_t n);

/* One line of wrapped text: bytes [start, start + len) of the text. */
typedef struct card_line {
    size_t start, len;
} card_line_t;

/*
 * Wraps s into at most max lines no wider than width: breaks at spaces (a
 * run of spaces ends a line and is dropped), a word wider than a line at a
 * UTF-8 character boundary; newlines break lines. Returns the number of
 * lines (0 for an empty or blank text) and sets *cut when text was left over
 * (the caller ends the last line with an ellipsis).
 */
int card_wrap(const char *s, double width, card_measure_fn measure, void *ctx, card_line_t *lines, int max, int *cut);

/*
 * The height of a subject row: the text of a row needs lines * line_h plus
 * pad; the rows take at most room in all, and are never taller than
 * natural. Returns the number of remark lines a row holds (at least 1) and
 * its height in *row_h, or -1 when room cannot hold nsubjects rows of one
 * line (the page is too small).
 */
int card_rows(int nsubjects, double room, double line_h, double pad, int max_lines, double *row_h);

#endif
