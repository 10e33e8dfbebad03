# forksim build.
#
#   make            build/libforksim.a, build/forksim and the test programs in build/tests/
#   make run        the main job: build/forksim run traces/walkthrough.fsim
#   make check      every test, plain build and sanitizer build (build-san/), then the rule table
#   make san        the ASan+UBSan build only, in build-san/ (never over build/)
#   make bench      benchmarks (figures only; no test asserts them)
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
$(BUILD)/sim/kern/%.o $(SAN_BUILD)/sim/kern/%.o: LAYER_INC = $(KERN_INC)
$(BUILD)/sim/hurd/%.o $(SAN_BUILD)/sim/hurd/%.o: LAYER_INC = $(HURD_INC)
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
LDLIBS     := -lcmocka -lunwind

LIB_SRCS   := $(sort $(wildcard model/*.c sim/rt/*.c sim/kern/*.c sim/hurd/*.c) $(filter-out sim/cli/main.c,$(wildcard sim/cli/*.c)))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
TEST_NAMES := $(patsubst tests/%.c,%,$(TEST_SRCS))
# Helpers shared by the test programs (tests/testlib*.c), linked into each.
TESTLIB_SRCS := $(sort $(wildcard tests/testlib*.c))
FORKIMPL_SRCS := $(sort $(wildcard forkimpl/*.c))
# The glibc code under test, compiled twice (see the forkimpl/ block below), and its line tables.
FORK_OBJS  := fork-glibc.o fork-glibc-ndebug.o
FORK_LINE_OBJS := fork-glibc-lines.o fork-glibc-ndebug-lines.o
# glibc's file descriptor table and its neighbours (hurd/*.c), compiled once (see below).
GLIBC_FD_NAMES := dtable port2fd new-fd alloc-fd intern-fd fd-close
GLIBC_FD_OBJS := $(patsubst %,fd-%.o,$(GLIBC_FD_NAMES))
HDRS       := $(wildcard model/*.h sim/*/*.h tests/*.h forkimpl/*.h forkimpl/shim/*.h forkimpl/shim/*/*.h)

.PHONY: all deps check san bench clean test-plain test-san planted-san rules host-processes valgrind image-globals run traces traces-san cli compare
all: deps $(BUILD)/libforksim.a $(addprefix $(BUILD)/tests/,$(TEST_NAMES)) $(BUILD)/forksim

deps:
	@tools/deps.sh

# --- plain build --------------------------------------------------------------
$(BUILD)/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(PLAIN_CFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@

# Before archiving: every symbol the glibc code imports must be defined (tools/glibc-lacks.sh
# names what a glibc tree other than 2.36 still needs from forkimpl/).
$(BUILD)/libforksim.a: $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS)) $(addprefix $(BUILD)/glibc/,$(FORK_OBJS) $(FORK_LINE_OBJS) $(GLIBC_FD_OBJS))
	@mkdir -p $(dir $@)
	@tools/glibc-lacks.sh "$(filter $(BUILD)/glibc/%,$(filter-out %-lines.o,$^))" "$(filter-out $(BUILD)/glibc/%,$^)" >/dev/null \
	  || tools/glibc-lacks.sh "$(filter $(BUILD)/glibc/%,$(filter-out %-lines.o,$^))" "$(filter-out $(BUILD)/glibc/%,$^)"
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(patsubst %.c,$(BUILD)/%.o,$(TESTLIB_SRCS)) $(BUILD)/libforksim.a
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ $(LDLIBS)

# --- sanitizer build ----------------------------------------------------------
$(SAN_BUILD)/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@

$(SAN_BUILD)/libforksim.a: $(patsubst %.c,$(SAN_BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS)) $(addprefix $(SAN_BUILD)/glibc/,$(FORK_OBJS) $(FORK_LINE_OBJS) $(GLIBC_FD_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SAN_BUILD)/tests/%: $(SAN_BUILD)/tests/%.o $(patsubst %.c,$(SAN_BUILD)/%.o,$(TESTLIB_SRCS)) $(SAN_BUILD)/tests/san_options.o $(SAN_BUILD)/libforksim.a
	$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) $(LDLIBS)

