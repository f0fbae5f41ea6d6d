/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel-facing cases; each runs as its own process (see ktest.c). */

void case_sample_matches_files(void);
void case_oom_kill_counted(void);
void case_high_throttles(void);
void case_psi_trigger_fires_and_reports_gone(void);
void case_kill_empties_forking_cgroup(void);
void case_walk_survives_vanishing_cgroups(void);
void case_ps_lists_guest_cgroups(void);
void case_ps_on_pure_v2_needs_no_root(void);
void case_agent_container_lifecycle(void);
void case_agent_pressure_from_trigger(void);
void case_agent_kernel_memory(void);
void case_agent_blocked_stdout_drops(void);
