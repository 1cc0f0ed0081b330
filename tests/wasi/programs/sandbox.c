/* sandbox.c: attempts to leave a preopen, and changes under a read-only preopen.
 *
 * usage: sandbox [nosymlink]
 *   /work: writable, holding inside.txt ("inside") and sub/; its host parent holds
 *          outside.txt. With symbolic links, the host also made work/escape ->
 *          ../outside.txt, work/abs -> <absolute host path of outside.txt>,
 *          work/sub/up -> ../../outside.txt and work/dangle -> ../created-outside.txt.
 *   /ro:   read-only, holding ro.txt ("read only") and rodir/.
 *
 * Every way out (.., absolute paths, symbolic links the host or the guest made, renames and
 * links across the root, Windows separators and drive names) must give ERRNO_NOTCAPABLE
 * (or, for a name that is harmless on the host, ERRNO_NOENT); every change under /ro must
 * give ERRNO_PERM. The test then checks the host tree is untouched.
 */
#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static char buf[256];

static __wasi_errno_t open_e(int dir, const char *path, __wasi_oflags_t oflags,
                             __wasi_rights_t rights) {
    return open_errno(open_at(dir, path, oflags, rights, 0));
}

static __wasi_errno_t stat_e(int dir, const char *path, __wasi_lookupflags_t flags) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(dir, flags, path, &st);
}

