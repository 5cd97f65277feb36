#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace musetalk::tools {

Progress::Progress(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), terminal_(isatty(fileno(stderr)) != 0) {}

void Progress::update(int64_t done, int64_t total) {
  if (quiet_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fps = elapsed > 0 ? done / elapsed : 0;
  const double eta = fps > 0 ? (total - done) / fps : 0;
  const int percent = static_cast<int>(100 * done / total);
  if (terminal_) {
    if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const int width = 30, filled = width * percent / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %lld/%lld frames  %.1f fps  ETA %.0f s ",
                 label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), percent, static_cast<long long>(done),
                 static_cast<long long>(total), fps, eta);
    drawn_ = true;
  } else if (percent / 10 > last_decile_) {
    last_decile_ = percent / 10;
    std::fprintf(stderr, "%s: %lld/%lld frames (%d%%), %.1f fps, ETA %.0f s\n", label_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), percent, fps, eta);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace musetalk::tools
