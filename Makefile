# forksim build.
#
#   make            build/libforksim.a, build/forksim and the test programs in build/tests/
#   make run        the main job: build/forksim run traces/walkthrough.fsim
#   make check      every test, plain build and sanitizer build (build-san/), then the rule table
#   make san        the ASan+UBSan build only, in build-san/ (never over build/)
#   make bench      benchmarks (figures only; no test asserts them)
#   make formats    the output formats against their schema and checkers; make pictures: build/walkthrough-*
#   make install    bin/forksim, libforksim.so.0 and .a, forksim.h, forksim.pc, man pages, bash
#                   completion (PREFIX, DESTDIR)
#   make clean
#
# Missing Debian packages are installed by tools/deps.sh (root) or named in one line (others).
# Sources are picked up by directory: model/*.c and sim/{rt,kern,hurd,cli}/*.c go into libforksim.a, and every
# tests/test_*.c becomes one test program linked against it.

SHELL      := /bin/sh
CC         ?= gcc
BUILD      ?= build
SAN_BUILD  ?= build-san

WARN       := -Wall -Wextra -Werror
BASEFLAGS  := -std=gnu11 -g -D_GNU_SOURCE $(WARN)
# The layers, each seeing only the headers of the layers below it (README, "Layout"):
# model <- sim/rt <- sim/kern <- sim/hurd <- forkimpl <- sim/cli. An include across the
# grain fails to compile.
RT_INC     := -Isim/rt
KERN_INC   := -Imodel $(RT_INC) -Isim/kern
HURD_INC   := $(KERN_INC) -Isim/hurd
ALL_INC    := $(HURD_INC) -Isim/cli -Itests
LAYER_INC   = $(ALL_INC)
$(BUILD)/model/%.o $(SAN_BUILD)/model/%.o: LAYER_INC = -Imodel
$(BUILD)/sim/rt/%.o $(SAN_BUILD)/sim/rt/%.o: LAYER_INC = $(RT_INC)
$(BUILD)/sim/kern/%.o $(SAN_BUILD)/sim/kern/%.o: LAYER_INC = $(KERN_INC) $(STUB_INC)
$(BUILD)/sim/hurd/%.o $(SAN_BUILD)/sim/hurd/%.o: LAYER_INC = $(HURD_INC) $(STUB_INC)
$(BUILD)/forkimpl/%.o $(SAN_BUILD)/forkimpl/%.o: LAYER_INC = $(HURD_INC)
PLAIN_CFLAGS := $(BASEFLAGS) -O2
# Sanitizers that stop: every report ends the program (-fno-sanitize-recover=all here and in
# GLIBC_SAN_CFLAGS; halt_on_error and abort_on_error in tests/san_options.c, linked into every
# sanitizer program, and in SAN_ENV), so a test program or a run with a report exits non-zero
# and tools/run-tests.sh counts it failed. LeakSanitizer is on (detect_leaks=1).
SAN_CFLAGS := $(BASEFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all --param asan-use-after-return=0
SAN_LDFLAGS := -fsanitize=address,undefined
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
              UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
LDLIBS     := -lcmocka -lunwind -ldw -lelf -ljansson -lm

# The command's own files (issue 14, items 2-4: the subcommands, output formats): in the command
# only, not in the library (CMD_SRCS). The option parsing (cliopt.c) is in the library with the
# race explorer's commands (sim/cli/schedules_cmd.c), which parse with it.
CMD_SRCS   := sim/cli/main.c sim/cli/export.c sim/cli/picture.c
# issue 13, item 2: forksim cost (the counting itself, sim/cli/cost.c, is in the library)
CMD_SRCS   += sim/cli/cost_cmd.c
LIB_SRCS   := $(sort $(wildcard model/*.c sim/rt/*.c sim/kern/*.c sim/hurd/*.c) $(filter-out $(CMD_SRCS),$(wildcard sim/cli/*.c)))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
TEST_NAMES := $(patsubst tests/%.c,%,$(TEST_SRCS))
# Helpers shared by the test programs (tests/testlib*.c), linked into each.
TESTLIB_SRCS := $(sort $(wildcard tests/testlib*.c))
FORKIMPL_SRCS := $(sort $(wildcard forkimpl/*.c))
# The glibc code under test, compiled twice (see the forkimpl/ block below), and its text line
# by line (fork-source-lines.o, for forkimpl/source.c: anchors and notes by statement).
FORK_OBJS  := fork-glibc.o fork-glibc-ndebug.o fork-source-lines.o
# glibc's file descriptor table and its neighbours (hurd/*.c), compiled once (see below).
GLIBC_FD_NAMES := dtable port2fd new-fd alloc-fd intern-fd fd-close
GLIBC_FD_OBJS := $(patsubst %,fd-%.o,$(GLIBC_FD_NAMES))
# glibc's signal code (issue 9): the signal thread's routines and delivery (hurdsig.c), the
# interruptible RPC (intr-msg.c), raise, sigprocmask, sigaction, kill and sigsuspend, and the
# out-of-line copies of hurd/signal.h's inline functions, made as glibc's hurd/Makefile makes
# them (signal-inlines.c: a generated file that defines _HURD_SIGNAL_H_EXTERN_INLINE and
# includes the header). Compiled once per source, their data in the image, as dtable.c's.
GLIBC_SIG_SRCS := hurd/hurdsig.c hurd/intr-msg.c hurd/hurd-raise.c \
                  sysdeps/mach/hurd/sigprocmask.c sysdeps/mach/hurd/libc_sigaction.c \
                  sysdeps/mach/hurd/kill.c sysdeps/mach/hurd/sigsuspend.c posix/vfork.c
# Issue 9 item 7 (sigfork): an assert's abort takes glibc's own path: stdlib/abort.c (raise,
# then ABORT_INSTRUCTION, whose fault the kernel reports to the message port), the signal
# thread's exception_raise (hurd/catch-exc.c) and the i386 translation of the exception
# (exc2signal.c); abort.c reads the generic internal-signals.h, taken from the tree too.
GLIBC_SIG_SRCS += hurd/catch-exc.c sysdeps/mach/hurd/i386/exc2signal.c stdlib/abort.c
GLIBC_SIG_HDRS := sysdeps/generic/internal-signals.h
GLIBC_SIG_NAMES := $(basename $(notdir $(GLIBC_SIG_SRCS))) signal-inlines
GLIBC_SIG_OBJS := $(patsubst %,sig-%.o,$(GLIBC_SIG_NAMES))
# The headers of glibc's Hurd code that it is compiled against as they are (the rest are
# forksim's shims, forkimpl/shim/): keyed and listed by --version like the sources.
GLIBC_HDRS := hurd/hurd/signal.h hurd/hurd/sigpreempt.h hurd/hurd/id.h hurd/hurdfault.h
# Headers taken from the tree to be read, not compiled: hurd/port.h and hurd/userlink.h, whose
# extern inlines forkimpl/hurdrt.c and fdrt.c stand in for (rule EX19 of docs/exec-rules.md);
# tests/test_exec_glibc.c checks the critical sections against the text. forkimpl/shim/ comes
# first on every include path, so nothing compiles these.
GLIBC_READ_HDRS := hurd/hurd/port.h hurd/hurd/userlink.h
# glibc's exec (issue 9, item 4; hexec): _hurd_exec_paths (hurd/hurdexec.c) and its entry,
# execve (sysdeps/mach/hurd/execve.c, which is execveat.c's with AT_FDCWD). Compiled once, as
# the signal code, with forkimpl/shim/forkimpl-exec.h for the internals they name beyond the
# other shims'.
GLIBC_EXEC_SRCS := hurd/hurdexec.c sysdeps/mach/hurd/execve.c sysdeps/mach/hurd/execveat.c
GLIBC_EXEC_OBJS := $(patsubst %,exec-%.o,$(basename $(notdir $(GLIBC_EXEC_SRCS))))
# glibc's posix_spawn (issue 13, item 1; spawn): sysdeps/mach/hurd/spawni.c, and posix/'s
# entry, attribute and file-action functions it is called through, compiled unmodified with
# forkimpl/shim/forkimpl-spawn.h; the headers of the tree they read (posix/spawn.h, with the
# Hurd's sigset_t of the shim bits/types/sigset_t.h, hence the Hurd's posix_spawnattr_t;
# spawn_int.h; the Hurd's spawn_int_def.h; hurd/lookup.h) are taken from the tree too.
GLIBC_SPAWN_SRCS := sysdeps/mach/hurd/spawni.c posix/spawn.c posix/spawn_valid_fd.c \
                    posix/spawn_faction_init.c posix/spawn_faction_destroy.c \
                    posix/spawn_faction_addopen.c posix/spawn_faction_addclose.c \
                    posix/spawn_faction_adddup2.c posix/spawnattr_init.c \
                    posix/spawnattr_destroy.c posix/spawnattr_setflags.c \
                    posix/spawnattr_setsigmask.c posix/spawnattr_setdefault.c \
                    posix/spawnattr_setpgroup.c
GLIBC_SPAWN_HDRS := posix/spawn.h posix/spawn_int.h sysdeps/mach/hurd/spawn_int_def.h \
                    hurd/hurd/lookup.h
GLIBC_SPAWN_OBJS := $(patsubst %,spawn-%.o,$(basename $(notdir $(GLIBC_SPAWN_SRCS))))
GLIBC_OBJS := $(FORK_OBJS) $(GLIBC_FD_OBJS) $(GLIBC_SIG_OBJS) $(GLIBC_EXEC_OBJS) $(GLIBC_SPAWN_OBJS)
# Where the objects of the glibc source in use go: $(BUILD)/glibc/KEY (see "Builds keyed by
# source" below).
GLIBC_FILES := sysdeps/mach/hurd/_Fork.c $(patsubst %,hurd/%.c,$(GLIBC_FD_NAMES)) \
               $(GLIBC_SIG_SRCS) $(GLIBC_EXEC_SRCS) $(GLIBC_HDRS) $(GLIBC_SIG_HDRS) $(GLIBC_READ_HDRS) \
               $(GLIBC_SPAWN_SRCS) $(GLIBC_SPAWN_HDRS)
glibc_key = $(shell GLIBC_KEY_CACHE=$(BUILD)/glibc tools/glibc-key.sh '$(1)' $(GLIBC_FILES))
GLIBC_KEY := $(call glibc_key,$(GLIBC_SRC))
# A fresh machine has no glibc-source package yet, so the key above is "unreadable" and would
# stay so for this whole run of make (the `deps` target installs the package too late: the
# extraction then finds files the key was not computed from). So when the package's key is
# unreadable, the Debian packages are installed now, while the Makefile is read, and the key is
# computed again. `make clean` needs none of it.
ifeq ($(GLIBC_SRC)$(GLIBC_KEY),unreadable)
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell tools/deps.sh >&2 && echo installed),installed)
$(error forksim: Debian packages are missing (the line above names them); install them, then run make again)
endif
GLIBC_KEY := $(call glibc_key,$(GLIBC_SRC))
endif
endif
GLIBC_DIR := $(BUILD)/glibc/$(GLIBC_KEY)
SAN_GLIBC_DIR := $(SAN_BUILD)/glibc/$(GLIBC_KEY)
# The tree of each KEY this run of make knows of, for its extraction (empty: the package).
GLIBC_SRC_OF_$(GLIBC_KEY) := $(GLIBC_SRC)
# Header dependencies come from the compiler (-MMD): each object depends on exactly the headers
# it includes. An object without its .d file (never built, or built before -MMD) is rebuilt.
DEPFLAGS   := -MMD -MP
# The .d files come before `all:`: without this, the first rule of the first .d file found
# would be what a plain `make` builds.
.DEFAULT_GOAL := all
-include $(shell find $(BUILD) $(SAN_BUILD) -name '*.d' 2>/dev/null)
$(BUILD)/%.d $(SAN_BUILD)/%.d: ;

.PHONY: all deps check san bench clean test-plain test-san rules host-processes valgrind image-globals run traces cli compare quoted anchors compare-check planted-san traces-san
all: deps $(BUILD)/libforksim.a $(addprefix $(BUILD)/tests/,$(TEST_NAMES)) $(BUILD)/forksim

deps:
	@tools/deps.sh

# --- plain build --------------------------------------------------------------
$(BUILD)/%.o: %.c $(BUILD)/%.d $(BUILD)/cflags | deps
	@mkdir -p $(dir $@)
	$(CC) $(PLAIN_CFLAGS) $(DEPFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@

# The library: forksim's objects and the current glibc source's (GLIBC_KEY, below). Re-archived
# whenever the current source changes ($(BUILD)/glibc/current), even to one built before.
$(BUILD)/libforksim.a: $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS)) $(addprefix $(GLIBC_DIR)/,$(GLIBC_OBJS)) $(BUILD)/glibc/current
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(patsubst %.c,$(BUILD)/%.o,$(TESTLIB_SRCS)) $(BUILD)/libforksim.a
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ $(LDLIBS)

# --- sanitizer build ----------------------------------------------------------
$(SAN_BUILD)/%.o: %.c $(SAN_BUILD)/%.d $(SAN_BUILD)/cflags | deps
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(DEPFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@

$(SAN_BUILD)/libforksim.a: $(patsubst %.c,$(SAN_BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS)) $(addprefix $(SAN_GLIBC_DIR)/,$(GLIBC_OBJS)) $(BUILD)/glibc/current
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(SAN_BUILD)/tests/%: $(SAN_BUILD)/tests/%.o $(patsubst %.c,$(SAN_BUILD)/%.o,$(TESTLIB_SRCS)) $(SAN_BUILD)/tests/san_options.o $(SAN_BUILD)/libforksim.a
	$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) $(LDLIBS)

san: deps $(SAN_BUILD)/libforksim.a $(addprefix $(SAN_BUILD)/tests/,$(TEST_NAMES)) $(SAN_BUILD)/forksim

# --- tests --------------------------------------------------------------------
# tools/run-tests.sh runs every program in a directory, keeps each one's output in
# DIR/results/, and prints one closing line "N passed, N failed".
test-plain: all
	@tools/run-tests.sh $(BUILD)

test-san: san
	@$(SAN_ENV) tools/run-tests.sh $(SAN_BUILD)

# Defects planted at test time (a scratch program; a signed overflow in a scratch copy of
# glibc's _Fork.c, built into a temporary BUILD) must each fail the sanitizer build's run.
planted-san: san
	@CC="$(CC)" SAN_CFLAGS="$(SAN_CFLAGS)" SAN_LDFLAGS="$(SAN_LDFLAGS)" $(SAN_ENV) \
	  tools/check-planted-san.sh $(SAN_BUILD)

# The rule table: every spec rule listed in tests/rules.txt needs a passing test with an
# assertion marked for it (see tools/rule-table.sh).
# tests/rules.txt must name every rule id docs/ states, each under the file that states it, and
# docs/ every id of the specification (SPEC_DIR, when present); the checks are fed planted
# defects (tools/check-planted-rules.sh).
SPEC_DIR ?= ../shared/spec
rules: test-plain
	@tools/check-rules-list.sh tests/rules.txt $(SPEC_DIR)
	@tools/check-planted-rules.sh tests/rules.txt
	@tools/rule-table.sh tests/rules.txt $(BUILD)/results

# Simulated tasks stay in one host process: no test program, forksim explore or simulated side
# of a benchmark may fork or clone.
host-processes: all $(BUILD)/bench/bench_fork $(BUILD)/bench/bench_explore
	@tools/check-host-processes.sh $(BUILD)

# Memcheck over every test program (tools/valgrind-tests.sh: two at a time, errors and definite
# leaks fail; a planted leak must fail first). In make check, not make sweep: all of it took
# 2 min 44 s of CPU here, so a few minutes of a 2-core machine, well under 15.
valgrind: all
	@tools/valgrind-tests.sh $(BUILD) 2

check: test-plain test-san rules host-processes valgrind image-globals traces cli quoted anchors install-check compare-check sites glibc-features planted-san traces-san fuzz-replay formats schedules stubgen-check exec-retry hang-on-fork delivery-glibc fork-ours-intent costs-check

bench: all
	@for b in $(BENCH_PROGS); do $$b || exit 1; done

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-glibc-src $(BUILD)-exec-retry $(BUILD)-anchors $(BUILD)-anchors-san build-versions $(FUZZ_BUILD)

# --- forkimpl/ and the glibc code under test -------------------------------------------
# glibc's sources are extracted unmodified from the glibc-source package (or the tree GLIBC_SRC
# names) and compiled twice: as shipped (asserts active, as in Debian's libc) and with -DNDEBUG
# (so LOSE reaches the lose: clean-up). They are glibc's code, not ours: built without -Werror,
# with forksim's shim headers (forkimpl/shim) standing for glibc's internals.
#
# Builds keyed by source: all that is compiled from one glibc source lives in
# $(BUILD)/glibc/KEY/, KEY being the digest of the files taken from it (tools/glibc-key.sh:
# their sha256, not the tree's path). Editing a file of the tree, or naming another tree, gives
# another KEY and so a build of its own; a plain `make` is the package's KEY again, its objects
# still there (GLIBC_KEY, at the top). $(BUILD)/glibc/current says which KEY (and tree)
# build/libforksim.a and build/forksim are made of; it changes only when that does, and then
# they are re-made. To take more files from a tree, add them to GLIBC_FILES: they are then
# extracted, keyed and named by --version like the others.
FORKIMPL_INC := -Iforkimpl -Iforkimpl/shim -include forkimpl/shim/libc-symbols.h
# glibc's own Hurd headers (hurd/hurd/signal.h and its neighbours), after the shims: forkimpl's
# code beneath glibc's sees the tree in use's (GLIBC_KEY), glibc's code its own KEY's.
FORKIMPL_GLIBC_INC = -I$(GLIBC_DIR)/src/hurd -iquote $(GLIBC_DIR)
# The feature probe's header (tools/glibc-features.sh), written beside the KEY's extracted
# sources, picks the shims this tree's code needs: -iquote finds it first.
GLIBC_CFLAGS = -std=gnu11 -g -O2 -D_GNU_SOURCE $(DEPFLAGS) $(FORKIMPL_INC) -I$(BUILD)/glibc/$*/src/hurd -iquote $(BUILD)/glibc/$* $(HURD_INC)
# glibc's files are named glibc/PATH in the debug information, as in a glibc tree (forkimpl/
# sites.c tells glibc's code from ours by that), whatever KEY directory they were built in.
GLIBC_CFLAGS += -fdebug-prefix-map=$(BUILD)/glibc/$*/src=glibc
# A call in tail position keeps its caller's frame: --sites names the glibc statement that made
# an RPC by walking the stack (forkimpl/sites.c), and a sibling call (hurd-raise.c's
# "return __msg_sig_post (...)") would leave no frame of its file. Code generation only.
GLIBC_CFLAGS += -fno-optimize-sibling-calls
GLIBC_SAN_CFLAGS = $(GLIBC_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                    -fno-sanitize=alignment -fno-sanitize-recover=all --param asan-use-after-return=0

# $(BUILD)/glibc/current, $(BUILD)/glibc/flags (what glibc's code is compiled with) and
# $(BUILD)/cflags, $(SAN_BUILD)/cflags (forksim's own objects): files rewritten only when their
# text changes, so that a change of source or of flags (the install section's -fPIC, say)
# remakes exactly what depends on it. They are written when the Makefile is read, at its end
# where every flag is final, not by recipes: a FORCE'd recipe would make `make -n` show
# everything rebuilt.
GLIBC_FLAGS := $(BUILD)/glibc/flags

# The extraction checks that what it took is what the key was computed from (a file edited
# in between would otherwise be built under another file's key).
$(BUILD)/glibc/%/src/SOURCE: tools/glibc-extract.sh | deps
	GLIBC_SRC='$(GLIBC_SRC_OF_$*)' tools/glibc-extract.sh $(@D) $(GLIBC_FILES)
	@test "$$(tools/glibc-key.sh --of $@)" = '$*' \
	  || { rm -f $@; echo "forksim: the glibc files changed while make read them (key $*): run make again"; exit 1; }

# The feature probe: which glibc internals this tree's fork code names, as a header the shims
# read (tools/glibc-features.sh). Every object of glibc's code depends on it.
$(BUILD)/glibc/%/forksim-glibc-features.h: $(BUILD)/glibc/%/src/SOURCE tools/glibc-features.sh
	tools/glibc-features.sh $(@D)/src > $@.tmp && mv $@.tmp $@

GLIBC_HINT = { echo "forksim: glibc's code from $(if $(GLIBC_SRC_OF_$*),GLIBC_SRC=$(GLIBC_SRC_OF_$*),the glibc-source package) does not compile against forksim's shims (forkimpl/shim): the error above names the header or declaration still lacking"; exit 1; }
$(BUILD)/glibc/%/fork-glibc.o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$(CC) $(GLIBC_CFLAGS) -D_Fork=forksim_glibc_fork -c $(@D)/src/sysdeps/mach/hurd/_Fork.c -o $@ || $(GLIBC_HINT)
$(BUILD)/glibc/%/fork-glibc-ndebug.o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$(CC) $(GLIBC_CFLAGS) -DNDEBUG -D_Fork=forksim_glibc_fork_ndebug -c $(@D)/src/sysdeps/mach/hurd/_Fork.c -o $@ || $(GLIBC_HINT)
$(SAN_BUILD)/glibc/%/fork-glibc.o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(GLIBC_SAN_CFLAGS) -D_Fork=forksim_glibc_fork -c $(BUILD)/glibc/$*/src/sysdeps/mach/hurd/_Fork.c -o $@
$(SAN_BUILD)/glibc/%/fork-glibc-ndebug.o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(GLIBC_SAN_CFLAGS) -DNDEBUG -D_Fork=forksim_glibc_fork_ndebug -c $(BUILD)/glibc/$*/src/sysdeps/mach/hurd/_Fork.c -o $@

# glibc's fd table (hurd/dtable.c) and its neighbours have no assertions: one variant per
# build, linked with either fork. Their .data and .bss would be one copy shared by every
# simulated task (dtable.c's lock, table pointer and size): objcopy renames them into the
# image section, where SIM_GLOBAL puts forksim's own globals.
IMAGE_RENAME := $(foreach s,.data .bss .data.rel .data.rel.local,--rename-section $(s)=forksim_image,alloc,load,data,contents)
define glibc_fd_rules
$(BUILD)/glibc/%/fd-$(1).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$$(CC) $$(GLIBC_CFLAGS) -MT $$@ -c $$(@D)/src/hurd/$(1).c -o $$@.tmp || $$(GLIBC_HINT)
	objcopy $$(IMAGE_RENAME) $$@.tmp $$@ && rm -f $$@.tmp
$(SAN_BUILD)/glibc/%/fd-$(1).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $$(@D)
	$$(CC) $$(GLIBC_SAN_CFLAGS) -MT $$@ -c $(BUILD)/glibc/$$*/src/hurd/$(1).c -o $$@.tmp
	objcopy $$(IMAGE_RENAME) $$@.tmp $$@ && rm -f $$@.tmp
endef
$(foreach n,$(GLIBC_FD_NAMES),$(eval $(call glibc_fd_rules,$(n))))

# The signal code: as the fd table's, one variant, its data renamed into the image section.
$(BUILD)/glibc/%/src/hurd/signal-inlines.c: $(BUILD)/glibc/%/src/SOURCE
	{ echo '/* generated: the inline functions of hurd/signal.h as real functions (hurd/Makefile) */'; \
	  echo '#include <features.h>'; echo '#include <tls.h>'; echo '#include <setjmp.h>'; \
	  echo '#define _LIBC 1'; echo '#define IS_IN(lib) 1'; echo '#define __USE_EXTERN_INLINES 1'; \
	  echo '#define _HURD_SIGNAL_H_EXTERN_INLINE'; echo '#define _HURD_SIGNAL_H_HIDDEN_DEF'; \
	  echo '#include "hurd/signal.h"'; } > $@
# hurdsig.c passes nested functions around: GCC's trampolines for them are built on the stack
# of the simulated thread running it, which the arena makes executable (sim/rt/image.c); the
# host's own stack never runs them, so the objects say it need not be (their GNU-stack note
# is made a plain one: GCC marks it executable whatever the assembler is told).
SIG_NOEXECSTACK := --remove-section=.note.GNU-stack --add-section .note.GNU-stack=/dev/null \
                   --set-section-flags .note.GNU-stack=noload,readonly
define glibc_sig_rules
$(BUILD)/glibc/%/sig-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(2) $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$$(CC) $$(GLIBC_CFLAGS) -MT $$@ -c $$(@D)/src/$(1) -o $$@.tmp || $$(GLIBC_HINT)
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
$(SAN_BUILD)/glibc/%/sig-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(2) $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $$(@D)
	$$(CC) $$(GLIBC_SAN_CFLAGS) -MT $$@ -c $(BUILD)/glibc/$$*/src/$(1) -o $$@.tmp
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
endef
$(foreach f,$(GLIBC_SIG_SRCS),$(eval $(call glibc_sig_rules,$(f))))
# The inline functions are compiled where glibc compiles them: inside libc (_LIBC, IS_IN).
# (The generated file defines _LIBC and IS_IN itself, after the host's headers that refuse it.)
# posix/vfork.c: glibc 2.36's vfork on the Hurd is fork (__vfork calls __fork); both names get
# forksim's own, as _Fork does, so the host's libc never answers for them.
$(BUILD)/glibc/%/sig-vfork.o $(SAN_BUILD)/glibc/%/sig-vfork.o: GLIBC_CFLAGS += -D__vfork=forksim_glibc_vfork -D__fork=forksim_posix_fork
$(eval $(call glibc_sig_rules,hurd/signal-inlines.c,$(BUILD)/glibc/%/src/hurd/signal-inlines.c))
# stdlib/abort.c (issue 9 item 7): abort, raise and _exit get forksim's names (the host's libc
# must never answer for them, nor forksim's own abort be the simulated process's); its
# internal-signals.h is the tree's generic one.
$(BUILD)/glibc/%/sig-abort.o $(SAN_BUILD)/glibc/%/sig-abort.o: GLIBC_CFLAGS += -Dabort=forksim_glibc_abort -Draise=forksim_glibc_raise -D_exit=forksim_glibc__exit -idirafter $(BUILD)/glibc/$*/src/sysdeps/generic

# The exec code (issue 9, item 4; hexec): as the signal code's rules, objects exec-NAME.o, with
# forkimpl-exec.h first. Its entry points get forksim's names (as vfork's do), so the host's
# libc never answers for them nor they for it.
define glibc_exec_rules
$(BUILD)/glibc/%/exec-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$$(CC) $$(GLIBC_CFLAGS) $$(GLIBC_EXEC_CFLAGS) -MT $$@ -c $$(@D)/src/$(1) -o $$@.tmp || $$(GLIBC_HINT)
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
$(SAN_BUILD)/glibc/%/exec-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $$(@D)
	$$(CC) $$(GLIBC_SAN_CFLAGS) $$(GLIBC_EXEC_CFLAGS) -MT $$@ -c $(BUILD)/glibc/$$*/src/$(1) -o $$@.tmp
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
endef
GLIBC_EXEC_CFLAGS := -include forkimpl/shim/forkimpl-exec.h -D__execve=forksim_glibc_execve \
                     -D__execveat=forksim_glibc_execveat
$(foreach f,$(GLIBC_EXEC_SRCS),$(eval $(call glibc_exec_rules,$(f))))

# posix_spawn (issue 13, item 1; spawn): as the exec code's rules, objects spawn-NAME.o, with
# forkimpl-spawn.h first and the tree's posix/ and the Hurd's spawn_int_def.h on the path. The
# entry points get forksim's names, so the host's libc never answers for them nor they for it
# (spawnattr_setpgroup.c defines the public name alone: it gets the internal one). spawni.c's
# _hurd_check_ids is forkimpl/spawnrt.c's (it says why).
define glibc_spawn_rules
$(BUILD)/glibc/%/spawn-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	$$(CC) $$(GLIBC_CFLAGS) $$(GLIBC_SPAWN_CFLAGS) -MT $$@ -c $$(@D)/src/$(1) -o $$@.tmp || $$(GLIBC_HINT)
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
$(SAN_BUILD)/glibc/%/spawn-$(basename $(notdir $(1))).o: $(BUILD)/glibc/%/src/SOURCE $(BUILD)/glibc/%/forksim-glibc-features.h $(GLIBC_FLAGS)
	@mkdir -p $$(@D)
	$$(CC) $$(GLIBC_SAN_CFLAGS) $$(GLIBC_SPAWN_CFLAGS) -MT $$@ -c $(BUILD)/glibc/$$*/src/$(1) -o $$@.tmp
	objcopy $$(IMAGE_RENAME) $$(SIG_NOEXECSTACK) $$@.tmp $$@ && rm -f $$@.tmp
endef
GLIBC_SPAWN_CFLAGS = -include forkimpl/shim/forkimpl-spawn.h -iquote $(BUILD)/glibc/$*/src/posix \
                     -I$(BUILD)/glibc/$*/src/sysdeps/mach/hurd \
                     -D__spawni=forksim_glibc_spawni -D__posix_spawn=forksim_glibc_posix_spawn \
                     -D_hurd_check_ids=fi_spawn_check_ids \
                     -Dposix_spawnattr_setpgroup=__posix_spawnattr_setpgroup
$(foreach f,$(GLIBC_SPAWN_SRCS),$(eval $(call glibc_spawn_rules,$(f))))
# tests/test_spawn.c reads the spawni.c the build compiled (its oracle is the source text).
$(BUILD)/tests/test_spawn.o $(SAN_BUILD)/tests/test_spawn.o: $(BUILD)/glibc/current
$(BUILD)/tests/test_spawn.o $(SAN_BUILD)/tests/test_spawn.o: EXTRA_CFLAGS = -DSPAWNI_C='"$(GLIBC_DIR)/src/sysdeps/mach/hurd/spawni.c"'

$(BUILD)/forkimpl/%.o $(SAN_BUILD)/forkimpl/%.o: EXTRA_CFLAGS = $(FORKIMPL_INC) $(FORKIMPL_GLIBC_INC)
$(patsubst %.c,$(BUILD)/%.o,$(FORKIMPL_SRCS)) $(patsubst %.c,$(SAN_BUILD)/%.o,$(FORKIMPL_SRCS)): | $(GLIBC_DIR)/src/SOURCE $(GLIBC_DIR)/forksim-glibc-features.h
# The public API and the command (sim/cli) sit on top of the runtime and the code under test.
$(BUILD)/sim/cli/%.o $(SAN_BUILD)/sim/cli/%.o: EXTRA_CFLAGS = -Iforkimpl
# Tests of the code under test see forkimpl's headers (tests/test_fork*.c, test_dtable.c;
# test_schedules.c for _Fork.c's text).
FORK_TESTS := $(patsubst tests/%.c,%.o,$(wildcard tests/test_fork*.c tests/test_dtable*.c tests/test_exec*.c tests/test_signals.c tests/test_schedules.c))
FORK_TESTS += testlib_fork.o
$(addprefix $(BUILD)/tests/,$(FORK_TESTS)) $(addprefix $(SAN_BUILD)/tests/,$(FORK_TESTS)): EXTRA_CFLAGS = -Iforkimpl
# tests/testlib_glibc.c reads the glibc files the build compiled (not build/glibc/current at
# run time, which make compare rewrites while make check runs the tests).
$(BUILD)/tests/testlib_glibc.o $(SAN_BUILD)/tests/testlib_glibc.o: $(BUILD)/glibc/current
$(BUILD)/tests/testlib_glibc.o $(SAN_BUILD)/tests/testlib_glibc.o: EXTRA_CFLAGS = -DGLIBC_TREE_DIR='"$(GLIBC_DIR)/src"'

# The fork source forksim --version reports: where it came from and each file's sha256. For
# build/forksim, the tree named now; for a KEY's own forksim (make compare), the tree it was
# first extracted from (a tree with the same files has the same KEY).
SOURCE_INFO_AWK := awk -v origin="$$origin" 'BEGIN { print "const char forksim_fork_source[] =" } \
	     $$1 == "origin" && origin == "" { origin = $$2 } \
	     $$1 == "origin" { printf "    \"fork source from %s\\n\"\n", origin } \
	     $$1 == "sha256" { printf "    \"  %s sha256 %s\\n\"\n", $$3, $$2 } \
	     END { print ";" }'
$(BUILD)/glibc/source-info.c: $(BUILD)/glibc/current $(GLIBC_DIR)/src/SOURCE
	origin='$(if $(GLIBC_SRC),GLIBC_SRC=$(GLIBC_SRC))'; $(SOURCE_INFO_AWK) $(GLIBC_DIR)/src/SOURCE >$@.tmp && mv $@.tmp $@
$(BUILD)/glibc/%/source-info.c: $(BUILD)/glibc/%/src/SOURCE
	origin=''; $(SOURCE_INFO_AWK) $< >$@.tmp && mv $@.tmp $@
$(BUILD)/glibc/source-info.o: $(BUILD)/glibc/source-info.c
	$(CC) $(PLAIN_CFLAGS) -c $< -o $@
$(BUILD)/glibc/%/source-info.o: $(BUILD)/glibc/%/source-info.c
	$(CC) $(PLAIN_CFLAGS) -c $< -o $@

# The forksim command: with the current glibc source, and with any KEY's (make compare).
# Before linking: every symbol the glibc code imports must be defined (tools/glibc-lacks.sh
# names what a glibc tree other than 2.36 still needs from forkimpl/).
CORE_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS))
# jansson: the command writes JSON (sim/cli/export.c says why), and so does the schedule
# explorer in the library (sim/cli/schedules.c, --format=jsonl).
FORKSIM_LIBS := -lunwind -ldw -lelf -ljansson -lm
FORKSIM_CMD_LIBS := $(FORKSIM_LIBS) -ljansson
$(BUILD)/forksim: $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRCS)) $(BUILD)/glibc/source-info.o $(BUILD)/libforksim.a
	@tools/glibc-lacks.sh "$(addprefix $(GLIBC_DIR)/,$(GLIBC_OBJS))" "$(CORE_OBJS) $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRCS))" >/dev/null \
	  || tools/glibc-lacks.sh "$(addprefix $(GLIBC_DIR)/,$(GLIBC_OBJS))" "$(CORE_OBJS) $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRCS))"
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ $(FORKSIM_CMD_LIBS)
$(BUILD)/glibc/%/forksim: $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRCS)) $(CORE_OBJS) $(addprefix $(BUILD)/glibc/%/,$(GLIBC_OBJS) source-info.o)
	@tools/glibc-lacks.sh "$(filter $(BUILD)/glibc/%,$^)" "$(filter-out $(BUILD)/glibc/%,$^)" >/dev/null \
	  || tools/glibc-lacks.sh "$(filter $(BUILD)/glibc/%,$^)" "$(filter-out $(BUILD)/glibc/%,$^)"
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ $(FORKSIM_CMD_LIBS)

