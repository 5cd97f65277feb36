// Tests of the parity runner's own verdicts: small manifests and io files written to a temporary
// folder and run through run_case (parity_run.h) with a kind runner that hands Case::check the
// results each test chooses. Each way a case can fail must fail, with its own message, and a
// correct result must pass; otherwise a runner that passed everything would pass every fixture.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "files/json_file.h"
#include "parity/parity_case.h"
#include "parity/parity_run.h"
#include "test_support.h"
#include "torch_io/state_dict.h"

namespace musetalk::parity {
namespace {

using json = nlohmann::ordered_json;
using Results = std::vector<std::pair<std::string, torch::Tensor>>;

const char* const kKind = "case_checks";

// The references: a float output and a uint8 one.
torch::Tensor latent_ref() {
  return torch::arange(16, torch::kFloat32).reshape({4, 4}) * 0.37 - 2.9;
}
torch::Tensor image_ref() {
  return torch::tensor({10, 20, 30, 40, 50, 60}, torch::kUInt8).reshape({2, 3});
}

const json kOutputs = {{"latent", "a float output"}, {"image", "a uint8 output"}};
const json kTolerance = {{"latent", {{"max_abs", 1e-3}}},
                         {"image", {{"max_abs", 2}, {"max_fraction_differing", 0.25}}}};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += "\n  " + line;
  return out;
}

// The case failed, and every failure says `why` (some problems are found twice: in the
// tolerance table and again when the output is checked).
void expect_failures_say(const CaseOutcome& outcome, const std::string& why) {
  EXPECT_TRUE(outcome.skipped.empty()) << outcome.skipped;
  ASSERT_FALSE(outcome.failures.empty()) << "passed; expected a failure saying: " << why;
  for (const std::string& failure : outcome.failures) {
    EXPECT_TRUE(contains(failure, why))
        << "expected every failure to say \"" << why << "\":" << joined(outcome.failures);
  }
}

class CaseChecks : public testing::Test {
 protected:
  void TearDown() override { kind_runners().erase(kKind); }

  // Writes checks.manifest.json (kind, io, outputs, tolerance) and checks.io.safetensors holding
  // the references; returns the manifest's path.
  std::string write_case(const json& outputs = kOutputs, const json& tolerance = kTolerance,
                         const std::string& kind = kKind) {
    const json manifest = {{"kind", kind},
                           {"io", "checks.io.safetensors"},
                           {"outputs", outputs},
                           {"tolerance", tolerance}};
    std::ofstream(dir_.file("checks.manifest.json")) << files::json_dump(manifest, 2);
    StateDict io;
    io.insert("latent", latent_ref());
    io.insert("image", image_ref());
    save_safetensors(dir_.file("checks.io.safetensors"), io);
    return dir_.file("checks.manifest.json");
  }

  // Registers kKind with a runner that checks each of `results` against the io tensor of its
  // name, and runs the case at path through run_case.
  CaseOutcome run(const std::string& path, const Results& results, std::vector<Waiver> waivers = {},
                  std::vector<Waiver> full_precision = {}, const Precision& precision = {}) {
    auto check_all = [results](Case& c) {
      const StateDict io = c.io();
      for (const auto& [name, got] : results) {
        const torch::Tensor* expected = io.find(name);
        c.check(name, got, expected ? *expected : torch::Tensor());
      }
    };
    register_kind(kKind, KindRunner{check_all, /*runs_networks=*/false, std::move(waivers),
                                    std::move(full_precision)});
    return run_case(path, precision);
  }

  // The results a correct kind runner would compute, within kTolerance.
  static Results correct() {
    torch::Tensor image = image_ref().clone();
    image[0][0] = 11;  // one of six elements off by one: within max_abs 2 and a fraction of 0.25
    return {{"latent", latent_ref() + 5e-4}, {"image", image}};
  }

