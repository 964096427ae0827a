#!/bin/bash
# systemd-sandbox.sh start|stop|exec: a real systemd (with journald and the D-Bus system bus) as PID 1
# of private pid/mount/cgroup/uts/ipc namespaces on a throw-away overlay of the host root.
#   start           -> (SDCI_BIND=dir1:dir2 binds host dirs at the same path inside) prints "export SDCI_DIR=... SDCI_PID=... DBUS_SYSTEM_BUS_ADDRESS=..." (eval it)
#   exec CMD...     -> run CMD inside the instance (nsenter mount+pid ns), e.g. systemctl, journalctl
#   stop            -> poweroff, fall back to SIGKILL of the namespace init, remove cgroup + work dir
set -euo pipefail

start() {
  local W CG2 CG i
  W=$(mktemp -d /tmp/sdci.XXXXXX)
  mkdir -p "$W/run" "$W/units" "$W/share" "$W/ovl"
  CG2=$(findmnt -n -t cgroup2 -o TARGET | head -n1)          # /sys/fs/cgroup/unified here
  [ -n "$CG2" ] || { echo "no cgroup2 mount" >&2; return 1; }
  CG=$CG2/$(basename "$W"); mkdir "$CG"; echo "$CG" > "$W/cgroup"

  # /etc/systemd/system of the instance == $W/units (host's enabled units are NOT visible)
  cat > "$W/units/ci.target" <<'UNIT'
[Unit]
Description=CI test target
Requires=basic.target dbus.socket
Wants=dbus.service
After=basic.target dbus.socket
AllowIsolate=yes
UNIT

  cat > "$W/inner.sh" <<'INNER'
#!/bin/bash
set -euo pipefail
W=$1
export LIBMOUNT_UTAB=$W/utab        # keep util-linux mount's utab/lock files off the host's on-disk /run
mapfile -t st < /proc/self/status          # builtin: "self" is this shell, host /proc still mounted
for l in "${st[@]}"; do [[ $l == NSpid:* ]] && set -- $l && echo "$2" > "$W/pid.tmp"; done
mv "$W/pid.tmp" "$W/pid"
mount --make-rprivate /
mount -t tmpfs -o mode=755 sdci-hide-hostrun /run   # host /run is on disk: keep libmount's utab etc. off it
mount -t tmpfs -o mode=755 sdci-ovl "$W/ovl"
mkdir "$W/ovl/upper" "$W/ovl/work" "$W/ovl/root"
R=$W/ovl/root
mount -t overlay sdci-root -o "lowerdir=/,upperdir=$W/ovl/upper,workdir=$W/ovl/work" "$R"
mount -t proc proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro "$R/proc/sys"
if [ -e "$R/proc/sysrq-trigger" ]; then mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"; mount -o remount,bind,ro "$R/proc/sysrq-trigger"; fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"   # rooted at our cgroup (cgroupns)
mount -t tmpfs -o mode=755,nosuid,size=16m sdci-dev "$R/dev"
for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777,nosuid,nodev sdci-shm "$R/dev/shm"
mount --bind "$W/run" "$R/run"                     # instance /run == host $W/run (sockets, journal)
mount -t tmpfs -o mode=1777,nosuid,nodev sdci-tmp "$R/tmp"
# Host paths the instance must see as they are (e.g. a checkout under /tmp, hidden by the tmpfs above).
IFS=: read -ra binds <<< "${SDCI_BIND:-}"
for b in "${binds[@]}"; do [ -d "$b" ] && mkdir -p "$R$b" && mount --bind "$b" "$R$b"; done
mount --bind "$W/units" "$R/etc/systemd/system"
mkdir -p "$R/ci"; mount --bind "$W/share" "$R/ci"   # host $W/share == /ci inside
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' > "$R/etc/systemd/journald.conf.d/sdci.conf"
cd "$R"; mkdir -p .oldroot; pivot_root . .oldroot; umount -l /.oldroot; rmdir /.oldroot
exec env -i container=sdci PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  setpriv --bounding-set -sys_module,-sys_time \
  /usr/lib/systemd/systemd --unit=ci.target
INNER
  chmod +x "$W/inner.sh"
  ( echo "$BASHPID" > "$CG/cgroup.procs"
    exec setsid unshare --kill-child=SIGKILL --cgroup --pid --fork --mount --uts --ipc --propagation private \
         "$W/inner.sh" "$W" ) >"$W/console.log" 2>&1 </dev/null &
  echo $! > "$W/unshare.pid"
  local U; U=$(cat "$W/unshare.pid")
  fail() { echo "sdci: $1" >&2; cat "$W/console.log" >&2; SDCI_DIR=$W stop; return 1; }
  for i in $(seq 1 300); do [ -s "$W/pid" ] && break; kill -0 "$U" 2>/dev/null || break; sleep 0.05; done
  [ -s "$W/pid" ] || { fail "instance did not start"; return 1; }
  # wait for boot to finish (ci.target reached)
  local state=""
  for i in $(seq 1 600); do
    state=$(nsenter -t "$(cat "$W/pid")" -m -p systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) break;; esac
    kill -0 "$U" 2>/dev/null || break; sleep 0.05
  done
  case $state in running|degraded) ;; *) fail "boot not finished (state=$state)"; return 1;; esac
  for i in $(seq 1 200); do   # systemd has also registered org.freedesktop.systemd1 on the system bus
    busctl --address="unix:path=$W/run/dbus/system_bus_socket" get-property org.freedesktop.systemd1 \
      /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager Version >/dev/null 2>&1 && break; sleep 0.05
  done
  echo "export SDCI_DIR=$W SDCI_PID=$(cat "$W/pid") DBUS_SYSTEM_BUS_ADDRESS=unix:path=$W/run/dbus/system_bus_socket"
}

stop() {
  local W=${SDCI_DIR:?} P U i
  P=$(cat "$W/pid" 2>/dev/null || true); U=$(cat "$W/unshare.pid" 2>/dev/null || true)
  if [ -n "$P" ] && kill -0 "$P" 2>/dev/null; then
    kill -s RTMIN+4 "$P" || true                        # = systemctl poweroff inside
    for i in $(seq 1 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$P" 2>/dev/null && kill -KILL "$P" || true # kills every process of the pid namespace
  fi
  if [ -n "$U" ]; then for i in $(seq 1 50); do kill -0 "$U" 2>/dev/null || break; sleep 0.1; done; fi
  [ -f "$W/cgroup" ] && find "$(cat "$W/cgroup")" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  rm -rf "$W"
}

cmd=${1:-}; shift || true
case $cmd in
  start) start ;;
  stop)  stop ;;
  exec)  exec nsenter -t "${SDCI_PID:?}" -m -p "$@" ;;
  *) echo "usage: $0 start|stop|exec CMD..." >&2; exit 2 ;;
esac