# The command in the sanitizer build too (make sites runs it).
$(SAN_BUILD)/glibc/source-info.o: $(BUILD)/glibc/source-info.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
# (with tests/san_options.c: a sanitizer report stops it, whatever the environment says)
$(SAN_BUILD)/forksim: $(patsubst %.c,$(SAN_BUILD)/%.o,$(CMD_SRCS)) $(SAN_BUILD)/glibc/source-info.o $(SAN_BUILD)/tests/san_options.o $(SAN_BUILD)/libforksim.a
	$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) $(FORKSIM_CMD_LIBS)

# --sites against the source text, every RPC of every scenario, in both builds.
.PHONY: sites
sites: $(BUILD)/forksim $(SAN_BUILD)/forksim
	@tools/check-sites.sh $(BUILD)/forksim $(GLIBC_DIR)/src traces
	@ASAN_OPTIONS=detect_leaks=1 tools/check-sites.sh $(SAN_BUILD)/forksim $(GLIBC_DIR)/src traces

# Scenarios with golden outputs: byte for byte, and twice the same.
traces: $(BUILD)/forksim
	@tools/check-traces.sh $(BUILD)/forksim traces

# Every figure and trace row the READMEs quote from a run, against the run (tools/check-quoted.pl);
# then copies of traces/README.md with a wrong figure, row and fragment must fail that check.
QUOTED_CACHE_DIR := $(BUILD)/quoted-cache
quoted: $(BUILD)/forksim
	@rm -rf $(QUOTED_CACHE_DIR) && mkdir -p $(QUOTED_CACHE_DIR)
	@QUOTED_CACHE=$(QUOTED_CACHE_DIR) tools/check-quoted.pl $(BUILD)/forksim README.md traces/README.md
	@QUOTED_CACHE=$(QUOTED_CACHE_DIR) tools/check-quoted-test.sh $(BUILD)/forksim traces/README.md

