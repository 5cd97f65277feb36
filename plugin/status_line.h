#pragma once
// The MuseTalk Avatar source's status line, as the properties dialog and get_stats show it:
//   "Loading…"
//   "Running on <device> (<dtype>), latency N ms, F fps, D drops" (+ "; <note>")
//   "Error: <message>"
// Integers only, formatted without the C locale (OBS sets the user's), so a comma-decimal locale
// changes nothing.

#include <cmath>
#include <cstdint>
#include <string>

namespace musetalk::obs_plugin {

inline const std::string kLoadingStatus = "Loading\xE2\x80\xA6";  // "Loading…"

inline std::string running_status(const std::string& device, const std::string& dtype,
                                  double latency_ms, double fps, int64_t drops,
                                  const std::string& note = {}) {
  std::string s = "Running on " + device + " (" + dtype + "), latency " +
                  std::to_string(std::llround(latency_ms)) + " ms, " +
                  std::to_string(std::llround(fps)) + " fps, " + std::to_string(drops) + " drops";
  if (!note.empty()) s += "; " + note;
  return s;
}

// message: an exception's what(). musetalk::Error puts "  fix: ..." on its second line; the
// status keeps it after a dash. Anything else keeps its first line only (LibTorch appends a
// backtrace).
inline std::string error_status(const std::string& message) {
  std::string text = message, fix;
  const size_t at = text.find("\n  fix: ");
  if (at != std::string::npos) {
    fix = text.substr(at + 8);
    text = text.substr(0, at);
  }
  text = text.substr(0, text.find('\n'));
  fix = fix.substr(0, fix.find('\n'));
  return "Error: " + text + (fix.empty() ? "" : " \xE2\x80\x94 " + fix);
}

inline bool is_error_status(const std::string& status) {
  return status.rfind("Error: ", 0) == 0;
}

}  // namespace musetalk::obs_plugin
