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
// A kind without a runner fails: every manifest of the folder is checked.
// run_case (parity_run.h) decides each case; this file only lists them.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <set>

#include "parity/parity_case.h"
#include "parity/parity_run.h"
#include "test_support.h"

namespace musetalk::parity {
namespace {

namespace fs = std::filesystem;

struct ManifestParam {
  std::string path;
  std::string test_name;  // the stem, made a valid test name and unique
};

// Listed by gtest as "# GetParam() = <path>".
void PrintTo(const ManifestParam& p, std::ostream* os) {
  *os << p.path;
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
  return params_for(manifest_paths(test::fixtures_dir()));
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

// Runs one manifest in one precision and reports every failure run_case finds.
void run_manifest(const std::string& path, const Precision& precision) {
  const CaseOutcome outcome = run_case(path, precision);
  for (const std::string& failure : outcome.failures) ADD_FAILURE() << failure;
  if (!outcome.skipped.empty()) GTEST_SKIP() << outcome.skipped;
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
  EXPECT_FALSE(manifest_paths(test::fixtures_dir()).empty())
      << "no *" << kManifestSuffix << " in " << test::fixtures_dir()
      << " (set MUSETALK_FIXTURES to the fixtures folder)";
}

}  // namespace
}  // namespace musetalk::parity