# The feature probe and the shims it selects, on sed-edited copies of the packaged _Fork.c.
.PHONY: glibc-features
glibc-features: $(BUILD)/forksim
	@FORKSIM_CMD_OBJS="$(patsubst %.c,$(BUILD)/%.o,$(CMD_SRCS))" FORKSIM_CMD_LIBS="$(FORKSIM_CMD_LIBS)" \
	  tools/check-glibc-features.sh $(BUILD) $(GLIBC_CFLAGS) -I$(GLIBC_DIR)/src/hurd

# The same scenarios under the sanitizer build of forksim: a report stops the run and fails it.
traces-san: $(SAN_BUILD)/forksim
	@echo "traces under $(SAN_BUILD)/forksim:"; $(SAN_ENV) tools/check-traces.sh $(SAN_BUILD)/forksim traces

# --- output formats (issue 14, items 3 and 4) ---------------------------------------
# make formats: every scenario's --format=json against docs/forksim-run.schema.json (Debian's
# python3-jsonschema) and its text output, jsonl, and strict checkers of the Mermaid and
# Perfetto subsets forksim writes; dot -Tsvg for the graph (tools/check-formats.py).
# make pictures: the walkthrough's pictures in build/: the name spaces as SVG (when Graphviz's
# dot is installed), the Mermaid diagram and the Perfetto timeline as text.
.PHONY: formats pictures
formats: $(BUILD)/forksim
	@tools/check-formats.py $(BUILD)/forksim docs/forksim-run.schema.json traces
	@for k in $$(tools/check-formats.py --plants); do \
	  if FORMATS_PLANT=$$k tools/check-formats.py $(BUILD)/forksim docs/forksim-run.schema.json traces walkthrough.fsim >/dev/null 2>&1; \
	  then echo "formats: FAIL: the planted defect $$k passes the check"; exit 1; fi; done; \
	  echo "formats: each planted defect ($$(tools/check-formats.py --plants | wc -w)) fails the check"
