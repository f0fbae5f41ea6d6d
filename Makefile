# cgmem: one entry point for build, tests, install and the demo.
#   make            build ./cgmem and its name-lookup helper ./cgmem-names
#   make check      install build deps, unit tests (plain and ASan/UBSan), fuzz smoke, VM suite,
#                   the unit under systemd from the Debian package
#   make fuzz       build the libFuzzer targets (clang)
#   make install    PREFIX=/usr/local LIBEXECDIR=$(PREFIX)/libexec/cgmem DESTDIR=
#   make deb        build/cgmem_<version>_amd64.deb (Debian package, installs to /usr)
#   make image      build/cgmem-image.tar, the OCI image cgmem:<version> the DaemonSet runs
#   make demo       boot the test VM and show cgmem at work
#   make deps       install the Debian packages the build and tests need (idempotent)

VERSION := 0.1.0
BUILD ?= build
CC ?= gcc
PKG_CONFIG ?= pkg-config

PREFIX ?= /usr/local
LIBEXECDIR ?= $(PREFIX)/libexec/cgmem
# Where the two programs are linked: the top of the tree, except for other builds
# (unit-asan), which must not replace the ./cgmem that make bench and the VM suite run.
BINDIR ?= .
CGMEM := $(BINDIR)/cgmem
CGMEM_NAMES := $(BINDIR)/cgmem-names

# The agent links only what it locks into memory; libcurl and protobuf-c (with libcurl's
# TLS and a dozen more libraries) are the cgmem-names helper's (supervisor/names-helper/).
AGENT_PKGS := jansson libsystemd libseccomp
PKGS := $(AGENT_PKGS) libcurl libprotobuf-c
# libmicrohttpd's header only: the agent loads the library with dlopen when it serves
# metrics, so that GnuTLS and the libraries below it stay out of it otherwise
# (supervisor/metrics/mhd.h).
HEADER_PKGS := libmicrohttpd
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(HEADER_PKGS) 2>/dev/null)
AGENT_LIBS = $(shell $(PKG_CONFIG) --libs $(AGENT_PKGS) 2>/dev/null) -lm
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

WARNINGS := -Wall -Wextra -Wconversion -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wundef -Werror
HARDENING := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE
OPT ?= -O2 -g
CFLAGS ?= $(OPT)
ALL_CFLAGS := -std=gnu17 -D_GNU_SOURCE -DCGMEM_VERSION='"$(VERSION)"' \
	-DCGMEM_LIBEXECDIR='"$(LIBEXECDIR)"' $(WARNINGS) \
	$(HARDENING) -I. -Isupervisor -I$(BUILD)/gen $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