static void dotdot(int w) {
    __wasi_size_t n;
    check("open ../outside.txt", open_e(w, "../outside.txt", 0, RIGHTS_RO), NOTCAP);
    check("open sub/../../outside.txt", open_e(w, "sub/../../outside.txt", 0, RIGHTS_RO), NOTCAP);
    check("open absolute", open_e(w, "/etc/passwd", 0, RIGHTS_RO), NOTCAP);
    check("open ..", open_e(w, "..", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE), NOTCAP);
    check("open sub/.. stays inside", open_e(w, "sub/..", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE), 0);
    check("create ../new.txt", open_e(w, "../new.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW), NOTCAP);
    check("stat ../outside.txt", stat_e(w, "../outside.txt", 0), NOTCAP);
    check("mkdir ../newdir", __wasi_path_create_directory(w, "../newdir"), NOTCAP);
    check("unlink ../outside.txt", __wasi_path_unlink_file(w, "../outside.txt"), NOTCAP);
    check("rmdir ..", __wasi_path_remove_directory(w, ".."), NOTCAP);
    check("rmdir sub/../..", __wasi_path_remove_directory(w, "sub/../.."), NOTCAP);
    check("rename out", __wasi_path_rename(w, "inside.txt", w, "../moved.txt"), NOTCAP);
    check("rename in", __wasi_path_rename(w, "../outside.txt", w, "stolen.txt"), NOTCAP);
    check("link out", __wasi_path_link(w, 0, "inside.txt", w, "../linked.txt"), NOTCAP);
    check("link in", __wasi_path_link(w, 0, "../outside.txt", w, "stolen.txt"), NOTCAP);
    check("set_times ../outside.txt", __wasi_path_filestat_set_times(w, 0, "../outside.txt",
          0, 0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
    check("readlink ../x", __wasi_path_readlink(w, "../x", (uint8_t *)buf, sizeof buf, &n),
          NOTCAP);
    /* harmless names on POSIX (no such file), ways out on Windows */
    check2("open sub\\..\\..\\outside.txt", open_e(w, "sub\\..\\..\\outside.txt", 0, RIGHTS_RO),
           __WASI_ERRNO_NOENT, NOTCAP);
    check2("open C:/outside.txt", open_e(w, "C:/outside.txt", 0, RIGHTS_RO),
           __WASI_ERRNO_NOENT, NOTCAP);
    check2("open '.. /outside.txt'", open_e(w, ".. /outside.txt", 0, RIGHTS_RO),
           __WASI_ERRNO_NOENT, NOTCAP);
    check2("open inside.txt::$DATA", open_e(w, "inside.txt::$DATA", 0, RIGHTS_RO),
           __WASI_ERRNO_NOENT, NOTCAP);
}

static void symlinks(int w) {
    __wasi_size_t n;
    check("open host link escape", open_e(w, "escape", 0, RIGHTS_RO), NOTCAP);
    check("lstat host link escape", stat_e(w, "escape", 0), 0);
    check("stat host link escape", stat_e(w, "escape", FOLLOW), NOTCAP);
    check("open host link abs", open_e(w, "abs", 0, RIGHTS_RO), NOTCAP);
    check("readlink host link abs", __wasi_path_readlink(w, "abs", (uint8_t *)buf, sizeof buf,
          &n), NOTCAP);
    check("open host link sub/up", open_e(w, "sub/up", 0, RIGHTS_RO), NOTCAP);
    check("create through dangling link", open_e(w, "dangle", __WASI_OFLAGS_CREAT, RIGHTS_RW),
          NOTCAP);
    check("link following escape", __wasi_path_link(w, FOLLOW, "escape", w, "hard"), NOTCAP);
    check("set_times following escape", __wasi_path_filestat_set_times(w, FOLLOW, "escape", 0,
          0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
    check("symlink to ..", __wasi_path_symlink("../outside.txt", w, "mine"), NOTCAP);
    check("symlink to absolute", __wasi_path_symlink("/etc/passwd", w, "mine"), NOTCAP);
    check("symlink climbing out", __wasi_path_symlink("sub/../../outside.txt", w, "mine"), NOTCAP);
    check("symlink from sub to ../..", __wasi_path_symlink("../../outside.txt", w, "sub/mine"),
          NOTCAP);
    check("symlink from sub to ..", __wasi_path_symlink("..", w, "sub/hop"), 0);
    check("open sub/hop/../outside.txt", open_e(w, "sub/hop/../outside.txt", 0, RIGHTS_RO),
          NOTCAP);
    check("open sub/hop/inside.txt", open_e(w, "sub/hop/inside.txt", 0, RIGHTS_RO), 0);
    check("symlink loop1 -> loop2", __wasi_path_symlink("loop2", w, "loop1"), 0);
    check("symlink loop2 -> loop1", __wasi_path_symlink("loop1", w, "loop2"), 0);
    check("open loop1", open_e(w, "loop1", 0, RIGHTS_RO), __WASI_ERRNO_LOOP);
    check("symlink self -> self", __wasi_path_symlink("self", w, "self"), 0);
    check("stat self", stat_e(w, "self", FOLLOW), __WASI_ERRNO_LOOP);
    check("open self/x", open_e(w, "self/x", __WASI_OFLAGS_CREAT, RIGHTS_RW), __WASI_ERRNO_LOOP);
}

static void read_only(int ro, int w) {
    __wasi_size_t n;
    __wasi_fdstat_t st;
    long fd = open_at(ro, "ro.txt", 0, RIGHTS_RO, 0);
    check("open ro.txt for reading", open_errno(fd), 0);
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    check("read ro.txt", __wasi_fd_read((int)fd, &iov, 1, &n), 0);
    check_str("ro.txt holds", buf, n, "read only");
    check("fdstat ro.txt", __wasi_fd_fdstat_get((int)fd, &st), 0);
    check_true("no write right", !(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
    check("write ro.txt", write_str((int)fd, "x"), __WASI_ERRNO_PERM);
    check("set_size ro.txt", __wasi_fd_filestat_set_size((int)fd, 0), __WASI_ERRNO_PERM);
    check("allocate ro.txt", __wasi_fd_allocate((int)fd, 0, 100), __WASI_ERRNO_PERM);
    check("fd set_times ro.txt", __wasi_fd_filestat_set_times((int)fd, 0, 0,
          __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_PERM);
    check("close ro.txt", __wasi_fd_close((int)fd), 0);
    check("open ro.txt for writing", open_e(ro, "ro.txt", 0, RIGHTS_RW), __WASI_ERRNO_PERM);
    check("open ro.txt append", open_errno(open_at(ro, "ro.txt", 0, RIGHTS_RO,
          __WASI_FDFLAGS_APPEND)), __WASI_ERRNO_PERM);
    check("truncate ro.txt", open_e(ro, "ro.txt", __WASI_OFLAGS_TRUNC, RIGHTS_RO),
          __WASI_ERRNO_PERM);
    check("create in /ro", open_e(ro, "new.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW),
          __WASI_ERRNO_PERM);
    check("mkdir in /ro", __wasi_path_create_directory(ro, "newdir"), __WASI_ERRNO_PERM);
    check("unlink in /ro", __wasi_path_unlink_file(ro, "ro.txt"), __WASI_ERRNO_PERM);
    check("rmdir in /ro", __wasi_path_remove_directory(ro, "rodir"), __WASI_ERRNO_PERM);
    check("rename in /ro", __wasi_path_rename(ro, "ro.txt", ro, "ro2.txt"), __WASI_ERRNO_PERM);
    check("rename /ro -> /work", __wasi_path_rename(ro, "ro.txt", w, "taken.txt"),
          __WASI_ERRNO_PERM);
    check("rename /work -> /ro", __wasi_path_rename(w, "inside.txt", ro, "given.txt"),
          __WASI_ERRNO_PERM);
    check("link /ro -> /work", __wasi_path_link(ro, 0, "ro.txt", w, "rolink"), __WASI_ERRNO_PERM);
    check("link /work -> /ro", __wasi_path_link(w, 0, "inside.txt", ro, "given"),
          __WASI_ERRNO_PERM);
    check("symlink in /ro", __wasi_path_symlink("ro.txt", ro, "ln"), __WASI_ERRNO_PERM);
    check("path set_times in /ro", __wasi_path_filestat_set_times(ro, 0, "ro.txt", 0, 0,
          __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_PERM);
    check("stat in /ro", stat_e(ro, "ro.txt", 0), 0);
    long sub = open_at(ro, "rodir", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR_BASE, 0);
    check("open /ro/rodir", open_errno(sub), 0);
    check("create in /ro/rodir", open_e((int)sub, "x", __WASI_OFLAGS_CREAT, RIGHTS_RW),
          __WASI_ERRNO_PERM);
    check("close /ro/rodir", __wasi_fd_close((int)sub), 0);
    uint8_t list[256];
    check("readdir /ro", __wasi_fd_readdir(ro, list, sizeof list, 0, &n), 0);
    check_true("readdir /ro lists entries", n > 0 && n < sizeof list);
}

int main(int argc, char **argv) {
    int with_symlinks = !(argc > 1 && strcmp(argv[1], "nosymlink") == 0);
    int w = find_preopen("/work"), ro = find_preopen("/ro");
    check_true("found /work and /ro", w >= 3 && ro >= 3);
    dotdot(w);
    if (with_symlinks)
        symlinks(w);
    read_only(ro, w);
    return done();
}
