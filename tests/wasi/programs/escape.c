/* escape.c: the sandbox escape of issue 11, tried by a real guest.
 *
 * usage: escape
 *   /work: writable and empty; its host parent holds outside/secret.txt.
 *
 * For each of path_rename and path_link: make p/l -> .. (allowed: it names /work itself),
 * open a directory a and keep its descriptor, remove a, move (or hard-link) p/l to a. With
 * directories kept as host path strings, the old descriptor of a then meant /work/.. on the
 * host. Every access through it (read, create, list, stat, mkdir) must fail, and following
 * the moved link from /work must give ERRNO_NOTCAPABLE. Hosts that refuse to remove an open
 * directory (Windows) stop the attack at the removal; the accesses must fail all the same.
 */
#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE

/* "label: <errno>"; a failure if the call worked. */
static void check_refused(const char *label, __wasi_errno_t got) {
    printf("%s: %s", label, errname(got));
    if (got == 0) {
        printf("  UNEXPECTED (expected a failure)");
        failures++;
    }
    printf("\n");
}

/* Whether one fd_readdir of `fd` lists the name `name`. */
static int lists(int fd, const char *name) {
    static uint8_t buf[4096];
    __wasi_size_t used;
    if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) != 0)
        return 0;
    for (__wasi_size_t at = 0; at + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t d;
        memcpy(&d, buf + at, sizeof d);
        at += sizeof d;
        if (d.d_namlen == strlen(name) && at + d.d_namlen <= used &&
            memcmp(buf + at, name, d.d_namlen) == 0)
            return 1;
        at += d.d_namlen;
    }
    return 0;
}

static void attack(int w, const char *how, int use_link) {
    char label[128];
    __wasi_filestat_t st;
#define L(text) (snprintf(label, sizeof label, "[%s] %s", how, text), label)
    check(L("mkdir p"), __wasi_path_create_directory(w, use_link ? "pl" : "p"), 0);
    const char *link = use_link ? "pl/l" : "p/l";
    const char *dir = use_link ? "b" : "a";
    check(L("symlink p/l -> .."), __wasi_path_symlink("..", w, link), 0);
    check(L("mkdir a"), __wasi_path_create_directory(w, dir), 0);
    long a = open_at(w, dir, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE, 0);
    check(L("open a"), open_errno(a), 0);
    __wasi_errno_t removed = __wasi_path_remove_directory(w, dir);
    printf("%s: %s\n", L("rmdir a (open)"), errname(removed));
    if (removed == 0) {
        __wasi_errno_t moved = use_link ? __wasi_path_link(w, 0, link, w, dir)
                                        : __wasi_path_rename(w, link, w, dir);
        check(L("move p/l to a"), moved, 0);
    }
    int fd = (int)a;
    check_refused(L("read outside/secret.txt"),
                  open_errno(open_at(fd, "outside/secret.txt", 0, RIGHTS_RO, 0)));
    check_refused(L("create outside/created.txt"),
                  open_errno(open_at(fd, "outside/created.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0)));
    check_refused(L("stat outside"), __wasi_path_filestat_get(fd, 0, "outside", &st));
    check_refused(L("mkdir outside/newdir"), __wasi_path_create_directory(fd, "outside/newdir"));
    check_true(L("listing shows no outside"), !lists(fd, "outside"));
    long o = open_at(fd, "outside", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE, 0);
    check_refused(L("open outside"), open_errno(o));
    if (removed == 0) {
        char through[64];
        snprintf(through, sizeof through, "%s/outside/secret.txt", dir);
        check(L("read a/outside/secret.txt from /work"),
              open_errno(open_at(w, through, 0, RIGHTS_RO, 0)), NOTCAP);
    }
    check(L("close a"), __wasi_fd_close(fd), 0);
#undef L
}

int main(void) {
    int w = find_preopen("/work");
    check_true("found /work", w >= 0);
    if (w < 0)
        return 1;
    attack(w, "rename", 0);
    attack(w, "link", 1);
    printf("failures: %d\n", failures);
    return failures;
}
