# school-erp: the two commands are `make run` and `make test` (see README.md).
# The real build is Meson + ninja; this file only drives it.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
BIN        := $(BUILD)/school-erp

.PHONY: all build build-asan run demo test test-quick bench deps test-deps clean format mutate fuzz drill

all: build

deps:
	@scripts/bootstrap

test-deps:
	@scripts/bootstrap --test

$(BUILD)/build.ninja:
	@meson setup $(BUILD) --buildtype=debugoptimized >/dev/null

$(ASAN_BUILD)/build.ninja:
	@meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

# The libFuzzer harnesses (tests/fuzz): clang, ASan + UBSan, the library instrumented for coverage.
$(FUZZ_BUILD)/build.ninja:
	@CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet

build-asan: $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD) --quiet

# Installs what is missing, builds, creates the demo school on first run and serves it.
run: deps build
	@scripts/run-embedded $(BIN)

# The test build needs the C unit tests, whatever the build directory was first set up with (make run).
test: test-deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=debugoptimized >/dev/null
	@meson configure $(BUILD) -Dtests=enabled >/dev/null
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	@meson configure $(ASAN_BUILD) -Dtests=enabled >/dev/null
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug >/dev/null
	@ninja -C $(BUILD) --quiet
	@ninja -C $(ASAN_BUILD) --quiet
	@ninja -C $(FUZZ_BUILD) --quiet fuzz
	@tests/run

# Unit and black-box tests of the normal build only, without service topologies.
test-quick: build
	@meson configure $(BUILD) -Dtests=enabled >/dev/null
	@ninja -C $(BUILD) --quiet
	@tests/run --quick

# Every fuzzing harness for FUZZ_SECONDS seconds each, one after the other (tests/fuzz/README.md).
fuzz: test-deps $(FUZZ_BUILD)/build.ninja
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

bench: build
	@bench/run

# Failure drills of the scale-out topology under an open-loop load (bench/drill; BENCH_ARGS=--short for a bounded run).
drill: build
	@scripts/bootstrap --bench
	@bench/drill $(BENCH_ARGS)

# Deliberate bugs in security- and integrity-critical lines (tests/mutations.py), one at a time: the tests must catch each.
mutate: test-deps
	@scripts/mutate

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
