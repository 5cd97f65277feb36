#pragma once
// Byte counts for people, in binary units (1 KiB = 1024 bytes, 1 MiB = 2^20) with one decimal,
// the same in every locale (no LC_NUMERIC decimal comma): file sizes in `models check`, a
// download's progress and where it resumes. The one formatter for both the torch-free libraries
// (musetalk_net) and the tool.

#include <cstdint>
#include <string>

namespace musetalk::files {

// "12.3": bytes / 2^20 with one decimal (rounded to nearest), no unit.
std::string mib_number(double bytes);

// "12.3 MiB", whatever the size.
std::string format_mib(double bytes);

// In the largest unit that keeps the number at least 1, up to GiB: "716 B", "3.2 KiB",
// "14.8 MiB", "3.2 GiB".
std::string format_size(uint64_t bytes);

}  // namespace musetalk::files
