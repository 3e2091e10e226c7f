# romac - top-level convenience targets. Every target installs what is
# missing (scripts/install-deps.sh, Debian packages only) before it builds.
#
#   make demo     install, build, run the main job on a bundled input
#   make test     install, build, run every test suite; ends with a totals line
#   make build    configure (Ninja, Release) and build
#   make models   regenerate the light and tiny model exports (python/torch)

BUILD_DIR ?= build
JOBS      ?= 2
PYTHON    := /usr/bin/python3
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo docs models models-full format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -G Ninja -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@scripts/run-tests.sh $(BUILD_DIR)

demo: build
	@scripts/demo.sh $(BUILD_DIR)

docs: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mlir-doc
	@echo "generated docs are in $(BUILD_DIR)/docs"

models: deps
	PYTHONPATH=python $(PYTHON) -m romac.models export-all --out $(BUILD_DIR)/models --variants light,tiny

models-full: deps
	PYTHONPATH=python $(PYTHON) -m romac.models export-all --out $(BUILD_DIR)/models --variants full

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