pictures: $(BUILD)/forksim
	$(BUILD)/forksim run traces/walkthrough.fsim --explain --format=mermaid > $(BUILD)/walkthrough.mmd
	$(BUILD)/forksim run traces/walkthrough.fsim --format=perfetto > $(BUILD)/walkthrough.perfetto.json
	$(BUILD)/forksim run traces/walkthrough.fsim --format=dot > $(BUILD)/walkthrough.dot
	@if command -v dot >/dev/null; then dot -Tsvg $(BUILD)/walkthrough.dot -o $(BUILD)/walkthrough-names.svg && \
	  echo "pictures: $(BUILD)/walkthrough-names.svg, $(BUILD)/walkthrough.mmd, $(BUILD)/walkthrough.perfetto.json"; \
	  else echo "pictures: no dot (Debian's graphviz): $(BUILD)/walkthrough.dot not rendered"; fi
# --- end of output formats --------------------------------------------------------------

# The forksim command as a user meets it.
cli: $(BUILD)/forksim
	@tools/check-cli.sh $(BUILD)/forksim
	@tools/check-signames.sh $(BUILD)/forksim

# Scenario anchors survive a patch to _Fork.c, made at test time in a scratch copy of the
# package's tree and built into $(BUILD)-anchors (removed afterwards); global RPC numbers do not.
anchors: $(BUILD)/forksim
	@GLIBC_FILES="$(GLIBC_FILES)" tools/check-anchors.sh $(BUILD)/forksim $(BUILD)-anchors

