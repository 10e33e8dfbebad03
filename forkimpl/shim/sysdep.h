/* sysdep.h (forksim shim): nothing of it is used by the Hurd fork code. */
