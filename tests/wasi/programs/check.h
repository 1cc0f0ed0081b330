/* check.h: shared helpers of the WASI test programs (the .c files here).
 *
 * Each program calls the raw wasi_snapshot_preview1 functions (wasi/api.h), prints one line
 * "label: result" per step (the result is the witx errno name, "success", or a value), and
 * counts a failure for every result other than the expected one (marked "UNEXPECTED").
 * main() returns the number of failures, so exit status 0 means every step was right.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#pragma clang diagnostic ignored "-Wunused-function"   /* each program uses some helpers */

static int failures;

static const char *const ERRNO_NAMES[] = {
    "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again", "already",
    "badf", "badmsg", "busy", "canceled", "child", "connaborted", "connrefused", "connreset",
    "deadlk", "destaddrreq", "dom", "dquot", "exist", "fault", "fbig", "hostunreach", "idrm",
    "ilseq", "inprogress", "intr", "inval", "io", "isconn", "isdir", "loop", "mfile", "mlink",
    "msgsize", "multihop", "nametoolong", "netdown", "netreset", "netunreach", "nfile",
    "nobufs", "nodev", "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt",
    "nospc", "nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup",
    "notty", "nxio", "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport",
    "prototype", "range", "rofs", "spipe", "srch", "stale", "timedout", "txtbsy", "xdev",
    "notcapable",
};

static const char *errname(__wasi_errno_t e) {
    return e < sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0] ? ERRNO_NAMES[e] : "?";
}

/* "label: <errno name>"; a failure unless it is `want`. */
static void check(const char *label, __wasi_errno_t got, __wasi_errno_t want) {
    printf("%s: %s", label, errname(got));
    if (got != want) {
        printf("  UNEXPECTED (expected %s)", errname(want));
        failures++;
    }
    printf("\n");
}

/* "label: <errno name>"; a failure unless it is one of `a`, `b` (host-dependent results). */
static void check2(const char *label, __wasi_errno_t got, __wasi_errno_t a, __wasi_errno_t b) {
    check(label, got, got == b ? b : a);
}

/* "label: <value>"; a failure unless it is `want`. */
static void check_u64(const char *label, unsigned long long got, unsigned long long want) {
    printf("%s: %llu", label, got);
    if (got != want) {
        printf("  UNEXPECTED (expected %llu)", want);
        failures++;
    }
    printf("\n");
}

/* "label: <text>"; a failure unless it is `want` (`n` bytes of `got`). */
static void check_str(const char *label, const char *got, size_t n, const char *want) {
    printf("%s: %.*s", label, (int)n, got);
    if (n != strlen(want) || memcmp(got, want, n) != 0) {
        printf("  UNEXPECTED (expected %s)", want);
        failures++;
    }
    printf("\n");
}

/* "label: yes|no"; a failure unless `cond` holds. */
static void check_true(const char *label, int cond) {
    printf("%s: %s\n", label, cond ? "yes" : "no  UNEXPECTED");
    if (!cond)
        failures++;
}

/* The preopened directory named `name` (fd_prestat_get / fd_prestat_dir_name over fds from
 * 3 until ERRNO_BADF), or -1. */
static int find_preopen(const char *name) {
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t prestat;
        if (__wasi_fd_prestat_get(fd, &prestat) != 0)
            return -1;
        char buf[256];
        size_t len = prestat.u.dir.pr_name_len;
        if (len < sizeof buf && __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) == 0 &&
            len == strlen(name) && memcmp(buf, name, len) == 0)
            return (int)fd;
    }
}

#define RIGHTS_RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | \
                   __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET |                \
                   __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | \
                   __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_ADVISE |                   \
                   __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC |                     \
                   __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_POLL_FD_READWRITE)
#define RIGHTS_RO (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_POLL_FD_READWRITE)
#define RIGHTS_DIR ((__wasi_rights_t)0x3fffffff)
/* What to ask for when opening a directory: every right but FD_WRITE (a directory cannot be
 * opened for writing: ERRNO_ISDIR, as in wasmtime). */
#define RIGHTS_DIR_BASE (RIGHTS_DIR & ~__WASI_RIGHTS_FD_WRITE)

/* path_open relative to `dir`, following symbolic links; the new fd, or -errno. */
static long open_at(int dir, const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights,
                    __wasi_fdflags_t fdflags) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags,
                                        rights, RIGHTS_DIR, fdflags, &fd);
    return e ? -(long)e : (long)fd;
}

/* The errno of an open_at result (success for a descriptor). */
static __wasi_errno_t open_errno(long r) { return r < 0 ? (__wasi_errno_t)-r : 0; }

/* Write a string with fd_write; the errno. */
static __wasi_errno_t write_str(int fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &iov, 1, &n);
}

/* Create (or truncate) `path` under `dir` holding `text`; the errno. */
static __wasi_errno_t make_file(int dir, const char *path, const char *text) {
    long fd = open_at(dir, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0);
    if (fd < 0)
        return open_errno(fd);
    __wasi_errno_t e = write_str((int)fd, text);
    __wasi_errno_t c = __wasi_fd_close((int)fd);
    return e ? e : c;
}

/* Print the final count and give main()'s return value. */
static int done(void) {
    printf("failures: %d\n", failures);
    return failures ? 1 : 0;
}

#endif
