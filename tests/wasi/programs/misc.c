/* misc.c: arguments, environment, clocks, randomness, scheduling, poll_oneoff, sockets,
 * proc_raise and proc_exit.
 *
 * usage: misc alpha béta          (environment WHISK_GREETING=hello; stdin some bytes;
 *                                  /work preopened, writable)
 *        misc echo                (a listening TCP socket handed in after /work: accept one
 *                                  connection, answer what it sends in upper case, shut down)
 *
 * Exits through proc_exit with status 7 when every step gave the expected result, else 1.
 */
#include "check.h"

/* proc_raise is in the witx but no longer declared by wasi-libc's api.h. */
__wasi_errno_t raw_proc_raise(uint8_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

static __wasi_timestamp_t now(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(id, 1, &t))
        failures++;
    return t;
}

static void args_and_environ(void) {
    __wasi_size_t argc, size, count, esize;
    check("args_sizes_get", __wasi_args_sizes_get(&argc, &size), 0);
    check_u64("argc", argc, 3);
    char *argv[8], argbuf[256];
    check("args_get", argc <= 8 && size <= sizeof argbuf ?
          __wasi_args_get((uint8_t **)argv, (uint8_t *)argbuf) : __WASI_ERRNO_2BIG, 0);
    check_str("argv[1]", argv[1], strlen(argv[1]), "alpha");
    check_str("argv[2]", argv[2], strlen(argv[2]), "b\xc3\xa9ta");
    check("environ_sizes_get", __wasi_environ_sizes_get(&count, &esize), 0);
    check_u64("environ count", count, 1);
    char *env[4], envbuf[128];
    check("environ_get", count <= 4 && esize <= sizeof envbuf ?
          __wasi_environ_get((uint8_t **)env, (uint8_t *)envbuf) : __WASI_ERRNO_2BIG, 0);
    check_str("environ[0]", env[0], strlen(env[0]), "WHISK_GREETING=hello");
}

static void clocks_and_random(void) {
    __wasi_timestamp_t res, t;
    check("res realtime", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res), 0);
    check_true("resolution > 0", res > 0);
    check("res monotonic", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0);
    check("res bad clock", __wasi_clock_res_get(9, &res), __WASI_ERRNO_INVAL);
    check_true("realtime after 2020", now(__WASI_CLOCKID_REALTIME) > 1577836800000000000ull);
    __wasi_timestamp_t a = now(__WASI_CLOCKID_MONOTONIC), b = now(__WASI_CLOCKID_MONOTONIC);
    check_true("monotonic does not go back", b >= a);
    check("process cputime", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 0, &t), 0);
    check("time bad clock", __wasi_clock_time_get(9, 0, &t), __WASI_ERRNO_INVAL);
    uint8_t rnd[32] = {0};
    check("random_get", __wasi_random_get(rnd, sizeof rnd), 0);
    int nonzero = 0;
    for (size_t i = 0; i < sizeof rnd; i++)
        nonzero |= rnd[i];
    check_true("random bytes", nonzero);
    check("sched_yield", __wasi_sched_yield(), 0);
    check("proc_raise", raw_proc_raise(15 /* signal term */), __WASI_ERRNO_NOSYS);
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id,
                                       __wasi_timestamp_t timeout, __wasi_subclockflags_t fl) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.flags = fl;
    return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, int fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

#define MS 1000000ull

