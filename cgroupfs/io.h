/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Safe I/O on cgroupfs files, always relative to a cgroup's directory fd.
 * Every function returns >= 0 on success and -errno on failure; -ENOENT and
 * -ENODEV mean the cgroup went away (see errno_is_gone()).
 */

#include <stddef.h>

/* A growable read buffer, reused across samples so the hot path does not allocate. */
struct read_buf {
        char *data;
        size_t size; /* bytes allocated */
        size_t len;  /* bytes of the last read, always NUL-terminated at data[len] */
};

void read_buf_free(struct read_buf *buf);

/* openat(dirfd, name, flags | O_CLOEXEC | O_NOCTTY); returns the fd or -errno. */
int cg_open(int dirfd, const char *name, int flags);

/* Opens a child cgroup directory; returns the fd or -errno. */
int cg_open_dir(int dirfd, const char *name);

/* Re-reads an open file from offset 0 to EOF into buf. */
int cg_pread_all(int fd, struct read_buf *buf);

/* Reads any file to EOF, a read returning 0, however many short reads come first. */
int read_file_to_eof(int dirfd, const char *name, struct read_buf *buf);

/* Opens, reads to EOF and closes dirfd/name. */
int cg_read_at(int dirfd, const char *name, struct read_buf *buf);

/* Writes the whole string to dirfd/name in one write(), as cgroupfs requires. */
int cg_write_at(int dirfd, const char *name, const char *value);

/*
 * 1 if a child cgroup of rootfd has file (the root lacks cgroup.kill and
 * memory.peak: a kernel's features are told by its children), 0 if none has.
 */
int cg_child_has_file(int rootfd, const char *file);

/* 1 if the cgroup directory dirfd still exists, 0 once it has been removed. */
int cg_alive(int dirfd);
