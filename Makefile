# romac - top-level convenience targets. Every target installs what is
# missing (scripts/install-deps.sh, Debian packages only) before it builds.
#
#   make demo     install, build, run the main job on a bundled input and a
#                 short zoom on the tiny SD2 models (scripts/demo.sh)
#   make test     install, build, run every test suite; ends with a totals line
#   make build    configure (Ninja, Release) and build
#   make models   regenerate the light and tiny model exports (python/torch)
#   make install  build, then install into PREFIX (default /usr/local):
#                 bin/, share/romac/targets/, include/romac/, share/doc/romac/

BUILD_DIR ?= build
JOBS      ?= 2
PYTHON    := /usr/bin/python3
CMAKE_ARGS ?=
PREFIX    ?= /usr/local

.PHONY: all deps configure build test demo docs models models-full format clean fuzz install

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

# The installed tree is relocatable: the tools read the targets shipped next
# to them (PREFIX/share/romac/targets), wherever PREFIX is copied to.
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

demo: build
	@scripts/demo.sh $(BUILD_DIR)

docs: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mlir-doc
	@echo "generated docs are in $(BUILD_DIR)/docs"

models: deps
	PYTHONPATH=python $(PYTHON) -m romac.models export-all --out $(BUILD_DIR)/models --variants light,tiny

models-full: deps
	PYTHONPATH=python $(PYTHON) -m romac.models export-all --out $(BUILD_DIR)/models --variants full

# libFuzzer on the importer (clang-22, ASan): FUZZ_SECONDS per entry point,
# seeded with the committed models.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DROMAC_BUILD_FUZZERS=ON
	cmake --build build-fuzz -j $(JOBS) --target romac-import-fuzzer-proto romac-import-fuzzer-json
	mkdir -p build-fuzz/corpus-proto build-fuzz/corpus-json
	cp models/onnx-light/*.onnx models/alexnet/light/model.onnx build-fuzz/corpus-proto/
	for m in models/onnx-light/light_squeezenet.onnx models/alexnet/light/model.onnx; do \
	  $(PYTHON) -c "import sys, onnx; from google.protobuf import json_format; \
	    print(json_format.MessageToJson(onnx.load(sys.argv[1]))[1:])" $$m \
	    > build-fuzz/corpus-json/$$(echo $$m | tr / _).json; done
	build-fuzz/bin/romac-import-fuzzer-proto -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 build-fuzz/corpus-proto
	build-fuzz/bin/romac-import-fuzzer-json -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 build-fuzz/corpus-json

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
