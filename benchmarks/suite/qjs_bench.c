/* whisk benchmarks: a minimal QuickJS host (no quickjs-libc): evaluates the script read from
   stdin, with print(...) writing its arguments to stdout. Exit status 1 on an exception. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "quickjs.h"

static JSValue js_print(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
    for (int i = 0; i < argc; i++) {
        const char *s = JS_ToCString(ctx, argv[i]);
        if (!s) return JS_EXCEPTION;
        fputs(s, stdout);
        fputc(i + 1 < argc ? ' ' : '\n', stdout);
        JS_FreeCString(ctx, s);
    }
    if (argc == 0) fputc('\n', stdout);
    return JS_UNDEFINED;
}

int main(void) {
    size_t cap = 1 << 16, len = 0, n;
    char *src = malloc(cap + 1);
    while ((n = fread(src + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) src = realloc(src, (cap *= 2) + 1);
    }
    src[len] = 0;
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = JS_NewContext(rt);
    JSValue global = JS_GetGlobalObject(ctx);
    JS_SetPropertyStr(ctx, global, "print", JS_NewCFunction(ctx, js_print, "print", 1));
    JS_FreeValue(ctx, global);
    JSValue result = JS_Eval(ctx, src, len, "<stdin>", JS_EVAL_TYPE_GLOBAL);
    int status = 0;
    if (JS_IsException(result)) {
        JSValue exc = JS_GetException(ctx);
        const char *s = JS_ToCString(ctx, exc);
        fprintf(stderr, "exception: %s\n", s ? s : "?");
        status = 1;
    }
    fflush(stdout);
    return status;
}
