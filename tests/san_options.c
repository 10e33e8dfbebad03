/*
 * san_options.c: the sanitizer build's defaults, linked into every program of build-san/ (the
 * test programs, forksim, the fuzz harnesses) and into no plain program.
 *
 * Why: a report that prints and lets the program go on is a report nobody sees (issue 12,
 * "Blind checks"). Every report stops the program with a non-zero status, whoever runs it and
 * whatever the environment says; ASAN_OPTIONS / UBSAN_OPTIONS set by the user still apply on
 * top of these. LeakSanitizer runs at exit (detect_leaks=1) and fails the program too.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
    return "detect_leaks=1:halt_on_error=1:abort_on_error=1";
}

const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}
