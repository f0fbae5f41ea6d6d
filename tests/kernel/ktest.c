/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ktest: the kernel-facing cases. "ktest --list" names them; "ktest CASE" runs
 * one and exits 0 when it passed, 1 when an assertion failed. tests/kernel/run-suite
 * runs each in its own process with a timeout, inside the test VM.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "kt.h"

static const struct kt_case cases[] = {
        {"sample_matches_files", case_sample_matches_files},
        {"oom_kill_counted", case_oom_kill_counted},
        {"high_throttles", case_high_throttles},
        {"psi_trigger_fires_and_reports_gone", case_psi_trigger_fires_and_reports_gone},
        {"kill_empties_forking_cgroup", case_kill_empties_forking_cgroup},
        {"walk_survives_vanishing_cgroups", case_walk_survives_vanishing_cgroups},
        {"ps_lists_guest_cgroups", case_ps_lists_guest_cgroups},
        {"ps_on_pure_v2_needs_no_root", case_ps_on_pure_v2_needs_no_root},
        {"top_in_tmux", case_top_in_tmux},
        {"agent_container_lifecycle", case_agent_container_lifecycle},
        {"agent_pressure_from_trigger", case_agent_pressure_from_trigger},
        {"agent_kernel_memory", case_agent_kernel_memory},
        {"agent_blocked_stdout_drops", case_agent_blocked_stdout_drops},
        {"agent_sighup_reopens_events_file", case_agent_sighup_reopens_events_file},
        {"enforce_runaway_killed", case_enforce_runaway_killed},
        {"enforce_cache_and_steady_untouched", case_enforce_cache_and_steady_untouched},
        {"enforce_fill_98_lives", case_enforce_fill_98_lives},
        {"enforce_sawtooth_lives", case_enforce_sawtooth_lives},
        {"enforce_hot_cache_throughput", case_enforce_hot_cache_throughput},
        {"enforce_runaway_after_cache", case_enforce_runaway_after_cache},
        {"story_leak_among_siblings", case_story_leak_among_siblings},
        {"story_tmpfs_stays", case_story_tmpfs_stays},
        {"enforce_owner_high_after_max", case_enforce_owner_high_after_max},
        {"node_pressure_kills_bloat", case_node_pressure_kills_bloat},
        {"node_pressure_respects_avoid", case_node_pressure_respects_avoid},
        {"node_pressure_dry_run", case_node_pressure_dry_run},
        {"node_grower_killed", case_node_grower_killed},
        {"node_batch_fill_lives", case_node_batch_fill_lives},
        {"node_zram_grower_killed", case_node_zram_grower_killed},
        {"node_k8s_sheds_besteffort", case_node_k8s_sheds_besteffort},
        {"enforce_restart_adopts_band", case_enforce_restart_adopts_band},
        {"enforce_stuck_at_high_killed", case_enforce_stuck_at_high_killed},
        {"enforce_stuck_at_high_released", case_enforce_stuck_at_high_released},
        {"metrics_scraped_by_prometheus", case_metrics_scraped_by_prometheus},
        {"names_hung_runtime_does_not_slow_agent", case_names_hung_runtime_does_not_slow_agent},
        {"names_docker", case_names_docker},
        {"names_docker_label_avoids_kill", case_names_docker_label_avoids_kill},
        {"names_containerd_cri_pod", case_names_containerd_cri_pod},
        {"fault_events_disk_full", case_fault_events_disk_full},
        {"fault_events_file_moved_deleted", case_fault_events_file_moved_deleted},
        {"fault_kmsg_unreadable", case_fault_kmsg_unreadable},
        {"fault_journal_gone", case_fault_journal_gone},
        {"fault_names_helper_killed", case_fault_names_helper_killed},
        {"fault_cgroupfs_read_only", case_fault_cgroupfs_read_only},
        {"fault_cgroup_kill_refused", case_fault_cgroup_kill_refused},
        {"fault_cgroup_removed_mid_write", case_fault_cgroup_removed_mid_write},
        {"deploy_agent_in_cgroup_namespace", case_deploy_agent_in_cgroup_namespace},
        {"deploy_daemonset_in_docker", case_deploy_daemonset_in_docker},
        {"names_podman", case_names_podman},
};

static const struct kt_case *find_case(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (strcmp(name, cases[i].name) == 0)
                        return &cases[i];
        return NULL;
}

int main(int argc, char *argv[])
{
        if (argc == 2 && strcmp(argv[1], "--list") == 0) {
                for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                        puts(cases[i].name);
                return 0;
        }
        const struct kt_case *c = argc == 2 ? find_case(argv[1]) : NULL;
        if (c) {
                c->run();
                return 0;
        }
        fprintf(stderr, "usage: ktest --list | ktest CASE\n");
        return 2;
}
