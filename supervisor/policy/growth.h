/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How fast a footprint grows: the one estimator cgmem has, so that what cgmem
 * top shows is the rate a kill event reports. The instant rate is taken over at
 * least GROWTH_SPAN_USEC (calls come from notifications milliseconds apart as
 * well as from rounds: 1 MiB in 5 ms reads as 200 MiB/s), from a base point
 * that moves forward in such steps; the smoothed rate follows it with a time
 * constant (an EWMA whose weight comes from the time elapsed).
 */

#include <stdbool.h>
#include <stdint.h>

#define GROWTH_SPAN_USEC UINT64_C(250000)

struct growth {
        uint64_t n;                           /* samples seen */
        uint64_t last_usec;                   /* of the last sample */
        uint64_t base_usec[2], base_bytes[2]; /* two older points the instant rate is taken from */
        double instant_bytes_per_sec;
        double rate_bytes_per_sec; /* smoothed */
};

/* A sample of bytes at now_usec; tau_usec is the smoothing's time constant. */
void growth_update(struct growth *g, uint64_t now_usec, uint64_t bytes, uint64_t tau_usec);

/* The smoothed rate, once there are two samples (false before). */
bool growth_rate(const struct growth *g, double *ret_bytes_per_sec);