static void poll(int dir) {
    __wasi_subscription_t in[3];
    __wasi_event_t ev[3];
    __wasi_size_t n;
    __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    in[0] = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 30 * MS, 0);
    check("poll relative 30ms", __wasi_poll_oneoff(in, ev, 1, &n), 0);
    __wasi_timestamp_t t1 = now(__WASI_CLOCKID_MONOTONIC);
    check_true("waited >= 30ms", t1 - t0 >= 30 * MS);
    check_true("clock event 42", n == 1 && ev[0].userdata == 42 && ev[0].error == 0 &&
               ev[0].type == __WASI_EVENTTYPE_CLOCK);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    in[0] = clock_sub(43, __WASI_CLOCKID_MONOTONIC, t0 + 30 * MS,
                      __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    check("poll absolute +30ms", __wasi_poll_oneoff(in, ev, 1, &n), 0);
    check_true("reached the absolute time", now(__WASI_CLOCKID_MONOTONIC) >= t0 + 30 * MS);
    check_true("clock event 43", n == 1 && ev[0].userdata == 43);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    in[0] = clock_sub(44, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) - 1000 * MS,
                      __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    check("poll absolute in the past", __wasi_poll_oneoff(in, ev, 1, &n), 0);
    check_true("past time fires at once", n == 1 && ev[0].userdata == 44 &&
               now(__WASI_CLOCKID_MONOTONIC) - t0 < 1000 * MS);
    in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    in[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0);
    check("poll two clocks", __wasi_poll_oneoff(in, ev, 2, &n), 0);
    check_true("earlier clock fires alone", n == 1 && ev[0].userdata == 2);
    t0 = now(__WASI_CLOCKID_MONOTONIC);
    in[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    in[1] = fd_sub(7, __WASI_EVENTTYPE_FD_READ, 0);
    in[2] = fd_sub(8, __WASI_EVENTTYPE_FD_WRITE, 1);
    check("poll stdin, stdout and a clock", __wasi_poll_oneoff(in, ev, 3, &n), 0);
    check_true("stdin and stdout ready at once", n == 2 && ev[0].userdata == 7 &&
               ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[1].userdata == 8 &&
               ev[1].type == __WASI_EVENTTYPE_FD_WRITE &&
               now(__WASI_CLOCKID_MONOTONIC) - t0 < 1000 * MS);
    check("create poll.txt", make_file(dir, "poll.txt", "12345"), 0);
    long fd = open_at(dir, "poll.txt", 0, RIGHTS_RO, 0);
    in[0] = fd_sub(9, __WASI_EVENTTYPE_FD_READ, (int)fd);
    check("poll a regular file", __wasi_poll_oneoff(in, ev, 1, &n), 0);
    check_true("file readable, 5 bytes", n == 1 && ev[0].userdata == 9 && ev[0].error == 0 &&
               ev[0].fd_readwrite.nbytes == 5);
    check("close poll.txt", __wasi_fd_close((int)fd), 0);
    in[0] = fd_sub(10, __WASI_EVENTTYPE_FD_READ, 99);
    in[1] = clock_sub(11, 77, 0, 0);
    check("poll bad fd and bad clock", __wasi_poll_oneoff(in, ev, 2, &n), 0);
    check_true("errors in the events", n == 2 && ev[0].userdata == 10 &&
               ev[0].error == __WASI_ERRNO_BADF && ev[1].userdata == 11 &&
               ev[1].error == __WASI_ERRNO_INVAL);
    in[0] = fd_sub(12, __WASI_EVENTTYPE_FD_READ, dir);
    check("poll a directory", __wasi_poll_oneoff(in, ev, 1, &n), 0);
    check_true("directory cannot be polled", n == 1 && ev[0].error == __WASI_ERRNO_NOTCAPABLE);
    check("poll nothing", __wasi_poll_oneoff(in, ev, 0, &n), __WASI_ERRNO_INVAL);
}

static void not_sockets(int dir) {
    __wasi_fd_t fd;
    uint8_t data[8];
    __wasi_iovec_t iov = {data, sizeof data};
    __wasi_ciovec_t ciov = {data, sizeof data};
    __wasi_size_t n;
    __wasi_roflags_t roflags;
    check("sock_accept stdout", __wasi_sock_accept(1, 0, &fd), __WASI_ERRNO_NOTSOCK);
    check("sock_accept dir", __wasi_sock_accept(dir, 0, &fd), __WASI_ERRNO_NOTSOCK);
    check("sock_accept bad fd", __wasi_sock_accept(99, 0, &fd), __WASI_ERRNO_BADF);
    check("sock_recv stdin", __wasi_sock_recv(0, &iov, 1, 0, &n, &roflags), __WASI_ERRNO_NOTSOCK);
    check("sock_send stdout", __wasi_sock_send(1, &ciov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
    check("sock_shutdown stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR),
          __WASI_ERRNO_NOTSOCK);
}

/* Serve one connection on the socket after the preopens. */
static void echo(void) {
    int listener = -1;
    for (int fd = 3; fd < 16 && listener < 0; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
            listener = fd;
    }
    check_true("found the socket", listener >= 0);
    __wasi_fd_t conn;
    check("sock_accept", __wasi_sock_accept(listener, 0, &conn), 0);
    uint8_t data[64];
    __wasi_iovec_t iov = {data, sizeof data};
    __wasi_size_t n, sent;
    __wasi_roflags_t roflags;
    check("sock_recv peek", __wasi_sock_recv(conn, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n,
          &roflags), 0);
    check("sock_recv", __wasi_sock_recv(conn, &iov, 1, 0, &n, &roflags), 0);
    check_u64("received", n, 5);
    for (size_t i = 0; i < n; i++)
        data[i] = data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i];
    __wasi_ciovec_t out = {data, n};
    check("sock_send", __wasi_sock_send(conn, &out, 1, 0, &sent), 0);
    check("fd_write on socket", write_str(conn, "!"), 0);
    check("sock_shutdown", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR), 0);
    check("sock_shutdown bad how", __wasi_sock_shutdown(conn, 4), __WASI_ERRNO_INVAL);
    check("fd_read until closed", __wasi_fd_read(conn, &iov, 1, &n), 0);
    check_u64("peer closed", n, 0);
    check("seek socket", __wasi_fd_seek(conn, 0, 0, &(__wasi_filesize_t){0}), __WASI_ERRNO_SPIPE);
    check("close connection", __wasi_fd_close(conn), 0);
}

int main(int argc, char **argv) {
    int dir = find_preopen("/work");
    check_true("found /work", dir >= 3);
    if (argc == 2 && strcmp(argv[1], "echo") == 0) {
        echo();
    } else {
        args_and_environ();
        clocks_and_random();
        poll(dir);
        not_sockets(dir);
    }
    done();
    fflush(stdout);
    __wasi_proc_exit(failures ? 1 : 7);
}
