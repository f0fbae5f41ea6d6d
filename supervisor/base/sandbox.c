/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "cgroupfs/macro.h"

/* LeakSanitizer stops the process with ptrace at exit to scan it: ASan builds keep it. */
#ifdef __SANITIZE_ADDRESS__
#define PTRACE_UNLESS_ASAN
#else
#define PTRACE_UNLESS_ASAN "ptrace",
#endif

static const char *const denied[] = {
        /* other processes' memory and execution */
        PTRACE_UNLESS_ASAN "process_vm_readv",
        "process_vm_writev",
        "kcmp",
        /* the file system tree and namespaces */
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "setns",
        "unshare",
        "open_by_handle_at",
        "name_to_handle_at",
        /* the kernel itself */
        "init_module",
        "finit_module",
        "delete_module",
        "kexec_load",
        "kexec_file_load",
        "reboot",
        "swapon",
        "swapoff",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "iopl",
        "ioperm",
        "syslog",
        "acct",
        "quotactl",
        "lookup_dcookie",
        "vhangup",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        /* keyrings, clocks, identity */
        "keyctl",
        "add_key",
        "request_key",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "setuid",
        "setgid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
        "setfsuid",
        "setfsgid",
        "capset",
        "personality",
};

static const char *const denied_names_only[] = {"execve", "execveat"};

static int deny(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sandbox_apply(enum sandbox_profile profile)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        r = deny(ctx, denied, ELEMENTSOF(denied));
        if (r >= 0 && profile == SANDBOX_NAMES)
                r = deny(ctx, denied_names_only, ELEMENTSOF(denied_names_only));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_NE, AF_UNIX));
        if (r >= 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r;
}
