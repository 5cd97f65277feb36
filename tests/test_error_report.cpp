// What the musetalk tool prints for an exception that ends a command (tools/error_report.h): a
// message and a fix line, and for LibTorch's c10::Error never the native backtrace.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <sstream>

#include "error_report.h"
#include "files/error.h"

namespace musetalk::tools {
namespace {

template <typename Throw>
std::string report_of(Throw fn, const std::string& memory_fix = kMemoryFix) {
  std::ostringstream out;
  try {
    fn();
    ADD_FAILURE() << "nothing thrown";
  } catch (...) {
    EXPECT_EQ(report_error(std::current_exception(), out, memory_fix), 1);
  }
  return out.str();
}

TEST(ErrorReport, LibTorchCheckIsAnInternalErrorWithoutBacktrace) {
  const std::string text = report_of([] {
    torch::Tensor a = torch::zeros({2, 3}), b = torch::zeros({4, 5});
    (void)torch::matmul(a, b);  // a c10::Error with a native backtrace in what()
  });
  EXPECT_EQ(text.rfind("error: internal error: ", 0), 0u) << text;
  EXPECT_NE(text.find("shapes cannot be multiplied"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  fix: "), std::string::npos) << text;
  EXPECT_EQ(text.find("frame #"), std::string::npos) << text;
  EXPECT_EQ(text.find("Exception raised from"), std::string::npos) << text;
}

TEST(ErrorReport, TorchCheckFailureKeepsItsMessage) {
  const std::string text = report_of([] { TORCH_CHECK(false, "windows: frames [3, 9) of 5"); });
  EXPECT_NE(text.find("windows: frames [3, 9) of 5"), std::string::npos) << text;
  EXPECT_EQ(text.find("frame #"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  fix: "), std::string::npos) << text;
}

TEST(ErrorReport, AllocationFailureSaysOutOfMemoryWithAFixForAnyCommand) {
  const std::string text = report_of([] { throw std::bad_alloc(); });
  EXPECT_EQ(text, std::string("error: out of memory\n  fix: ") + kMemoryFix + "\n");
  EXPECT_EQ(text.find("--"), std::string::npos) << "no command's options\n" << text;
}

TEST(ErrorReport, AllocationFailureTakesTheCommandsOwnFix) {
  const std::string fix = "use a smaller --batch";
  EXPECT_EQ(report_of([] { throw std::bad_alloc(); }, fix),
            "error: out of memory\n  fix: " + fix + "\n");
  const std::string text = report_of(
      [] {
        TORCH_CHECK_WITH(OutOfMemoryError, false, "CPU out of memory: tried to allocate 8 EiB");
      },
      fix);
  EXPECT_EQ(text.rfind("error: out of memory: CPU out of memory: tried to allocate 8 EiB", 0), 0u)
      << text;
  EXPECT_NE(text.find("\n  fix: " + fix + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("frame #"), std::string::npos) << text;
}

TEST(ErrorReport, UserErrorIsPrintedAsItIs) {
  const std::string text =
      report_of([] { throw Error("talk.wav", "lasts 0.030 s", "give longer audio"); });
  EXPECT_EQ(text, "error: talk.wav: lasts 0.030 s\n  fix: give longer audio\n");
}

}  // namespace
}  // namespace musetalk::tools
