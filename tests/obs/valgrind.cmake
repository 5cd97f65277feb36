# The OBS source's lifecycle tests again under valgrind memcheck (issue 12: 100 create/destroy
# cycles with no leak, checked by valgrind besides bnum_allocs). Included from
# tests/obs/CMakeLists.txt after obs_tests is declared.
#
# obs_lifecycle_valgrind runs ObsSourceTest.HundredCreateDestroyCyclesLeakNothing (all 100
# cycles: about 4 s of the run under valgrind) and ObsSourceTest.BadAvatarFolderIsAnErrorInTheStatus
# in one process (its libobs host shutdown included) and fails on
#   - a definitely lost block (--errors-for-leak-kinds=definite: "possibly lost" and "still
#     reachable" blocks are still pointed to at exit, process-lifetime state of the libraries,
#     which a block lost by a create/destroy cycle is not);
#   - any other memcheck error: an invalid read or write, a use after free, a mismatched free,
#     a jump on an uninitialised value;
#   - a failing test (valgrind passes the test's exit code on) or a filter that selects fewer
#     than the two tests (renamed tests would otherwise pass as "0 tests").
# ObsSourceTest.TwentyCyclesDestroyedWhileLoadingLeakNothing is not run here: its real model loads
# and sessions put LibTorch's inference under valgrind, and it had not finished after 13 minutes
# on 2 cores (this run takes about 35 s).
# valgrind.supp holds the third-party noise (glibc's ld.so, Mesa, cpuinfo), each entry explained;
# --keep-debuginfo=yes keeps object names for the Mesa libraries obs_shutdown unloads, so those
# entries name their library instead of matching any unknown frame. Xvfb and the tools the test
# starts (write_tiny_models, make_latents_avatar) run outside valgrind (no --trace-children).
# RUN_SERIAL: valgrind runs the whole process on one core at a time, and the cycles test has a
# wall-clock bound.
find_program(VALGRIND_EXECUTABLE valgrind)
if(VALGRIND_EXECUTABLE)
  add_test(NAME obs_lifecycle_valgrind
    COMMAND ${VALGRIND_EXECUTABLE} --tool=memcheck --error-exitcode=97
            --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
            --keep-debuginfo=yes --num-callers=30 --child-silent-after-fork=yes
            --suppressions=${CMAKE_CURRENT_SOURCE_DIR}/valgrind.supp
            $<TARGET_FILE:obs_tests>
            --gtest_filter=ObsSourceTest.HundredCreateDestroyCyclesLeakNothing:ObsSourceTest.BadAvatarFolderIsAnErrorInTheStatus)
  set_tests_properties(obs_lifecycle_valgrind PROPERTIES
    LABELS obs RUN_SERIAL TRUE TIMEOUT 600
    FAIL_REGULAR_EXPRESSION "\\[  PASSED  \\] [01] tests?\\.")
else()
  # Shown as skipped with the reason rather than left out unnoticed (./dev installs valgrind).
  add_test(NAME obs_lifecycle_valgrind
    COMMAND ${CMAKE_COMMAND} -E echo "SKIPPED: valgrind not found (apt-get install valgrind)")
  set_tests_properties(obs_lifecycle_valgrind PROPERTIES
    LABELS obs SKIP_REGULAR_EXPRESSION "SKIPPED: valgrind not found")
endif()
