/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sample.h"

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

#define STAT_FIELD(name)       KEYED_FIELD(struct memcg_stat, name)
#define EVENT_FIELD(name)      KEYED_FIELD(struct memcg_events, name)
#define SWAP_EVENT_FIELD(name) KEYED_FIELD(struct memcg_swap_events, name)

/* The keys the code looks up by position in the seen mask come first. */
enum { STAT_ANON, STAT_FILE, STAT_ACTIVE_FILE, STAT_INACTIVE_FILE, STAT_KERNEL };

static const struct keyed_field stat_fields[] = {
        [STAT_ANON] = STAT_FIELD(anon),
        [STAT_FILE] = STAT_FIELD(file),
        [STAT_ACTIVE_FILE] = STAT_FIELD(active_file),
        [STAT_INACTIVE_FILE] = STAT_FIELD(inactive_file),
        [STAT_KERNEL] = STAT_FIELD(kernel),
        STAT_FIELD(active_anon),
        STAT_FIELD(inactive_anon),
        STAT_FIELD(kernel_stack),
        STAT_FIELD(pagetables),
        STAT_FIELD(sec_pagetables),
        STAT_FIELD(percpu),
        STAT_FIELD(sock),
        STAT_FIELD(vmalloc),
        STAT_FIELD(shmem),
        STAT_FIELD(slab),
        STAT_FIELD(slab_reclaimable),
        STAT_FIELD(slab_unreclaimable),
        STAT_FIELD(file_mapped),
        STAT_FIELD(file_dirty),
        STAT_FIELD(file_writeback),
        STAT_FIELD(pgfault),
        STAT_FIELD(pgmajfault),
        STAT_FIELD(workingset_refault_anon),
        STAT_FIELD(workingset_refault_file),
};
#define BIT(i) (UINT64_C(1) << (i))
/* Every kernel since 5.8 prints these, and the working set depends on them. */
#define STAT_REQUIRED                                                                              \
        (BIT(STAT_ANON) | BIT(STAT_FILE) | BIT(STAT_ACTIVE_FILE) | BIT(STAT_INACTIVE_FILE))

static const struct keyed_field event_fields[] = {
        EVENT_FIELD(low),
        EVENT_FIELD(high),
        EVENT_FIELD(max),
        EVENT_FIELD(oom),
        EVENT_FIELD(oom_kill),
        EVENT_FIELD(oom_group_kill),
        EVENT_FIELD(sock_throttled),
};
/* low, high, max, oom and oom_kill are there since 4.13. */
#define EVENTS_REQUIRED UINT64_C(0x1f)

static const struct keyed_field swap_event_fields[] = {
        SWAP_EVENT_FIELD(high),
        SWAP_EVENT_FIELD(max),
        SWAP_EVENT_FIELD(fail),
};

/*
 * The keyed files' tables, hashed once: building them at every parse was 8 % of a
 * sample round. And what memory.stat and memory.events looked like the last time,
 * per thread, so that a parse confirms each line's key instead of finding its end and
 * looking it up (struct keyed_layout): every cgroup prints the same keys in the same
 * order, so one layout serves all readers.
 */
static struct keyed_index stat_index, event_index, swap_event_index;
static pthread_once_t indexes_once = PTHREAD_ONCE_INIT;
enum { LAYOUT_NONE, LAYOUT_STAT, LAYOUT_EVENTS, _LAYOUT_COUNT };
static _Thread_local struct keyed_layout layouts[_LAYOUT_COUNT];

_Static_assert(ELEMENTSOF(stat_fields) <= 64, "parse_keyed takes 64 fields at most");

static void indexes_init(void)
{
        /* Cannot fail: every table has at most 64 fields. */
        (void) keyed_index_init(&stat_index, stat_fields, ELEMENTSOF(stat_fields));
        (void) keyed_index_init(&event_index, event_fields, ELEMENTSOF(event_fields));
        (void) keyed_index_init(&swap_event_index, swap_event_fields,
                                ELEMENTSOF(swap_event_fields));
}

enum file_kind { KIND_VALUE, KIND_VALUE_OR_MAX, KIND_KEYED, KIND_PSI };

struct file_spec {
        const char *name;
        enum file_kind kind;
        size_t offset; /* of the target in struct memcg_sample */
        unsigned have; /* MEMCG_HAVE_* bit; 0 = the file is required */
        const struct keyed_index *index;
        unsigned layout;   /* LAYOUT_NONE for a file not read every round */
        uint64_t required; /* keys a keyed file must have */
};

