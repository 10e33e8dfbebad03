/* libc-symbols.h (forksim shim): glibc's symbol-set and visibility macros, as the compiled
 * code needs them. Symbol sets are ELF sections bounded by __start_SET / __stop_SET (GNU ld);
 * a set nobody adds to is empty (weak bounds, both NULL). Included first (-include). */
#ifndef FORKIMPL_LIBC_SYMBOLS_H
#define FORKIMPL_LIBC_SYMBOLS_H
#define libc_hidden_def(name)
#define libc_hidden_proto(name, ...)
#define weak_alias(name, alias)
#define attribute_used_retain __attribute__((used, retain))
#define symbol_set_declare(set)                                         \
    extern void *const __start_##set[] __attribute__((weak));           \
    extern void *const __stop_##set[] __attribute__((weak));
#define symbol_set_define(set) symbol_set_declare(set)
#define symbol_set_first_element(set) ((void *const *)(&__start_##set[0]))
#define symbol_set_end_p(set, ptr) ((ptr) >= (void *const *)&__stop_##set[0])
#define text_set_element(set, symbol) \
    static void *const __elem_##symbol __attribute__((used, section(#set))) = (void *)&(symbol)
#define data_set_element(set, symbol) text_set_element(set, symbol)
#define call_function_static_weak(fct, ...) \
    ({ if (fct) fct(__VA_ARGS__); })
#endif
