#include "obs/process.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "obs/metrics.h"

#ifndef ERP_VERSION
#define ERP_VERSION "0.0.0"
#endif
#ifndef ERP_COMMIT
#define ERP_COMMIT "unknown"
#endif

static double start_time;

const char *build_version(void)
{
    return ERP_VERSION;
}

const char *build_commit(void)
{
    return ERP_COMMIT;
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static void collect(sbuf_t *out, void *ud)
{
    (void)ud;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    metrics_family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    sbuf_printf(out, "process_cpu_seconds_total %.6f\n", cpu);

    long pagesize = sysconf(_SC_PAGESIZE);
    unsigned long vsize = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &vsize, &rss) != 2)
            vsize = rss = 0;
        fclose(f);
    }
    metrics_family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sbuf_printf(out, "process_resident_memory_bytes %lu\n", rss * (unsigned long)pagesize);
    metrics_family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sbuf_printf(out, "process_virtual_memory_bytes %lu\n", vsize * (unsigned long)pagesize);

    long fds = count_fds();
    if (fds >= 0) {
        metrics_family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
        sbuf_printf(out, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        metrics_family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        sbuf_printf(out, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
    metrics_family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    sbuf_printf(out, "process_start_time_seconds %.3f\n", start_time);

    metrics_family(out, "school_erp_build_info", "gauge", "Build of the running binary; the value is always 1.");
    sbuf_printf(out, "school_erp_build_info{version=\"%s\",commit=\"%s\",compiler=\"%s\"} 1\n", ERP_VERSION, ERP_COMMIT,
#if defined(__clang__)
                "clang " __clang_version__
#elif defined(__GNUC__)
                "gcc " __VERSION__
#else
                "unknown"
#endif
    );
}

void process_metrics_register(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    start_time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    metrics_register(collect, NULL);
}
