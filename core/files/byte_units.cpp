#include "files/byte_units.h"

#include <charconv>

namespace musetalk::files {
namespace {

// std::to_chars: independent of the locale, unlike printf's %.1f.
std::string one_decimal(double value) {
  char buf[64];
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 1);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : std::string("?");
}

}  // namespace

std::string mib_number(double bytes) {
  return one_decimal(bytes / (1024.0 * 1024.0));
}

std::string format_mib(double bytes) {
  return mib_number(bytes) + " MiB";
}

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1023.95 && u < 2) {  // what one decimal would round up to 1024.0
    v /= 1024;
    ++u;
  }
  return one_decimal(v) + " " + units[u];
}

}  // namespace musetalk::files
