/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names-session.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "base/time-util.h"

struct names_config names_config_of(const struct cgmem_config *c)
{
        return (struct names_config){
                .docker_socket = c->docker_socket,
                .podman_socket = c->podman_socket,
                .containerd_socket = c->containerd_socket,
                .crio_socket = c->crio_socket,
                .timeout_usec = c->runtime_timeout_usec,
                .ttl_usec = c->names_ttl_usec,
                .retry_max_usec = c->names_retry_max_usec,
        };
}

void names_session_open(struct names_session *s, const char *config_path)
{
        struct config_error err;

        *s = (struct names_session){0};
        config_init_defaults(&s->config);
        if (config_load_file(&s->config, config_path ?: CONFIG_DEFAULT_PATH, !!config_path, &err) <
            0) {
                log_warning("%s: %s; containers are shown by their cgroup paths", err.where,
                            err.message);
                return;
        }
        struct names_config nc = names_config_of(&s->config);

        nc.quiet_absent = true;
        if (sd_event_new(&s->loop) < 0 || names_new(s->loop, &nc, NULL, NULL, &s->names) < 0)
                s->names = NULL;
}

void names_session_close(struct names_session *s)
{
        names_free(s->names);
        sd_event_unref(s->loop);
        config_free(&s->config);
        *s = (struct names_session){0};
}

void names_session_wait(struct names_session *s)
{
        uint64_t deadline = now_usec() + s->config.runtime_timeout_usec;

        while (s->names && names_busy(s->names) > 0) {
                uint64_t now = now_usec();
                if (now >= deadline)
                        break;
                if (sd_event_run(s->loop, deadline - now) < 0)
                        break;
        }
}

int names_session_fd(const struct names_session *s)
{
        return s->names ? sd_event_get_fd(s->loop) : -EBADF;
}

void names_session_dispatch(struct names_session *s)
{
        if (s->names)
                (void) sd_event_run(s->loop, 0);
}

const struct container_meta *names_session_meta(struct names_session *s, const char *path,
                                                struct container_identity *ret_id)
{
        if (identity_from_path(path, ret_id) < 0)
                *ret_id = (struct container_identity){0};
        names_track(s->names, ret_id);
        return names_get(s->names, ret_id->id);
}
