#!/usr/bin/env bash
# The Debian package as a user gets it (issue: one installable package), on a fresh Debian 12:
# cpack builds the .deb from this build folder (cmake/Packaging.cmake), debootstrap makes a
# minimal bookworm root, and `apt-get install --no-install-recommends ./musetalk_*.deb` inside it
# pulls the runtime libraries from the package's Depends alone. Then, all inside that root:
#   - no -dev package was pulled, and every file is where the PATH and Debian's OBS 29 look
#     (usr/bin, usr/lib/<triplet>/obs-plugins, usr/share/obs/obs-plugins/musetalk-obs);
#   - `musetalk --version` runs and names OpenBLAS as the BLAS in use, and `musetalk models
#     check` on an empty folder exits 2 with the download hint;
#   - the real OBS application (Debian's obs-studio, installed next to it as a user would),
#     started under Xvfb with a scratch HOME and no plugin path of ours, loads musetalk-obs from
#     the system plugin folder: its log names the module and the source type.
# Needs root (debootstrap, chroot, mounts: exit 77, skipped, without it) and Debian's mirror
# (MIRROR, default http://deb.debian.org/debian); about a minute here.
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
for tool in debootstrap chroot unshare; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install debootstrap util-linux"
done
# The mounts below live in a mount namespace of this script's own, so they end with it however
# it ends.
if [ -z "${MUSETALK_IN_MOUNT_NS:-}" ]; then
  MUSETALK_IN_MOUNT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

build=$(cd "$1" && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d)
root=$work/root
mounts=()
cleanup() {
  # OBS, Xvfb and xvfb-run share the session setsid gave them inside the root.
  if [ -s "$root/tmp/obs.sid" ]; then
    kill -TERM -- "-$(cat "$root/tmp/obs.sid")" 2>/dev/null || true
    sleep 1
  fi
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}

"${CPACK:-cpack}" --config "$build/CPackConfig.cmake" -B "$work/dist" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the package"; }
deb=$(ls "$work"/dist/*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
echo "Depends: $(dpkg-deb -f "$deb" Depends)"

echo "==> debootstrap bookworm (minbase)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
mount -t proc proc "$root/proc" || fail "cannot mount /proc in the root"
mounts+=("$root/proc")
mount -t sysfs sysfs "$root/sys" || fail "cannot mount /sys in the root"
mounts+=("$root/sys")
for m in dev dev/pts; do
  mount --bind "/$m" "$root/$m" || fail "cannot bind-mount /$m in the root"
  mounts+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "==> apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/musetalk.deb"
before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends /tmp/musetalk.deb >"$work/apt.log" 2>&1 ||
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
in_root apt-get install -y -qq --no-install-recommends obs-studio xvfb xauth >"$work/apt-obs.log" \
  2>&1 || { tail -30 "$work/apt-obs.log"; fail "apt-get could not install obs-studio"; }
home=/tmp/obs-home
mkdir -p "$root$home/.config/obs-studio"
printf '[General]\nFirstRun=true\n' >"$root$home/.config/obs-studio/global.ini"
# X sockets are shared with the host (abstract names): a display no Xvfb of the host holds.
display=99
while [ -e "/tmp/.X$display-lock" ] || [ -e "/tmp/.X11-unix/X$display" ]; do
  display=$((display + 1))
done
in_root /bin/sh -c "HOME=$home setsid sh -c 'echo \$\$ >/tmp/obs.sid; exec xvfb-run \
  -n $display -s \"-screen 0 1280x720x24\" obs --minimize-to-tray' >/tmp/obs.out 2>&1 &"
logs=$root$home/.config/obs-studio/logs
loaded=
for _ in $(seq 1 240); do
  if grep -qs "\[musetalk-obs\] loaded: source type 'musetalk_avatar'" "$logs"/*.txt; then
    loaded=yes
    break
  fi
  sleep 0.5
done
log=$(ls "$logs"/*.txt 2>/dev/null | head -1)
if [ -z "$loaded" ]; then
  [ -n "$log" ] && cat "$log"
  cat "$root/tmp/obs.out"
  fail "OBS did not log loading musetalk-obs from the installed package"
fi
grep -E "musetalk-obs" "$log"
grep -q "Failed to load.*musetalk-obs" "$log" && fail "OBS logged a failure for musetalk-obs"
echo "PASS: the package installs on a fresh Debian 12, its tool runs and OBS loads its plugin"