  test::TempDir dir_;
};

TEST_F(CaseChecks, CorrectResultPasses) {
  const CaseOutcome outcome = run(write_case(), correct());
  EXPECT_TRUE(outcome.failures.empty()) << joined(outcome.failures);
  EXPECT_TRUE(outcome.skipped.empty()) << outcome.skipped;
}

TEST_F(CaseChecks, ToleranceWithoutBoundFails) {
  json tolerance = kTolerance;
  tolerance["latent"] = json::object();
  expect_failures_say(run(write_case(kOutputs, tolerance), correct()), "has no bound");
}

TEST_F(CaseChecks, BoundThatIsNotANumberFails) {
  json tolerance = kTolerance;
  tolerance["latent"] = {{"max_abs", "0.001"}};
  expect_failures_say(run(write_case(kOutputs, tolerance), correct()), "not a number");
}

TEST_F(CaseChecks, OutputWithoutToleranceFails) {
  json tolerance = kTolerance;
  tolerance.erase("image");
  expect_failures_say(run(write_case(kOutputs, tolerance), correct()), "no tolerance entry");
}

TEST_F(CaseChecks, ShapeMismatchFails) {
  Results results = correct();
  results[0].second = latent_ref().narrow(1, 0, 3);
  expect_failures_say(run(write_case(), results), "shape [4, 3], expected [4, 4]");
}

TEST_F(CaseChecks, FloatResultForUint8ReferenceFails) {
  Results results = correct();
  results[1].second = image_ref().to(torch::kFloat32);
  expect_failures_say(run(write_case(), results), "dtype Float, expected Byte");
}

TEST_F(CaseChecks, Int64ResultForUint8ReferenceFails) {
  Results results = correct();
  results[1].second = image_ref().to(torch::kInt64);
  expect_failures_say(run(write_case(), results), "dtype Long, expected Byte");
}

TEST_F(CaseChecks, NanInResultFails) {
  Results results = correct();
  results[0].second[2][1] = NAN;
  expect_failures_say(run(write_case(), results), "1 NaN or infinite values in the result");
}

TEST_F(CaseChecks, ValueBeyondMaxAbsFails) {
  Results results = correct();
  results[0].second[3][3] += 0.01;
  expect_failures_say(run(write_case(), results), "max_abs 0.0105 exceeds 0.001");
}

TEST_F(CaseChecks, TooLargeFractionDifferingFails) {
  Results results = correct();
  results[1].second = image_ref() + 1;  // every element within max_abs 2, all six differ
  expect_failures_say(run(write_case(), results), "fraction differing 1 exceeds 0.25");
}

TEST_F(CaseChecks, ListedOutputNotComparedFails) {
  Results results = correct();
  results.pop_back();
  expect_failures_say(run(write_case(), results),
                      "listed output image was not compared and has no waiver in the " +
                          std::string(kKind) + " runner");
}

TEST_F(CaseChecks, WaivedOutputNotComparedPasses) {
  Results results = correct();
  results.pop_back();
  const CaseOutcome outcome = run(write_case(), results, {{"image", "not computed here"}});
  EXPECT_TRUE(outcome.failures.empty()) << joined(outcome.failures);
}

TEST_F(CaseChecks, WaivedOutputThatIsComparedFails) {
  expect_failures_say(run(write_case(), correct(), {{"image", "not computed here"}}),
                      "image is compared but waived; drop the waiver");
}

TEST_F(CaseChecks, OutputNotListedFails) {
  Results results = correct();
  results.push_back({"extra", torch::zeros({1})});
  expect_failures_say(run(write_case(), results), "not among the manifest's outputs");
}

// "<mode>" outputs expand over params.cases: each expansion must be compared.
TEST_F(CaseChecks, ModeOutputsExpandAndEachMustBeCompared) {
  const json outputs = {{"latent_<mode>", "per mode"}};
  const json tolerance = {{"latent_<mode>", {{"max_abs", 1e-3}}}};
  const std::string path = write_case(outputs, tolerance);
  json manifest = files::read_json_file(path);
  manifest["params"] = {{"cases", {{"a", json::object()}, {"b", json::object()}}}};
  std::ofstream(path) << files::json_dump(manifest, 2);
  EXPECT_EQ(Case(path).listed_outputs(), (std::vector<std::string>{"latent_a", "latent_b"}));
  auto compare_a = [](Case& c) { c.check("latent_a", latent_ref(), latent_ref()); };
  register_kind(kKind, KindRunner{compare_a, /*runs_networks=*/false, /*waivers=*/{}});
  expect_failures_say(run_case(path, {}), "listed output latent_b was not compared");
}

TEST_F(CaseChecks, UnknownKindFails) {
  expect_failures_say(run(write_case(kOutputs, kTolerance, "no_such_kind"), correct()),
                      "no runner for kind \"no_such_kind\"");
}

TEST_F(CaseChecks, ManifestWithoutKindFails) {
  std::ofstream(dir_.file("bad.manifest.json")) << R"({"io": "checks.io.safetensors"})";
  expect_failures_say(run_case(dir_.file("bad.manifest.json"), {}), "bad manifest");
}

// Reduced precision: the bound of an output computed in the reduced dtype is the scaled max_abs
// alone. A float output rounded to bf16 differs from the fp32 reference almost everywhere, so a
// max_fraction_differing bound stated for fp32 must not apply to it.
TEST_F(CaseChecks, ReducedPrecisionHoldsFloatOutputsToTheScaledMaxAbsOnly) {
  json tolerance = kTolerance;
  tolerance["latent"] = {{"max_abs", 0.01}, {"max_fraction_differing", 0.01}};
  const std::string path = write_case(kOutputs, tolerance);
  const torch::Tensor rounded = latent_ref().to(torch::kBFloat16);

  // In fp32 the same values (within max_abs, bf16 rounds by at most 2^-9 * 2.9) fail the
  // fraction bound: the bound is real.
  Case fp32(path);
  fp32.check("latent", rounded.to(torch::kFloat32), latent_ref());
  EXPECT_FALSE(fp32.results().back().ok);
  EXPECT_TRUE(contains(fp32.results().back().problem, "fraction differing"))
      << fp32.results().back().problem;

  const Precision bf16{torch::kCPU, torch::kBFloat16};
  Case reduced(path, bf16);
  reduced.check("latent", rounded, latent_ref());
  const Comparison& r = reduced.results().back();
  EXPECT_GT(r.fraction_differing, 0.01);
  EXPECT_TRUE(r.ok) << r.problem << " (tolerance " << r.tolerance << ")";
  EXPECT_TRUE(contains(r.tolerance, "in bf16 cpu")) << r.tolerance;
  EXPECT_TRUE(contains(r.tolerance, "any fraction")) << r.tolerance;

  // The same through the runner, next to a uint8 output quantised from bf16 values.
  Results results = {{"latent", rounded}, {"image", image_ref() + 1}};
  const CaseOutcome outcome = run(path, results, {}, {}, bf16);
  EXPECT_TRUE(outcome.failures.empty()) << joined(outcome.failures);

  // The scaled max_abs still bounds every element: 0.01 + 16 * 2^-8 * 2.9 = 0.191.
  results[0].second = (latent_ref() + 0.5).to(torch::kBFloat16);
  expect_failures_say(run(path, results, {}, {}, bf16), "exceeds 0.191");
}

TEST_F(CaseChecks, ReducedPrecisionNeedsTheReducedDtype) {
  const Precision bf16{torch::kCPU, torch::kBFloat16};
  Results results = {{"latent", latent_ref()}, {"image", image_ref()}};
  expect_failures_say(run(write_case(), results, {}, {}, bf16),
                      "dtype Float, expected BFloat16 (reference Float)");
  // Unless the kind computes that output in float32 by design.
  const CaseOutcome outcome =
      run(write_case(), results, {}, {{"latent", "float32 by design"}}, bf16);
  EXPECT_TRUE(outcome.failures.empty()) << joined(outcome.failures);
}

}  // namespace
}  // namespace musetalk::parity