#define VALUE(n, k, member, h)                                                                     \
        [n] = {.name = k,                                                                          \
               .kind = KIND_VALUE,                                                                 \
               .offset = offsetof(struct memcg_sample, member),                                    \
               .have = h}
#define VALUE_OR_MAX(n, k, member, h)                                                              \
        [n] = {.name = k,                                                                          \
               .kind = KIND_VALUE_OR_MAX,                                                          \
               .offset = offsetof(struct memcg_sample, member),                                    \
               .have = h}
#define KEYED(n, k, member, h, i, l, req)                                                          \
        [n] = {.name = k,                                                                          \
               .kind = KIND_KEYED,                                                                 \
               .offset = offsetof(struct memcg_sample, member),                                    \
               .have = h,                                                                          \
               .index = &i,                                                                        \
               .layout = l,                                                                        \
               .required = req}

static const struct file_spec file_specs[_MEMCG_FILE_COUNT] = {
        VALUE(MEMCG_FILE_CURRENT, "memory.current", current_bytes, 0),
        VALUE_OR_MAX(MEMCG_FILE_MIN, "memory.min", min_bytes, 0),
        VALUE_OR_MAX(MEMCG_FILE_LOW, "memory.low", low_bytes, 0),
        VALUE_OR_MAX(MEMCG_FILE_HIGH, "memory.high", high_bytes, 0),
        VALUE_OR_MAX(MEMCG_FILE_MAX, "memory.max", max_bytes, 0),
        KEYED(MEMCG_FILE_STAT, "memory.stat", stat, 0, stat_index, LAYOUT_STAT, STAT_REQUIRED),
        KEYED(MEMCG_FILE_EVENTS, "memory.events", events, 0, event_index, LAYOUT_EVENTS,
              EVENTS_REQUIRED),
        VALUE(MEMCG_FILE_PEAK, "memory.peak", peak_bytes, MEMCG_HAVE_PEAK),
        VALUE(MEMCG_FILE_SWAP_CURRENT, "memory.swap.current", swap_current_bytes, MEMCG_HAVE_SWAP),
        VALUE_OR_MAX(MEMCG_FILE_SWAP_MAX, "memory.swap.max", swap_max_bytes, MEMCG_HAVE_SWAP),
        KEYED(MEMCG_FILE_SWAP_EVENTS, "memory.swap.events", swap_events, MEMCG_HAVE_SWAP_EVENTS,
              swap_event_index, LAYOUT_NONE, 0),
        KEYED(MEMCG_FILE_EVENTS_LOCAL, "memory.events.local", events_local, MEMCG_HAVE_EVENTS_LOCAL,
              event_index, LAYOUT_EVENTS, EVENTS_REQUIRED),
        [MEMCG_FILE_PRESSURE] = {.name = "memory.pressure",
                                 .kind = KIND_PSI,
                                 .offset = offsetof(struct memcg_sample, psi),
                                 .have = MEMCG_HAVE_PSI},
};

int memcg_file_from_name(const char *name)
{
        for (int f = 0; f < _MEMCG_FILE_COUNT; f++)
                if (strcmp(file_specs[f].name, name) == 0)
                        return f;
        return -1;
}

/* An optional file the kernel does not have: not opened again for this reader. */
#define FD_ABSENT (-2)

void memcg_reader_init(struct memcg_reader *reader)
{
        for (size_t i = 0; i < ELEMENTSOF(reader->fds); i++)
                reader->fds[i] = -1;
        reader->own = (struct read_buf){0};
        reader->buf = &reader->own;
}

void memcg_reader_share_buf(struct memcg_reader *reader, struct read_buf *shared)
{
        read_buf_free(&reader->own);
        reader->buf = shared;
}

void memcg_reader_close(struct memcg_reader *reader)
{
        for (size_t i = 0; i < ELEMENTSOF(reader->fds); i++)
                if (reader->fds[i] >= 0)
                        close(reader->fds[i]);
        read_buf_free(&reader->own);
        memcg_reader_init(reader);
}

static int parse_file(const struct file_spec *spec, const struct read_buf *buf,
                      struct memcg_sample *s)
{
        void *target = (char *) s + spec->offset;
        uint64_t seen = 0;
        int r;