# glibc 2.36's exec retry and upstream 49b308a26e's change of it (issue 9, item 6; hexec): the
# commit's essence applied with awk to a scratch copy of the packaged tree, forksim built from
# it, traces/exec-signal-retry.fsim run with both builds (tools/check-exec-retry.sh says what
# each must show).
.PHONY: exec-retry
exec-retry: $(BUILD)/forksim
	@GLIBC_FILES="$(GLIBC_FILES)" tools/check-exec-retry.sh $(BUILD)/forksim $(BUILD)-exec-retry

# A patch to fork against the packaged glibc (or another tree):
#   make compare GLIBC_SRC=T [BASE_SRC=U] [SCENARIOS=DIR]
# Two builds, each of its own KEY, whatever build/forksim is: the base (the package, or U) and
# T. Only forksim itself is built for each (no tests). Exit 0: no scenario differs; 1: one does.
BASE_KEY := $(call glibc_key,$(BASE_SRC))
GLIBC_SRC_OF_$(BASE_KEY) := $(BASE_SRC)
SCENARIOS ?= traces
compare:
	@test -n "$(GLIBC_SRC)" || { echo "usage: make compare GLIBC_SRC=/path/to/glibc [BASE_SRC=/path/to/glibc] [SCENARIOS=DIR]"; exit 2; }
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory $(BUILD)/glibc/$(BASE_KEY)/forksim $(GLIBC_DIR)/forksim >$(BUILD)/compare-build.log 2>&1 \
	  || { cat $(BUILD)/compare-build.log; exit 2; }
	@COMPARE_BASE='$(if $(BASE_SRC),BASE_SRC=$(BASE_SRC),the package)' COMPARE_PATCHED='GLIBC_SRC=$(GLIBC_SRC)' \
	  tools/compare.sh $(BUILD)/glibc/$(BASE_KEY)/forksim $(GLIBC_DIR)/forksim $(SCENARIOS)

