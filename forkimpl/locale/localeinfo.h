/* locale/localeinfo.h (forksim shim): hurd/hurdsig.c includes glibc's locale internals as
 * "../locale/localeinfo.h" and uses none of them; found here through -Iforkimpl/shim. */
