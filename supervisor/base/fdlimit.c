/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

static unsigned long read_nr_open(void)
{
        unsigned long nr_open = 0;
        FILE *f = fopen("/proc/sys/fs/nr_open", "re");

        if (!f)
                return 0;
        if (fscanf(f, "%lu", &nr_open) != 1)
                nr_open = 0;
        fclose(f);
        return nr_open;
}

int raise_fd_limit(void)
{
        struct rlimit rl;
        unsigned long nr_open = read_nr_open();

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (nr_open > rl.rlim_max) {
                struct rlimit wanted = {.rlim_cur = nr_open, .rlim_max = nr_open};
                if (setrlimit(RLIMIT_NOFILE, &wanted) == 0)
                        return 0;
        }
        rl.rlim_cur = rl.rlim_max;
        return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}
