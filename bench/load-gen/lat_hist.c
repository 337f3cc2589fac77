/* lat_hist.c - see lat_hist.h. */
#include "lat_hist.h"

#define SUB (1 << LAT_HIST_SUB_BITS) /* 64 buckets per power of two */

int lat_hist_bucket(uint64_t us)
{
    if (us >= LAT_HIST_MAX_US)
        us = LAT_HIST_MAX_US - 1;
    if (us < 2 * SUB)
        return (int)us;
    int msb = 63 - __builtin_clzll(us);
    int shift = msb - LAT_HIST_SUB_BITS; /* us >> shift is in [SUB, 2 * SUB) */
    return shift * SUB + (int)(us >> shift);
}

uint64_t lat_hist_bucket_top(int bucket)
{
    if (bucket < 2 * SUB)
        return (uint64_t)bucket;
    int shift = bucket / SUB - 1;
    uint64_t sub = (uint64_t)(bucket - shift * SUB);
    return ((sub + 1) << shift) - 1;
}

void lat_hist_record(lat_hist_t *h, uint64_t us)
{
    if (us > LAT_HIST_MAX_US)
        us = LAT_HIST_MAX_US;
    h->counts[lat_hist_bucket(us)]++;
    if (h->total == 0 || us < h->min_us)
        h->min_us = us;
    if (us > h->max_us)
        h->max_us = us;
    h->total++;
    h->sum_us += us;
}

void lat_hist_merge(lat_hist_t *dst, const lat_hist_t *src)
{
    if (src->total == 0)
        return;
    for (int i = 0; i < LAT_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min_us < dst->min_us)
        dst->min_us = src->min_us;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    dst->total += src->total;
    dst->sum_us += src->sum_us;
}

uint64_t lat_hist_quantile(const lat_hist_t *h, double q)
{
    if (h->total == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)(q * (double)h->total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < LAT_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t top = lat_hist_bucket_top(i);
            return top < h->max_us ? top : h->max_us;
        }
    }
    return h->max_us;
}

double lat_hist_mean(const lat_hist_t *h)
{
    return h->total ? (double)h->sum_us / (double)h->total : 0.0;
}
