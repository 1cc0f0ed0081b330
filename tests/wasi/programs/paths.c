/* paths.c: the path_* functions and fd_readdir inside one writable preopen.
 *
 * usage: paths [nosymlink]     (with a writable, empty directory preopened as /work;
 *                               "nosymlink" skips the steps that need symbolic links)
 *
 * Creates, opens (oflags CREAT, EXCL, TRUNC, DIRECTORY), stats, sets times, links, renames,
 * unlinks and removes files and directories; makes and reads symbolic links and opens
 * through them with and without LOOKUPFLAGS_SYMLINK_FOLLOW; lists a directory of 40 entries
 * with the raw fd_readdir through a buffer too small for all of them. Leaves in /work:
 * d/f ("new"), d/link -> f (with symlinks), renamed ("new", a hard link of d/f), many/
 * (entry-00 .. entry-39), moved/ (empty).
 */
#include "check.h"

static char buf[512];

static __wasi_errno_t stat_at(int dir, const char *path, __wasi_lookupflags_t flags,
                              __wasi_filestat_t *st) {
    return __wasi_path_filestat_get(dir, flags, path, st);
}

static void create_and_open(int dir) {
    __wasi_filestat_t st;
    check("mkdir d", __wasi_path_create_directory(dir, "d"), 0);
    check("mkdir d again", __wasi_path_create_directory(dir, "d"), __WASI_ERRNO_EXIST);
    check("mkdir in missing", __wasi_path_create_directory(dir, "none/x"), __WASI_ERRNO_NOENT);
    long fd = open_at(dir, "d/f", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_RW, 0);
    check("create d/f excl", open_errno(fd), 0);
    check("write d/f", write_str((int)fd, "old contents"), 0);
    check("close d/f", __wasi_fd_close((int)fd), 0);
    check("create d/f excl again", open_errno(open_at(dir, "d/f",
          __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_RW, 0)), __WASI_ERRNO_EXIST);
    check("open missing", open_errno(open_at(dir, "missing", 0, RIGHTS_RO, 0)),
          __WASI_ERRNO_NOENT);
    check("open file as directory", open_errno(open_at(dir, "d/f", __WASI_OFLAGS_DIRECTORY,
          RIGHTS_RO, 0)), __WASI_ERRNO_NOTDIR);
    check("open file/", open_errno(open_at(dir, "d/f/", 0, RIGHTS_RO, 0)), __WASI_ERRNO_NOTDIR);
    check("open through file", open_errno(open_at(dir, "d/f/x", 0, RIGHTS_RO, 0)),
          __WASI_ERRNO_NOTDIR);
    check("open dir for writing", open_errno(open_at(dir, "d", 0, RIGHTS_RW, 0)),
          __WASI_ERRNO_ISDIR);
    check("open dir O_DIRECTORY with fd_write",
          open_errno(open_at(dir, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0)), __WASI_ERRNO_ISDIR);
    long sub = open_at(dir, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE, 0);
    check("open dir", open_errno(sub), 0);
    check("stat f through dir fd", stat_at((int)sub, "f", 0, &st), 0);
    check_u64("size of f", st.size, 12);
    check("close dir", __wasi_fd_close((int)sub), 0);
    fd = open_at(dir, "d/f", __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0);
    check("open d/f trunc", open_errno(fd), 0);
    check("write new", write_str((int)fd, "new"), 0);
    check("close trunc", __wasi_fd_close((int)fd), 0);
    check("stat d/f", stat_at(dir, "d/f", 0, &st), 0);
    check_u64("size after trunc", st.size, 3);
    check_u64("type of d/f", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    check("stat d", stat_at(dir, "d", 0, &st), 0);
    check_u64("type of d", st.filetype, __WASI_FILETYPE_DIRECTORY);
    check("stat missing", stat_at(dir, "missing", 0, &st), __WASI_ERRNO_NOENT);
    check("stat empty path", stat_at(dir, "", 0, &st), __WASI_ERRNO_NOENT);
    check("open bad oflags", open_errno(open_at(dir, "d/f", 0x10, RIGHTS_RO, 0)),
          __WASI_ERRNO_INVAL);
    check("path on a file fd", stat_at(1, "x", 0, &st), __WASI_ERRNO_NOTDIR);
    check("path on a bad fd", stat_at(99, "x", 0, &st), __WASI_ERRNO_BADF);
}

static void times(int dir) {
    __wasi_filestat_t st;
    check("path set_times", __wasi_path_filestat_set_times(dir, 0, "d/f",
          1400000000000000000ull, 1300000000000000000ull,
          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    check("stat after set_times", stat_at(dir, "d/f", 0, &st), 0);
    check_u64("atim", st.atim, 1400000000000000000ull);
    check_u64("mtim", st.mtim, 1300000000000000000ull);
    check("path set_times mtim only", __wasi_path_filestat_set_times(dir, 0, "d/f", 0,
          1200000000000000000ull, __WASI_FSTFLAGS_MTIM), 0);
    check("stat again", stat_at(dir, "d/f", 0, &st), 0);
    check_u64("atim kept", st.atim, 1400000000000000000ull);
    check_u64("mtim set", st.mtim, 1200000000000000000ull);
    check("path set_times missing", __wasi_path_filestat_set_times(dir, 0, "missing", 0, 0,
          __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_NOENT);
    check("path set_times bad flags", __wasi_path_filestat_set_times(dir, 0, "d/f", 0, 0,
          __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);
}

static void symlinks(int dir) {
    __wasi_filestat_t st;
    __wasi_size_t n;
    check("symlink d/link -> f", __wasi_path_symlink("f", dir, "d/link"), 0);
    check("symlink existing", __wasi_path_symlink("f", dir, "d/link"), __WASI_ERRNO_EXIST);
    check("readlink d/link", __wasi_path_readlink(dir, "d/link", (uint8_t *)buf, sizeof buf,
          &n), 0);
    check_str("link target", buf, n, "f");
    check("symlink long", __wasi_path_symlink("a-rather-long-target", dir, "long"), 0);
    check("readlink small buffer", __wasi_path_readlink(dir, "long", (uint8_t *)buf, 4, &n), 0);
    check_str("cut target", buf, n, "a-ra");
    check("unlink long", __wasi_path_unlink_file(dir, "long"), 0);
    check("readlink a file", __wasi_path_readlink(dir, "d/f", (uint8_t *)buf, sizeof buf, &n),
          __WASI_ERRNO_INVAL);
    check("readlink missing", __wasi_path_readlink(dir, "nolink", (uint8_t *)buf, sizeof buf,
          &n), __WASI_ERRNO_NOENT);
    check("lstat link", stat_at(dir, "d/link", 0, &st), 0);
    check_u64("lstat type", st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
    check("stat link followed", stat_at(dir, "d/link", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, &st), 0);
    check_u64("followed type", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    long fd = open_at(dir, "d/link", 0, RIGHTS_RO, 0);
    check("open through link", open_errno(fd), 0);
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    check("read through link", __wasi_fd_read((int)fd, &iov, 1, &n), 0);
    check_str("read through link gave", buf, n, "new");
    check("close link file", __wasi_fd_close((int)fd), 0);
    __wasi_fd_t nofollow;
    check("open link nofollow", __wasi_path_open(dir, 0, "d/link", 0, RIGHTS_RO, 0, 0,
          &nofollow), __WASI_ERRNO_LOOP);
    check("symlink to dir", __wasi_path_symlink("d", dir, "dlink"), 0);
    check("stat through dir link", stat_at(dir, "dlink/f", 0, &st), 0);
    check2("set_times on link itself", __wasi_path_filestat_set_times(dir, 0, "dlink", 0,
           1100000000000000000ull, __WASI_FSTFLAGS_MTIM), 0, __WASI_ERRNO_NOTSUP);
    check("unlink dir link", __wasi_path_unlink_file(dir, "dlink"), 0);
    check("dir survives", stat_at(dir, "d", 0, &st), 0);
    check("link a link", __wasi_path_link(dir, 0, "d/link", dir, "link2"), 0);
    check("lstat link2", stat_at(dir, "link2", 0, &st), 0);
    check_u64("link2 type", st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
    check("unlink link2", __wasi_path_unlink_file(dir, "link2"), 0);
}

static void links_and_renames(int dir) {
    __wasi_filestat_t st;
    check("link d/f -> hard", __wasi_path_link(dir, 0, "d/f", dir, "hard"), 0);
    check("stat hard", stat_at(dir, "hard", 0, &st), 0);
    check_u64("nlink", st.nlink, 2);
    check("link onto existing", __wasi_path_link(dir, 0, "d/f", dir, "hard"),
          __WASI_ERRNO_EXIST);
    check("link missing", __wasi_path_link(dir, 0, "missing", dir, "x"), __WASI_ERRNO_NOENT);
    check("link a directory", __wasi_path_link(dir, 0, "d", dir, "dhard"), __WASI_ERRNO_PERM);
    check("rename hard -> renamed", __wasi_path_rename(dir, "hard", dir, "renamed"), 0);
    check("old name gone", stat_at(dir, "hard", 0, &st), __WASI_ERRNO_NOENT);
    check("rename missing", __wasi_path_rename(dir, "hard", dir, "x"), __WASI_ERRNO_NOENT);
    check("mkdir e", __wasi_path_create_directory(dir, "e"), 0);
    check("mkdir e/sub", __wasi_path_create_directory(dir, "e/sub"), 0);
    check("rename file over dir", __wasi_path_rename(dir, "renamed", dir, "e"),
          __WASI_ERRNO_ISDIR);
    check("rename dir over file", __wasi_path_rename(dir, "e", dir, "renamed"),
          __WASI_ERRNO_NOTDIR);
    check("rename dir into itself", __wasi_path_rename(dir, "e", dir, "e/sub/e"),
          __WASI_ERRNO_INVAL);
    check("mkdir g", __wasi_path_create_directory(dir, "g"), 0);
    check("rename dir over non-empty dir", __wasi_path_rename(dir, "g", dir, "e"),
          __WASI_ERRNO_NOTEMPTY);
    check("rename dir over empty dir", __wasi_path_rename(dir, "e/sub", dir, "g"), 0);
    check("rename dir", __wasi_path_rename(dir, "g", dir, "moved"), 0);
    check("rename file over file", make_file(dir, "tmp", "tmp"), 0);
    check("rename tmp -> d/f2", __wasi_path_rename(dir, "tmp", dir, "d/f2"), 0);
    check("unlink d/f2", __wasi_path_unlink_file(dir, "d/f2"), 0);
    check("unlink dir", __wasi_path_unlink_file(dir, "e"), __WASI_ERRNO_ISDIR);
    check("unlink missing", __wasi_path_unlink_file(dir, "missing"), __WASI_ERRNO_NOENT);
    check("rmdir file", __wasi_path_remove_directory(dir, "renamed"), __WASI_ERRNO_NOTDIR);
    check("rmdir e", __wasi_path_remove_directory(dir, "e"), 0);
    check("rmdir missing", __wasi_path_remove_directory(dir, "e"), __WASI_ERRNO_NOENT);
    check("rmdir non-empty", __wasi_path_remove_directory(dir, "d"), __WASI_ERRNO_NOTEMPTY);
}

/* List `path` with fd_readdir through a 64-byte buffer, the way wasi-libc's readdir does:
 * entries cut off at the end of the buffer are read again from their cookie. Checks that
 * every entry comes once and returns how many there were. */
static int list(int dir, const char *path, int *seen, int nseen) {
    long fd = open_at(dir, path, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE, 0);
    check("open for readdir", open_errno(fd), 0);
    uint8_t small[64];
    __wasi_dircookie_t cookie = 0;
    int count = 0, calls = 0;
    for (;;) {
        __wasi_size_t used;
        __wasi_errno_t e = __wasi_fd_readdir((int)fd, small, sizeof small, cookie, &used);
        calls++;
        if (e) {
            check("readdir", e, 0);
            break;
        }
        size_t at = 0;
        int progressed = 0;
        while (at + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, small + at, sizeof d);
            if (at + sizeof d + d.d_namlen > used)
                break;                                     /* cut off: read again */
            const char *name = (const char *)small + at + sizeof d;
            if (d.d_namlen == 8 && memcmp(name, "entry-", 6) == 0) {
                int k = (name[6] - '0') * 10 + (name[7] - '0');
                if (k >= 0 && k < nseen)
                    seen[k]++;
            }
            count++;
            cookie = d.d_next;
            at += sizeof d + d.d_namlen;
            progressed = 1;
        }
        if (used < sizeof small || !progressed)
            break;
    }
    check_true("several readdir calls", calls > 2);
    check("close readdir fd", __wasi_fd_close((int)fd), 0);
    return count;
}

static void readdir(int dir) {
    char name[32];
    int seen[40] = {0};
    check("mkdir many", __wasi_path_create_directory(dir, "many"), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "many/entry-%02d", i);
        if (make_file(dir, name, "x"))
            check("create entry", 1, 0);
    }
    check_u64("entries listed", list(dir, "many", seen, 40), 42);   /* with . and .. */
    int once = 1;
    for (int i = 0; i < 40; i++)
        once &= seen[i] == 1;
    check_true("each entry once", once);
    uint8_t small[64];
    __wasi_size_t used;
    check("readdir on a file", __wasi_fd_readdir(1, small, sizeof small, 0, &used),
          __WASI_ERRNO_NOTDIR);
    check("readdir bad fd", __wasi_fd_readdir(99, small, sizeof small, 0, &used),
          __WASI_ERRNO_BADF);
    check("readdir past the end", __wasi_fd_readdir(dir, small, sizeof small, 1000, &used), 0);
    check_u64("past the end used", used, 0);
}

int main(int argc, char **argv) {
    int with_symlinks = !(argc > 1 && strcmp(argv[1], "nosymlink") == 0);
    int dir = find_preopen("/work");
    check_true("found /work", dir >= 3);
    create_and_open(dir);
    times(dir);
    if (with_symlinks)
        symlinks(dir);
    links_and_renames(dir);
    readdir(dir);
    return done();
}
