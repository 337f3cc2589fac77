/*
 * files.c - OneRoster file sets: the manifest and the files the import reads,
 * from a folder or from a zip held in memory (libzip), and writing a set into
 * a folder or a zip in memory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "oneroster/oneroster_int.h"

#define MAX_FILE_BYTES (256u << 20)
/*
 * The files a zip's import reads, uncompressed, together: parsed, a CSV file
 * takes up to about 45 times its size in memory (a record per short line), so
 * this bounds what an upload can make the server hold. A school of 10,000
 * students comes to about 30 MiB; larger sets import from a folder (the CLI).
 */
#define MAX_ZIP_BYTES (32u << 20)

const or_file_t *or_files_get(const or_files_t *fs, const char *name)
{
    for (int i = 0; i < fs->n; i++)
        if (strcmp(fs->v[i].name, name) == 0)
            return &fs->v[i];
    return NULL;
}

void or_files_add(or_files_t *fs, const char *name, const char *data, size_t len)
{
    if (fs->n < OR_MAX_FILES && or_files_get(fs, name) == NULL)
        fs->v[fs->n++] = (or_file_t){name, data, len};
}

/* Whether a file is one the import reads (the manifest and the files of or_specs); others are left unread. */
static int is_csv(const char *name)
{
    if (strcmp(name, "manifest.csv") == 0)
        return 1;
    for (int k = 0; k < OR_NTABLES; k++)
        if (strcmp(name, or_specs[k].file) == 0)
            return 1;
    return 0;
}

/* Reads one file into the arena; 0, or -1 with *why. */
static int slurp(arena_t *a, const char *path, char **out, size_t *len, const char **why)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0 || st.st_size > (off_t)MAX_FILE_BYTES) {
        *why = arena_printf(a, "%s: %s", path, f == NULL ? strerror(errno) : "larger than 256 MiB");
        if (f != NULL)
            fclose(f);
        return -1;
    }
    *out = arena_alloc(a, (size_t)st.st_size + 1);
    *len = fread(*out, 1, (size_t)st.st_size, f);
    (*out)[*len] = '\0';
    int bad = ferror(f) || *len != (size_t)st.st_size;
    fclose(f);
    if (bad)
        *why = arena_printf(a, "%s could not be read", path);
    return bad ? -1 : 0;
}

int or_files_from_dir(arena_t *a, const char *dir, or_files_t *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    DIR *d = opendir(dir);
    if (d == NULL) {
        *why = arena_printf(a, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!is_csv(de->d_name))
            continue;
        char *data;
        size_t len;
        const char *name = arena_strdup(a, de->d_name);
        rc = slurp(a, arena_printf(a, "%s/%s", dir, name), &data, &len, why);
        if (rc == 0)
            or_files_add(out, name, data, len);
    }
    closedir(d);
    return rc;
}

/* The base name of entry i of z when it is a file the import reads, at the top or in one folder (*st set); else NULL. */
static const char *zip_csv(zip_t *z, zip_uint64_t i, zip_stat_t *st)
{
    if (zip_stat_index(z, i, 0, st) != 0 || !(st->valid & ZIP_STAT_NAME) || !(st->valid & ZIP_STAT_SIZE))
        return NULL;
    const char *slash = strrchr(st->name, '/');
    const char *base = slash != NULL ? slash + 1 : st->name;
    if (!is_csv(base) || (slash != NULL && memchr(st->name, '/', (size_t)(slash - st->name)) != NULL))
        return NULL;
    return base;
}

/*
 * Before anything is inflated: refuses a file the zip holds twice (which one
 * the import reads would be a guess) and files whose uncompressed sizes
 * together exceed MAX_ZIP_BYTES (a zip bomb). 0, or -1 with *why.
 */
static int zip_check(arena_t *a, zip_t *z, zip_int64_t n, const char **why)
{
    const char *seen[OR_MAX_FILES];
    int nseen = 0;
    zip_uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        const char *base = zip_csv(z, (zip_uint64_t)i, &st);
        if (base == NULL)
            continue;
        for (int k = 0; k < nseen; k++)
            if (strcmp(seen[k], base) == 0) {
                *why = arena_printf(a, "the zip holds %s twice", base);
                return -1;
            }
        if (nseen < OR_MAX_FILES)
            seen[nseen++] = arena_strdup(a, base);
        total += st.size > MAX_ZIP_BYTES ? MAX_ZIP_BYTES + 1 : st.size;
        if (total > MAX_ZIP_BYTES) {
            *why = arena_printf(a, "the zip's CSV files come to more than 32 MiB uncompressed; import larger sets"
                                   " from a folder");
            return -1;
        }
    }
    return 0;
}

