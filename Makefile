# Two commands matter (see README): `make run` and `make test`.
# Everything else here is a helper they call.
SHELL := /bin/bash
PORT ?= 8888
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: run test setup build build-release build-test bench clean

setup:
	bash scripts/setup.sh

build-release: setup
	cmake --preset release >/dev/null
	cmake --build --preset release

build-test: setup
	cmake --preset test >/dev/null
	cmake --build --preset test

build: build-release

# Builds with embedded defaults and starts the chat on http://localhost:$(PORT).
run: build-release
	./build/release/chatd --port $(PORT)

# Installs what is missing, builds, starts what the tests need, runs every test.
test: build-test
	bash scripts/test.sh

bench: build-release
	bash bench/run.sh

clean:
	rm -rf build
