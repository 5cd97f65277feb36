#!/usr/bin/env bash
# The Debian package as a user gets it (issue: one installable package): cpack builds the .deb
# from this build folder (cmake/Packaging.cmake), dpkg installs it into a clean root, and then
#   - Depends holds runtime libraries only (LibTorch and libobs among them, no -dev package);
#   - every file is where Debian's OBS 29 and the PATH look (usr/bin, usr/lib/<triplet>/
#     obs-plugins, usr/share/obs/obs-plugins/musetalk-obs);
#   - the installed `musetalk --version` runs, and `musetalk models check` on an empty folder
#     exits 2 with the download hint;
#   - the real OBS application, started under Xvfb with a scratch HOME, loads the installed
#     module: the root's plugin folders are given to it through OBS_PLUGINS_PATH and
#     OBS_PLUGINS_DATA_PATH, which OBS adds exactly as it adds its own system folders
#     (obsproject/obs-studio UI/obs-app.cpp AddExtraModulePaths), and its log must name the
#     module and the source type.
# Usage: package_install_test.sh BUILD_DIR (CPACK: the cpack to run, default cpack)
set -euo pipefail

build=$(cd "$1" && pwd)
work=$(mktemp -d)
obs_pid=
cleanup() {
  # xvfb-run, Xvfb and OBS share the session setsid gave them.
  if [ -n "$obs_pid" ]; then
    kill -TERM -- "-$obs_pid" 2>/dev/null || true
    wait "$obs_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"${CPACK:-cpack}" --config "$build/CPackConfig.cmake" -B "$work/dist" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the package"; }
deb=$(ls "$work"/dist/*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
grep -q 'libtorch' <<<"$depends" || fail "Depends does not name LibTorch's package"
grep -q 'libobs0' <<<"$depends" || fail "Depends does not name libobs0"
if grep -Eq -- '-dev( |,|$)' <<<"$depends"; then fail "Depends names a -dev package"; fi

# A clean root with an empty dpkg database; the dependencies are the host's own libraries.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
if [ "$(id -u)" -eq 0 ]; then
  dpkg --root="$root" --force-depends --force-script-chrootless -i "$deb" >"$work/dpkg.log" 2>&1 ||
    { cat "$work/dpkg.log"; fail "dpkg could not install the package"; }
  dpkg --root="$root" -s musetalk | grep -q '^Status: install ok installed' ||
    fail "dpkg does not list the package as installed"
else
  echo "not root: unpacking with dpkg-deb -x instead of installing with dpkg --root"
  dpkg-deb -x "$deb" "$root"
fi

triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
if [ -e "/usr/lib/$triplet/obs-plugins/musetalk-obs.so" ]; then
  echo "SKIP: musetalk-obs is installed on this system, so OBS would load that copy, not the package's"
  exit 77
fi
plugins=$root/usr/lib/$triplet/obs-plugins
plugin_data=$root/usr/share/obs/obs-plugins
for f in "$root/usr/bin/musetalk" "$plugins/musetalk-obs.so" \
  "$plugin_data/musetalk-obs/locale/en-US.ini" "$root/usr/share/doc/musetalk/README.md" \
  "$root/usr/share/doc/musetalk/LICENSE"; do
  [ -f "$f" ] || fail "the package has no ${f#"$root"}"
done

version=$("$root/usr/bin/musetalk" --version) || fail "musetalk --version failed"
echo "$version"
grep -q '^musetalk [0-9]' <<<"$version" || fail "musetalk --version printed no version"
mkdir "$work/empty-models"
rc=0
check=$("$root/usr/bin/musetalk" models check --models "$work/empty-models" 2>&1) || rc=$?
[ "$rc" -eq 2 ] || { echo "$check"; fail "models check on an empty folder exited $rc, not 2"; }
grep -q 'models download' <<<"$check" || { echo "$check"; fail "models check gave no hint"; }

# The real OBS application under its own Xvfb with a scratch HOME; FirstRun=true skips the
# first-run wizard.
export HOME=$work/home
mkdir -p "$HOME/.config/obs-studio"
printf '[General]\nFirstRun=true\n' >"$HOME/.config/obs-studio/global.ini"
export OBS_PLUGINS_PATH=$plugins OBS_PLUGINS_DATA_PATH=$plugin_data
setsid xvfb-run -a -s "-screen 0 1280x720x24" obs --minimize-to-tray >"$work/obs.out" 2>&1 &
obs_pid=$!
loaded=
for _ in $(seq 1 120); do
  if grep -qs "\[musetalk-obs\] loaded: source type 'musetalk_avatar'" \
    "$HOME"/.config/obs-studio/logs/*.txt; then
    loaded=yes
    break
  fi
  kill -0 "$obs_pid" 2>/dev/null || break
  sleep 0.5
done
log=$(ls "$HOME"/.config/obs-studio/logs/*.txt 2>/dev/null | head -1)
if [ -z "$loaded" ]; then
  [ -n "$log" ] && cat "$log"
  cat "$work/obs.out"
  fail "OBS did not log loading musetalk-obs from the installed package"
fi
grep -E "musetalk-obs" "$log"
grep -q "Failed to load.*musetalk-obs" "$log" && fail "OBS logged a failure for musetalk-obs"
echo "PASS: the package installs, its tool runs and OBS loads its plugin"
