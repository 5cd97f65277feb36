// The parity runner: every *.manifest.json in the fixtures folder (MUSETALK_FIXTURES, default
// ../shared/fixtures) is run by the runner registered for its kind and compared output by output
// with the reference. Kinds whose issue is still open are reported as skipped by name; any other
// kind fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "files/error.h"
#include "parity/parity_case.h"
#include "test_support.h"

namespace musetalk::parity {
namespace {

namespace fs = std::filesystem;

// Kinds whose issue has not landed yet (avatar creation networks).
const std::set<std::string> kPendingKinds = {"s3fd", "bisenet", "dwpose"};

std::vector<std::string> manifest_paths() {
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(test::fixtures_dir())) {
    const std::string name = e.path().filename().string();
    const std::string suffix = ".manifest.json";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      paths.push_back(e.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(Parity, EveryManifestMatchesTheReference) {
  const auto paths = manifest_paths();
  ASSERT_FALSE(paths.empty()) << "no manifests in " << test::fixtures_dir();
  torch::InferenceMode inference;
  int checked = 0;
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    Case c(path);
    auto runner = kind_runners().find(c.kind());
    if (runner == kind_runners().end()) {
      if (kPendingKinds.count(c.kind())) {
        std::printf("SKIPPED  %-16s kind %s: its issue is still open\n", c.name().c_str(),
                    c.kind().c_str());
      } else {
        ADD_FAILURE() << c.name() << ": no runner for kind \"" << c.kind() << "\"";
      }
      continue;
    }
    try {
      runner->second(c);
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name() << ": " << e.what();
      continue;
    }
    EXPECT_FALSE(c.results().empty()) << c.name() << " compared nothing";
    for (const Comparison& r : c.results()) {
      std::printf("%-8s %-16s %-18s max_abs %.3g  differing %.4f  tolerance %s%s\n",
                  r.ok ? "ok" : "FAILED", c.name().c_str(), r.output.c_str(), r.max_abs,
                  r.fraction_differing, r.tolerance.c_str(),
                  r.problem.empty() ? "" : ("  " + r.problem).c_str());
      EXPECT_TRUE(r.ok) << c.name() << " output " << r.output << " max_abs " << r.max_abs
                        << " fraction differing " << r.fraction_differing << " tolerance "
                        << r.tolerance << " " << r.problem;
    }
    ++checked;
  }
  std::printf("%d manifest(s) checked\n", checked);
}

}  // namespace
}  // namespace musetalk::parity
