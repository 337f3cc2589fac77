/*
 * lat_hist.h - a latency histogram of logarithmic buckets (HdrHistogram's layout, our own code).
 *
 * Values are microseconds, 0 to 2^40. Below 128 every value has its own bucket; above, each
 * power of two is split into 64 equal buckets, so a bucket's width is at most 1/64 (1.6 %) of
 * its values. Recording is O(1) and allocation-free; the struct is plain data (zero it to start,
 * add histograms together with lat_hist_merge). Not thread-safe: one histogram per thread.
 */
#ifndef LAT_HIST_H
#define LAT_HIST_H

#include <stdint.h>

#define LAT_HIST_SUB_BITS 6
#define LAT_HIST_BUCKETS (42 * 64)
#define LAT_HIST_MAX_US ((uint64_t)1 << 40)

typedef struct {
    uint64_t counts[LAT_HIST_BUCKETS];
    uint64_t total; /* values recorded */
    uint64_t sum_us;
    uint64_t max_us;
    uint64_t min_us; /* meaningful only when total > 0 */
} lat_hist_t;

/* Records one value (microseconds; values above LAT_HIST_MAX_US count as LAT_HIST_MAX_US). */
void lat_hist_record(lat_hist_t *h, uint64_t us);

/* Adds every value of src to dst. */
void lat_hist_merge(lat_hist_t *dst, const lat_hist_t *src);

/* The value at quantile q (0..1): the highest value of the bucket holding the ceil(q*total)-th
 * smallest value, never above the exact maximum; 0 when the histogram is empty. */
uint64_t lat_hist_quantile(const lat_hist_t *h, double q);

/* The mean in microseconds (exact: from the sum); 0 when empty. */
double lat_hist_mean(const lat_hist_t *h);

/* The bucket of a value, and the highest value a bucket holds (exposed for the tests). */
int lat_hist_bucket(uint64_t us);
uint64_t lat_hist_bucket_top(int bucket);

#endif
