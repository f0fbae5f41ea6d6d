/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgmem top: the live per-container memory view, full-screen or batch. */
int verb_top(int argc, char *argv[]);
