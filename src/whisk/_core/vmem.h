/* Reserve address space for a linear memory once, commit it as the memory grows, so the base
 * address never moves (views of the memory never dangle). POSIX mmap/mprotect, Windows VirtualAlloc. */
#ifndef WHISK_VMEM_H
#define WHISK_VMEM_H
#include <stdint.h>
#include <stddef.h>
#ifdef _WIN32
#include <windows.h>
static void* whisk_reserve(uint64_t n) {
    return VirtualAlloc(NULL, (SIZE_T)n, MEM_RESERVE, PAGE_NOACCESS);
}
static int whisk_commit(void* base, uint64_t from, uint64_t to) {
    if (to <= from) return 1;
    return VirtualAlloc((char*)base + from, (SIZE_T)(to - from), MEM_COMMIT, PAGE_READWRITE) != NULL;
}
static void whisk_release(void* base, uint64_t n) {
    (void)n;
    if (base) VirtualFree(base, 0, MEM_RELEASE);
}
#else
#include <sys/mman.h>
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif
static void* whisk_reserve(uint64_t n) {
    void* p = mmap(NULL, (size_t)n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static int whisk_commit(void* base, uint64_t from, uint64_t to) {
    if (to <= from) return 1;
    return mprotect((char*)base + from, (size_t)(to - from), PROT_READ | PROT_WRITE) == 0;
}
static void whisk_release(void* base, uint64_t n) {
    if (base) munmap(base, (size_t)n);
}
#endif
#endif
