/* hello.c: the smallest WASI command. Prints "Hello, world!" and exits with status 0
 * (main returns 0, so _start returns normally without calling proc_exit). */
#include <stdio.h>

int main(void) {
    printf("Hello, world!\n");
    return 0;
}