        switch (spec->kind) {
        case KIND_VALUE:
        case KIND_VALUE_OR_MAX:
                return parse_single_value(buf->data, buf->len, spec->kind == KIND_VALUE_OR_MAX,
                                          target);
        case KIND_PSI:
                return parse_psi(buf->data, buf->len, target);
        case KIND_KEYED:
                (void) pthread_once(&indexes_once, indexes_init);
                r = parse_keyed_indexed(buf->data, buf->len, spec->index,
                                        spec->layout ? &layouts[spec->layout] : NULL, target,
                                        &seen);
                if (r < 0)
                        return r;
                if ((seen & spec->required) != spec->required)
                        return -EINVAL;
                if (spec->index == &stat_index && (seen & BIT(STAT_KERNEL)))
                        s->have |= MEMCG_HAVE_STAT_KERNEL;
                return 0;
        }
        return -EINVAL;
}

/* Reads one file into s; an optional file the kernel lacks is skipped. */
static int sample_file(struct memcg_reader *reader, int dirfd, enum memcg_file f,
                       struct memcg_sample *s)
{
        const struct file_spec *spec = &file_specs[f];
        int *fd = &reader->fds[f];

        if (*fd == FD_ABSENT)
                return 0;
        if (*fd < 0) {
                int r = cg_open(dirfd, spec->name, O_RDONLY);
                if (r == -ENOENT && spec->have) {
                        *fd = FD_ABSENT;
                        return 0;
                }
                if (r < 0)
                        return r;
                *fd = r;
        }
        int r = cg_pread_all(*fd, reader->buf);
        if (r < 0)
                return r;
        r = parse_file(spec, reader->buf, s);
        if (r < 0)
                return r;
        s->have |= spec->have;
        return 0;
}

int memcg_sample_update(struct memcg_reader *reader, int dirfd, unsigned mask,
                        struct memcg_sample *s, const char **ret_file)
{
        struct memcg_sample next = *s;

        for (unsigned m = mask & MEMCG_FILES_ALL; m; m &= m - 1) {
                enum memcg_file f = (enum memcg_file) __builtin_ctz(m);
                int r = sample_file(reader, dirfd, f, &next);
                if (r < 0) {
                        if (ret_file)
                                *ret_file = file_specs[f].name;
                        return r;
                }
        }
        *s = next;
        return 0;
}

int memcg_sample_read(struct memcg_reader *reader, int dirfd, struct memcg_sample *ret,
                      const char **ret_file)
{
        struct memcg_sample s = {0};

        int r = memcg_sample_update(reader, dirfd, MEMCG_FILES_ALL, &s, ret_file);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int memcg_sample_update_once(int dirfd, unsigned mask, struct memcg_sample *s,
                             const char **ret_file)
{
        struct memcg_reader reader;

        memcg_reader_init(&reader);
        int r = memcg_sample_update(&reader, dirfd, mask, s, ret_file);
        memcg_reader_close(&reader);
        return r;
}

int memcg_sample_read_once(int dirfd, struct memcg_sample *ret, const char **ret_file)
{
        struct memcg_reader reader;

        memcg_reader_init(&reader);
        int r = memcg_sample_read(&reader, dirfd, ret, ret_file);
        memcg_reader_close(&reader);
        return r;
}

uint64_t memcg_working_set_bytes(const struct memcg_sample *s)
{
        if (s->stat.inactive_file >= s->current_bytes)
                return 0;
        return s->current_bytes - s->stat.inactive_file;
}

uint64_t memcg_kernel_bytes(const struct memcg_sample *s)
{
        const struct memcg_stat *st = &s->stat;

        if (s->have & MEMCG_HAVE_STAT_KERNEL)
                return st->kernel;
        /* Before 5.18 (mm/memcontrol.c memory_stat_format) "kernel" is not printed. */
        return st->kernel_stack + st->pagetables + st->percpu + st->slab + st->vmalloc;
}

uint64_t memcg_unreclaimable_bytes(const struct memcg_sample *s)
{
        const struct memcg_stat *st = &s->stat;
        uint64_t kernel = memcg_kernel_bytes(s);

        /* Reclaimable slab (dentries, inodes) goes under pressure; the rest of it does not. */
        kernel -= st->slab_reclaimable < kernel ? st->slab_reclaimable : kernel;
        return st->anon + st->shmem + kernel;
}

static double pct(uint64_t part, uint64_t whole)
{
        return whole ? 100.0 * (double) part / (double) whole : 0.0;
}

double memcg_kernel_share_pct(const struct memcg_sample *s)
{
        return pct(memcg_kernel_bytes(s), s->current_bytes);
}

double memcg_usage_pct_of_max(const struct memcg_sample *s)
{
        if (s->max_bytes == CG_VALUE_MAX)
                return -1.0;
        return pct(s->current_bytes, s->max_bytes);
}
