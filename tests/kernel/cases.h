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
void case_top_in_tmux(void);
void case_agent_container_lifecycle(void);
void case_agent_pressure_from_trigger(void);
void case_agent_kernel_memory(void);
void case_agent_blocked_stdout_drops(void);
void case_enforce_runaway_killed(void);
void case_enforce_cache_and_steady_untouched(void);
void case_enforce_fill_98_lives(void);
void case_enforce_sawtooth_lives(void);
void case_enforce_hot_cache_throughput(void);
void case_story_leak_among_siblings(void);
void case_story_tmpfs_stays(void);
void case_enforce_owner_high_after_max(void);
void case_node_pressure_kills_bloat(void);
void case_node_pressure_respects_avoid(void);
void case_node_pressure_dry_run(void);
void case_node_grower_killed(void);
void case_node_zram_grower_killed(void);
void case_node_k8s_sheds_besteffort(void);
void case_enforce_restart_adopts_band(void);
void case_enforce_stuck_at_high_killed(void);
void case_enforce_stuck_at_high_released(void);
void case_agent_sighup_reopens_events_file(void);
void case_names_docker(void);
void case_names_docker_label_avoids_kill(void);
void case_names_containerd_cri_pod(void);
void case_names_hung_runtime_does_not_slow_agent(void);
