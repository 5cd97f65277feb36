#!/usr/bin/env bash
# The Debian package as a user gets it (issue: one installable package), on a fresh Debian 12:
# cpack builds the .deb from this build folder (cmake/Packaging.cmake), debootstrap makes a
# minimal bookworm root (with bookworm-updates and the security suite, as an installed system
# has), and `apt-get install --no-install-recommends ./musetalk_*.deb` inside it pulls the
# runtime libraries from the package's Depends alone. Then, all inside that root:
#   - no -dev package was pulled, and every file is where the PATH and Debian's OBS 29 look
#     (usr/bin, usr/lib/<triplet>/obs-plugins, usr/share/obs/obs-plugins/musetalk-obs);
#   - `musetalk --version` runs and names OpenBLAS as the BLAS in use, and `musetalk models
#     check` on an empty folder exits 2 with the download hint;
#   - the real OBS application (Debian's obs-studio, installed next to it as a user would),
#     started under Xvfb with a scratch HOME and no plugin path of ours, loads musetalk-obs from
#     the system plugin folder: its log names the module and the source type.
# Needs root with the right to mount (debootstrap, chroot, a mount namespace; not root: exit 77,
# skipped) and Debian's mirrors (MIRROR, SECURITY_MIRROR; http_proxy and https_proxy are passed
# on). About a minute with a nearby mirror; the network steps share a 420 s deadline and OBS
# gets 120 s, inside the test's 600 s, so a slow mirror fails here, with the cleanup, not by
# ctest's kill.
# Usage: package_install_test.sh BUILD_DIR (CPACK: the cpack to run, default cpack)
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ $# -eq 1 ] && [ -d "$1" ] || fail "usage: $0 BUILD_DIR"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: installing into a fresh Debian root needs root (debootstrap, chroot, mount)"
  exit 77
fi
for tool in debootstrap chroot unshare timeout; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install debootstrap util-linux"
done
# The mounts live in a mount namespace of this script's own, so they end with it however it
# ends; OBS runs in a network namespace of its own, so its X display is private too.
if [ -z "${MUSETALK_IN_MOUNT_NS:-}" ]; then
  unshare --mount --net true 2>/dev/null ||
    fail "cannot create mount and network namespaces (unshare): run as root with CAP_SYS_ADMIN (a container needs --privileged)"
  MUSETALK_IN_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

build=$(cd "$1" && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# In the build folder, not /tmp: the root grows to a few GB. One at a time (RUN_SERIAL), so a
# root left by a run that was killed is removed here.
work=$build/package-install-test
root=$work/root
rm -rf --one-file-system "$work"
mkdir -p "$work"
mounts=()
obs_pid=
# Every process whose root is the chroot: OBS and Xvfb, or anything a package script started.
root_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local rc=$?
  set +e
  if [ -n "$obs_pid" ]; then
    kill -TERM -- "-$obs_pid" 2>/dev/null
    for _ in $(seq 1 20); do
      kill -0 -- "-$obs_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$obs_pid" "$obs_pid" 2>/dev/null
    wait "$obs_pid" 2>/dev/null
  fi
  if [ -d "$root" ]; then
    # shellcheck disable=SC2046
    kill -KILL $(root_pids) 2>/dev/null
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -R -l "${mounts[i]}" 2>/dev/null; done
  rm -rf --one-file-system "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A command inside the root with a clean environment (the proxies kept).
root_env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8)
for v in http_proxy https_proxy no_proxy; do
  [ -n "${!v:-}" ] && root_env+=("$v=${!v}")
done
in_root() { chroot "$root" /usr/bin/env -i "${root_env[@]}" "$@"; }
# The network steps share one deadline: each gets what is left of it.
deadline=$((SECONDS + 420))
time_left() {
  local left=$((deadline - SECONDS))
  [ "$left" -gt 0 ] || fail "the network steps took over 420 s: is the mirror reachable?"
  echo "$left"
}
apt_in_root() {  # apt_in_root LOG ARGS...: apt-get with retries, within the deadline
  local log=$1 left
  shift
  left=$(time_left) || exit 1
  timeout -k 10 "$left" chroot "$root" /usr/bin/env -i "${root_env[@]}" \
    apt-get -o Acquire::Retries=3 -y -q "$@" >"$log" 2>&1
}

