/* The part of Criterion's API that Popek's unit tests use, for targets
 * where Debian packages no Criterion (s390x in Debian 12).  Only the cross
 * build puts this directory on the include path; native builds use the real
 * library.  Each test runs in a child process, as under Criterion, so one
 * that crashes or hangs fails alone.  runner.c holds main. */
#ifndef POPEK_MINICRIT_CRITERION_H
#define POPEK_MINICRIT_CRITERION_H

#include <stdbool.h>
#include <stddef.h>

struct crs_opts {
    int unused_; /* lets an empty option list be { 0, } */
    void (*init)(void);
    void (*fini)(void);
    double timeout;
    bool disabled;
    const char *description;
};

struct criterion_suite {
    const char *name;
    struct crs_opts opts;
    struct criterion_suite *next;
};

struct criterion_test {
    const char *name;
    const char *suite;
    const char *file;
    void (*fn)(void);
    struct crs_opts opts;
    struct criterion_test *next;
};

extern const struct criterion_test *criterion_current_test;
extern const struct criterion_suite *criterion_current_suite;

void crs_register_test(struct criterion_test *t);
void crs_register_suite(struct criterion_suite *s);
/* fatal: the test stops here (cr_assert); otherwise it goes on (cr_expect). */
void crs_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
_Noreturn void crs_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void crs_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CRS_CAT_(a, b) a##b
#define CRS_CAT(a, b) CRS_CAT_(a, b)

#define TestSuite(sname, ...)                                                                 \
    static struct criterion_suite crs_suite_##sname = { #sname, { 0, __VA_ARGS__ }, NULL };   \
    __attribute__((constructor)) static void crs_suite_reg_##sname(void)                     \
    {                                                                                         \
        crs_register_suite(&crs_suite_##sname);                                               \
    }

#define Test(sname, tname, ...)                                                               \
    static void crs_fn_##sname##_##tname(void);                                               \
    static struct criterion_test crs_test_##sname##_##tname = {                               \
        #tname, #sname, __FILE__, crs_fn_##sname##_##tname, { 0, __VA_ARGS__ }, NULL };       \
    __attribute__((constructor)) static void crs_test_reg_##sname##_##tname(void)            \
    {                                                                                         \
        crs_register_test(&crs_test_##sname##_##tname);                                       \
    }                                                                                         \
    static void crs_fn_##sname##_##tname(void)

/* cr_assert(condition) or cr_assert(condition, format, ...): the message,
 * when there is one, is the arguments after the first. */
#define CRS_ARG16(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, ...) a16
#define CRS_HAS_MSG(...) CRS_ARG16(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, x)
#define CRS_FIRST(first, ...) first
#define CRS_MSG_0(first) "%s", ""
#define CRS_MSG_1(first, ...) __VA_ARGS__
#define CRS_MSG(...) CRS_CAT(CRS_MSG_, CRS_HAS_MSG(__VA_ARGS__))(__VA_ARGS__)
#define CRS_CHECK(fatal, ...)                                                                 \
    do {                                                                                      \
        if (!(CRS_FIRST(__VA_ARGS__, x)))                                                     \
            crs_fail(fatal, __FILE__, __LINE__, #__VA_ARGS__, CRS_MSG(__VA_ARGS__));          \
    } while (0)

#define cr_assert(...) CRS_CHECK(true, __VA_ARGS__)
#define cr_expect(...) CRS_CHECK(false, __VA_ARGS__)
#define cr_assert_eq(a, ...) CRS_CHECK(true, (a) == (CRS_FIRST(__VA_ARGS__, x)) CRS_REST_ARGS(__VA_ARGS__))
#define CRS_REST_0(first)
#define CRS_REST_1(first, ...) , __VA_ARGS__
#define CRS_REST_ARGS(...) CRS_CAT(CRS_REST_, CRS_HAS_MSG(__VA_ARGS__))(__VA_ARGS__)
#define cr_assert_fail(...) crs_fail(true, __FILE__, __LINE__, "cr_assert_fail", __VA_ARGS__)
#define cr_fatal(...) crs_fail(true, __FILE__, __LINE__, "cr_fatal", __VA_ARGS__)
#define cr_skip_test(...) crs_skip(__VA_ARGS__)
#define cr_log_info(...) crs_log("info", __VA_ARGS__)
#define cr_log_warn(...) crs_log("warn", __VA_ARGS__)
#define cr_log_error(...) crs_log("error", __VA_ARGS__)

#endif
