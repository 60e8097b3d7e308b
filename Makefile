# icmp-steps: build every step, test everything, show the lab.
#
#   make            build every step: bin/01-open-tun ... bin/11-ipv6
#   make test       install what is missing, build, run every test
#   make demo       every step against real ping and tshark (see README.md)
#   make compare    each step's replies beside the kernel's, field by field
#   make deps       install the Debian packages the project needs

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(WERROR) $(CFLAGS) -Icommon
LIBS    := -lpcap

# `make compare STEPS="03 05"` names steps on the command line, which would
# override this list: keep that choice for compare, and every step here.
COMPARE_STEPS := $(if $(filter command line,$(origin STEPS)),$(STEPS),03 04 05 06)
override STEPS := $(sort $(notdir $(wildcard steps/[0-9][0-9]-*)))
BINS    := $(addprefix bin/,$(STEPS))

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(patsubst common/%.c,build/common/%.o,$(COMMON_SRC))
COMMON_HDR := $(wildcard common/*.h)

.PHONY: all deps test unit-tests tools clean
.SECONDARY:
all: $(BINS)

deps:
	@scripts/install-deps.sh

build/common/%.o: common/%.c $(COMMON_HDR) | build/common
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: steps/%/main.c $(COMMON_OBJ) $(COMMON_HDR) | bin
	$(CC) $(ALL_CFLAGS) -o $@ $< $(COMMON_OBJ) $(LIBS)

bin build/common:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
#
# Every unit test is built twice: plainly, and with AddressSanitizer and
# UndefinedBehaviorSanitizer, which turn an out-of-bounds read into a failure.

UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c tests/steps/test_*.c))
UNIT_NAMES := $(basename $(notdir $(UNIT_SRC)))
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(WERROR) -O1 -g -Icommon -Isteps -Itests -DPROJECT_ROOT='"$(CURDIR)"'
TEST_LIBS  := -lcmocka -lpcap
UNIT_BINS  := $(addprefix build/tests/plain/,$(UNIT_NAMES)) \
              $(addprefix build/tests/asan/,$(UNIT_NAMES))

vpath test_%.c tests/unit tests/steps

build/tests/plain/%: %.c $(COMMON_SRC) $(COMMON_HDR) $(wildcard steps/*/main.c) tests/support.h $(wildcard tests/steps/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(COMMON_SRC) $(TEST_LIBS)

build/tests/asan/%: %.c $(COMMON_SRC) $(COMMON_HDR) $(wildcard steps/*/main.c) tests/support.h $(wildcard tests/steps/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) -o $@ $< $(COMMON_SRC) $(TEST_LIBS)

# test_reassembly makes malloc fail on purpose: its allocations go through
# __wrap_malloc and __wrap_calloc, defined in the test.
build/tests/plain/test_reassembly build/tests/asan/test_reassembly: \
    TEST_LIBS += -Wl,--wrap=malloc -Wl,--wrap=calloc

unit-tests: $(UNIT_BINS)

# The steps themselves, with sanitizers, for the end-to-end bad-input tests.
ASAN_BINS := $(addprefix build/asan/bin/,$(STEPS))
build/asan/bin/%: steps/%/main.c $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) -o $@ $< $(COMMON_SRC) $(LIBS)

.PHONY: asan-bins
asan-bins: $(ASAN_BINS)

test: deps
	@$(MAKE) -s --no-print-directory WERROR=-Werror all unit-tests tools $(ASAN_BINS) fuzz-replay bench-bins
	@tests/run-tests.sh $(UNIT_BINS)

clean:
	rm -rf bin build

# ---- tools used by the tests and the fixture scripts -----------------------

TOOLS := $(addprefix build/tools/,$(basename $(notdir $(wildcard tools/*.c))))
# tools/diagrams.c built with each step whose validation ladder is drawn
# (docs/diagrams/ladder-NN.dot; step 08's ladder is step 07's), and with
# step 09 for the ICMP error it sends and its table of protocols
# (docs/diagrams/error-09.dot, protocols-09.dot), and with step 10 for a
# datagram cut into fragments and put back together (fragments-10.dot).
LADDER_STEPS := 06-host-checks 07-ip-options
LADDERS := $(addprefix build/ladder/,$(LADDER_STEPS) 09-icmp-errors 10-fragments)
tools: $(TOOLS) $(LADDERS)

build/tools/%: tools/%.c $(COMMON_OBJ) $(COMMON_HDR) $(wildcard tools/*.h) $(wildcard steps/*/main.c)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isteps -o $@ $< $(COMMON_OBJ) $(LIBS)

build/ladder/%: tools/diagrams.c $(COMMON_OBJ) $(COMMON_HDR) steps/%/main.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isteps -DSTEP_SOURCE='"$*/main.c"' -DSTEP_NAME='"$*"' -o $@ $< $(COMMON_OBJ) $(LIBS)

# ---- the lab ---------------------------------------------------------------
#
#   make demo                   every step against real ping and tshark
#   make lab STEP=03 [PING=..]  one step, in a private network namespace
#   make lab-shell STEP=03      a shell in that namespace, the step running
#   ... [MTU=9000]              tun0's MTU (default 1500)
#   ... [BIN=prog]              your program in the step's place, started
#                               with no arguments (your copy from make
#                               check: BIN=workshop/03-naive-reply/build/03-naive-reply)

.PHONY: demo lab lab-shell
demo:
	@scripts/demo.sh

lab_env = LAB_MTU='$(MTU)' $(if $(BIN),LAB_BIN='$(BIN)' LAB_FOREIGN=1)

lab: all
	@test -n "$(STEP)" || { echo "make lab: say which step, for example 'make lab STEP=03'."; exit 2; }
	@PING='$(PING)' $(lab_env) scripts/lab.sh $(STEP)

lab-shell: all
	@test -n "$(STEP)" || { echo "make lab-shell: say which step, for example 'make lab-shell STEP=03'."; exit 2; }
	@$(lab_env) scripts/lab.sh $(STEP) --shell

# ---- comparing steps with the kernel ----------------------------------------
#
#   make compare [STEPS="03 04 05 06"] [CAPTURE=file.pcap]
#       the same requests (the recorded ones in tests/fixtures/requests, or
#       every IPv4 packet of CAPTURE) through each step (offline, --replay)
#       and through the Linux kernel: per request, every header field of
#       each reply beside the kernel's, the differences marked with a reason
#       from the lessons, and a packet diagram per step (build/compare/*.svg).
#       As root the kernel answers live, in a private network namespace;
#       otherwise its replies recorded by scripts/capture-fixtures.sh stand
#       in (tools/compare.c, scripts/compare.sh).

.PHONY: compare
compare: all build/tools/compare
	@scripts/compare.sh "$(COMPARE_STEPS)" "$(CAPTURE)"

# ---- lessons and diagrams --------------------------------------------------
#
#   make lessons   weave code, diffs and recorded output into the lessons
#   make docs      regenerate the diagrams drawn from code, render all to SVG

LESSONS  := README.md $(wildcard steps/*/README.md) $(wildcard docs/*.md)
DIAGRAMS := $(wildcard docs/diagrams/*.dot)

.PHONY: lessons docs
lessons: all
	@python3 tools/weave.py $(LESSONS)

docs: tools
	build/tools/diagrams headers > docs/diagrams/headers.dot
	build/tools/diagrams checksum tests/fixtures/requests/default.pcap > docs/diagrams/checksum.dot
	build/tools/diagrams headers6 > docs/diagrams/headers6.dot
	build/tools/diagrams checksum6 tests/fixtures/ipv6/requests/ipv6-default.pcap > docs/diagrams/checksum6.dot
	scripts/ladder-dot.sh > docs/diagrams/ladder.dot
	@for s in $(LADDER_STEPS); do build/ladder/$$s ladder > docs/diagrams/ladder-$${s%%-*}.dot || exit 1; done
	build/ladder/09-icmp-errors error tests/fixtures/requests/udp-closed.pcap > docs/diagrams/error-09.dot
	build/ladder/09-icmp-errors protocols > docs/diagrams/protocols-09.dot
	build/ladder/10-fragments fragments tests/fixtures/fragments/echo-4000.request.pcap > docs/diagrams/fragments-10.dot
	@for d in docs/diagrams/*.dot; do dot -Tsvg "$$d" -o "$${d%.dot}.svg" || exit 1; echo "rendered $${d%.dot}.svg"; done

# ---- fuzzing ---------------------------------------------------------------
#
#   make fuzz [FUZZ_SECONDS=64]   libFuzzer on every target, the time shared
#                                 among them; fails on any finding
#
# Targets: the IPv4/ICMP parsers with the annotated view, the options of an
# echo reply, a capture given to --replay (read, then answered by step 08),
# the command line, and the packet function of every step from 02 on (step
# 01 has none: it hex-dumps what it reads). `make test`
# replays the committed corpus (tests/fuzz/corpus/TARGET, or packets for a
# step) through the same targets built with gcc and the sanitizers, so a
# finding once fixed stays fixed. Each target reports its coverage (cov:,
# the edges it reached) and libFuzzer's final stats.

FUZZ_STEPS   := $(filter-out 01-%,$(STEPS))
FUZZ_OWN     := ipv4 options pcap cli
FUZZ_TARGETS := $(FUZZ_OWN) $(FUZZ_STEPS)
FUZZ_SECONDS ?= 64
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=gnu11 -D_GNU_SOURCE -g -O1 -Icommon -Isteps \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS    := $(addprefix build/fuzz/libfuzzer/,$(FUZZ_TARGETS))
REPLAY_BINS  := $(addprefix build/fuzz/replay/,$(FUZZ_TARGETS))

fuzz_source   = $(if $(filter $(FUZZ_OWN),$(1)),tests/fuzz/fuzz_$(1).c,tests/fuzz/fuzz_step.c)
fuzz_defines  = $(if $(filter $(FUZZ_OWN),$(1)),,-DSTEP_SOURCE='"$(1)/main.c"')

build/fuzz/libfuzzer/%: tests/fuzz/*.c $(COMMON_SRC) $(COMMON_HDR) $(wildcard steps/*/main.c)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(call fuzz_defines,$*) -o $@ $(call fuzz_source,$*) $(COMMON_SRC) $(LIBS)

build/fuzz/replay/%: tests/fuzz/*.c $(COMMON_SRC) $(COMMON_HDR) $(wildcard steps/*/main.c)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) $(call fuzz_defines,$*) -o $@ \
		tests/fuzz/replay_main.c $(call fuzz_source,$*) $(COMMON_SRC) $(LIBS)