"${CPACK:-cpack}" --config "$build/CPackConfig.cmake" -B "$work/dist" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the package"; }
deb=$(ls "$work"/dist/*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
echo "Depends: $(dpkg-deb -f "$deb" Depends)"

echo "==> debootstrap bookworm (minbase)"
strapped=
for attempt in 1 2; do
  left=$(time_left) || exit 1
  if timeout -k 10 "$left" debootstrap --variant=minbase bookworm "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
    strapped=yes
    break
  fi
  echo "debootstrap failed (attempt $attempt)"
  rm -rf --one-file-system "$root"
done
[ -n "$strapped" ] || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed from $mirror"; }
# Package scripts start no services in the root (invoke-rc.d's policy hook).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
EOF
mount -t proc proc "$root/proc" || fail "cannot mount /proc in the root"
mounts+=("$root/proc")
mount -t sysfs sysfs "$root/sys" || fail "cannot mount /sys in the root"
mounts+=("$root/sys")
mount --rbind /dev "$root/dev" || fail "cannot bind-mount /dev in the root"
mounts+=("$root/dev")
mount --make-rslave "$root/dev" || fail "cannot make the root's /dev a slave mount"
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "==> apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/musetalk.deb"
apt_in_root "$work/apt-update.log" update ||
  { tail -20 "$work/apt-update.log"; fail "apt-get update failed in the root"; }
before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
apt_in_root "$work/apt.log" install --no-install-recommends /tmp/musetalk.deb ||
  { tail -30 "$work/apt.log"; fail "apt-get could not install the package"; }
after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
echo "installed musetalk and the $((after - before - 1)) packages its Depends pulled"
if in_root dpkg-query -W -f='${Package}\n' | grep -E -- '-dev(:|$)'; then
  fail "installing the package pulled -dev packages"
fi

triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/bin/musetalk "/usr/lib/$triplet/obs-plugins/musetalk-obs.so" \
  /usr/share/obs/obs-plugins/musetalk-obs/locale/en-US.ini /usr/share/doc/musetalk/README.md \
  /usr/share/doc/musetalk/LICENSE /usr/share/doc/musetalk/THIRD_PARTY.md; do
  [ -f "$root$f" ] || fail "the package has no $f"
done

version=$(in_root musetalk --version) || fail "musetalk --version failed"
echo "$version"
grep -q '^musetalk [0-9]' <<<"$version" || fail "musetalk --version printed no version"
grep -q '^BLAS: .*OpenBLAS' <<<"$version" || fail "the installed musetalk does not use OpenBLAS"
in_root mkdir -p /tmp/empty-models
rc=0
check=$(in_root musetalk models check --models /tmp/empty-models 2>&1) || rc=$?
[ "$rc" -eq 2 ] || { echo "$check"; fail "models check on an empty folder exited $rc, not 2"; }
grep -q 'models download' <<<"$check" || { echo "$check"; fail "models check gave no hint"; }

echo "==> Debian's OBS under Xvfb, loading plugins from the system folders only"
apt_in_root "$work/apt-obs.log" install --no-install-recommends obs-studio xvfb xauth ||
  { tail -30 "$work/apt-obs.log"; fail "apt-get could not install obs-studio"; }
home=/tmp/obs-home
mkdir -p "$root$home/.config/obs-studio"
printf '[General]\nFirstRun=true\n' >"$root$home/.config/obs-studio/global.ini"
# A child of this script in a session of its own (the cleanup ends it by its group) and a
# network namespace of its own (X's abstract sockets: display :99 is free there).
setsid unshare --net chroot "$root" /usr/bin/env -i "${root_env[@]}" HOME=$home \
  xvfb-run -n 99 -e /tmp/xvfb.err -s "-screen 0 1280x720x24" obs --minimize-to-tray \
  >"$work/obs.out" 2>&1 &
obs_pid=$!
logs=$root$home/.config/obs-studio/logs
loaded=
for _ in $(seq 1 240); do
  if grep -qs "\[musetalk-obs\] loaded: source type 'musetalk_avatar'" "$logs"/*.txt; then
    loaded=yes
    break
  fi
  kill -0 "$obs_pid" 2>/dev/null || break
  sleep 0.5
done
log=$(ls "$logs"/*.txt 2>/dev/null | head -1) || true
if [ -z "$loaded" ]; then
  [ -n "$log" ] && cat "$log"
  cat "$work/obs.out" "$root/tmp/xvfb.err" 2>/dev/null
  fail "OBS did not log loading musetalk-obs from the installed package"
fi
grep -E "musetalk-obs" "$log"
if grep -q "Failed to load.*musetalk-obs" "$log"; then
  fail "OBS logged a failure for musetalk-obs"
fi
echo "PASS: the package installs on a fresh Debian 12, its tool runs and OBS loads its plugin"
