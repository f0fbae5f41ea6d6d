/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Docker Engine API bodies (docker.h). Shapes follow the API reference
 * (docs.docker.com/engine/api/, SystemVersion, ContainerInspectResponse,
 * EventMessage) and what dockerd 20.10 and Podman 4's compat API actually send:
 * see tests/fixtures/runtimes/. Unknown members are ignored, as are members we do
 * not read; a member we read must have the type the API gives it, and JSON null
 * counts as "not said" (Go writes nil maps and pointers as null).
 */
#include "docker.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/macro.h"
#include "json-member.h"

/*
 * JSON_DECODE_INT_AS_REAL: jansson refuses integers beyond int64 and the bodies
 * carry numbers we never read (sizes, timestamps; Go's uint64 can exceed int64),
 * so one large number must not fail the whole body. JSON_REJECT_DUPLICATES: Go
 * never writes a key twice; a body that does is not one a daemon sent. Without
 * JSON_ALLOW_NUL, strings with \u0000 are refused, so every string is a C string.
 */
#define DOCKER_JSON_FLAGS (JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES)

static json_t *json_parse(const char *buf, size_t len)
{
        json_error_t error;
        return json_loadb(buf, len, DOCKER_JSON_FLAGS, &error);
}

/*
 * The string member key of object: 0 and *ret NULL when it is missing or null,
 * 0 and *ret the string, -EBADMSG for another type.
 */
struct api_version {
        unsigned major;
        unsigned minor;
};

#define API_VERSION_DIGITS_MAX 6

/* A decimal number of 1 to 6 digits, no leading zero; *p moves past it. */
static bool version_number(const char **p, unsigned *ret)
{
        const char *s = *p;
        unsigned v = 0;
        size_t n = 0;

        while (s[n] >= '0' && s[n] <= '9') {
                if (n == API_VERSION_DIGITS_MAX)
                        return false;
                v = v * 10 + (unsigned) (s[n] - '0');
                n++;
        }
        if (n == 0 || (n > 1 && s[0] == '0'))
                return false;
        *p = s + n;
        *ret = v;
        return true;
}

/* "major.minor", the whole string, as Docker writes API versions. */
static bool version_parse(const char *s, struct api_version *ret)
{
        struct api_version v;

        if (!version_number(&s, &v.major) || *s != '.')
                return false;
        s++;
        if (!version_number(&s, &v.minor) || *s != '\0')
                return false;
        *ret = v;
        return true;
}

static int version_cmp(struct api_version a, struct api_version b)
{
        if (a.major != b.major)
                return a.major < b.major ? -1 : 1;
        if (a.minor != b.minor)
                return a.minor < b.minor ? -1 : 1;
        return 0;
}

/* The lower of ours and the daemon's, if the daemon's minimum (when said) allows it. */
static int choose_version(const char *server_s, const char *server_min_s, char ret[static 16])
{
        struct api_version ours_max, ours_min, server, chosen;
        int n;

        if (!version_parse(DOCKER_API_VERSION_MAX, &ours_max) ||
            !version_parse(DOCKER_API_VERSION_MIN, &ours_min))
                return -EINVAL; /* not reached: the constants parse */
        if (!server_s || !version_parse(server_s, &server))
                return -EBADMSG;

        chosen = version_cmp(server, ours_max) < 0 ? server : ours_max;
        if (version_cmp(chosen, ours_min) < 0)
                return -ENOTSUP;
        if (server_min_s) {
                struct api_version server_min;

                if (!version_parse(server_min_s, &server_min))
                        return -EBADMSG;
                if (version_cmp(chosen, server_min) < 0)
                        return -ENOTSUP;
        }

        n = snprintf(ret, 16, "%u.%u", chosen.major, chosen.minor);
        if (n < 0 || n >= 16)
                return -EINVAL; /* not reached: at most 6 digits each */
        return 0;
}

int docker_negotiate_version(const char *version_json, size_t len, char ret[static 16])
{
        json_auto_t *root = NULL;
        const char *server_s, *server_min_s;

        if (!version_json)
                return -EINVAL;
        root = json_parse(version_json, len);
        if (!json_is_object(root))
                return -EBADMSG;
        if (json_member_string(root, "ApiVersion", &server_s) < 0)
                return -EBADMSG;
        /* Old daemons (Docker 1.11) have no MinAPIVersion: they accept anything older. */
        if (json_member_string(root, "MinAPIVersion", &server_min_s) < 0)
                return -EBADMSG;
        return choose_version(server_s, server_min_s, ret);
}

int docker_negotiate_ping(const char *api_version, char ret[static 16])
{
        struct api_version ours_max, server;

        if (!version_parse(DOCKER_API_VERSION_MAX, &ours_max))
                return -EINVAL; /* not reached: the constant parses */
        if (!api_version || !version_parse(api_version, &server))
                return -EBADMSG;
        if (version_cmp(server, ours_max) > 0)
                return -ERANGE;
        return choose_version(api_version, NULL, ret);
}

/* Labels cri-dockerd (and dockershim before it) set on what it creates. */
#define LABEL_DOCKER_TYPE         "io.kubernetes.docker.type"
#define LABEL_DOCKER_TYPE_SANDBOX "podsandbox"
#define LABEL_SANDBOX_ID          "io.kubernetes.sandbox.id"
/* Docker has no annotations: cri-dockerd stores CRI annotations as labels with this prefix. */
#define LABEL_ANNOTATION_PREFIX "annotation."

