#pragma once
// Progress of a long job (render's frames, a download's bytes): a bar redrawn in place on a
// terminal, plain lines otherwise (at every 10% and at least every 30 s while it advances),
// nothing when quiet. The one progress display of the `musetalk` tool.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace musetalk::tools {

// What update() counts: frames (rate in fps) or bytes (shown in MiB, rate in MiB/s, as
// files/byte_units.h formats them).
enum class ProgressUnit { kFrames, kBytes };

struct ProgressOptions {
  ProgressUnit unit = ProgressUnit::kFrames;
  std::FILE* out = stderr;       // where it draws (stdio, not owned)
  std::optional<bool> terminal;  // redrawn bar or plain lines; unset: whether `out` is a tty
};

class Progress {
 public:
  // label starts every line ("render", "  download"). quiet: draws nothing.
  Progress(std::string label, bool quiet, ProgressOptions options = {});
  ~Progress();  // finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // done: units so far; total: units in all, or -1 when unknown (no bar, no percentage, no ETA).
  // Frames count their rate from construction; bytes from the first update, so a resumed
  // download's bytes already on disk do not inflate it (nor do bytes a restart threw away).
  // Reaching done >= total > 0 draws the final state and ends the line.
  void update(int64_t done, int64_t total);
  void finish();  // ends a bar's line left open (an unknown total, an interrupted job)

 private:
  std::string amount(int64_t done, int64_t total) const;
  std::string rate_text(double per_second) const;

  std::string label_;
  bool quiet_, terminal_;
  ProgressOptions options_;
  int last_decile_ = -1;
  bool drawn_ = false;     // a bar line is open (terminal)
  bool finished_ = false;  // done reached total: nothing more to draw until it goes back
  int64_t base_ = 0;       // done when the rate's clock started
  bool started_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point last_line_{};
};

// A duration for humans: "7 s", "2m05s", "1h04m".
std::string format_duration(double seconds);

}  // namespace musetalk::tools