# make compare as a glibc developer uses it: copies of the package's files edited with sed
# (tools/check-compare.sh says which edits and what each must show), then make GLIBC_SRC=T
# and a plain make in a build directory of their own.
compare-check: all
	@MAKE='$(MAKE)' tools/check-compare.sh $(BUILD) $(GLIBC_FILES)

# The sweeps (forksim explore): every RPC of the fork fails in turn (send, routine, reply), and
# a port of another task dies before each, for the default process and one holding every kind
# of right, in both builds of the fork. Rows in $(BUILD)/sweep/, progress while it runs, the
# summary lines at the end. Not part of make check (tests/test_explore.c runs a quick subset).
.PHONY: sweep
sweep: $(BUILD)/forksim
	@tools/sweep.sh $(BUILD)/forksim $(BUILD)/sweep traces/sweep-default.fsim traces/sweep-rights.fsim

# --- costs (issue 13, items 2 and 3) -------------------------------------------------
# make costs: for N names (10 to 10,000) and D descriptors (3, 16, 256), glibc's fork alone,
# fork then exec, vfork then exec and posix_spawn, counted by forksim cost (docs/
# cost-rules.md): the table, the fitted lines calls = a + b*N + c*D per series, and the plot
# (gnuplot, $(BUILD)/costs.svg); fails when fork's N=0 point differs from the walkthrough's RPC
# count. Figures only: tests/test_fork_costs.c checks the slopes against the source text.
.PHONY: costs
costs: $(BUILD)/forksim
	@tools/costs.py $(BUILD)/forksim $(BUILD)/costs

# issue 13, item 3 (spawn): the READMEs quote the table make costs prints, between markers;
# make costs-quote writes it there from the run, make costs-check (part of make check) fails
# when a quote is not what the run prints now (tools/costs-quote.sh). The test of the series'
# slopes (tests/test_fork_costs.c) reads spawni.c's text too.
.PHONY: costs-quote costs-check
costs-quote: costs
	@tools/costs-quote.sh update $(BUILD)/costs/table.txt README.md traces/README.md
costs-check: costs
	@tools/costs-quote.sh check $(BUILD)/costs/table.txt README.md traces/README.md
$(BUILD)/tests/test_fork_costs.o $(SAN_BUILD)/tests/test_fork_costs.o: $(BUILD)/glibc/current
$(BUILD)/tests/test_fork_costs.o $(SAN_BUILD)/tests/test_fork_costs.o: EXTRA_CFLAGS = -Iforkimpl -DSPAWNI_C='"$(GLIBC_DIR)/src/sysdeps/mach/hurd/spawni.c"'

# --- the race explorer (issue 10, items 1-7) ------------------------------------------
# make check: the command as a user runs it, 4 shards through GNU parallel merged against the
# single search, save/replay/shrink, events (tools/check-schedules.sh; the known answers are
# tests/test_schedules.c). make sweep: the walkthrough's whole searches at bounds 0 and 1, with
# and without pruning where it ends in minutes, and the port-death-anywhere scenario at bound 0.
.PHONY: schedules sweep-schedules
schedules: $(BUILD)/forksim
	@tools/check-schedules.sh $(BUILD)/forksim
sweep: sweep-schedules
sweep-schedules: $(BUILD)/forksim
	@for a in "--bound 0 --no-prune" "--bound 0" "--bound 1" "--bound 2 --max-runs 200000"; do \
	  echo "schedules: traces/walkthrough.fsim $$a"; \
	  $(BUILD)/forksim explore traces/walkthrough.fsim --schedules $$a | tail -3 || exit 1; done
	@echo "schedules: tests/schedules/port-death-anywhere.fsim --bound 0 --max-runs 100000"; \
	  $(BUILD)/forksim explore tests/schedules/port-death-anywhere.fsim --schedules --bound 0 --max-runs 100000 | tail -6

# --- 17a62de1ff re-found (issue 10, item 9) -------------------------------------------------
# A scratch copy of the package's tree without the commit's two lines (_Fork.c:138, 142),
# built into $(BUILD)-hang (removed afterwards): the explorer finds the child waiting for good
# for ss->lock and shrinks the schedule; the packaged fork's same search does not. make check:
# one bounded PCT search (tools/check-hang-on-fork.sh); make sweep: four seeds of 200,000 runs.
.PHONY: hang-on-fork sweep-hang-on-fork
hang-on-fork: $(BUILD)/forksim
	@GLIBC_FILES="$(GLIBC_FILES)" tools/check-hang-on-fork.sh $(BUILD)/forksim $(BUILD)-hang
sweep: sweep-hang-on-fork
sweep-hang-on-fork: $(BUILD)/forksim
	@GLIBC_FILES="$(GLIBC_FILES)" tools/check-hang-on-fork.sh $(BUILD)/forksim $(BUILD)-hang full

# The main job: the fork walkthrough.
run: all
	$(BUILD)/forksim run traces/walkthrough.fsim --explain

# Simulated-process objects keep every writable global in the image section.
# _Fork.c's text line by line as a C table (forkimpl/source.c), made from the extracted file.
$(BUILD)/glibc/%/fork-source-lines.c: $(BUILD)/glibc/%/src/SOURCE tools/fork-source.sh
	tools/fork-source.sh $(@D)/src/sysdeps/mach/hurd/_Fork.c fi_fork_source > $@.tmp && mv $@.tmp $@
$(BUILD)/glibc/%/fork-source-lines.o: $(BUILD)/glibc/%/fork-source-lines.c
	$(CC) $(PLAIN_CFLAGS) $(HURD_INC) -Iforkimpl -c $< -o $@
$(SAN_BUILD)/glibc/%/fork-source-lines.o: $(BUILD)/glibc/%/fork-source-lines.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(HURD_INC) -Iforkimpl -c $< -o $@

image-globals: $(addprefix $(GLIBC_DIR)/,$(GLIBC_OBJS)) $(BUILD)/forkimpl/hurdrt.o $(BUILD)/forkimpl/fdrt.o
	@tools/check-image-globals.sh $^ && echo "image globals: $(words $^) simulated-process objects, no writable global outside the image"

# --- fuzzing (issue 12, item 4) ------------------------------------------------------
# Every tests/fuzz/fuzz_NAME.c is a libFuzzer harness (it defines LLVMFuzzerTestOneInput) with
# its seed corpus in tests/fuzz/corpus/NAME/ and the crashes found so far, once fixed, in
# tests/fuzz/crashes/NAME/; a new harness needs nothing more than its file.
#   make fuzz      builds each with clang's libFuzzer, ASan and UBSan into $(FUZZ_BUILD)/ and
#                  runs it for FUZZ_RUNS executions (FUZZ_RUNS_run for the whole-run harness),
#                  with the dictionary tests/fuzz/NAME.dict when there is one,
#                  new inputs into $(FUZZ_BUILD)/corpus/NAME/, crashes into
#                  $(FUZZ_BUILD)/crashes/NAME/ (the run stops at the first).
#   fuzz-replay    (in make check) links each harness with tests/fuzz/replay.c in the gcc
#                  sanitizer build, glibc's objects included, and replays its corpus and crashes.
# forksim's own code is compiled by clang for coverage; glibc's objects come from the plain
# build (gcc: _Fork.c has a nested function, which clang does not compile), uninstrumented.
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang
# Issue 12's targets: 1,000,000 executions of each parser, 100,000 whole runs. Two in three to
# three in four of the whole-run harness's inputs load and run whole (it prints the count:
# 92,588 and 100,815 of 140,000 in two runs), hence 160,000.
FUZZ_RUNS  ?= 1000000
FUZZ_RUNS_run ?= 160000
FUZZ_CFLAGS := -std=gnu11 -g -D_GNU_SOURCE -Wall -Wextra -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all
.PHONY: fuzz fuzz-build fuzz-replay
$(FUZZ_BUILD)/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/model/%.o: LAYER_INC = -Imodel
$(FUZZ_BUILD)/sim/rt/%.o: LAYER_INC = $(RT_INC)
$(FUZZ_BUILD)/sim/kern/%.o: LAYER_INC = $(KERN_INC) $(STUB_INC)
$(FUZZ_BUILD)/sim/hurd/%.o: LAYER_INC = $(HURD_INC) $(STUB_INC)
$(FUZZ_BUILD)/forkimpl/%.o: LAYER_INC = $(HURD_INC)
$(FUZZ_BUILD)/forkimpl/%.o: EXTRA_CFLAGS = $(FORKIMPL_INC) $(FORKIMPL_GLIBC_INC)
$(FUZZ_BUILD)/sim/cli/%.o $(FUZZ_BUILD)/tests/fuzz/%.o: EXTRA_CFLAGS = -Iforkimpl
$(FUZZ_BUILD)/libforksim-own.a: $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS))
	rm -f $@ && ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/tests/san_options.o $(FUZZ_BUILD)/libforksim-own.a $(BUILD)/libforksim.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter %.o,$^) -Wl,--start-group \
	  $(FUZZ_BUILD)/libforksim-own.a $(BUILD)/libforksim.a -Wl,--end-group -o $@ $(FORKSIM_LIBS)
