/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Intrusive doubly linked lists: an item has prev and next pointers, its list is a
 * head pointer (and a tail one where items are appended). The watch table, the name
 * cache, the helper's tracked set and the in-flight requests all keep one. Not about
 * cgroupfs, but shared by both libraries and the supervisor, like macro.h.
 */

/* Puts item first. */
#define LIST_PREPEND(head, item)                                                                   \
        do {                                                                                       \
                (item)->prev = NULL;                                                               \
                (item)->next = (head);                                                             \
                if ((item)->next)                                                                  \
                        (item)->next->prev = (item);                                               \
                (head) = (item);                                                                   \
        } while (0)

/* Puts item last, in a list that keeps its tail. */
#define LIST_APPEND(head, tail, item)                                                              \
        do {                                                                                       \
                (item)->next = NULL;                                                               \
                (item)->prev = (tail);                                                             \
                if ((tail))                                                                        \
                        (tail)->next = (item);                                                     \
                else                                                                               \
                        (head) = (item);                                                           \
                (tail) = (item);                                                                   \
        } while (0)

/* Takes item out of a list that keeps its tail (tail: an lvalue, or a scratch pointer). */
#define LIST_REMOVE_TAIL(head, tail, item)                                                         \
        do {                                                                                       \
                if ((item)->prev)                                                                  \
                        (item)->prev->next = (item)->next;                                         \
                else                                                                               \
                        (head) = (item)->next;                                                     \
                if ((item)->next)                                                                  \
                        (item)->next->prev = (item)->prev;                                         \
                else                                                                               \
                        (tail) = (item)->prev;                                                     \
                (item)->prev = (item)->next = NULL;                                                \
        } while (0)

/* Takes item out of a list that has only a head. */
#define LIST_REMOVE(head, item)                                                                    \
        do {                                                                                       \
                __typeof__(item) list_no_tail_ = NULL;                                             \
                LIST_REMOVE_TAIL(head, list_no_tail_, item);                                       \
                (void) list_no_tail_;                                                              \
        } while (0)
