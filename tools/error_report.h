#pragma once
// What the user sees when a command ends with an exception: one "error: ..." message and a
// "fix: ..." line, never a native backtrace.

#include <exception>
#include <ostream>

namespace musetalk::tools {

// Writes the report of error to out and returns the exit code (1). musetalk::Error carries its
// own fix; LibTorch's c10::Error (a check inside LibTorch that no musetalk check caught first)
// is shown with what_without_backtrace() (c10/util/Exception.h) and a fix line: reduce memory
// for allocation failures, else report a bug. Other exceptions show their what().
int report_error(const std::exception_ptr& error, std::ostream& out);

}  // namespace musetalk::tools
