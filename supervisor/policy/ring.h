/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The bookkeeping of a history ring of cap points (the array is the caller's):
 * the newest point is always the latest sample, older ones are kept a spacing
 * apart, so that a short ring covers a long enough past.
 */

#include <stdbool.h>

struct ring {
        unsigned len;  /* points kept, up to cap */
        unsigned head; /* slot of the newest */
};

/* The slot of the point n steps back (0: newest), or -1 when there is none. */
static inline int ring_slot(const struct ring *r, unsigned cap, unsigned n)
{
        return n < r->len ? (int) ((r->head + cap - n) % cap) : -1;
}

/*
 * The slot the latest sample goes in: a fresh one when the newest point is
 * worth keeping (it is a spacing past the one before it, or there is no point
 * before it), else the newest, overwritten.
 */
static inline unsigned ring_next(struct ring *r, unsigned cap, bool keep_newest)
{
        if (keep_newest) {
                r->head = (r->head + 1) % cap;
                if (r->len < cap)
                        r->len++;
        }
        return r->head;
}
