/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/bench/recorder-cost: what the flight recorder (supervisor/recorder/)
 * costs the agent, in memory and time, at 1 000 and 10 000 containers: every
 * container fed a sample a second for 15 minutes (the agent's round), idle
 * (nothing moves), busy (anon and page cache moving every second: the worst
 * case), and a node mix (5 % busy). Prints the heap the rings hold, per
 * container and in all, and the time per recorder_note. No VM: the recorder
 * is pure. See tests/bench/README.md, "Recorder".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "supervisor/recorder/recorder.h"

#define MiB    (UINT64_C(1) << 20)
#define SEC    UINT64_C(1000000)
#define ROUNDS 900

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static struct memcg_sample sample_of(unsigned i, unsigned round, unsigned busy_every)
{
        struct memcg_sample s = {0};
        bool busy = busy_every && i % busy_every == 0;
        uint64_t wobble = busy ? (uint64_t) ((round * 7 + i) % 64) * MiB : 0;

        s.stat.anon = 100 * MiB + (busy ? round * MiB / 4 : 0);
        s.stat.file = 50 * MiB + wobble;
        s.stat.kernel = 4 * MiB;
        s.have = MEMCG_HAVE_STAT_KERNEL;
        s.current_bytes = s.stat.anon + s.stat.file + s.stat.kernel;
        s.events.max = busy ? round * 40 : 0;
        return s;
}

static void run(unsigned n, const char *mix, unsigned busy_every)
{
        struct recorder *r = calloc(n, sizeof(*r));
        uint64_t notes = 0, ns = 0;
        size_t heap = 0;

        if (!r)
                abort();
        for (unsigned i = 0; i < n; i++)
                recorder_init(&r[i], 0);
        for (unsigned round = 0; round < ROUNDS; round++) {
                uint64_t t0 = now_ns();
                for (unsigned i = 0; i < n; i++) {
                        struct memcg_sample s = sample_of(i, round, busy_every);
                        recorder_note(&r[i], &s, (uint64_t) round * SEC);
                }
                ns += now_ns() - t0;
                notes += n;
        }
        for (unsigned i = 0; i < n; i++) {
                heap += recorder_heap_bytes(&r[i]) + sizeof(r[i]);
                recorder_done(&r[i]);
        }
        printf("%6u  %-10s %10zu %12.1f %10.1f\n", n, mix, heap / n, (double) heap / 1024.0,
               (double) ns / (double) notes);
        free(r);
}

int main(void)
{
        printf("%6s  %-10s %10s %12s %10s\n", "N", "mix", "B/cont", "total KiB", "ns/note");
        for (unsigned n = 1000; n <= 10000; n *= 10) {
                run(n, "idle", 0);
                run(n, "node (5%)", 20);
                run(n, "busy", 1);
        }
        return 0;
}
