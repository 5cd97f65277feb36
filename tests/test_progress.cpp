// tools/progress: the one progress display of the `musetalk` tool (render's frames, models
// download's bytes), drawn as a terminal bar or as plain lines.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "progress.h"

namespace musetalk::tools {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// Captures what a Progress draws into a temporary file.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  std::FILE* file() const { return file_; }
  std::string text() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* file_;
};

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(Progress, BytesOnATerminalRedrawOneLineAndEndIt) {
  Capture out;
  {
    Progress p("  download", false, {ProgressUnit::kBytes, out.file(), true});
    p.update(0, 3 * kMiB);
    p.update(3 * kMiB, 3 * kMiB);
    p.update(3 * kMiB, 3 * kMiB);  // the downloader's last report repeats the final state
  }
  const std::string text = out.text();
  EXPECT_EQ(text.rfind("\r  download [", 0), 0u) << text;
  EXPECT_NE(text.find("3.0/3.0 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("100%"), std::string::npos) << text;
  EXPECT_NE(text.find("MiB/s"), std::string::npos) << text;
  EXPECT_NE(text.find("done in"), std::string::npos) << text;
  EXPECT_EQ(count(text, "\n"), 1u) << "one line, ended once: " << text;
  EXPECT_EQ(count(text, "100%"), 1u) << "the repeated final state is not drawn again: " << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, BytesAsPlainLinesAtEveryTenPercent) {
  Capture out;
  {
    Progress p("  download", false, {ProgressUnit::kBytes, out.file(), false});
    for (int64_t done = 0; done <= 100; ++done) p.update(done * kMiB, 100 * kMiB);
  }
  const std::string text = out.text();
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(count(text, "\n"), 11u) << text;
  EXPECT_EQ(text.rfind("  download: 0.0/100.0 MiB (0%), ", 0), 0u) << text;
  EXPECT_NE(text.find("  download: 50.0/100.0 MiB (50%), "), std::string::npos) << text;
  EXPECT_NE(text.find("  download: 100.0/100.0 MiB (100%), "), std::string::npos) << text;
}

TEST(Progress, UnknownTotalShowsBytesWithoutBarAndFinishEndsTheLine) {
  Capture out;
  Progress p("  download", false, {ProgressUnit::kBytes, out.file(), true});
  p.update(5 * kMiB, -1);
  std::string text = out.text();
  EXPECT_NE(text.find("5.0 MiB"), std::string::npos) << text;
  EXPECT_EQ(text.find('%'), std::string::npos) << text;
  EXPECT_EQ(text.find("download ["), std::string::npos) << "no bar: " << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << "the line stays open: " << text;
  p.finish();
  p.finish();
  text = out.text();
  EXPECT_EQ(count(text, "\n"), 1u) << text;
}

TEST(Progress, FramesKeepRendersPlainLines) {
  Capture out;
  {
    Progress p("render", false, {ProgressUnit::kFrames, out.file(), false});
    p.update(5, 10);
    p.update(10, 10);
    p.update(10, 10);
  }
  const std::string text = out.text();
  EXPECT_EQ(text.rfind("render: 5/10 frames (50%), ", 0), 0u) << text;
  EXPECT_NE(text.find(" fps, ETA "), std::string::npos) << text;
  EXPECT_NE(text.find("render: 10/10 frames (100%), "), std::string::npos) << text;
  EXPECT_EQ(count(text, "\n"), 2u) << text;
}

TEST(Progress, QuietDrawsNothing) {
  Capture out;
  {
    Progress p("render", true, {ProgressUnit::kFrames, out.file(), true});
    p.update(5, 10);
    p.update(10, 10);
    p.finish();
  }
  EXPECT_EQ(out.text(), "");
}

TEST(Progress, ARestartCountsAnew) {
  Capture out;
  {
    Progress p("  download", false, {ProgressUnit::kBytes, out.file(), false});
    p.update(60 * kMiB, 100 * kMiB);  // resumed at 60%
    p.update(0, 100 * kMiB);          // the server ignored the Range request
    p.update(100 * kMiB, 100 * kMiB);
  }
  const std::string text = out.text();
  EXPECT_EQ(count(text, "\n"), 3u) << text;
  EXPECT_NE(text.find("0.0/100.0 MiB (0%)"), std::string::npos) << text;
}

TEST(Progress, Formats) {
  EXPECT_EQ(format_duration(7.2), "7 s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3840), "1h04m");
  EXPECT_EQ(format_duration(-3), "0 s");
}

}  // namespace
}  // namespace musetalk::tools
