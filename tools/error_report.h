#pragma once
// What the user sees when a command ends with an exception: one "error: ..." message and a
// "fix: ..." line, never a native backtrace.

#include <exception>
#include <ostream>
#include <string>

namespace musetalk::tools {

// The fix line for running out of memory that fits every command.
inline constexpr const char* kMemoryFix =
    "free memory (close other programs using it) or run on a machine or device with more";

// Writes the report of error to out and returns the exit code (1). musetalk::Error carries its
// own fix; LibTorch's c10::Error (a check inside LibTorch that no musetalk check caught first)
// is shown with what_without_backtrace() (c10/util/Exception.h) and a fix line: memory_fix for
// allocation failures (c10's and std::bad_alloc; a command passes its own, naming its options),
// else report a bug. Other exceptions show their what().
int report_error(const std::exception_ptr& error, std::ostream& out,
                 const std::string& memory_fix = kMemoryFix);

}  // namespace musetalk::tools
