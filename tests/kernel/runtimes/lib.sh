# shellcheck shell=bash disable=SC2034
# Shared by start-docker, start-containerd-cri and stop-all (sourced, not run).
# Real Docker and containerd in the test VM: daemons on tmpfs state, each in
# a cgroup of its own, and an image made locally from busybox-static.
#
# Everything here is for the throwaway test VM (tests/vm/run): it mounts
# tmpfs over /var/lib/docker and /var/lib/containerd and starts root daemons.
# Refuses to run anywhere else.

rt_prog=$(basename "$0")
rt_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Where things live; the sockets are the runtimes' usual defaults, so an agent
# finds them without being told.
RT_STATE=${RT_STATE:-/run/cgmem-runtimes}             # configs, pid files, the images
RT_LOGS=${RT_LOGS:-/tmp}                              # <daemon>.log
RT_CGROUP=${RT_CGROUP-/sys/fs/cgroup/cgmem-runtimes} # daemons' cgroups (empty: stay put)
CONTAINERD_SOCK=${CONTAINERD_SOCK:-/run/containerd/containerd.sock}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
PODMAN_SOCK=${PODMAN_SOCK:-/run/podman/podman.sock}     # podman.socket's, rootful
RT_IMAGE=cgmem-test/busybox:1      # Cmd ["sh"]
RT_PAUSE_IMAGE=cgmem-test/pause:1  # same root, Cmd sleeps "forever": the CRI sandbox

# Debian's programs, not a newer client that may sit earlier in PATH.
CONTAINERD=/usr/bin/containerd
CTR=/usr/bin/ctr
DOCKERD=/usr/sbin/dockerd
DOCKER=/usr/bin/docker
PODMAN=/usr/bin/podman
PYTHON=/usr/bin/python3
BUSYBOX=/bin/busybox

# RT_VERBOSE=1: one line per phase on stderr, with the seconds since the start.
rt_t0=$(date +%s%N)
rt_note() {
	[ "${RT_VERBOSE:-0}" = 1 ] || return 0
	local ms=$((($(date +%s%N) - rt_t0) / 1000000))
	printf '%s: %d.%03d s %s\n' "$rt_prog" $((ms / 1000)) $((ms % 1000)) "$*" >&2
}

rt_die() {
	printf '%s: %s\n' "$rt_prog" "$*" >&2
	exit 1
}

# rt_die_log LOG MESSAGE: fails with the tail of a daemon's log.
rt_die_log() {
	local log=$1
	shift
	printf '%s: %s\n' "$rt_prog" "$*" >&2
	if [ -f "$log" ]; then
		printf '%s: last lines of %s:\n' "$rt_prog" "$log" >&2
		tail -n 25 "$log" | sed 's/^/    /' >&2
	fi
	exit 1
}

rt_require_vm() {
	[ "$(id -u)" = 0 ] || rt_die "needs root"
	[ "${CGMEM_VM:-}" = 1 ] || rt_die "only for the test VM (tests/vm/run sets CGMEM_VM=1)"
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || rt_die "/sys/fs/cgroup is not cgroup v2"
	local p
	for p in "$@"; do
		[ -x "$p" ] || rt_die "$p is missing (install its Debian package on the host)"
	done
	mkdir -p "$RT_STATE"
	rt_quiet_system_units
	# One at a time: start-docker and start-containerd-cri both start containerd.
	exec 9>"$RT_STATE/lock"
	flock 9
}

# Under --systemd the guest boots the host's own units: docker.socket would
# start the distribution's docker.service (and containerd.service) on the first
# request to /var/run/docker.sock, with state on the overlay root, which fails.
# Stop and mask them for this boot (runtime mask: gone at power-off anyway).
rt_quiet_system_units() {
	[ -d /run/systemd/system ] || return 0
	[ -f "$RT_STATE/units-masked" ] && return 0
	systemctl stop docker.socket docker.service containerd.service podman.socket podman.service >/dev/null 2>&1
	systemctl mask --runtime docker.socket docker.service containerd.service podman.socket podman.service >/dev/null 2>&1
	: >"$RT_STATE/units-masked"
}

# rt_tmpfs DIR: a fresh tmpfs on DIR unless one is already there. overlay2 and
# the overlayfs snapshotter cannot use the guest's overlay root as upper dir.
rt_tmpfs() {
	mkdir -p "$1"
	[ "$(stat -fc %T "$1")" = tmpfs ] && return 0
	mount -t tmpfs -o mode=0711 tmpfs "$1" || rt_die "cannot mount a tmpfs on $1"
}

# rt_alive NAME: the daemon this script started as NAME is still running.
rt_alive() {
	local pid
	[ -f "$RT_STATE/$1.pid" ] && read -r pid <"$RT_STATE/$1.pid" && kill -0 "$pid" 2>/dev/null
}

