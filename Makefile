# Quorum: `make demo` runs the whole suite in shadow mode on the embedded sample;
# `make test` runs every test. Both install what is missing first (scripts/bootstrap.sh).
SWIFT ?= swift
RELEASE_BIN := .build/release
DEBUG_BIN := .build/debug
PROTOC_GEN_SWIFT := .build-proto/debug/protoc-gen-swift

.PHONY: all bootstrap build release test demo bench proto compose-check clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

# Builds everything (executables included: the integration tests run them), then runs all tests.
test: bootstrap compose-check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: bootstrap release
	@bash scripts/demo.sh

bench: bootstrap release
	@bash scripts/bench.sh

# Regenerates the committed protobuf Swift from Shared/Wire/proto with apt's protoc and a
# protoc-gen-swift built from the swift-protobuf dependency.
proto: bootstrap
	$(SWIFT) build --scratch-path .build-proto --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=$(PROTOC_GEN_SWIFT) --swift_out=Shared/Wire --swift_opt=Visibility=Public \
		-I Shared/Wire/proto Shared/Wire/proto/quorum.proto

compose-check: bootstrap
	@bash scripts/compose-check.sh

clean:
	rm -rf .build .build-proto
