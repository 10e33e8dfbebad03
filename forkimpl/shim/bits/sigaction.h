/* bits/sigaction.h (forksim shim): struct sigaction is in ../signal.h (the Hurd's layout). */