# The forksim command under the sanitizers (the same sources as $(BUILD)/forksim).
$(SAN_BUILD)/forksim: $(SAN_BUILD)/sim/cli/main.o $(BUILD)/glibc/source-info.c $(SAN_BUILD)/tests/san_options.o $(SAN_BUILD)/libforksim.a
	$(CC) $(SAN_CFLAGS) $(filter %.o %.a,$^) $(BUILD)/glibc/source-info.c -o $@ $(SAN_LDFLAGS) -lunwind

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
# tests/rules.txt must name every rule id of the specification (SPEC_DIR; skipped, saying so,
# when it is absent), and the checks are fed planted defects (tools/check-planted-rules.sh).
SPEC_DIR ?= ../shared/spec
rules: test-plain
	@tools/check-rules-list.sh tests/rules.txt $(SPEC_DIR)
	@tools/check-planted-rules.sh tests/rules.txt
	@tools/rule-table.sh tests/rules.txt $(BUILD)/results

# Simulated tasks stay in one host process: no test program may fork or clone.
host-processes: all
	@tools/check-host-processes.sh $(BUILD)

# Memcheck over every test program (tools/valgrind-tests.sh: two at a time, errors and definite
# leaks fail; a planted leak must fail first). In make check, not make sweep: all of it took
# 2 min 44 s of CPU here, so a few minutes of a 2-core machine, well under 15.
valgrind: all
	@tools/valgrind-tests.sh $(BUILD) 2

check: test-plain test-san planted-san rules host-processes valgrind image-globals traces traces-san fuzz-replay cli

bench: all
	@for b in $(BENCH_PROGS); do $$b || exit 1; done

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD) build-glibc-src

# --- forkimpl/ and the glibc code under test -------------------------------------------
# glibc's sources are extracted unmodified from the glibc-source package (or GLIBC_SRC) into
# $(BUILD)/glibc/, then compiled twice: as shipped (asserts active, as in Debian's libc) and
# with -DNDEBUG (so LOSE reaches the lose: clean-up). They are glibc's code, not ours: built
# without -Werror, with forksim's shim headers (forkimpl/shim) standing for glibc's internals.
GLIBC_FILES := sysdeps/mach/hurd/_Fork.c $(patsubst %,hurd/%.c,$(GLIBC_FD_NAMES))
GLIBC_SRC_STAMP := $(shell printf '%s' "$(GLIBC_SRC) $(GLIBC_FILES)" | sha256sum | cut -c1-12)
FORKIMPL_INC := -Iforkimpl -Iforkimpl/shim -include forkimpl/shim/libc-symbols.h
GLIBC_CFLAGS := -std=gnu11 -g -O2 -D_GNU_SOURCE $(FORKIMPL_INC) $(HURD_INC)
GLIBC_SAN_CFLAGS := $(GLIBC_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                    -fno-sanitize=alignment -fno-sanitize-recover=all --param asan-use-after-return=0

# A new glibc tree or file list starts $(BUILD)/glibc afresh. Decided as the Makefile is read:
# under .SECONDARY, a missing stamp behind an existing SOURCE would never be rebuilt.
ifeq ($(wildcard $(BUILD)/glibc/.src-$(GLIBC_SRC_STAMP)),)
$(shell rm -rf $(BUILD)/glibc $(SAN_BUILD)/glibc)
endif
$(BUILD)/glibc/.src-$(GLIBC_SRC_STAMP): | deps
	@rm -rf $(BUILD)/glibc
	tools/glibc-extract.sh $(BUILD)/glibc $(GLIBC_FILES)
	@touch $@
$(BUILD)/glibc/SOURCE: $(BUILD)/glibc/.src-$(GLIBC_SRC_STAMP)

GLIBC_HINT = { echo "forksim: glibc's code from $(if $(GLIBC_SRC),GLIBC_SRC=$(GLIBC_SRC),the glibc-source package) does not compile against forksim's shims (forkimpl/shim): the error above names the header or declaration still lacking"; exit 1; }
$(BUILD)/glibc/fork-glibc.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	$(CC) $(GLIBC_CFLAGS) -D_Fork=forksim_glibc_fork -c $(BUILD)/glibc/sysdeps/mach/hurd/_Fork.c -o $@ || $(GLIBC_HINT)
$(BUILD)/glibc/fork-glibc-ndebug.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	$(CC) $(GLIBC_CFLAGS) -DNDEBUG -D_Fork=forksim_glibc_fork_ndebug -c $(BUILD)/glibc/sysdeps/mach/hurd/_Fork.c -o $@ || $(GLIBC_HINT)
$(SAN_BUILD)/glibc/fork-glibc.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GLIBC_SAN_CFLAGS) -D_Fork=forksim_glibc_fork -c $(BUILD)/glibc/sysdeps/mach/hurd/_Fork.c -o $@
$(SAN_BUILD)/glibc/fork-glibc-ndebug.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GLIBC_SAN_CFLAGS) -DNDEBUG -D_Fork=forksim_glibc_fork_ndebug -c $(BUILD)/glibc/sysdeps/mach/hurd/_Fork.c -o $@