/* Reads entry i of z when it is a .csv at the top or in one folder; 0, or -1 with *why. */
static int zip_entry(arena_t *a, zip_t *z, zip_uint64_t i, or_files_t *out, const char **why)
{
    zip_stat_t st;
    const char *base = zip_csv(z, i, &st);
    if (base == NULL)
        return 0;
    if (st.size > MAX_FILE_BYTES) {
        *why = arena_printf(a, "%s in the zip is larger than 256 MiB", base);
        return -1;
    }
    char *data = arena_alloc(a, (size_t)st.size + 1);
    zip_file_t *f = zip_fopen_index(z, i, 0);
    zip_int64_t got = f != NULL ? zip_fread(f, data, st.size) : -1;
    if (f != NULL)
        zip_fclose(f);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        *why = arena_printf(a, "%s in the zip could not be read (%s)", base, zip_strerror(z));
        return -1;
    }
    data[got] = '\0';
    or_files_add(out, arena_strdup(a, base), data, (size_t)got);
    return 0;
}

int or_files_from_zip(arena_t *a, const void *bytes, size_t len, or_files_t *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(bytes, len, 0, &ze);
    zip_t *z = src != NULL ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (z == NULL) {
        *why = arena_printf(a, "not a readable zip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src != NULL)
            zip_source_free(src);
        return -1;
    }
    zip_error_fini(&ze);
    zip_int64_t n = zip_get_num_entries(z, 0);
    int rc = zip_check(a, z, n, why);
    for (zip_int64_t i = 0; rc == 0 && i < n; i++)
        rc = zip_entry(a, z, (zip_uint64_t)i, out, why);
    zip_discard(z);
    return rc;
}

int or_files_to_dir(arena_t *a, const or_files_t *fs, const char *dir, const char **why)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *why = arena_printf(a, "%s: %s", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < fs->n; i++) {
        const char *path = arena_printf(a, "%s/%s", dir, fs->v[i].name);
        FILE *f = fopen(path, "wb");
        int bad = f == NULL || fwrite(fs->v[i].data, 1, fs->v[i].len, f) != fs->v[i].len;
        if (f != NULL && fclose(f) != 0)
            bad = 1;
        if (bad) {
            *why = arena_printf(a, "%s could not be written: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Adds the files to z; 0, or -1. */
static int zip_add_all(zip_t *z, const or_files_t *fs)
{
    for (int i = 0; i < fs->n; i++) {
        zip_source_t *s = zip_source_buffer(z, fs->v[i].data, fs->v[i].len, 0);
        if (s == NULL)
            return -1;
        if (zip_file_add(z, fs->v[i].name, s, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(s);
            return -1;
        }
    }
    return 0;
}

/* Copies what src holds into out; 0, or -1. */
static int zip_take(zip_source_t *src, sbuf_t *out)
{
    zip_stat_t st;
    if (zip_source_open(src) != 0)
        return -1;
    int rc = -1;
    if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
        sbuf_reserve(out, (size_t)st.size);
        zip_int64_t got = zip_source_read(src, out->p + out->len, st.size);
        if (got >= 0 && (zip_uint64_t)got == st.size) {
            out->len += (size_t)got;
            rc = 0;
        }
    }
    zip_source_close(src);
    return rc;
}

int or_files_to_zip(arena_t *a, const or_files_t *fs, sbuf_t *out, const char **why)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = NULL;
    if (src != NULL) {
        zip_source_keep(src);
        z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    }
    int rc = z != NULL && zip_add_all(z, fs) == 0 ? 0 : -1;
    if (z != NULL && rc != 0)
        zip_discard(z);
    else if (z != NULL && zip_close(z) != 0) {
        zip_discard(z);
        rc = -1;
    }
    if (rc == 0)
        rc = zip_take(src, out);
    if (rc != 0)
        *why = arena_printf(a, "the zip could not be made: %s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    if (src != NULL)
        zip_source_free(src);
    return rc;
}