.PHONY: fuzz fuzz-replay fuzz-coverage
fuzz-replay: $(REPLAY_BINS)

fuzz-coverage:
	@scripts/fuzz-coverage.sh

fuzz: $(FUZZ_BINS)
	@each=$$(( $(FUZZ_SECONDS) / $(words $(FUZZ_TARGETS)) )); [ $$each -ge 1 ] || each=1; \
	for t in $(FUZZ_TARGETS); do \
		seeds=tests/fuzz/corpus/$$t; [ -d $$seeds ] || seeds=tests/fuzz/corpus/packets; \
		max_len=65535; case $$t in pcap|[0-9]*) max_len=70000 ;; esac; \
		work=build/fuzz/corpus/$$t; mkdir -p $$work build/fuzz/findings; \
		echo "fuzz $$t: $$each s"; \
		build/fuzz/libfuzzer/$$t -max_total_time=$$each -max_len=$$max_len -print_final_stats=1 \
			-artifact_prefix=build/fuzz/findings/$$t- $$work $$seeds 2>build/fuzz/$$t.log \
			|| { tail -n 40 build/fuzz/$$t.log; echo "fuzz $$t: FOUND A BUG, input in build/fuzz/findings/"; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|new_units_added)' build/fuzz/$$t.log | sed "s/^stat::/  /"; \
		grep -oE 'DONE +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' build/fuzz/$$t.log | sed "s/^DONE */  coverage: /"; \
	done; echo "fuzz: no findings in $(FUZZ_SECONDS) s over $(words $(FUZZ_TARGETS)) targets"

