# build/main.mk — how exim-mailauth is built.
#
#   make            core library, mailauth.so, mailauth-check, mailauth-report
#   make check      install dependencies, then every test (normal build and a
#                   second build with AddressSanitizer + UBSan)
#   make demo       install dependencies, build, run a private Exim with the module
#   make bench      benchmarks
#   make deps       install what is missing with apt-get (no-op when complete)
#   make install    install (PREFIX, DESTDIR, ...: see build/install.mk)
#   make deb        the Debian package exim4-mailauth, in $(O)/deb/
#   make patch-test build Exim 4.96 from source with patches/ and load the
#                   module in it (slow)
#
# Objects go to $(O) (out/ by default; out-san/ for the sanitizer build), so
# both builds can live side by side.

SAN ?=
ifeq ($(SAN),1)
O ?= out-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT ?= -O1
else
O ?= out
SANFLAGS :=
OPT ?= -O2
endif

CC ?= cc
CSTD := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wno-format-nonliteral -Wvla
CFLAGS ?= $(OPT) -g
# CPPFLAGS and LDFLAGS (empty unless given) are the usual hooks for
# distribution flags: the Debian package passes its hardening flags there.
ALL_CFLAGS := $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden -MMD -MP
LDFLAGS_SAN := $(SANFLAGS) $(LDFLAGS)

EXIM_INC := /usr/include/exim4
LIBS := -lunbound -lpsl -lidn2 -lssl -lcrypto
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)
YAML_LIBS := -lyaml

CORE_SRC := $(sort $(wildcard shared/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(O)/%.o)
GLUE_SRC := $(sort $(wildcard glue/*.c))
MODULE_SRC := $(sort $(wildcard module/*.c))
MODULE_OBJ := $(GLUE_SRC:%.c=$(O)/%.o) $(MODULE_SRC:%.c=$(O)/%.o)
CHECK_SRC := $(sort $(wildcard tools/check/*.c))
REPORT_SRC := $(sort $(wildcard tools/report/*.c))
TOOLCOMMON_SRC := $(sort $(wildcard tools/common/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
UNITLIB_SRC := $(sort $(wildcard tests/unit/lib/*.c))
CONF_SRC := $(sort $(wildcard tests/conformance/*.c))
CONF_BIN := $(CONF_SRC:tests/conformance/%.c=$(O)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(O)/bench/%)
BENCHLIB_SRC := $(filter-out $(BENCH_SRC),$(sort $(wildcard tests/bench/*.c)))

LIBCORE := $(O)/libmailauth.a
MODULE := $(O)/mailauth.so
TOOLS := $(O)/mailauth-check $(if $(REPORT_SRC),$(O)/mailauth-report)

.PHONY: all deps check check-unit check-san demo bench clean install unit conformance
all: $(LIBCORE) $(MODULE) $(TOOLS)

# shared/ is compiled without Exim's include path: a stray Exim include in
# the core fails to build.
$(O)/shared/%.o: shared/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ishared -c -o $@ $<

$(O)/glue/%.o: glue/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ishared -isystem $(EXIM_INC) -c -o $@ $<

$(O)/module/%.o: module/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ishared -Iglue -isystem $(EXIM_INC) -c -o $@ $<

$(O)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ishared -Itools/common -c -o $@ $<

$(O)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Ishared -Itests/unit/lib -c -o $@ $<

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# The module exports only its dlfunc entry points and local_scan (all built
# with hidden visibility otherwise); tests/exim/exports.sh checks nm -D.
$(MODULE): $(MODULE_OBJ) $(LIBCORE)
	$(CC) -shared $(LDFLAGS_SAN) -o $@ $(MODULE_OBJ) $(LIBCORE) $(LIBS) -Wl,-Bsymbolic

$(O)/mailauth-check: $(CHECK_SRC:%.c=$(O)/%.o) $(TOOLCOMMON_SRC:%.c=$(O)/%.o) $(LIBCORE)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS)

$(O)/mailauth-report: $(REPORT_SRC:%.c=$(O)/%.o) $(TOOLCOMMON_SRC:%.c=$(O)/%.o) $(LIBCORE)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS) -lz

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(UNITLIB_SRC:%.c=$(O)/%.o) $(LIBCORE)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS) $(CHECK_LIBS)

$(O)/tests/%: $(O)/tests/conformance/%.o $(UNITLIB_SRC:%.c=$(O)/%.o) $(LIBCORE)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS) $(YAML_LIBS)

$(O)/bench/%: $(O)/tests/bench/%.o $(BENCHLIB_SRC:%.c=$(O)/%.o) $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS)

# Fuzz targets (tests/fuzz/fuzz_<name>.c, one per parser).  make check
# replays each committed seed corpus tests/fuzz/corpus/<name> through
# $(O)/tests/fuzz_replay_<name> (replay_main.c, no libFuzzer), so the
# normal and the sanitizer build both run them with the unit tests.
# `make fuzz` is a developer target: it builds the targets with clang and
# libFuzzer in $(FUZZ_O) and runs each for FUZZ_SECONDS (one at a time);
# new inputs go to $(FUZZ_O)/corpus/<name>, crashes to
# $(FUZZ_O)/artifacts/<name>/.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(O)/tests/fuzz_replay_%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(O)/fuzz/fuzz_%)
FUZZ_O ?= out-libfuzzer
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
                 -fno-sanitize-recover=all

$(FUZZ_REPLAY): $(O)/tests/fuzz_replay_%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/replay_main.o $(LIBCORE)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS)

# Only meaningful inside `make fuzz` (CC=clang, SANFLAGS=$(FUZZ_SANFLAGS)).
$(FUZZ_BIN): $(O)/fuzz/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(LIBCORE)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

.PHONY: fuzz fuzz-replay fuzz-build
fuzz-replay: $(FUZZ_REPLAY)
fuzz-build: $(FUZZ_BIN)

# -Wno-error: a warning only clang gives must not stop a fuzzing session.
fuzz:
	$(MAKE) O=$(FUZZ_O) CC=$(FUZZ_CC) SANFLAGS='$(FUZZ_SANFLAGS)' \
		CFLAGS='-O1 -g -Wno-error' fuzz-build
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_O)/corpus/$$n $(FUZZ_O)/artifacts/$$n || exit 1; \
		echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
		ASAN_OPTIONS=detect_leaks=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		$(FUZZ_O)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_O)/artifacts/$$n/ \
			$(FUZZ_O)/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

unit: $(UNIT_BIN) $(FUZZ_REPLAY)
conformance: $(CONF_BIN)

deps:
	@sh build/deps.sh

# The test command of the README.  Runs everything; the last line is the
# total ("N passed, M failed").
check: deps
	@sh tests/run-all.sh

demo: deps
	@sh tests/demo/run-demo.sh

bench: deps all $(BENCH_BIN)
	@sh tests/bench/run-bench.sh

clean:
	rm -rf out out-san out-libfuzzer

# make install, make deb, make patch-test
include build/install.mk

# ($(O)/deb holds the package build's own tree and objects: not ours.)
-include $(shell find $(O) -path '$(O)/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
