/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "growth.h"

#include <math.h>

void growth_update(struct growth *g, uint64_t now_usec, uint64_t bytes, uint64_t tau_usec)
{
        if (g->n == 0) {
                for (int i = 0; i < 2; i++) {
                        g->base_usec[i] = now_usec;
                        g->base_bytes[i] = bytes;
                }
        } else if (now_usec > g->last_usec) {
                if (now_usec - g->base_usec[1] >= GROWTH_SPAN_USEC) {
                        g->base_usec[0] = g->base_usec[1];
                        g->base_bytes[0] = g->base_bytes[1];
                        g->base_usec[1] = now_usec;
                        g->base_bytes[1] = bytes;
                }
                double span = (double) (now_usec - g->base_usec[0]);
                if (span >= (double) GROWTH_SPAN_USEC)
                        g->instant_bytes_per_sec =
                                ((double) bytes - (double) g->base_bytes[0]) / span * 1e6;
                double dt = (double) (now_usec - g->last_usec);
                double alpha = 1.0 - exp(-dt / (double) tau_usec);
                g->rate_bytes_per_sec += alpha * (g->instant_bytes_per_sec - g->rate_bytes_per_sec);
        } else {
                return; /* no time passed: nothing to learn */
        }
        g->last_usec = now_usec;
        g->n++;
}

bool growth_rate(const struct growth *g, double *ret_bytes_per_sec)
{
        if (g->n < 2)
                return false;
        *ret_bytes_per_sec = g->rate_bytes_per_sec;
        return true;
}
