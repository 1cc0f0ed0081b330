/* args.c: shows what a WASI guest receives from its host.
 *
 * Prints argc and every argv[i], the environment variable GREETING (or "(unset)"), and, if
 * the environment variable INPUT names a file (e.g. INPUT=/data/input.txt with a directory
 * preopened as /data), that file's contents between "--- <path> ---" and "--- end ---";
 * INPUT=- reads standard input instead.
 * Exits with status 1 if INPUT is set but the file cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");

    const char *path = getenv("INPUT");
    if (path != NULL) {
        int from_stdin = strcmp(path, "-") == 0;
        FILE *f = from_stdin ? stdin : fopen(path, "rb");
        if (f == NULL) {
            fprintf(stderr, "args: cannot open %s: %s\n", path, strerror(errno));
            return 1;
        }
        printf("--- %s ---\n", path);
        char buf[256];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        if (!from_stdin) fclose(f);
        printf("--- end ---\n");
    }
    return 0;
}
