/* bits/types/__sigval_t.h (forksim shim): one definition of union sigval for the host's
 * headers and ../../signal.h alike. */
#ifndef ____sigval_t_defined
#define ____sigval_t_defined
union sigval {
    int sival_int;
    void *sival_ptr;
};
typedef union sigval __sigval_t;
#endif
