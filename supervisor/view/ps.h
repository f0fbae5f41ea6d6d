/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgmem ps: a one-shot table of the containers' memory. */
int verb_ps(int argc, char *argv[]);
