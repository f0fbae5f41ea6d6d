/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "agent/run.h"
#include "base/exit-status.h"
#include "base/log.h"
#include "cgroupfs/macro.h"
#include "view/explain.h"
#include "view/ps.h"
#include "view/top.h"

static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *summary;
} verbs[] = {
        {"explain", verb_explain, "tell why a container was killed, from the events"},
        {"ps", verb_ps, "show every container's memory once"},
        {"run", verb_run, "the node agent: watch containers, emit events"},
        {"top", verb_top, "a live view of the containers' memory"},
};

static void help(void)
{
        printf("Usage: cgmem [--version] [--help] COMMAND [ARGS]\n"
               "\n"
               "A cgroup v2 memory supervisor for container hosts.\n"
               "\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %s\n", verbs[i].name, verbs[i].summary);
        printf("\n"
               "Run cgmem COMMAND --help for its options.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

int main(int argc, char *argv[])
{
        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                help();
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("cgmem %s\n", CGMEM_VERSION);
                return EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        log_error("unknown command \"%s\"; see cgmem --help", argv[1]);
        return EXIT_USAGE;
}