fuzz-build: deps $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	  runs=$(FUZZ_RUNS); [ "$$n" = run ] && runs=$(FUZZ_RUNS_run); \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/crashes/$$n; \
	  seeds=""; [ -d tests/fuzz/corpus/$$n ] && seeds=tests/fuzz/corpus/$$n; \
	  dict=""; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
	  echo "fuzz: $$n, $$runs executions"; \
	  $(FUZZ_BUILD)/fuzz_$$n -runs=$$runs -max_len=4096 -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$n/ $(FUZZ_BUILD)/corpus/$$n $$seeds \
	    >$(FUZZ_BUILD)/fuzz_$$n.log 2>&1 \
	    || { tail -60 $(FUZZ_BUILD)/fuzz_$$n.log; echo "fuzz: $$n: a report (input in $(FUZZ_BUILD)/crashes/$$n/)"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done|^fuzz_' $(FUZZ_BUILD)/fuzz_$$n.log | sed "s/^/fuzz: $$n: /"; \
	done

$(SAN_BUILD)/fuzz/replay_%: $(SAN_BUILD)/tests/fuzz/fuzz_%.o $(SAN_BUILD)/tests/fuzz/replay.o $(SAN_BUILD)/tests/san_options.o $(SAN_BUILD)/libforksim.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) $(FORKSIM_LIBS)
$(SAN_BUILD)/tests/fuzz/%.o: EXTRA_CFLAGS = -Iforkimpl
fuzz-replay: $(addprefix $(SAN_BUILD)/fuzz/replay_,$(FUZZ_NAMES))
	@for n in $(FUZZ_NAMES); do \
	  dirs=""; for d in tests/fuzz/corpus/$$n tests/fuzz/crashes/$$n; do [ -d $$d ] && dirs="$$dirs $$d"; done; \
	  [ -n "$$dirs" ] || { echo "fuzz-replay: $$n: no tests/fuzz/corpus/$$n/"; exit 1; }; \
	  $(SAN_ENV) $(SAN_BUILD)/fuzz/replay_$$n $$dirs || { echo "fuzz-replay: $$n failed"; exit 1; }; \
	done

# --- MIG stubs from tables (issue 14, item 7) ---------------------------------------
# The mock MIG stubs are generated from routine tables, as MIG generates glibc's from the
# .defs files: tools/stubgen.py turns sim/kern/mach.stubs and sim/hurd/hurd.stubs into
# BUILD/sim/kern/mach.stubs.c and BUILD/sim/hurd/hurd.stubs.c (in each build's own directory:
# plain, sanitizer, fuzz), which sim/kern/mig_mach.c and sim/hurd/hurd_stubs.c include; the
# object's own directory is on their include path (STUB_INC). A new table needs its line in
# STUB_INCLUDERS: the table, then the object that includes its output.
STUB_INC    = -iquote $(@D)
STUB_INCLUDERS := sim/kern/mach.stubs:sim/kern/mig_mach sim/hurd/hurd.stubs:sim/hurd/hurd_stubs
define stub_rules
$(1)/%.stubs.c: %.stubs tools/stubgen.py
	@mkdir -p $$(@D)
	tools/stubgen.py $$< >$$@.tmp && mv $$@.tmp $$@
$(foreach t,$(STUB_INCLUDERS),$(1)/$(word 2,$(subst :, ,$(t))).o: $(1)/$(word 1,$(subst :, ,$(t))).c
)
endef
$(foreach b,$(BUILD) $(SAN_BUILD) $(FUZZ_BUILD),$(eval $(call stub_rules,$(b))))
# make check: the tables are accepted, and copies with a defect planted are refused at its line.
.PHONY: stubgen-check
stubgen-check:
	@tools/check-stubgen.sh
# --- end of MIG stubs from tables -----------------------------------------------------

# Signal delivery is glibc's (issue 9, item 1): post_signal, _hurdsig_abort_rpcs,
# _hurd_internal_post_signal and _hurd_intr_rpc_mach_msg come from glibc's objects only.
.PHONY: delivery-glibc
delivery-glibc: $(BUILD)/libforksim.a
	@tools/check-delivery-glibc.sh $<

# --- sim/ flags ---------------------------------------------------------------
# Files that switch stacks are built unfortified: __longjmp_chk aborts a longjmp between
# stacks. Benchmarks are tests/bench_*.c, built into $(BUILD)/bench/ and run by `make bench`.
SIM_SWITCH_OBJS := sim/rt/sched.o sim/rt/switch.o
$(addprefix $(BUILD)/,$(SIM_SWITCH_OBJS)): PLAIN_CFLAGS += -U_FORTIFY_SOURCE
$(addprefix $(SAN_BUILD)/,$(SIM_SWITCH_OBJS)): SAN_CFLAGS += -U_FORTIFY_SOURCE
BENCH_PROGS := $(patsubst tests/%.c,$(BUILD)/bench/%,$(sort $(wildcard tests/bench_*.c)))
bench: $(BENCH_PROGS) $(BUILD)/bench/native_fork
# The native baseline of bench_fork: a small separate program, not linked with forksim.
$(BUILD)/bench/native_fork: tests/native_fork.c
	@mkdir -p $(dir $@)
	$(CC) $(PLAIN_CFLAGS) $< -o $@
$(BUILD)/bench/%: $(BUILD)/tests/%.o $(BUILD)/libforksim.a
	@mkdir -p $(dir $@)
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ $(FORKSIM_LIBS)
# --- end of sim/ flags ----------------------------------------------------------

.SECONDARY:

