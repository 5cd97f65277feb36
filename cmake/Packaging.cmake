# The Debian package (`./dev package`, or `cpack -G DEB` in a build folder): the musetalk tool in
# /usr/bin, the OBS module and its data where Debian's OBS searches (plugin/CMakeLists.txt's
# system layout under /usr), the README and licences in /usr/share/doc/musetalk. Depends is
# computed by dpkg-shlibdeps from the shared libraries the binaries link, so
# `apt-get install ./musetalk_*.deb` pulls exactly the runtime libraries (libtorch1.13, libobs0,
# the FFmpeg and OpenCV runtimes, ...), never a -dev package.
#
# A build against a LibTorch that no Debian package ships (MUSETALK_TORCH_PREFIX: an official
# LibTorch or a PyTorch install) keeps that LibTorch out of Depends (no package holds it) and
# names it in the description; the binaries find it through their RUNPATH.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME musetalk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "musetalk maintainers <musetalk@users.noreply.github.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # musetalk_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Real-time lip-sync avatars (MuseTalk v1.5) for the command line and OBS Studio")

# Which LibTorch the binaries were linked against: Debian's (a package dependency) or another
# one that must be present at the same place on the target machine. Debian's libtorch only
# recommends a fast BLAS and falls back to the reference libblas3, several times slower for the
# UNet's attention and Whisper's matrix products, so the package depends on OpenBLAS (what
# `./dev test` runs with).
get_filename_component(musetalk_torch_dir "${TORCH_LIBRARY}" DIRECTORY)
if(musetalk_torch_dir MATCHES "^/usr/lib")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread | libopenblas0")
  set(musetalk_torch_note "LibTorch comes from Debian's libtorch package (CPU).")
else()
  # CPack runs dpkg-shlibdeps with --ignore-missing-info: a library no Debian package holds (this
  # LibTorch's, a CUDA LibTorch's bundled CUDA libraries) stays out of Depends.
  # The LibTorch's own version, with the CUDA it was built for ("2.3.0+cu121"): the build-version
  # file of an official LibTorch (pytorch/builder, the libtorch packaging), or torch/version.py
  # of a PyTorch install (TORCH_INSTALL_PREFIX is its torch/ folder); else the CMake version.
  set(musetalk_torch_version "${Torch_VERSION}")
  if(EXISTS "${TORCH_INSTALL_PREFIX}/build-version")
    file(STRINGS "${TORCH_INSTALL_PREFIX}/build-version" musetalk_torch_version LIMIT_COUNT 1)
  elseif(EXISTS "${TORCH_INSTALL_PREFIX}/version.py")
    file(STRINGS "${TORCH_INSTALL_PREFIX}/version.py" line REGEX "^__version__ *= *['\"]")
    string(REGEX REPLACE "^__version__ *= *['\"]([^'\"]*).*" "\\1" musetalk_torch_version
           "${line}")
  endif()
  string(STRIP "${musetalk_torch_version}" musetalk_torch_version)
  if(musetalk_torch_version STREQUAL "")
    set(musetalk_torch_version "${Torch_VERSION}")
  endif()
  if(CAFFE2_USE_CUDA)
    set(musetalk_torch_kind "CUDA")
  else()
    set(musetalk_torch_kind "CPU")
  endif()
  string(CONCAT musetalk_torch_note
      "Built against the ${musetalk_torch_kind} LibTorch ${musetalk_torch_version} in "
      "${musetalk_torch_dir}, which this package does not contain: install that LibTorch (or the "
      "PyTorch it came from) at the same path")
  if(CAFFE2_USE_CUDA)
    string(APPEND musetalk_torch_note ", with an NVIDIA driver that supports its CUDA")
  endif()
  string(APPEND musetalk_torch_note ".")
endif()
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "MuseTalk v1.5 re-implemented in C++ on LibTorch: the musetalk tool creates avatars, renders "
    "videos and streams to a window, a V4L2 virtual camera or a file; the OBS source 'MuseTalk "
    "Avatar' speaks any OBS audio source in sync. The model weights are downloaded separately "
    "(musetalk models download). ${musetalk_torch_note}")

install(FILES README.md LICENSE THIRD_PARTY.md DESTINATION share/doc/musetalk
        COMPONENT musetalk)
include(CPack)