# rt_spawn NAME CMD...: starts a daemon in its own session, in the cgroup
# $RT_CGROUP/NAME (like a service of its own, so a test's cgroup cleanup does
# not kill it), output to $RT_LOGS/NAME.log, pid in $RT_STATE/NAME.pid.
rt_spawn() {
	local name=$1 cg=''
	shift
	if [ -n "$RT_CGROUP" ]; then
		cg=$RT_CGROUP/$name
		mkdir -p "$cg" || rt_die "cannot make cgroup $cg"
		# memory and pids in the parent, so limits and accounting work below it.
		echo "+memory +pids" >"$(dirname "$RT_CGROUP")/cgroup.subtree_control" 2>/dev/null
		echo "+memory +pids" >"$RT_CGROUP/cgroup.subtree_control" 2>/dev/null
	fi
	# The subshell moves itself into the cgroup, then becomes the daemon.
	# It writes its own pid: setsid may fork, so $! is not always the daemon.
	# fd 9 (the lock) is not passed on, or the daemon would hold it for good.
	rm -f "$RT_STATE/$name.pid"
	setsid bash -c 'echo $$ >"$1"
		if [ -n "$2" ]; then echo $$ >"$2/cgroup.procs" || { echo "cannot join cgroup $2" >&2; exit 111; }; fi
		shift 2; exec "$@"' rt-spawn "$RT_STATE/$name.pid" "$cg" "$@" </dev/null >>"$RT_LOGS/$name.log" 2>&1 9>&- &
	local i
	for i in $(seq 50); do
		[ -s "$RT_STATE/$name.pid" ] && return 0
		sleep 0.1
	done
	rt_die_log "$RT_LOGS/$name.log" "$name did not start"
}

# rt_wait SECONDS NAME LOG CHECK...: polls CHECK every 0.2 s until it succeeds;
# fails with the log tail when the daemon died or the time ran out.
rt_wait() {
	local secs=$1 name=$2 log=$3 end
	shift 3
	end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		rt_alive "$name" || rt_die_log "$log" "$name exited while starting"
		[ "$SECONDS" -lt "$end" ] || rt_die_log "$log" "$name did not answer within $secs s"
		sleep 0.2
	done
}

# Busybox-static and its applet links: the whole root of the test images.
# Makes $RT_STATE/rootfs.tar once per boot.
rt_rootfs_tar() {
	local tar=$RT_STATE/rootfs.tar
	[ -s "$tar" ] && return 0
	[ -x "$BUSYBOX" ] || rt_die "$BUSYBOX is missing (install busybox-static on the host)"
	# A dynamic busybox would need its libraries in the image.
	if ! "$BUSYBOX" --list >/dev/null 2>&1 ||
		LD_TRACE_LOADED_OBJECTS=1 "$BUSYBOX" 2>/dev/null | grep -q 'libc\.so'; then
		rt_die "$BUSYBOX is not busybox-static"
	fi
	"$PYTHON" "$rt_here/mkimage" rootfs "$BUSYBOX" "$tar.new" && mv "$tar.new" "$tar" ||
		rt_die "cannot make $tar"
	rt_note "rootfs.tar made"
}

# containerd, shared by dockerd (namespace "moby") and the CRI plugin
# (namespace "k8s.io"), on its default socket, state on tmpfs.
rt_containerd_answers() {
	"$CTR" --address "$CONTAINERD_SOCK" --timeout 2s version
}

rt_start_containerd() {
	local conf=$RT_STATE/containerd.toml log=$RT_LOGS/containerd.log
	if rt_alive containerd; then
		rt_wait 60 containerd "$log" rt_containerd_answers
		return 0
	fi
	# One not started by us (a host service in a --systemd guest, say) will not
	# have our CRI settings: refuse rather than use it.
	if [ -S "$CONTAINERD_SOCK" ] && rt_containerd_answers >/dev/null 2>&1; then
		rt_die "a containerd not started by $rt_prog answers on $CONTAINERD_SOCK"
	fi
	rt_tmpfs /var/lib/containerd
	mkdir -p "$RT_STATE/cni" "$(dirname "$CONTAINERD_SOCK")"
	cat >"$conf" <<EOF
# Written by tests/kernel/runtimes (cgmem test VM). See its README.md.
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    # Imported locally by start-containerd-cri; never pulled.
    sandbox_image = "docker.io/$RT_PAUSE_IMAGE"
    # No AppArmor profile loading (the guest has no policy), no SELinux.
    disable_apparmor = true
    enable_selinux = false
    # Pods run on the host network: CNI is never called, the config dir stays empty.
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$RT_STATE/cni"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          # cgroupfs paths (/kubepods/...), as kubelet's cgroupfs driver.
          SystemdCgroup = false
  [plugins."io.containerd.internal.v1.opt"]
    path = "$RT_STATE/opt"
EOF
	rt_spawn containerd "$CONTAINERD" --config "$conf"
	rt_wait 60 containerd "$log" rt_containerd_answers
	rt_note "containerd answers"
}

# podman's configuration for the guest, in the environment of every podman call:
# cgroupfs (no systemd in the plain guest, so containers sit in
# /libpod_parent/libpod-<id>), crun, events to a file (no journal), no network
# (no CNI in the guest), storage on the tmpfs start-podman mounts.
rt_podman_env() {
	export CONTAINERS_CONF=$RT_STATE/containers.conf CONTAINERS_STORAGE_CONF=$RT_STATE/storage.conf
	[ -f "$CONTAINERS_CONF" ] && [ -f "$CONTAINERS_STORAGE_CONF" ] && return 0
	mkdir -p "$RT_STATE"
	cat >"$CONTAINERS_CONF" <<CONF
# Written by tests/kernel/runtimes (cgmem test VM). See its README.md.
[containers]
netns = "none"
cgroupns = "private"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RT_LOGS/podman-events.log"
runtime = "crun"
CONF
	cat >"$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "overlay"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
CONF
}