static int annotations_from_labels(struct container_meta *m)
{
        size_t plen = strlen(LABEL_ANNOTATION_PREFIX);

        for (size_t i = 0; i < m->n_labels; i++) {
                const char *k = m->labels[i].key;
                int r;

                if (strncmp(k, LABEL_ANNOTATION_PREFIX, plen) != 0 || k[plen] == '\0')
                        continue;
                r = container_meta_add_annotation(m, k + plen, m->labels[i].value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The Kubernetes view of a container cri-dockerd made: what the labels say. */
static int kubernetes_from_docker_labels(struct container_meta *m)
{
        const char *type = container_meta_label(m, LABEL_DOCKER_TYPE);
        int r;

        if (!type)
                return 0; /* not kubelet's */
        m->sandbox = strcmp(type, LABEL_DOCKER_TYPE_SANDBOX) == 0;
        r = container_meta_kubernetes_from_labels(m);
        if (r < 0)
                return r;
        /* A sandbox is its own pod's sandbox; a container names its sandbox in a label. */
        r = json_member_set_string(&m->pod_sandbox_id,
                                   m->sandbox ? m->id : container_meta_label(m, LABEL_SANDBOX_ID));
        if (r < 0)
                return r;
        return annotations_from_labels(m);
}

int docker_parse_inspect(const char *json, size_t len, struct container_meta *ret)
{
        _cleanup_(container_meta_done) struct container_meta m = {};
        json_auto_t *root = NULL;
        json_t *config, *labels = NULL;
        const char *id, *name, *image = NULL, *image_id;
        int r;

        if (!json || !ret)
                return -EINVAL;
        root = json_parse(json, len);
        if (!json_is_object(root))
                return -EBADMSG;

        if (json_member_string(root, "Id", &id) < 0 || !container_id_valid(id))
                return -EBADMSG;
        if (json_member_string(root, "Name", &name) < 0 ||
            json_member_string(root, "Image", &image_id) < 0 ||
            json_member_object(root, "Config", &config) < 0)
                return -EBADMSG;
        if (config && (json_member_string(config, "Image", &image) < 0 ||
                       json_member_object(config, "Labels", &labels) < 0))
                return -EBADMSG;

        m.id = strdup(id);
        if (!m.id)
                return -ENOMEM;
        /* Docker names start with '/' (a legacy of links: /web, /app/db). */
        if (name && name[0] == '/')
                name++;
        if ((r = json_member_set_string(&m.name, name)) < 0)
                return r;
        if ((r = json_member_set_string(&m.image, image && *image ? image : image_id)) < 0)
                return r;
        if ((r = container_meta_add_labels_json(&m, labels)) < 0)
                return r;
        if ((r = kubernetes_from_docker_labels(&m)) < 0)
                return r;

        *ret = m;
        m = (struct container_meta){};
        return 0;
}

static const struct {
        const char *name;
        enum docker_event_action action;
} event_actions[] = {
        {"create", DOCKER_EVENT_CREATE}, {"start", DOCKER_EVENT_START},
        {"rename", DOCKER_EVENT_RENAME}, {"update", DOCKER_EVENT_UPDATE},
        {"die", DOCKER_EVENT_DIE},       {"destroy", DOCKER_EVENT_DESTROY},
};

const char *docker_event_action_to_string(enum docker_event_action a)
{
        if (a == DOCKER_EVENT_OTHER)
                return "other";
        for (size_t i = 0; i < ELEMENTSOF(event_actions); i++)
                if (event_actions[i].action == a)
                        return event_actions[i].name;
        return NULL;
}

int docker_parse_event(const char *line, size_t len, struct docker_event *ret)
{
        json_auto_t *root = NULL;
        json_t *actor;
        const char *type, *action, *id = NULL;
        struct docker_event ev = {.action = DOCKER_EVENT_OTHER};

        if (!line || !ret)
                return -EINVAL;
        root = json_parse(line, len);
        if (!json_is_object(root))
                return -EBADMSG;

        if (json_member_string(root, "Type", &type) < 0 || !type)
                return -EBADMSG;
        if (strcmp(type, "container") != 0)
                return -ENOMSG;

        /* "status" and "id" are the pre-1.22 fields Docker long kept beside Action
         * and Actor for container events; either pair will do. */
        if (json_member_string(root, "Action", &action) < 0)
                return -EBADMSG;
        if (!action && json_member_string(root, "status", &action) < 0)
                return -EBADMSG;
        if (!action || !*action)
                return -EBADMSG;
        if (json_member_object(root, "Actor", &actor) < 0 ||
            (actor && json_member_string(actor, "ID", &id) < 0))
                return -EBADMSG;
        if ((!id || !*id) && json_member_string(root, "id", &id) < 0)
                return -EBADMSG;
        if (!container_id_valid(id))
                return -EBADMSG;

        /* Exact matches only: exec and health events carry their details in the
         * action ("exec_start: sh -c ...", "health_status: healthy"). */
        for (size_t i = 0; i < ELEMENTSOF(event_actions); i++)
                if (strcmp(action, event_actions[i].name) == 0)
                        ev.action = event_actions[i].action;
        memcpy(ev.id, id, CONTAINER_ID_LEN + 1);

        *ret = ev;
        return 0;
}
