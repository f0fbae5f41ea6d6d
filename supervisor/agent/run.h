/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgmem run: the node agent. */
int verb_run(int argc, char *argv[]);
