/* fileio.c: the fd_* functions on regular files, directories and the standard streams.
 *
 * usage: fileio          (with a writable, empty directory preopened as /work)
 *
 * Reads stdin to its end and reports the byte count; writes "out1", "err1", "out2" to
 * stdout, stderr, stdout (the host sees them in that order); then, in /work: write, read,
 * EOF, seek past the end, pread/pwrite, set_size, allocate, advise, sync, datasync,
 * set_times, fdstat flags (APPEND) and rights, renumber, close, and the errors for bad
 * descriptors. Leaves /work/data.bin (see tests/wasi/test_programs.py for its contents).
 */
#include "check.h"

static char buf[256];

static __wasi_errno_t read_into(int fd, size_t len, __wasi_size_t *n) {
    __wasi_iovec_t iov = {(uint8_t *)buf, len};
    return __wasi_fd_read(fd, &iov, 1, n);
}

static unsigned long long size_of(int fd) {
    __wasi_filestat_t st;
    return __wasi_fd_filestat_get(fd, &st) ? ~0ull : st.size;
}

static void standard_streams(void) {
    __wasi_size_t n, total = 0;
    do {
        check("stdin read", read_into(0, 7, &n), 0);
        total += n;
    } while (n);
    check_u64("stdin bytes", total, 12);
    check("stdout", write_str(1, "out1\n"), 0);
    check("stderr", write_str(2, "err1\n"), 0);
    check("stdout again", write_str(1, "out2\n"), 0);
    __wasi_filesize_t pos;
    check("seek stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE);
    check("tell stdin", __wasi_fd_tell(0, &pos), __WASI_ERRNO_SPIPE);
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t got;
    check("pread stdin", __wasi_fd_pread(0, &iov, 1, 0, &got), __WASI_ERRNO_SPIPE);
    check("write stdin", write_str(0, "x"), __WASI_ERRNO_NOTCAPABLE);
    check("read stdout", read_into(1, 4, &got), __WASI_ERRNO_NOTCAPABLE);
}

static void bad_descriptors(int dir) {
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_fdstat_t st;
    check("read bad fd", read_into(99, 4, &n), __WASI_ERRNO_BADF);
    check("write bad fd", write_str(99, "x"), __WASI_ERRNO_BADF);
    check("close bad fd", __wasi_fd_close(99), __WASI_ERRNO_BADF);
    check("fdstat bad fd", __wasi_fd_fdstat_get(99, &st), __WASI_ERRNO_BADF);
    check("seek bad fd", __wasi_fd_seek(99, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
    check("sync bad fd", __wasi_fd_sync(99), __WASI_ERRNO_BADF);
    check("read dir", read_into(dir, 4, &n), __WASI_ERRNO_BADF);
    check("write dir", write_str(dir, "x"), __WASI_ERRNO_BADF);
    check("seek dir", __wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
}

static void read_write_seek(int fd) {
    __wasi_ciovec_t out[2] = {{(const uint8_t *)"hello ", 6}, {(const uint8_t *)"world", 5}};
    __wasi_size_t n;
    __wasi_filesize_t pos;
    check("write 2 iovecs", __wasi_fd_write(fd, out, 2, &n), 0);
    check_u64("written", n, 11);
    check("tell", __wasi_fd_tell(fd, &pos), 0);
    check_u64("offset", pos, 11);
    check("seek start", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), 0);
    check("read 5", read_into(fd, 5, &n), 0);
    check_str("read 5 gave", buf, n, "hello");
    check("read rest", read_into(fd, sizeof buf, &n), 0);
    check_str("read rest gave", buf, n, " world");
    check("read at eof", read_into(fd, sizeof buf, &n), 0);
    check_u64("read at eof gave", n, 0);
    check("seek past end", __wasi_fd_seek(fd, 20, __WASI_WHENCE_SET, &pos), 0);
    check_u64("offset past end", pos, 20);
    check("read past end", read_into(fd, sizeof buf, &n), 0);
    check_u64("read past end gave", n, 0);
    check("write past end", write_str(fd, "X"), 0);
    check_u64("size after gap", size_of(fd), 21);
    check("seek end -1", __wasi_fd_seek(fd, -1, __WASI_WHENCE_END, &pos), 0);
    check_u64("offset end -1", pos, 20);
    check("seek cur -30", __wasi_fd_seek(fd, -30, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
    check("seek bad whence", __wasi_fd_seek(fd, 0, 7, &pos), __WASI_ERRNO_INVAL);
    check("seek 11 back", __wasi_fd_seek(fd, 11, __WASI_WHENCE_SET, &pos), 0);
    check("read gap", read_into(fd, 9, &n), 0);
    check_true("gap is zeros", n == 9 && memcmp(buf, "\0\0\0\0\0\0\0\0\0", 9) == 0);
}

static void positioned(int fd) {
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_ciovec_t out = {(const uint8_t *)"PW", 2};
    __wasi_iovec_t in[2] = {{(uint8_t *)buf, 3}, {(uint8_t *)buf + 3, 2}};
    check("seek 21", __wasi_fd_seek(fd, 21, __WASI_WHENCE_SET, &pos), 0);
    check("pwrite at 100", __wasi_fd_pwrite(fd, &out, 1, 100, &n), 0);
    check_u64("pwritten", n, 2);
    check_u64("size after pwrite", size_of(fd), 102);
    check("pread at 6", __wasi_fd_pread(fd, in, 2, 6, &n), 0);
    check_str("pread gave", buf, n, "world");
    check("pread past end", __wasi_fd_pread(fd, in, 2, 1000, &n), 0);
    check_u64("pread past end gave", n, 0);
    check("tell after pread/pwrite", __wasi_fd_tell(fd, &pos), 0);
    check_u64("offset unchanged", pos, 21);
}

static void attributes(int fd) {
    __wasi_filestat_t st;
    check("set_size 5", __wasi_fd_filestat_set_size(fd, 5), 0);
    check_u64("size after set_size", size_of(fd), 5);
    check("allocate 4096", __wasi_fd_allocate(fd, 0, 4096), 0);
    check_true("size after allocate >= 4096", size_of(fd) >= 4096 && size_of(fd) != ~0ull);
    check("allocate len 0", __wasi_fd_allocate(fd, 0, 0), __WASI_ERRNO_INVAL);
    check("set_size 11", __wasi_fd_filestat_set_size(fd, 11), 0);
    check("advise sequential", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_SEQUENTIAL), 0);
    check("advise bad", __wasi_fd_advise(fd, 0, 0, 9), __WASI_ERRNO_INVAL);
    check("sync", __wasi_fd_sync(fd), 0);
    check("datasync", __wasi_fd_datasync(fd), 0);
    check("set_times", __wasi_fd_filestat_set_times(fd, 1600000000000000000ull,
          1500000000000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    check("filestat", __wasi_fd_filestat_get(fd, &st), 0);
    check_u64("mtim", st.mtim, 1500000000000000000ull);
    check_u64("filetype", st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    check("set_times atim+atim_now", __wasi_fd_filestat_set_times(fd, 0, 0,
          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
    check("set_times mtim_now only", __wasi_fd_filestat_set_times(fd, 0, 0,
          __WASI_FSTFLAGS_MTIM_NOW), 0);
    check("filestat again", __wasi_fd_filestat_get(fd, &st), 0);
    check_true("mtim is now", st.mtim > 1600000000000000000ull);
}

static void flags_and_rights(int fd) {
    __wasi_fdstat_t st;
    __wasi_filesize_t pos;
    check("set flags append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
    check("fdstat", __wasi_fd_fdstat_get(fd, &st), 0);
    check_u64("fdstat flags", st.fs_flags, __WASI_FDFLAGS_APPEND);
    check("seek 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), 0);
    check("append write", write_str(fd, "END"), 0);
    check_u64("size after append", size_of(fd), 14);
    check("set flags bad", __wasi_fd_fdstat_set_flags(fd, 0x100), __WASI_ERRNO_INVAL);
    check("set flags none", __wasi_fd_fdstat_set_flags(fd, 0), 0);
    check("drop write right", __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base &
          ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE, st.fs_rights_inheriting), 0);
    check("write without right", write_str(fd, "x"), __WASI_ERRNO_NOTCAPABLE);
    check("regain write right", __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base,
          st.fs_rights_inheriting), __WASI_ERRNO_NOTCAPABLE);
}

static void renumber(int dir, int fd) {
    long other = open_at(dir, "other.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    __wasi_size_t n;
    __wasi_filesize_t pos;
    check("open other", open_errno(other), 0);
    check("renumber onto other", __wasi_fd_renumber(fd, (int)other), 0);
    check("seek renumbered", __wasi_fd_seek((int)other, 0, __WASI_WHENCE_SET, &pos), 0);
    check("read renumbered", read_into((int)other, 5, &n), 0);
    check_str("renumbered reads data.bin", buf, n, "hello");
    check("old number is closed", __wasi_fd_close(fd), __WASI_ERRNO_BADF);
    check("renumber to closed fd", __wasi_fd_renumber((int)other, 77), __WASI_ERRNO_BADF);
    check("renumber from closed fd", __wasi_fd_renumber(77, (int)other), __WASI_ERRNO_BADF);
    check("renumber to itself", __wasi_fd_renumber((int)other, (int)other), 0);
    check("close", __wasi_fd_close((int)other), 0);
    check("close again", __wasi_fd_close((int)other), __WASI_ERRNO_BADF);
}

int main(void) {
    int dir = find_preopen("/work");
    check_true("found /work", dir >= 3);
    standard_streams();
    bad_descriptors(dir);
    long fd = open_at(dir, "data.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0);
    check("open data.bin", open_errno(fd), 0);
    read_write_seek((int)fd);
    positioned((int)fd);
    attributes((int)fd);
    flags_and_rights((int)fd);
    renumber(dir, (int)fd);
    check("datasync dir", __wasi_fd_datasync(dir), 0);
    check("sync dir", __wasi_fd_sync(dir), 0);
    return done();
}
