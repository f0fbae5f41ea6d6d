/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every container costs a directory fd and its hot files kept open, so thousands
 * of containers need more than the soft limit of 1024. Raises the soft limit to
 * the hard one, and as root the hard one to fs.nr_open. Returns 0 or -errno.
 */
int raise_fd_limit(void);