# ---- workshop --------------------------------------------------------------
#
#   make exercise STEP=04 [FORCE=1]   your copy of step 04 to complete, in workshop/
#   make check STEP=04 [BIN=prog]     does it work? which byte is wrong?
#                                     (BIN="python3 mine.py": see docs/bring-your-own.md)

.PHONY: exercise check
exercise:
	@test -n "$(STEP)" || { echo "make exercise: say which step, for example 'make exercise STEP=04'."; exit 2; }
	@python3 tools/workshop.py exercise $(STEP) --dir $(or $(WORKSHOP_DIR),workshop) $(if $(FORCE),--force)

check: all build/tools/inject
	@scripts/check.sh "$(STEP)" "$(BIN)"

# ---- benchmark ---------------------------------------------------------------
#
#   make bench   what a reply costs each answering step: time and instructions
#                per packet; round trips a second through the whole loop
#                beside the kernel and a bare read/write loop; how soon
#                SIGTERM ends a step under a flood with its output stalled;
#                floods of UDP (errors sent) and of fragments never
#                completed (memory held), each beside the kernel.
#                BENCH_RUNS=5 BENCH_SECONDS=N (see scripts/bench.sh)

BENCH_STEPS := $(filter-out 01-% 02-%,$(STEPS))
BENCH_BINS  := $(addprefix build/bench/,$(BENCH_STEPS))

build/bench/%: tools/bench/step.c $(COMMON_SRC) $(COMMON_HDR) steps/%/main.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -Icommon -Isteps -DSTEP_SOURCE='"$*/main.c"' \
		-o $@ tools/bench/step.c $(COMMON_SRC) $(LIBS)

.PHONY: bench bench-bins
bench-bins: $(BENCH_BINS)

bench: all tools $(BENCH_BINS)
	@scripts/bench.sh $(BENCH_STEPS)