# glibc's fd table (hurd/dtable.c) and its neighbours have no assertions: one variant per
# build, linked with either fork. Their .data and .bss would be one copy shared by every
# simulated task (dtable.c's lock, table pointer and size): objcopy renames them into the
# image section, where SIM_GLOBAL puts forksim's own globals.
IMAGE_RENAME := $(foreach s,.data .bss .data.rel .data.rel.local,--rename-section $(s)=forksim_image,alloc,load,data,contents)
$(BUILD)/glibc/fd-%.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	$(CC) $(GLIBC_CFLAGS) -c $(BUILD)/glibc/hurd/$*.c -o $@.tmp
	objcopy $(IMAGE_RENAME) $@.tmp $@ && rm -f $@.tmp
$(SAN_BUILD)/glibc/fd-%.o: $(BUILD)/glibc/SOURCE $(wildcard forkimpl/shim/*.h forkimpl/shim/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GLIBC_SAN_CFLAGS) -c $(BUILD)/glibc/hurd/$*.c -o $@.tmp
	objcopy $(IMAGE_RENAME) $@.tmp $@ && rm -f $@.tmp

$(BUILD)/forkimpl/%.o $(SAN_BUILD)/forkimpl/%.o: EXTRA_CFLAGS = $(FORKIMPL_INC)
# The public API and the command (sim/cli) sit on top of the runtime and the code under test.
$(BUILD)/sim/cli/%.o $(SAN_BUILD)/sim/cli/%.o: EXTRA_CFLAGS = -Iforkimpl
# Tests of the code under test see forkimpl's headers (tests/test_fork*.c, test_dtable.c).
FORK_TESTS := $(patsubst tests/%.c,%.o,$(wildcard tests/test_fork*.c tests/test_dtable*.c))
$(addprefix $(BUILD)/tests/,$(FORK_TESTS)) $(addprefix $(SAN_BUILD)/tests/,$(FORK_TESTS)): EXTRA_CFLAGS = -Iforkimpl

# The fork source forksim --version reports: where it came from and its sha256.
$(BUILD)/glibc/source-info.c: $(BUILD)/glibc/SOURCE
	awk 'BEGIN { print "const char forksim_fork_source[] =" } \
	     $$1 == "origin" { printf "    \"fork source from %s\\n\"\n", $$2 } \
	     $$1 == "sha256" { printf "    \"  %s sha256 %s\\n\"\n", $$3, $$2 } \
	     END { print ";" }' $< > $@.tmp && mv $@.tmp $@
$(BUILD)/glibc/source-info.o: $(BUILD)/glibc/source-info.c
	$(CC) $(PLAIN_CFLAGS) -c $< -o $@

# The forksim command.
$(BUILD)/forksim: $(BUILD)/sim/cli/main.o $(BUILD)/glibc/source-info.o $(BUILD)/libforksim.a
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ -lunwind

# Scenarios with golden outputs: byte for byte, and twice the same.
traces: $(BUILD)/forksim
	@tools/check-traces.sh $(BUILD)/forksim traces

# The same scenarios under the sanitizer build of forksim: a report stops the run and fails it.
traces-san: $(SAN_BUILD)/forksim
	@echo "traces under $(SAN_BUILD)/forksim:"; $(SAN_ENV) tools/check-traces.sh $(SAN_BUILD)/forksim traces

# The forksim command as a user meets it.
cli: $(BUILD)/forksim
	@tools/check-cli.sh $(BUILD)/forksim

# A patch to fork against the packaged one: make compare GLIBC_SRC=/path/to/glibc
COMPARE_BUILD ?= build-glibc-src
compare: $(BUILD)/forksim
	@test -n "$(GLIBC_SRC)" || { echo "usage: make compare GLIBC_SRC=/path/to/glibc"; exit 2; }
	@$(MAKE) --no-print-directory BUILD=$(COMPARE_BUILD) GLIBC_SRC=$(GLIBC_SRC) $(COMPARE_BUILD)/forksim >/dev/null
	@tools/compare.sh $(BUILD)/forksim $(COMPARE_BUILD)/forksim traces

# The sweeps (forksim explore): every RPC of the fork fails in turn (send, routine, reply), and
# a port of another task dies before each, for the default process and one holding every kind
# of right, in both builds of the fork. Rows in $(BUILD)/sweep/, progress while it runs, the
# summary lines at the end. Not part of make check (tests/test_explore.c runs a quick subset).
.PHONY: sweep
sweep: $(BUILD)/forksim
	@tools/sweep.sh $(BUILD)/forksim $(BUILD)/sweep traces/sweep-default.fsim traces/sweep-rights.fsim

# The main job: the fork walkthrough.
run: all
	$(BUILD)/forksim run traces/walkthrough.fsim --explain

# Simulated-process objects keep every writable global in the image section.
# Call sites: each fork object's DWARF line table as a C table (forkimpl/sites.c).
$(BUILD)/glibc/fork-glibc-lines.c: $(BUILD)/glibc/fork-glibc.o tools/fork-lines.sh
	tools/fork-lines.sh $< forksim_glibc_fork fi_lines_glibc > $@.tmp && mv $@.tmp $@
$(BUILD)/glibc/fork-glibc-ndebug-lines.c: $(BUILD)/glibc/fork-glibc-ndebug.o tools/fork-lines.sh
	tools/fork-lines.sh $< forksim_glibc_fork_ndebug fi_lines_glibc_ndebug > $@.tmp && mv $@.tmp $@
$(SAN_BUILD)/glibc/fork-glibc-lines.c: $(SAN_BUILD)/glibc/fork-glibc.o tools/fork-lines.sh
	tools/fork-lines.sh $< forksim_glibc_fork fi_lines_glibc > $@.tmp && mv $@.tmp $@
$(SAN_BUILD)/glibc/fork-glibc-ndebug-lines.c: $(SAN_BUILD)/glibc/fork-glibc-ndebug.o tools/fork-lines.sh
	tools/fork-lines.sh $< forksim_glibc_fork_ndebug fi_lines_glibc_ndebug > $@.tmp && mv $@.tmp $@
$(BUILD)/glibc/%-lines.o: $(BUILD)/glibc/%-lines.c
	$(CC) $(PLAIN_CFLAGS) $(HURD_INC) -Iforkimpl -c $< -o $@
$(SAN_BUILD)/glibc/%-lines.o: $(SAN_BUILD)/glibc/%-lines.c
	$(CC) $(SAN_CFLAGS) $(HURD_INC) -Iforkimpl -c $< -o $@

image-globals: $(addprefix $(BUILD)/glibc/,$(FORK_OBJS) $(GLIBC_FD_OBJS)) $(BUILD)/forkimpl/hurdrt.o $(BUILD)/forkimpl/fdrt.o
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
FUZZ_RUNS  ?= 200000
FUZZ_RUNS_run ?= 5000
FUZZ_CFLAGS := -std=gnu11 -g -D_GNU_SOURCE -Wall -Wextra -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all
.PHONY: fuzz fuzz-build fuzz-replay
$(FUZZ_BUILD)/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(LAYER_INC) $(EXTRA_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/model/%.o: LAYER_INC = -Imodel
$(FUZZ_BUILD)/sim/rt/%.o: LAYER_INC = $(RT_INC)
$(FUZZ_BUILD)/sim/kern/%.o: LAYER_INC = $(KERN_INC)
$(FUZZ_BUILD)/sim/hurd/%.o: LAYER_INC = $(HURD_INC)
$(FUZZ_BUILD)/forkimpl/%.o: LAYER_INC = $(HURD_INC)
$(FUZZ_BUILD)/forkimpl/%.o: EXTRA_CFLAGS = $(FORKIMPL_INC)
$(FUZZ_BUILD)/sim/cli/%.o $(FUZZ_BUILD)/tests/fuzz/%.o: EXTRA_CFLAGS = -Iforkimpl
$(FUZZ_BUILD)/libforksim-own.a: $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(LIB_SRCS) $(FORKIMPL_SRCS))
	rm -f $@ && ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/tests/san_options.o $(FUZZ_BUILD)/libforksim-own.a $(BUILD)/libforksim.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter %.o,$^) -Wl,--start-group \
	  $(FUZZ_BUILD)/libforksim-own.a $(BUILD)/libforksim.a -Wl,--end-group -o $@ -lunwind
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
	$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) -lunwind
$(SAN_BUILD)/tests/fuzz/%.o: EXTRA_CFLAGS = -Iforkimpl
fuzz-replay: $(addprefix $(SAN_BUILD)/fuzz/replay_,$(FUZZ_NAMES))
	@for n in $(FUZZ_NAMES); do \
	  dirs=""; for d in tests/fuzz/corpus/$$n tests/fuzz/crashes/$$n; do [ -d $$d ] && dirs="$$dirs $$d"; done; \
	  [ -n "$$dirs" ] || { echo "fuzz-replay: $$n: no tests/fuzz/corpus/$$n/"; exit 1; }; \
	  $(SAN_ENV) $(SAN_BUILD)/fuzz/replay_$$n $$dirs || { echo "fuzz-replay: $$n failed"; exit 1; }; \
	done

# --- sim/ flags ---------------------------------------------------------------
# Files that switch stacks are built unfortified: __longjmp_chk aborts a longjmp between
# stacks. Benchmarks are tests/bench_*.c, built into $(BUILD)/bench/ and run by `make bench`.
SIM_SWITCH_OBJS := sim/rt/sched.o sim/rt/switch.o
$(addprefix $(BUILD)/,$(SIM_SWITCH_OBJS)): PLAIN_CFLAGS += -U_FORTIFY_SOURCE
$(addprefix $(SAN_BUILD)/,$(SIM_SWITCH_OBJS)): SAN_CFLAGS += -U_FORTIFY_SOURCE
BENCH_PROGS := $(patsubst tests/%.c,$(BUILD)/bench/%,$(sort $(wildcard tests/bench_*.c)))
bench: $(BENCH_PROGS)
$(BUILD)/bench/%: $(BUILD)/tests/%.o $(BUILD)/libforksim.a
	@mkdir -p $(dir $@)
	$(CC) $(PLAIN_CFLAGS) $^ -o $@ -lunwind
# --- end of sim/ flags ----------------------------------------------------------

.SECONDARY:
