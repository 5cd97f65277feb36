// The parity runner: one test per *.manifest.json of the fixtures folder (MUSETALK_FIXTURES,
// default ../shared/fixtures), read when the tests are listed, so ctest sees the folder it runs
// with. Each manifest runs through the runner registered for its kind and every listed output is
// compared with the reference; network kinds also run in bf16 on the CPU and in fp16 on CUDA.
//
//   Parity/Manifest.Matches/<stem>                  fp32 on the CPU
//   Parity/NetworkManifest.MatchesBf16/<stem>       bf16 on the CPU
//   Parity/NetworkManifest.MatchesFp16Cuda/<stem>   fp16 on CUDA (ctest label "gpu")
//   Parity.FixturesFolderHasManifests               an empty or missing folder fails
//
// Kinds whose issue is still open are skipped by name; any other kind without a runner fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

#include "files/error.h"
#include "parity/parity_case.h"
#include "test_support.h"

namespace musetalk::parity {
namespace {

namespace fs = std::filesystem;

// Kinds whose runners the issue "Avatar creation in C++: S3FD, DWPose, BiSeNet ..." adds.
const std::set<std::string> kPendingKinds = {"s3fd", "bisenet", "dwpose"};
const char* const kPendingIssue = "Avatar creation in C++: S3FD, DWPose, BiSeNet ...";

struct ManifestParam {
  std::string path;
  std::string test_name;  // the stem, made a valid test name and unique
};

// Listed by gtest as "# GetParam() = <path>".
void PrintTo(const ManifestParam& p, std::ostream* os) {
  *os << p.path;
}

const std::string kManifestSuffix = ".manifest.json";

// The folder's manifests, sorted. Never throws: a missing folder gives none, which
// FixturesFolderHasManifests reports.
std::vector<std::string> manifest_paths() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (fs::directory_iterator it(test::fixtures_dir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > kManifestSuffix.size() &&
        name.compare(name.size() - kManifestSuffix.size(), kManifestSuffix.size(),
                     kManifestSuffix) == 0) {
      paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Test names may hold only letters, digits and '_': other characters of a stem become '_', and
// a clash gets a numeric suffix.
std::vector<ManifestParam> params_for(const std::vector<std::string>& paths) {
  std::vector<ManifestParam> out;
  std::set<std::string> used;
  for (const std::string& path : paths) {
    std::string stem = fs::path(path).filename().string();
    stem.resize(stem.size() - kManifestSuffix.size());
    for (char& ch : stem) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    std::string name = stem;
    for (int i = 2; !used.insert(name).second; ++i) name = stem + "_" + std::to_string(i);
    out.push_back({path, name});
  }
  return out;
}

std::vector<ManifestParam> all_manifests() {
  return params_for(manifest_paths());
}

// Manifests whose kind has a runner that runs networks. A manifest that does not parse is left
// out here; Manifest.Matches reports it.
std::vector<ManifestParam> network_manifests() {
  std::vector<ManifestParam> out;
  for (const ManifestParam& p : all_manifests()) {
    try {
      auto runner = kind_runners().find(Case(p.path).kind());
      if (runner != kind_runners().end() && runner->second.runs_networks) out.push_back(p);
    } catch (const std::exception&) {
    }
  }
  return out;
}

std::string param_name(const testing::TestParamInfo<ManifestParam>& info) {
  return info.param.test_name;
}

std::string result_label(const Comparison& r) {
  return r.io.empty() ? r.output : r.output + "[" + r.io + "]";
}

// Runs one manifest in one precision and reports every output; see the file comment.
void run_manifest(const std::string& path, const Precision& precision) {
  std::unique_ptr<Case> c;
  try {
    c = std::make_unique<Case>(path, precision);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto runner = kind_runners().find(c->kind());
  if (runner == kind_runners().end()) {
    if (kPendingKinds.count(c->kind())) {
      GTEST_SKIP() << "kind " << c->kind() << ": waits for issue \"" << kPendingIssue << "\"";
    }
    FAIL() << c->name() << ": no runner for kind \"" << c->kind() << "\"";
  }
  const KindRunner& kind = runner->second;
  std::printf("%s: %s, kind %s, %s\n", c->name().c_str(), path.c_str(), c->kind().c_str(),
              precision.name().c_str());

  for (const std::string& problem : c->tolerance_problems()) {
    ADD_FAILURE() << c->name() << ": " << problem;
  }

  try {
    torch::InferenceMode inference;
    kind.run(*c);
  } catch (const std::exception& e) {
    ADD_FAILURE() << c->name() << " (" << precision.name() << "): " << e.what();
  }

  for (const Comparison& r : c->results()) {
    char values[64] = "max_abs -         differing -     ";
    if (r.compared) {
      std::snprintf(values, sizeof values, "max_abs %-9.3g differing %.4f", r.max_abs,
                    r.fraction_differing);
    }
    std::printf("%-8s %-16s %-24s %s  tolerance %s%s\n", r.ok ? "ok" : "FAILED", c->name().c_str(),
                result_label(r).c_str(), values, r.tolerance.c_str(),
                r.problem.empty() ? "" : ("  " + r.problem).c_str());
    EXPECT_TRUE(r.ok) << c->name() << " output " << result_label(r) << ": " << values
                      << " tolerance " << r.tolerance << " " << r.problem;
  }

  // Every listed output must have been compared (for every io case) unless waived, and a
  // waiver must not cover an output that was compared after all.
  std::vector<std::string> io_cases;
  for (const std::string& file : c->io_files()) io_cases.push_back(c->io_case(file));
  auto compared = [&](const std::string& output, const std::string& io) {
    return std::any_of(c->results().begin(), c->results().end(),
                       [&](const Comparison& r) { return r.output == output && r.io == io; });
  };
  auto waiver_for = [&](const std::string& output) -> const Waiver* {
    for (const Waiver& w : kind.waivers) {
      if (output_matches(w.output, output)) return &w;
    }
    return nullptr;
  };
  for (const std::string& output : c->listed_outputs()) {
    for (const std::string& io : io_cases) {
      const Waiver* waiver = waiver_for(output);
      const std::string label = io.empty() ? output : output + "[" + io + "]";
      if (compared(output, io)) {
        EXPECT_EQ(waiver, nullptr)
            << c->name() << ": " << label << " is compared but waived; drop the waiver";
      } else if (waiver) {
        std::printf("waived   %-16s %-24s %s\n", c->name().c_str(), label.c_str(),
                    waiver->reason.c_str());
      } else {
        std::printf("FAILED   %-16s %-24s not compared\n", c->name().c_str(), label.c_str());
        ADD_FAILURE() << c->name() << ": listed output " << label
                      << " was not compared and has no waiver in the " << c->kind() << " runner";
      }
    }
  }
}

class Manifest : public testing::TestWithParam<ManifestParam> {};
class NetworkManifest : public testing::TestWithParam<ManifestParam> {};

TEST_P(Manifest, Matches) {
  run_manifest(GetParam().path, {torch::kCPU, torch::kFloat32});
}

TEST_P(NetworkManifest, MatchesBf16) {
  run_manifest(GetParam().path, {torch::kCPU, torch::kBFloat16});
}

// The path `--precision auto` takes on a GPU.
TEST_P(NetworkManifest, MatchesFp16Cuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  run_manifest(GetParam().path, {torch::Device(torch::kCUDA, 0), torch::kHalf});
}

INSTANTIATE_TEST_SUITE_P(Parity, Manifest, testing::ValuesIn(all_manifests()), param_name);
INSTANTIATE_TEST_SUITE_P(Parity, NetworkManifest, testing::ValuesIn(network_manifests()),
                         param_name);
// An empty folder instantiates nothing; FixturesFolderHasManifests fails for it by name.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Manifest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NetworkManifest);

TEST(Parity, FixturesFolderHasManifests) {
  EXPECT_FALSE(manifest_paths().empty())
      << "no *" << kManifestSuffix << " in " << test::fixtures_dir()
      << " (set MUSETALK_FIXTURES to the fixtures folder)";
}

}  // namespace
}  // namespace musetalk::parity
