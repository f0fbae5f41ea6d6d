/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgmem explain: a container's last kill or OOM kill, told from the events file. */
int verb_explain(int argc, char *argv[]);
