#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "files/byte_units.h"

namespace musetalk::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);  // terminal bar
constexpr auto kLineInterval = std::chrono::seconds(30);          // plain lines between deciles
constexpr int kBarWidth = 30;

}  // namespace

std::string format_duration(double seconds) {
  const long long s = std::llround(std::max(0.0, seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lld s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  }
  return buf;
}

Progress::Progress(std::string label, bool quiet, ProgressOptions options)
    : label_(std::move(label)),
      quiet_(quiet),
      terminal_(options.terminal ? *options.terminal : isatty(fileno(options.out)) != 0),
      options_(options) {}

Progress::~Progress() {
  finish();
}

std::string Progress::amount(int64_t done, int64_t total) const {
  if (options_.unit == ProgressUnit::kFrames) {
    std::string s = std::to_string(done);
    if (total > 0) s += "/" + std::to_string(total);
    return s + " frames";
  }
  if (total <= 0) return files::format_mib(static_cast<double>(done));
  return files::mib_number(static_cast<double>(done)) + "/" +
         files::format_mib(static_cast<double>(total));
}

std::string Progress::rate_text(double per_second) const {
  if (options_.unit == ProgressUnit::kFrames) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f fps", per_second);
    return buf;
  }
  return files::format_mib(per_second) + "/s";
}

void Progress::update(int64_t done, int64_t total) {
  if (quiet_) return;
  if (options_.unit == ProgressUnit::kFrames && total <= 0) return;
  const Clock::time_point now = Clock::now();
  if (done < base_ || (finished_ && (total <= 0 || done < total))) {
    // Went back (a download restarted from the start): count anew.
    started_ = false;
    finished_ = false;
    last_decile_ = -1;
  }
  if (finished_) return;
  if (options_.unit == ProgressUnit::kBytes && !started_) {
    started_ = true;
    base_ = done;
    start_ = now;
  }
  const bool complete = total > 0 && done >= total;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done - base_) / elapsed : 0;
  const int percent =
      total > 0 ? static_cast<int>(std::min<int64_t>(100, 100 * std::max<int64_t>(done, 0) / total))
                : 0;
  std::string tail;  // ETA, or the time it took
  if (complete) {
    tail = "done in " + format_duration(elapsed);
  } else if (total > 0 && rate > 0) {
    tail = "ETA " + format_duration(static_cast<double>(total - done) / rate);
  }
  const std::string label = label_.empty() ? "" : label_ + " ";

  if (terminal_) {
    if (!complete && now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    std::string line = "\r" + label;
    if (total > 0) {
      const int filled = kBarWidth * percent / 100;
      char pct[16];
      std::snprintf(pct, sizeof pct, "] %3d%%  ", percent);
      line += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + pct;
    }
    line += amount(done, total) + "  " + rate_text(rate);
    if (!tail.empty()) line += "  " + tail;
    line += "\033[K";
    if (complete) line += "\n";
    std::fputs(line.c_str(), options_.out);
    drawn_ = !complete;
  } else {
    const int decile = percent / 10;
    const bool new_decile = total > 0 && decile > last_decile_;
    const bool stale = done > 0 && now - last_line_ >= kLineInterval;
    if (!new_decile && !stale) return;
    last_decile_ = std::max(last_decile_, total > 0 ? decile : -1);
    last_line_ = now;
    std::string line = label_.empty() ? "" : label_ + ": ";
    line += amount(done, total);
    if (total > 0) line += " (" + std::to_string(percent) + "%)";
    line += ", " + rate_text(rate);
    if (!tail.empty()) line += ", " + tail;
    std::fputs((line + "\n").c_str(), options_.out);
  }
  finished_ = complete;
  std::fflush(options_.out);
}

void Progress::finish() {
  if (drawn_) {
    std::fputs("\n", options_.out);
    std::fflush(options_.out);
  }
  drawn_ = false;
}

}  // namespace musetalk::tools
