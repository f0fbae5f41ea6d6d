/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A seccomp filter each process loads once it is set up (ARCHITECTURE.md,
 * supervisor/base/). A deny-list, not an allow-list: what no code path of
 * cgmem needs and what would turn a bug into a foothold on the node fails with
 * EPERM: ptrace and cross-process memory access, mounts and namespaces, modules,
 * kexec, bpf, perf, keyrings, clock setting, io_uring, identity changes; sockets
 * other than AF_UNIX fail with EAFNOSUPPORT. An allow-list would have to follow
 * every libc and libcurl release, and a syscall it missed would stop enforcement.
 */

enum sandbox_profile {
        SANDBOX_AGENT, /* cgmem run: may still exec, to start cgmem-names again */
        SANDBOX_NAMES, /* cgmem-names: parses what runtimes say; no exec either */
};

/* Loads the filter (and sets no_new_privs). Returns 0 or -errno; the caller says it and goes on. */
int sandbox_apply(enum sandbox_profile profile);