LIB_SRCS := $(wildcard cgroupfs/*.c cri/*.c)
# Sources by folder (ARCHITECTURE.md): the runtime-name lookups in supervisor/names-helper/ are
# the cgmem-names process, with the few pieces it shares with the agent; the rest of
# supervisor/ is cgmem.
NAMES_SRCS := $(wildcard supervisor/names-helper/*.c)
NAMES_SHARED_SRCS := supervisor/base/log.c supervisor/base/sandbox.c supervisor/base/hashmap.c \
	supervisor/names/names-wire.c
SUP_SRCS := $(wildcard supervisor/*.c supervisor/*/*.c)
SUP_SRCS := $(filter-out $(NAMES_SRCS),$(SUP_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
KTEST_SRCS := $(wildcard tests/kernel/*.c)

# The CRI messages cgmem uses, compiled by protoc-c into the build tree.
PROTO_SRCS := $(wildcard cri/*.proto)
PROTO_GEN_SRCS := $(PROTO_SRCS:%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_GEN_HDRS := $(PROTO_SRCS:%.proto=$(BUILD)/gen/%.pb-c.h)

LIB := $(BUILD)/libcgmem.a
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(PROTO_GEN_SRCS:%.c=%.o)
SUP_OBJS := $(SUP_SRCS:%.c=$(BUILD)/%.o)
NAMES_OBJS := $(NAMES_SRCS:%.c=$(BUILD)/%.o) $(NAMES_SHARED_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
HELPER_BINS := $(HELPER_SRCS:%.c=$(BUILD)/%)
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(BUILD)/fuzz/%)

.PHONY: all check unit unit-asan fuzz fuzz-smoke vm-check deps bench-deps install demo format \
	clean bench bench-metrics bench-libcgroup bench-reaction bench-verdicts bench-node \
	bench-volume bench-soak helpers install-debs pkg-root deb image systemd-check
all: $(CGMEM) $(CGMEM_NAMES)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(@D)
	protoc-c --proto_path=. --c_out=$(BUILD)/gen $<

# Generated code follows protoc-c's style, not our warning set.
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	$(CC) -std=gnu17 $(HARDENING) -I$(BUILD)/gen $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIB_OBJS) $(SUP_OBJS) $(NAMES_OBJS): | $(PROTO_GEN_HDRS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(CGMEM): $(SUP_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SUP_OBJS) $(LIB) $(AGENT_LIBS)

$(CGMEM_NAMES): $(NAMES_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(NAMES_OBJS) $(LIB) $(PKG_LIBS)

# Unit tests link the supervisor's objects too, except the two main()s.
SUP_TESTABLE_OBJS = $(filter-out $(BUILD)/supervisor/main.o,$(SUP_OBJS)) \
	$(filter-out $(BUILD)/supervisor/names-helper/names-helper.o,$(NAMES_SRCS:%.c=$(BUILD)/%.o))
$(BUILD)/tests/unit/%: tests/unit/%.c $(SUP_TESTABLE_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(SUP_TESTABLE_OBJS) $(LIB) \
		$(PKG_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -pthread -o $@ $<

# Unit tests run from the top of the tree: fixtures are found as tests/fixtures/...
unit: $(CGMEM) $(CGMEM_NAMES) $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)
	@tests/schema/check $(CGMEM)

# The same tests under AddressSanitizer and UBSan, in a build tree of their own.
unit-asan:
	$(MAKE) --no-print-directory BUILD=build-asan BINDIR=build-asan OPT='-O1 -g -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all -U_FORTIFY_SOURCE' \
		LDFLAGS='-fsanitize=address,undefined' unit

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
# The fuzzed code: cgroupfs/ (the kernel-log and /proc parsers too), cri/, names messages,
# the agent's own-cgroup parsers, the event writer, and the metrics' listen addresses and
# label values.
FUZZ_LIB_SRCS = $(LIB_SRCS) $(PROTO_GEN_SRCS) supervisor/names/names-wire.c \
	supervisor/registry/self-cgroup.c supervisor/emit/json-writer.c supervisor/metrics/listen.c \
	supervisor/metrics/snapshot.c
$(BUILD)/fuzz/tests/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu17 -D_GNU_SOURCE -I. -Isupervisor -I$(BUILD)/gen -g -O1 \
		-fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) $(PKG_LIBS)

fuzz: $(FUZZ_BINS)

fuzz-smoke: fuzz
	@tests/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

helpers: $(HELPER_BINS)

KTEST := $(BUILD)/tests/kernel/ktest
$(KTEST): $(KTEST_SRCS) $(wildcard tests/kernel/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(ALL_LDFLAGS) -o $@ $(KTEST_SRCS) $(LIB) $(PKG_LIBS)

# The kernel-facing suite, as root in a VM the harness boots (tests/vm/README.md).
# A file larger than a test container's limit, read through the guest's page cache (9p).
$(BUILD)/cache.bin:
	@mkdir -p $(@D)
	head -c 100663296 /dev/urandom >$@

# Files that fit a test container's limit next to 200 MiB of anon: their hot cache (two
# containers read side by side, each its own).
$(BUILD)/hot.bin $(BUILD)/hot2.bin:
	@mkdir -p $(@D)
	head -c 50331648 /dev/urandom >$@

# The image: deploy_daemonset_in_docker runs it in the guest's Docker.
vm-check: cgmem cgmem-names $(HELPER_BINS) $(KTEST) $(BUILD)/cache.bin $(BUILD)/hot.bin \
		$(BUILD)/hot2.bin image
	tests/vm/run --timeout 1500 -- tests/kernel/run-suite $(BUILD)

# cgmem.service under systemd as PID 1, installed from make deb's package (tests/systemd/run).
systemd-check: deb $(HELPER_BINS)
	tests/vm/run --systemd --timeout 600 -- tests/systemd/run $(BUILD)

BENCH_LIBCGROUP := $(BUILD)/bench/libcgroup-vs-direct
$(BENCH_LIBCGROUP): tests/bench/libcgroup-vs-direct.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) \
		$(shell $(PKG_CONFIG) --libs libcgroup 2>/dev/null || echo -lcgroup)

# libcgroup against direct cgroupfs reads, on cgroup v2 in the test VM (tests/bench/README.md).
bench-libcgroup: $(LIB)
	BUILD=$(BUILD) tests/bench/run-libcgroup-bench

BENCH_FLOOR := $(BUILD)/bench/pread-floor
$(BENCH_FLOOR): tests/bench/pread-floor.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# What serving the metrics costs, in-process (tests/bench/README.md, "Metrics benchmark").
BENCH_METRICS_SERVE := $(BUILD)/bench/metrics-serve
$(BENCH_METRICS_SERVE): tests/bench/metrics-serve.c $(SUP_TESTABLE_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(SUP_TESTABLE_OBJS) $(LIB) $(PKG_LIBS)

BENCH_RECORDER := $(BUILD)/bench/recorder-cost
$(BENCH_RECORDER): tests/bench/recorder-cost.c supervisor/recorder/recorder.c supervisor/recorder/story.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

# The agent's CPU per container per round and RSS against the pread floor, at 1 000 and
# 10 000 cgroups in the test VM (tests/bench/README.md).
bench: cgmem cgmem-names $(BENCH_FLOOR) $(BENCH_RECORDER) $(BENCH_METRICS_SERVE)
	$(BENCH_RECORDER)
	BUILD=$(BUILD) tests/bench/agent-bench
	$(BENCH_METRICS_SERVE)
	BUILD=$(BUILD) tests/bench/metrics-bench

# What the Prometheus metrics cost at 1 000 containers: a scrape of the real server in-process,
# then the agent in the VM (scrapes, the loop, RSS); tests/bench/README.md, "Metrics benchmark".
bench-metrics: cgmem cgmem-names $(BENCH_METRICS_SERVE)
	$(BENCH_METRICS_SERVE)
	BUILD=$(BUILD) tests/bench/metrics-bench

# Kill-before-OOM reaction benchmark in the test VM (tests/bench/README.md).
bench-reaction: cgmem cgmem-names $(HELPER_BINS)
	@mkdir -p $(BUILD)/bench/reaction-job
	tests/vm/run --mem 1024 --timeout 3000 --job $(BUILD)/bench/reaction-job -e BUILD=$(BUILD) \
		-- tests/bench/reaction

# Verdicts against the kernel alone: runaways and healthy workloads near their limit, with
# and without swap (tests/bench/README.md, "Verdict benchmark").
bench-verdicts: bench-deps cgmem cgmem-names $(HELPER_BINS)
	BUILD=$(BUILD) tests/bench/verdicts/run

# Node-wide pressure: cgmem against the kernel alone, earlyoom, nohang and systemd-oomd
# (tests/bench/README.md, "Node-pressure benchmark").
bench-node: bench-deps cgmem cgmem-names $(HELPER_BINS)
	BUILD=$(BUILD) tests/bench/node/run

# The event stream's volume: a fixed mix of containers for 10 minutes, lines by type and per
# container-hour, against the budget (tests/bench/README.md, "Volume benchmark").
bench-volume: cgmem cgmem-names $(HELPER_BINS) $(BUILD)/cache.bin
	BUILD=$(BUILD) tests/bench/volume/run

# The agent at 1 000 containers with churn for SOAK_MINUTES (30): fds and RSS at start and
# end, no lost container_gone, no unexplained seq gap (tests/bench/README.md, "Soak").
bench-soak: cgmem cgmem-names $(HELPER_BINS)
	BUILD=$(BUILD) tests/bench/soak/run

check: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory unit-asan
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory vm-check
	$(MAKE) --no-print-directory systemd-check

# Debian packages for the build, the unit and fuzz tests, and the VM suite.
DEB_DEPS := gcc make pkg-config clang libclang-rt-14-dev clang-format libjansson-dev \
	libsystemd-dev libseccomp-dev libcurl4-openssl-dev libcmocka-dev libprotobuf-c-dev \
	protobuf-c-compiler qemu-system-x86 busybox-static cpio kmod python3 libcgroup-dev strace \
	python3-jsonschema tmux docker.io containerd runc python3-grpcio podman crun conmon curl \
	python3-yaml dpkg-dev systemd libmicrohttpd-dev prometheus
# What the benchmarks compare cgmem with, on top of DEB_DEPS (the guest runs the host's programs).
BENCH_DEB_DEPS := earlyoom nohang systemd systemd-oomd stress-ng
# Boots the test VM and shows cgmem at work there (tests/vm/demo).
demo: deps cgmem cgmem-names $(HELPER_BINS) $(BUILD)/cache.bin
	@tests/vm/run --mem 1024 --timeout 240 -- tests/vm/demo $(BUILD) || \
		{ echo "make demo: the VM run failed; see the console log named above" >&2; exit 1; }

deps:
	@$(MAKE) --no-print-directory install-debs PACKAGES='$(DEB_DEPS)'

bench-deps: deps
	@$(MAKE) --no-print-directory install-debs PACKAGES='$(BENCH_DEB_DEPS)'

# Installs the Debian packages in PACKAGES that are missing; silent when none is.
install-debs:
	@missing=; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make: installing$$missing"; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

# The unit names the programs where this install puts them.
install: $(CGMEM) $(CGMEM_NAMES)
	install -Dm755 $(CGMEM) $(DESTDIR)$(PREFIX)/bin/cgmem
	install -Dm755 $(CGMEM_NAMES) $(DESTDIR)$(LIBEXECDIR)/cgmem-names
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/|$(PREFIX)/|g' deploy/cgmem.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/cgmem.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/cgmem.service
	install -Dm644 deploy/cgmem.conf $(DESTDIR)$(PREFIX)/share/doc/cgmem/cgmem.conf
	install -Dm644 deploy/events.schema.json \
		$(DESTDIR)$(PREFIX)/share/doc/cgmem/events.schema.json
	install -Dm644 README.md deploy/EVENTS.md deploy/daemonset.yaml \
		-t $(DESTDIR)$(PREFIX)/share/doc/cgmem

# A build for /usr, in a tree of its own (the helper's path is compiled in), installed
# into a staging root: what the Debian package and the image are made of.
PKG_BUILD := $(BUILD)/pkg
PKG_ROOT := $(PKG_BUILD)/root
DEB := $(BUILD)/cgmem_$(VERSION)_amd64.deb
IMAGE := $(BUILD)/cgmem-image.tar
# The library the metrics load with dlopen (supervisor/metrics/mhd.h), which ldd does not list.
MHD_SONAME := $(shell sed -n 's/^\#define MHD_SONAME "\(.*\)"/\1/p' supervisor/metrics/mhd.h)

pkg-root:
	@$(MAKE) --no-print-directory BUILD=$(PKG_BUILD)/obj BINDIR=$(PKG_BUILD) PREFIX=/usr \
		LIBEXECDIR=/usr/libexec/cgmem all
	@rm -rf $(PKG_ROOT)
	@$(MAKE) --no-print-directory BUILD=$(PKG_BUILD)/obj BINDIR=$(PKG_BUILD) PREFIX=/usr \
		LIBEXECDIR=/usr/libexec/cgmem DESTDIR=$(CURDIR)/$(PKG_ROOT) install >/dev/null

# cgmem_<version>_amd64.deb with dpkg-deb, no debhelper (deploy/debian/README.md).
deb: pkg-root
	deploy/debian/build $(PKG_ROOT) $(VERSION) $(DEB)

# An OCI image of the two programs and their libraries, tagged as the DaemonSet names it.
image: pkg-root
	deploy/image/mkimage --dlopen $(MHD_SONAME) $(PKG_ROOT) $(IMAGE) cgmem:$(VERSION) \
		/usr/bin/cgmem /usr/libexec/cgmem/cgmem-names

format:
	clang-format -i $(wildcard cgroupfs/*.[ch] cri/*.[ch] supervisor/*.[ch] supervisor/*/*.[ch] \
		tests/*/*.[ch])

clean:
	rm -rf $(BUILD) build-asan cgmem cgmem-names

-include $(LIB_OBJS:.o=.d) $(SUP_OBJS:.o=.d) $(NAMES_OBJS:.o=.d)
