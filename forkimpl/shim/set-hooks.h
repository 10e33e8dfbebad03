/* set-hooks.h (forksim shim): hooks as symbol sets of function pointers. */
#ifndef FORKIMPL_SET_HOOKS_H
#define FORKIMPL_SET_HOOKS_H
#include "libc-symbols.h"
#define DEFINE_HOOK(name, proto)                    \
    typedef void __##name##_hook_function_t proto;  \
    symbol_set_declare(name)
#define RUN_HOOK(name, args)                                                        \
    do {                                                                            \
        void *const *__ptr;                                                         \
        for (__ptr = symbol_set_first_element(name); !symbol_set_end_p(name, __ptr); \
             ++__ptr)                                                               \
            (*(__##name##_hook_function_t *)*__ptr) args;                           \
    } while (0)
#define DECLARE_HOOK(name, proto) DEFINE_HOOK(name, proto)
#define text_set_element_hook(set, fn) text_set_element(set, fn)
/* Relative hooks (_hurd_subinit): each element is the hook's offset from the element itself,
 * so the set needs no dynamic relocation (the Hurd's x86 form); RUN_RELHOOK adds it back. */
#define SET_RELHOOK(name, hook) \
    __asm__(".pushsection " #name ",\"a\"\n\t.balign 8\n\t.quad " #hook " - .\n\t.popsection")
#define RUN_RELHOOK(name, args)                                                        \
    do {                                                                               \
        void *const *__ptr;                                                            \
        for (__ptr = symbol_set_first_element(name); !symbol_set_end_p(name, __ptr);   \
             ++__ptr) {                                                                \
            __##name##_hook_function_t *__f =                                          \
                (__##name##_hook_function_t *)((uintptr_t)__ptr + (intptr_t)*__ptr);   \
            (*__f) args;                                                               \
        }                                                                              \
    } while (0)
#endif
