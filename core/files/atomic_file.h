#pragma once
// Writing a file so that it either appears complete or not at all: the content goes to
// "<path>.part", which is renamed over <path> only after everything was written and flushed.

#include <functional>
#include <ostream>
#include <string>

namespace musetalk::files {

// Calls write(stream); on any failure (exception, I/O error) removes the partial file and throws
// Error naming path.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace musetalk::files
