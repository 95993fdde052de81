# The user's interface to Kefu. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD_JOBS ?= $(shell nproc)
BENCH ?=
CONFIG ?= deploy/all-in-one.yaml

.PHONY: deps build build-dev run test test-release test-dev bench fuzz fmt lint clean

deps:
	@bash scripts/deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(BUILD_JOBS)
	@npm --prefix web run build --silent

build-dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(BUILD_JOBS)

# An all-in-one site on SQLite with demo data (see deploy/all-in-one.yaml).
run: build
	@mkdir -p var
	@./build/bin/kefu serve --config $(CONFIG)

# Every test: the release build runs unit, integration and hygiene tests; the sanitizer build
# (ASan + UBSan) runs them again.
test: test-release test-dev

test-release: build
	@ctest --preset release -j $(BUILD_JOBS)

test-dev: build-dev
	@ctest --preset dev -j $(BUILD_JOBS)

bench: build
	@bash scripts/bench.sh "$(BENCH)"

# Builds the fuzz targets with clang's libFuzzer and runs each for FUZZ_SECONDS on its corpus.
FUZZ_SECONDS ?= 60
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(BUILD_JOBS) --target json_body_fuzz dtls_fuzz rtp_fuzz rtcp_fuzz sdp_fuzz stun_fuzz sip_digest_fuzz sip_message_fuzz link_message_fuzz flow_document_fuzz
	@for t in json_body_fuzz dtls_fuzz rtp_fuzz rtcp_fuzz sdp_fuzz stun_fuzz sip_digest_fuzz sip_message_fuzz link_message_fuzz flow_document_fuzz; do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  ./build-fuzz/bin/$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

fmt:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

lint: build
	@python3 scripts/check_layering.py src
	@git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror
	@# clang-tidy 14 cannot parse Boost.Asio's C++20 coroutines against libstdc++ 12: http_server.cc is left out.
	@git ls-files 'src/*.cc' | grep -v 'src/api/http_server.cc' | xargs clang-tidy -p build --quiet

clean:
	@rm -rf build build-dev build-fuzz
