# suanli front door. Quick start: `make demo`, then `make test`.
# Every dependency is a Debian package (apt-get) or an npm package pinned in
# web/package-lock.json (npm ci), installed here, never by hand.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
GENERATOR  ?= Ninja
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
SUANLI     := $(BUILD)/suanli

# Debian packages, in two sets checked with dpkg and installed when missing.
# Building and running (`make build`, `make demo`, `make install`): the
# compilers and libraries, GoogleTest/Benchmark (the build configures the
# test and bench targets), prometheus-cpp (GET /metrics), libxlsxwriter
# (plan --xlsx), python3-dev and
# pybind11-dev (the Python package, python/), ccache (used when present),
# curl (the demo's API calls).
DEB_BUILD_PACKAGES := build-essential cmake ninja-build pkg-config ccache \
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev \
  libgtest-dev libgmock-dev libbenchmark-dev coinor-libcbc-dev \
  libsqlite3-dev libcpp-httplib-dev libssl-dev libpqxx-dev prometheus-cpp-dev curl \
  python3-dev pybind11-dev libxlsxwriter-dev
# What only the test suite and benchmarks add (`make test`, `make bench`):
# chromium, the headless browser the report and dashboard tests drive;
# clang-19, the sanitizer build of `make test` and libFuzzer (`make fuzz`);
# postgresql, a throwaway server (initdb/pg_ctl) in a temp dir for the store
# tests; wrk, the HTTP load test of `make bench`; slurm-wlm munge, a real
# slurmctld, slurmd and munged on loopback in a temp dir (tests/slurm_cluster.h,
# docs/slurm.md); prometheus, a real server scraping `suanli serve` in a temp
# dir (tests/prometheus_test.py; python3 runs it and the Python package tests).
# The Chinese browser tests check text, not glyphs: install fonts-noto-cjk by
# hand for screenshots that show the characters (it is 80 MB, left out of CI).
DEB_TEST_PACKAGES := chromium postgresql wrk clang-19 libclang-rt-19-dev slurm-wlm munge prometheus \
  python3 python3-pytest
DEB_PACKAGES := $(DEB_BUILD_PACKAGES) $(DEB_TEST_PACKAGES)
# Node.js runs npm and the browser test; Debian's nodejs + npm are installed
# only when no `node` is on the PATH (a NodeSource node brings its own npm).
NODE_PACKAGES := nodejs npm
# npm packages (web/package-lock.json): Chart.js, embedded into the binary
# for `suanli report`, and playwright-core, which drives the browser test.
WEB := web

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-build install-debian-packages install-npm-packages install build demo check test test-release test-asan bench fuzz format tidy clean

all: build

# `make deps`: everything the build and the test suite need; `make
# deps-build`: only what building and running need (what `make demo` installs).
deps:
	@$(MAKE) --no-print-directory install-debian-packages PACKAGES="$(DEB_PACKAGES)"
	@$(MAKE) --no-print-directory install-npm-packages

deps-build:
	@$(MAKE) --no-print-directory install-debian-packages PACKAGES="$(DEB_BUILD_PACKAGES)"
	@$(MAKE) --no-print-directory install-npm-packages

install-debian-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing $(NODE_PACKAGES)"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "All Debian packages present."; fi

install-npm-packages:
	@if [ ! -d $(WEB)/node_modules ] || [ $(WEB)/package-lock.json -nt $(WEB)/node_modules ]; then \
	  echo "Installing npm packages into $(WEB)/node_modules (npm ci)"; \
	  npm ci --prefix $(WEB) --no-audit --no-fund && touch $(WEB)/node_modules; \
	else echo "All npm packages present."; fi

