/*
 * file.c - the blob port on a directory (file:DIR).
 *
 * An object lives in DIR/ab/cd/<id>, ab and cd being the first four hex
 * digits of its hash (at most 65,536 directories, few files in each). A put
 * writes DIR/ab/cd/.tmp-<id>-<random>, fsyncs it, renames it into place and
 * fsyncs the directory: readers see the whole object or none, also after a
 * crash. Two puts of the same bytes race harmlessly (the same content lands
 * under the same name).
 */
#include "blob/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_blob {
    blob_t base;
    char *dir;
} file_blob_t;

/* DIR/ab/cd (what = 0) or DIR/ab/cd/<id> (what = 1) into out. */
static void object_path(const file_blob_t *f, const char *id, int what, char *out, size_t outlen)
{
    const char *h = id + 7; /* after "sha256-" */
    if (what == 0)
        snprintf(out, outlen, "%s/%.2s/%.2s", f->dir, h, h + 2);
    else
        snprintf(out, outlen, "%s/%.2s/%.2s/%s", f->dir, h, h + 2, id);
}

/* mkdir -p of a path below an existing directory; 0 or -1 with errno. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0750);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int file_put(blob_t *b, const char *id, const void *data, size_t len, const char *content_type, int *existed,
                    blob_err_t *e)
{
    (void)content_type; /* the database keeps it */
    file_blob_t *f = (file_blob_t *)b;
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
    object_path(f, id, 0, dir, sizeof(dir));
    object_path(f, id, 1, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) == 0) {
        *existed = 1;
        return 0;
    }
    *existed = 0;
    if (make_dirs(dir) != 0)
        return blob_fail(e, BLOB_EFAIL, "cannot create %s: %s", dir, strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%08x", dir, id, randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return blob_fail(e, BLOB_EFAIL, "cannot create %s: %s", tmp, strerror(errno));
    int rc = write_all(fd, data, len) == 0 && fsync(fd) == 0 ? 0 : -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        return blob_fail(e, BLOB_EFAIL, "cannot write %s: %s", path, strerror(saved));
    }
    if (fsync_dir(dir) != 0)
        return blob_fail(e, BLOB_EFAIL, "cannot sync %s: %s", dir, strerror(errno));
    return 0;
}

static int file_get(blob_t *b, const char *id, blob_sink_fn sink, void *ud, blob_err_t *e)
{
    file_blob_t *f = (file_blob_t *)b;
    char path[PATH_MAX];
    object_path(f, id, 1, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? blob_fail(e, BLOB_ENOTFOUND, "no object %s", id)
                               : blob_fail(e, BLOB_EFAIL, "cannot open %s: %s", path, strerror(errno));
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = blob_fail(e, BLOB_EFAIL, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (sink(buf, (size_t)n, ud) != 0) {
            rc = blob_fail(e, BLOB_EFAIL, "the reader of %s stopped", id);
            break;
        }
    }
    close(fd);
    return rc;
}

static int file_head(blob_t *b, const char *id, size_t *size, blob_err_t *e)
{
    file_blob_t *f = (file_blob_t *)b;
    char path[PATH_MAX];
    object_path(f, id, 1, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? blob_fail(e, BLOB_ENOTFOUND, "no object %s", id)
                               : blob_fail(e, BLOB_EFAIL, "cannot stat %s: %s", path, strerror(errno));
    *size = (size_t)st.st_size;
    return 0;
}

static int file_del(blob_t *b, const char *id, blob_err_t *e)
{
    file_blob_t *f = (file_blob_t *)b;
    char path[PATH_MAX];
    object_path(f, id, 1, path, sizeof(path));
    if (unlink(path) != 0 && errno != ENOENT)
        return blob_fail(e, BLOB_EFAIL, "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

static void file_destroy(blob_t *b)
{
    file_blob_t *f = (file_blob_t *)b;
    free(f->dir);
    free(f);
}

static const blob_ops_t file_ops = {
    .name = "file",
    .put = file_put,
    .get = file_get,
    .head = file_head,
    .del = file_del,
    .destroy = file_destroy,
};

blob_t *blob_file_open(const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n + 80 >= PATH_MAX) {
        snprintf(err, errlen, "ERP_BLOB_URL: directory name too long");
        return NULL;
    }
    file_blob_t *f = calloc(1, sizeof(*f));
    char *d = strndup(dir, n);
    if (f == NULL || d == NULL) {
        free(f);
        free(d);
        snprintf(err, errlen, "ERP_BLOB_URL: out of memory");
        return NULL;
    }
    f->base.ops = &file_ops;
    f->dir = d;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", d);
    if (make_dirs(path) != 0) {
        snprintf(err, errlen, "ERP_BLOB_URL: cannot create %s: %s", d, strerror(errno));
        file_destroy(&f->base);
        return NULL;
    }
    return &f->base;
}
