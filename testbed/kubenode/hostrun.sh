#!/usr/bin/env bash
# Runs kubenode on this machine as a container would, without a container
# runtime: its own network (an eth0 whose route leads nowhere), mount,
# PID, UTS, IPC and cgroup namespaces, pivot_root into a Debian rootfs. For
# developing kubenode; the test bed runs the same rootfs as an image.
#
#   hostrun.sh rootfs DIR              build the rootfs as the image recipe does
#   hostrun.sh run ROOTFS DATADIR [k3s server flags...]
#                                      run `k3s server` there until Ctrl-C;
#                                      DATADIR "tmpfs" mounts one instead
#
# `run` prints the network namespace name; reach the API from the host with
#   nsenter --net=/run/netns/NAME kubectl --kubeconfig ROOTFS/etc/rancher/k3s/k3s.yaml get nodes
# Everything it creates (namespace, cgroups, mounts, processes) goes at exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
packages=containerd,runc,containernetworking-plugins,iptables,conntrack,iproute2,ca-certificates,mount,util-linux,procps,kmod

tooldir() { # newest cached build of a test bed tool
	local d
	d=$(ls -d "${FERRY_CACHE:-$HOME/.cache/ferry}"/tools/"$1"-v*-* 2>/dev/null | grep -v '\.tmp$' | tail -1)
	[ -n "$d" ] || { echo "hostrun: no built $1 under ${FERRY_CACHE:-$HOME/.cache/ferry}/tools: run the test bed build first" >&2; exit 1; }
	echo "$d"
}

cmd_rootfs() {
	local dir=$1 k8s etcd
	k8s=${FERRY_TOOL_KUBERNETES:-$(tooldir kubernetes)}
	etcd=${FERRY_TOOL_ETCD:-$(tooldir etcd)}
	if [ ! -x "$dir/usr/bin/containerd" ]; then
		mmdebstrap --variant=minbase --include="$packages" \
			--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' bookworm "$dir.tmp" http://deb.debian.org/debian
		mv "$dir.tmp" "$dir"
	fi
	install -m 0755 "$k8s"/kube-apiserver "$k8s"/kube-controller-manager "$k8s"/kube-scheduler \
		"$k8s"/kubelet "$k8s"/kube-proxy "$k8s"/kubectl "$etcd"/etcd "$dir"/usr/local/bin/
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$dir"/bin/k3s ./testbed/kubenode)
	mkdir -p "$dir"/etc/rancher/k3s "$dir"/var/lib/rancher/k3s "$dir"/var/lib/kubelet "$dir"/var/log
	echo "hostrun: rootfs ready at $dir" >&2
}

cmd_run() {
	# Not local: the EXIT trap reads them after this function returns.
	rootfs=$(cd "$1" && pwd) data=$2 pid=
	[ "$data" = tmpfs ] || data=$(mkdir -p "$data" && cd "$data" && pwd)
	shift 2
	ns=kubenode-$$ cg=kubenode-$$
	cleanup() {
		set +e
		trap '' INT TERM
		if [ -n "${pid:-}" ]; then
			# unshare's child is PID 1 of the namespace: k3s stops its own
			# children on SIGTERM; killing PID 1 ends every process left.
			init=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
			[ -n "$init" ] && kill -TERM $init 2>/dev/null
			for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
			[ -n "$init" ] && kill -KILL $init 2>/dev/null
			wait "$pid"
		fi
		ip netns del "$ns" 2>/dev/null
		# Leaf cgroups first (kubepods/…), then ours.
		for h in /sys/fs/cgroup/*/"$cg"; do
			[ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		echo "hostrun: cleaned up $ns" >&2
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	# A veth pair with both ends inside: eth0 has an address and a default
	# route (kubelet and the API server need one) that lead nowhere.
	ip -n "$ns" link add eth0 type veth peer name nowhere
	ip -n "$ns" link set nowhere up
	ip -n "$ns" addr add 10.77.0.2/24 dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via 10.77.0.1 dev eth0
	for h in /sys/fs/cgroup/*/; do
		mkdir -p "$h$cg"
		if [ -f "$h"cpuset.cpus ]; then
			cat "$h"cpuset.cpus >"$h$cg"/cpuset.cpus
			cat "$h"cpuset.mems >"$h$cg"/cpuset.mems
		fi
	done
	echo "hostrun: network namespace $ns; logs in $rootfs/var/log/k3s" >&2
	nsenter --net=/run/netns/"$ns" sh -c '
		for h in /sys/fs/cgroup/*/; do [ -d "$h$1" ] && echo $$ >"$h$1"/cgroup.procs; done
		shift
		exec unshare --mount --pid --uts --ipc --cgroup --fork --propagation private "$@"' \
		sh "$cg" bash "$here/hostrun.sh" inner "$rootfs" "$data" "$@" &
	pid=$!
	wait "$pid" || true
	pid=
}

# inner runs as PID 1 of the new namespaces: mount a container's file
# systems, pivot into the rootfs and become `k3s server`.
cmd_inner() {
	local r=$1 data=$2 h
	shift 2
	mount --make-rprivate /
	mount --bind "$r" "$r"
	mount -t proc proc "$r"/proc
	mount -t sysfs sysfs "$r"/sys
	mount -t tmpfs -o mode=755 cgroup "$r"/sys/fs/cgroup
	for h in /sys/fs/cgroup/*/; do
		h=$(basename "$h")
		mkdir -p "$r"/sys/fs/cgroup/"$h"
		case $h in
		unified) mount -t cgroup2 cgroup2 "$r"/sys/fs/cgroup/unified ;;
		systemd) mount -t cgroup -o none,name=systemd cgroup "$r"/sys/fs/cgroup/systemd ;;
		*) mount -t cgroup -o "$h" cgroup "$r"/sys/fs/cgroup/"$h" ;;
		esac
	done
	mount --rbind /dev "$r"/dev
	mount -t tmpfs tmpfs "$r"/run
	mount -t tmpfs tmpfs "$r"/tmp
	mount -t tmpfs tmpfs "$r"/var/lib/kubelet # fresh, as in a new container
	rm -rf "$r"/var/log/k3s
	if [ "$data" = tmpfs ]; then # as Dagger's WithMountedTemp
		mount -t tmpfs tmpfs "$r"/var/lib/rancher/k3s
	else
		mount --bind "$data" "$r"/var/lib/rancher/k3s
	fi
	cp /etc/resolv.conf "$r"/etc/resolv.conf
	printf '127.0.0.1 localhost\n127.0.0.1 registry\n' >"$r"/etc/hosts
	hostname kubenode
	cd "$r"
	mkdir -p .oldroot
	pivot_root . .oldroot
	cd /
	umount -l /.oldroot
	rmdir /.oldroot
	# HOSTRUN_EXEC replaces k3s with a command, for poking around.
	[ -z "${HOSTRUN_EXEC:-}" ] || exec sh -c "$HOSTRUN_EXEC"
	exec /bin/k3s server "$@"
}

[ "$(id -u)" = 0 ] || { echo "hostrun: run as root" >&2; exit 1; }
case ${1:-} in
rootfs) shift; cmd_rootfs "$@" ;;
run) shift; cmd_run "$@" ;;
inner) shift; cmd_inner "$@" ;;
*) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
