/* fs.c: exercises the WASI file system functions inside one preopened directory.
 *
 * usage: fs DIR        (DIR: the guest path of a preopened, empty, writable directory)
 *
 * Creates, writes, seeks, reads, stats, lists and removes files and directories under DIR,
 * tries paths that would leave the sandbox (refused: ENOTCAPABLE, or EPERM as wasmtime
 * has it), and prints one line per step with the result
 * ("ok", a value, or the errno's name). If DIR/escape exists (for example a symbolic link to
 * somewhere outside the directory, made by the host), it tries to open DIR/escape/secret.txt.
 * Exits with status 0 when every step gave the result expected under a correct WASI
 * implementation, else 1 (the failing steps are marked "UNEXPECTED").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;
static int failures;

static const char *errname(int e) {
    switch (e) {
    case 0: return "ok";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENOENT: return "ENOENT";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    default: return strerror(e);
    }
}

static const char *p(const char *rel) {
    static char buf[4][512];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, rel);
    return b;
}

/* Print "label: <result>" and count it as a failure unless it is what was expected. */
static void check(const char *label, int rc, int expected_errno) {
    int e = rc < 0 ? errno : 0;
    printf("%s: %s", label, errname(e));
    if (e != expected_errno) {
        printf("  UNEXPECTED (expected %s)", errname(expected_errno));
        failures++;
    }
    printf("\n");
}

static void expect_long(const char *label, long got, long want) {
    printf("%s: %ld", label, got);
    if (got != want) {
        printf("  UNEXPECTED (expected %ld)", want);
        failures++;
    }
    printf("\n");
}

static void expect_str(const char *label, const char *got, const char *want) {
    printf("%s: %s", label, got);
    if (strcmp(got, want) != 0) {
        printf("  UNEXPECTED (expected %s)", want);
        failures++;
    }
    printf("\n");
}

static void check_refused(const char *label, int rc) {
    int e = rc < 0 ? errno : 0;
    printf("%s: %s", label, errname(e));
    if (e != ENOTCAPABLE && e != EPERM) {
        printf("  UNEXPECTED (expected ENOTCAPABLE)");
        failures++;
    }
    printf("\n");
}

static int write_file(const char *path, const char *mode, const char *text) {
    FILE *f = fopen(path, mode);
    if (f == NULL) return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    return rc;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fs DIR\n");
        return 2;
    }
    dir = argv[1];
    struct stat st;

    check("mkdir sub", mkdir(p("sub"), 0755), 0);
    check("mkdir sub again", mkdir(p("sub"), 0755), EEXIST);
    check("write sub/a.txt", write_file(p("sub/a.txt"), "w", "hello file\n"), 0);

    int fd = open(p("sub/a.txt"), O_RDWR);
    check("open sub/a.txt", fd, 0);
    expect_long("seek end", (long)lseek(fd, 0, SEEK_END), 11);
    expect_long("seek set 6", (long)lseek(fd, 6, SEEK_SET), 6);
    char buf[64] = {0};
    expect_long("read 4", (long)read(fd, buf, 4), 4);
    expect_str("read text", buf, "file");
    expect_long("tell", (long)lseek(fd, 0, SEEK_CUR), 10);
    check("seek negative", (int)lseek(fd, -100, SEEK_CUR), EINVAL);
    check("fstat", fstat(fd, &st), 0);
    expect_long("fstat size", (long)st.st_size, 11);
    expect_long("fstat is regular", S_ISREG(st.st_mode) ? 1 : 0, 1);
    check("close", close(fd), 0);
    check("close again", close(fd), EBADF);

    check("append sub/a.txt", write_file(p("sub/a.txt"), "a", "more\n"), 0);
    check("stat sub/a.txt", stat(p("sub/a.txt"), &st), 0);
    expect_long("stat size", (long)st.st_size, 16);
    check("stat sub", stat(p("sub"), &st), 0);
    expect_long("stat sub is dir", S_ISDIR(st.st_mode) ? 1 : 0, 1);
    check("stat missing", stat(p("missing"), &st), ENOENT);

    check("write sub/b.txt", write_file(p("sub/b.txt"), "w", "b\n"), 0);
    check("mkdir sub/c", mkdir(p("sub/c"), 0755), 0);
    check("open excl existing", open(p("sub/b.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    check("open missing", open(p("sub/nope.txt"), O_RDONLY), ENOENT);
    check("open dir for writing", open(p("sub/c"), O_WRONLY), EISDIR);
    check("open file as dir", open(p("sub/b.txt"), O_RDONLY | O_DIRECTORY), ENOTDIR);

    DIR *d = opendir(p("sub"));
    check("opendir sub", d ? 0 : -1, 0);
    if (d != NULL) {
        char *names[16];
        int n = 0;
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL && n < 16) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
            char *s = malloc(strlen(ent->d_name) + 3);
            sprintf(s, "%s%s", ent->d_name, ent->d_type == DT_DIR ? "/" : "");
            names[n++] = s;
        }
        closedir(d);
        qsort(names, n, sizeof names[0], cmp);
        char list[256] = "";
        for (int i = 0; i < n; i++) {
            if (i) strcat(list, " ");
            strcat(list, names[i]);
            free(names[i]);
        }
        expect_str("readdir sub", list, "a.txt b.txt c/");
    }

    /* leaving the sandbox: whisk refuses with ENOTCAPABLE (wasmtime says EPERM; both are accepted) */
    check_refused("open ../outside", open(p("../outside.txt"), O_RDONLY));
    check_refused("open sub/../../outside", open(p("sub/../../outside.txt"), O_RDONLY));
    check("open sub/../sub/a.txt", (fd = open(p("sub/../sub/a.txt"), O_RDONLY)), 0);
    if (fd >= 0) close(fd);
    if (lstat(p("escape"), &st) == 0) {
        check_refused("open escape/secret.txt", open(p("escape/secret.txt"), O_RDONLY));
    }

    /* removal */
    check("rmdir non-empty sub", rmdir(p("sub")), ENOTEMPTY);
    check("unlink dir sub/c", unlink(p("sub/c")), EISDIR);
    check("rmdir file sub/b.txt", rmdir(p("sub/b.txt")), ENOTDIR);
    check("unlink sub/a.txt", unlink(p("sub/a.txt")), 0);
    check("unlink sub/b.txt", unlink(p("sub/b.txt")), 0);
    check("unlink missing", unlink(p("sub/a.txt")), ENOENT);
    check("rmdir sub/c", rmdir(p("sub/c")), 0);
    check("rmdir sub", rmdir(p("sub")), 0);

    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