# --- install: the command, the public library, its header, pkg-config file and man pages ---
#   make formats    the output formats against their schema and checkers; make pictures: build/walkthrough-*
#   make install [PREFIX=/usr/local] [DESTDIR=]     make uninstall (same variables)
# The installed libraries export the API of sim/cli/forksim.h and nothing else, so forksim's
# own implementations of glibc internals (__assert_fail, __libc_fatal, ...) never stand in for
# a user's. The plain build (and its glibc objects) is compiled -fPIC, which the shared library
# needs, and -fvisibility=hidden, so that only what the header marks FORKSIM_API has default
# visibility: one set of objects for the tests, the command and both installed libraries. It
# costs nothing measurable: callgrind counts 0.1% more instructions for `forksim run
# traces/names-1000.fsim` and 0.3% more for tests/test_fork_scale than without both flags. The
# sanitizer build is not installed and stays as it is. From the plain objects:
#   libforksim.so.0  a shared link, exports by the version script sim/cli/forksim.map;
#   libforksim.a     one relocatable object (ld -r) whose hidden symbols objcopy makes local.
PREFIX     ?= /usr/local
DESTDIR    ?=
PIC_CFLAGS := -fPIC -fvisibility=hidden
PLAIN_CFLAGS += $(PIC_CFLAGS)
GLIBC_CFLAGS += $(PIC_CFLAGS)
PUB_BUILD  := $(BUILD)/public
FORKSIM_SOVERSION := 0
FORKSIM_VERSION := $(shell sed -n 's/^\#define FORKSIM_VERSION "\(.*\)"/\1/p' sim/cli/main.c)
MAN_PAGES  := man/forksim.1 man/forksim-scenario.5
SHARE_FILES := traces/README.md $(sort $(wildcard traces/*.fsim traces/*.decisions traces/*.expected))
.PHONY: install uninstall install-check public

$(PUB_BUILD)/libforksim.so.$(FORKSIM_SOVERSION): $(BUILD)/libforksim.a sim/cli/forksim.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libforksim.so.$(FORKSIM_SOVERSION) -Wl,-z,defs \
	  -Wl,--version-script=sim/cli/forksim.map -Wl,--whole-archive $< -Wl,--no-whole-archive \
	  -o $@ $(FORKSIM_LIBS)

# The functions the header declares FORKSIM_API, one per line.
FORKSIM_API_SYMS = sed -n 's/^FORKSIM_API[^(]*[ *]\(forksim_[a-z_]*\)(.*/\1/p' sim/cli/forksim.h
# Hidden symbols become local, and so do the few that no compiler flag hides (the runtime's
# context switch is assembly): only the header's functions stay global.
$(PUB_BUILD)/libforksim.a: $(BUILD)/libforksim.a sim/cli/forksim.h
	@mkdir -p $(dir $@)
	$(FORKSIM_API_SYMS) > $(PUB_BUILD)/api.syms
	ld -r --whole-archive $< -o $(PUB_BUILD)/forksim.o.tmp
	objcopy --localize-hidden --keep-global-symbols=$(PUB_BUILD)/api.syms \
	  $(PUB_BUILD)/forksim.o.tmp $(PUB_BUILD)/forksim.o && rm -f $(PUB_BUILD)/forksim.o.tmp
	rm -f $@ && ar rcs $@ $(PUB_BUILD)/forksim.o

public: $(BUILD)/forksim $(PUB_BUILD)/libforksim.so.$(FORKSIM_SOVERSION) $(PUB_BUILD)/libforksim.a

install: public
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/forksim $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/forksim/traces \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/forksim $(DESTDIR)$(PREFIX)/bin/forksim
	install -m 644 sim/cli/forksim.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/forksim
	install -m 755 $(PUB_BUILD)/libforksim.so.$(FORKSIM_SOVERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libforksim.so.$(FORKSIM_SOVERSION) $(DESTDIR)$(PREFIX)/lib/libforksim.so
	install -m 644 $(PUB_BUILD)/libforksim.a $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(FORKSIM_VERSION)|' sim/cli/forksim.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/forksim.pc
	install -m 644 sim/cli/forksim.h $(DESTDIR)$(PREFIX)/include/forksim/
	install -m 644 man/forksim.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/forksim-scenario.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(SHARE_FILES) $(DESTDIR)$(PREFIX)/share/forksim/traces/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/forksim $(DESTDIR)$(PREFIX)/lib/libforksim.so \
	  $(DESTDIR)$(PREFIX)/lib/libforksim.so.$(FORKSIM_SOVERSION) $(DESTDIR)$(PREFIX)/lib/libforksim.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/forksim.pc $(DESTDIR)$(PREFIX)/include/forksim/forksim.h \
	  $(DESTDIR)$(PREFIX)/share/man/man1/forksim.1 $(DESTDIR)$(PREFIX)/share/man/man5/forksim-scenario.5 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/forksim
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/forksim/traces/,$(notdir $(SHARE_FILES)))
	-rmdir $(DESTDIR)$(PREFIX)/include/forksim $(DESTDIR)$(PREFIX)/share/forksim/traces \
	  $(DESTDIR)$(PREFIX)/share/forksim 2>/dev/null

# make check: install into a temporary DESTDIR with PREFIX=/usr, build tests/test_api.c out of
# tree with pkg-config only, against the shared and the static library, and check the exports,
# a user's own assert, the man pages and make uninstall (tools/check-install.sh).
install-check: public $(MAN_PAGES) sim/cli/forksim.bash-completion
	+@MAKE="$(MAKE)" tools/check-install.sh sim/cli/forksim.h tests/test_api.c
# --- end of install ------------------------------------------------------------------

# --- the stamps described under "Builds keyed by source" (last: every flag is final here) ---
# Single quotes inside a flag would break these lines; none has any.
write_if_changed = mkdir -p $(dir $(1)) && { printf '%s\n' $(2) | cmp -s - $(1) 2>/dev/null || printf '%s\n' $(2) >$(1); }
# `make compare GLIBC_SRC=T` builds the two trees' own binaries ($(BUILD)/glibc/KEY/forksim) and
# never $(BUILD)/forksim, so it leaves `current` alone: rewritten, it would make the library, the
# tests and the command out of date, and a later make in the same build (make check's
# install-check, beside compare-check under -j) would relink them while others run them.
ifneq ($(filter-out compare $(BUILD)/glibc/%/forksim,$(or $(MAKECMDGOALS),all)),)
$(shell $(call write_if_changed,$(BUILD)/glibc/current,'$(GLIBC_KEY) $(GLIBC_SRC)'))
endif
$(shell mkdir -p $(BUILD)/glibc && { printf '%s\n' '$(CC) $(GLIBC_CFLAGS)' '$(GLIBC_SAN_CFLAGS)' '$(IMAGE_RENAME)' | cmp -s - $(GLIBC_FLAGS) 2>/dev/null || printf '%s\n' '$(CC) $(GLIBC_CFLAGS)' '$(GLIBC_SAN_CFLAGS)' '$(IMAGE_RENAME)' >$(GLIBC_FLAGS); })
$(shell $(call write_if_changed,$(BUILD)/cflags,'$(CC) $(PLAIN_CFLAGS)'))
$(shell $(call write_if_changed,$(SAN_BUILD)/cflags,'$(CC) $(SAN_CFLAGS)'))

# --- issue 13, item 5: fork ours (forkimpl/fork_ours.c, task_copy_names: docs/fork-ours-rules.md)
# `make fork-ours`: every scenario of traces/ run with `fork ours` in place of its fork, one
# line each with its `# about:` mark (a report: scenarios about glibc's own behaviour may fail).
# `make fork-ours-intent` (part of make check): the scenarios marked `# about: intent` must all
# pass with it, within 5 minutes.
.PHONY: fork-ours fork-ours-intent sweep-fork-ours
fork-ours: $(BUILD)/forksim
	@tools/fork-ours.sh $(BUILD)/forksim
fork-ours-intent: $(BUILD)/forksim
	@timeout 300 tools/fork-ours.sh $(BUILD)/forksim --intent
	@timeout 300 tools/fork-ours.sh $(BUILD)/forksim --sweep $(BUILD)/fork-ours-sweep \
	    traces/sweep-default.fsim traces/sweep-rights.fsim >$(BUILD)/fork-ours-sweep.txt 2>&1 \
	  || { cat $(BUILD)/fork-ours-sweep.txt; echo "fork ours: the sweeps failed"; exit 1; }
	@grep -E '^  (fault|port-death) sweep: [0-9]+ runs' $(BUILD)/fork-ours-sweep.txt | sed 's/^  /fork ours: /'
	@! grep -E 'sweep: [0-9]+ runs, [1-9][0-9]* invariant violations' $(BUILD)/fork-ours-sweep.txt
	@tmp=$$(mktemp -d) && printf '%s\n' 'forksim-scenario 1' 'have dead-name d urefs 3' \
	    'parent fork -> ok' 'child exit 0' 'parent wait -> status 0' \
	    'expect child d DEAD_NAME urefs 1' 'expect verdict ok' '# about: intent -- planted: F2, glibc'"'"'s' \
	    >$$tmp/planted.fsim; \
	  if tools/fork-ours.sh $(BUILD)/forksim --intent $$tmp/planted.fsim >/dev/null 2>&1; then \
	    rm -rf $$tmp; echo "fork ours: a planted intent scenario fork ours fails passed: the check is blind"; exit 1; fi; \
	  rm -rf $$tmp; echo "fork ours: a planted intent scenario that fork ours fails (F2's urefs) fails the check"
# make sweep (not in check): the same sweeps on fork ours, with their rows, and the race
# explorer's port death anywhere (tests/schedules/port-death-anywhere.fsim) on it, bounded.
sweep: sweep-fork-ours
sweep-fork-ours: $(BUILD)/forksim
	@tools/fork-ours.sh $(BUILD)/forksim --sweep $(BUILD)/sweep-fork-ours traces/sweep-default.fsim traces/sweep-rights.fsim tests/schedules/port-death-anywhere.fsim
	@echo "schedules: fork ours, tests/schedules/port-death-anywhere.fsim --bound 0 --max-runs 20000"; \
	  $(BUILD)/forksim explore $(BUILD)/sweep-fork-ours/scenarios/port-death-anywhere.fsim --schedules --bound 0 --max-runs 20000 | tail -6
