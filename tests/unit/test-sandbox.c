/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the seccomp filters (supervisor/sandbox.c), loaded in a child process: what
 * each profile denies fails with the documented errno, what cgmem needs still works. */

/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/base/sandbox.h"

/* Exit statuses of the child: which expectation failed. */
enum { CHILD_OK, CHILD_LOAD, CHILD_PTRACE, CHILD_UNSHARE, CHILD_INET, CHILD_UNIX, CHILD_EXEC };

static int expect_fail(long r, int want_errno)
{
        return r == -1 && errno == want_errno;
}

static int child(enum sandbox_profile profile)
{
        int sv[2];

        if (sandbox_apply(profile) < 0)
                return CHILD_LOAD;
#ifndef __SANITIZE_ADDRESS__ /* allowed there, for LeakSanitizer */
        if (!expect_fail(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM))
                return CHILD_PTRACE;
#endif
        if (!expect_fail(unshare(CLONE_NEWNS), EPERM))
                return CHILD_UNSHARE;
        if (!expect_fail(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT) ||
            !expect_fail(socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT))
                return CHILD_INET;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || socket(AF_UNIX, SOCK_STREAM, 0) < 0)
                return CHILD_UNIX;
        /* The agent execs cgmem-names (which exits 0 here as /bin/true would); the helper cannot.
         */
        execl("/bin/true", "true", (char *) NULL);
        return profile == SANDBOX_NAMES && errno == EPERM ? CHILD_OK : CHILD_EXEC;
}

static int run_child(enum sandbox_profile profile)
{
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child(profile));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_agent_profile(void **state)
{
        (void) state;
        assert_int_equal(run_child(SANDBOX_AGENT), CHILD_OK);
}

static void test_names_profile(void **state)
{
        (void) state;
        assert_int_equal(run_child(SANDBOX_NAMES), CHILD_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agent_profile),
                cmocka_unit_test(test_names_profile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