$(BUILD)/build.ninja: | deps-build
	cmake -S . -B $(BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=Release

build: deps-build $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# `make install PREFIX=DIR`: the binary in DIR/bin, its data, examples and
# docs in DIR/share/suanli, where it finds them from any directory (and
# after DIR is moved); SUANLI_SHARE_DIR points it elsewhere.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix "$(PREFIX)"

# The main job on the bundled examples: the questions the project was born from.
demo: build
	@bash examples/demo.sh $(SUANLI)

test: test-release test-asan

# The validation tests run verbosely so their tables (every published
# measurement beside the prediction, the leave-one-source-out errors by
# source, the interval coverage and the 910B calibration) are in the log
# even when they pass.
test-release: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target suanli suanli_tests
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -E 'PublishedMeasurements|CrossValidated|ServingOutOfSample|CalibratingA910B'
	cd $(BUILD) && ctest -V -R 'PublishedMeasurements|CrossValidated|ServingOutOfSample|CalibratingA910B'
	@echo "Performance: make bench (single estimate, full parallelism search, cross-validation)."

# The inner loop: the release build and every test that needs no outside
# process or long wait — everything but the browser, Slurm, PostgreSQL,
# Prometheus, kill -9 durability, install, trace-replay and slow-client
# tests, which `make test` runs (about a minute on 2 cores instead of 30).
SLOW_TESTS := Chromium|ReportBundled|Sigkill|Slurm|Postgresql|Prometheus|InstallRelocatable|ReplayTraceTest|FgdPlusTraceTest|Slowloris|CrashLoop|ShutdownInterrupts
check: deps-build $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target suanli suanli_tests
	cd $(BUILD) && ctest -j $(JOBS) -E '$(SLOW_TESTS)' --output-on-failure

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
# built with clang-19: a second compiler, UBSan's float-cast-overflow check
# (which g++ lacks), and half g++'s compile time, which keeps `make test`
# inside CI's budget. Line tables only (enough for the sanitizers' stack
# traces) compile a fifth faster than full debug info. The two report
# renderings and the dashboard in Chinese run in the release pass only: they
# test the page, which is the same HTML either way (the dashboard test in
# English, which drives the server, runs in both).
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DSUANLI_SANITIZE=ON -DSUANLI_BUILD_BENCH=OFF \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_C_COMPILER=clang-19 "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -gline-tables-only"
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E 'Report(Sample|Zh)?RendersInChromium|DashboardInChineseInChromium'


# Google Benchmark (estimator, replay, simulator, planner), the Python
# package's 10,000-estimate sweep against the same loop in C++, then the HTTP
# load test: wrk against `suanli serve` on loopback (bench/http/run.sh).
bench: deps build
	$(BUILD)/suanli_bench --benchmark_counters_tabular=true
	PYTHONPATH=$(BUILD)/python /usr/bin/python3 bench/python_sweep.py 10000
	bench/http/run.sh $(BUILD)

# libFuzzer (clang-19) on the scenario parsers, the trace CSV readers and
# the API request decoder, FUZZ_SECONDS each, from fuzz/corpus/. A crash
# leaves its input in $(FUZZ_BUILD)/crashes/<target>/: copy it into
# fuzz/regressions/<target>/ so `make test` replays it from then on.
fuzz: deps
	CXX=clang++-19 CC=clang-19 cmake -S . -B $(FUZZ_BUILD) -G $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSUANLI_FUZZ=ON -DSUANLI_BUILD_TESTS=OFF -DSUANLI_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_scenario_parser fuzz_trace_csv fuzz_api_request fuzz_http_request
	@for t in scenario_parser trace_csv api_request http_request; do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=0 $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t 2>&1 | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Done)' ; \
	  if ls $(FUZZ_BUILD)/crashes/$$t/* >/dev/null 2>&1; then echo "CRASH in $$t: see $(FUZZ_BUILD)/crashes/$$t/"; exit 1; fi; \
	done; echo "no crashes"

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# clang-tidy 19: Debian's default clang-tidy 14 cannot parse <expected>.
tidy: build
	@dpkg-query -W -f='$${Status}' clang-tidy-19 2>/dev/null | grep -q "install ok installed" || \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-tidy-19
	clang-tidy-19 -p $(BUILD) --quiet $$(git ls-files 'src/*.cpp' | grep -v _test.cpp)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
