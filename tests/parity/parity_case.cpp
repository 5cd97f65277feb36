#include "parity/parity_case.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "files/error.h"
#include "files/file_source.h"
#include "files/tensor_data.h"
#include "model/synthetic_weights.h"

namespace musetalk::parity {
namespace {

namespace fs = std::filesystem;

const std::string kModeMarker = "<mode>";

}  // namespace

bool output_matches(const std::string& pattern, const std::string& output) {
  const size_t at = pattern.find(kModeMarker);
  if (at == std::string::npos) return pattern == output;
  const std::string prefix = pattern.substr(0, at),
                    suffix = pattern.substr(at + kModeMarker.size());
  return output.size() > prefix.size() + suffix.size() && output.rfind(prefix, 0) == 0 &&
         output.compare(output.size() - suffix.size(), suffix.size(), suffix) == 0;
}

namespace {

std::string dtype_name(torch::ScalarType t) {
  return c10::toString(t);
}

// Significand bits (implicit bit included) of a reduced float dtype.
int significand_bits(torch::ScalarType t) {
  switch (t) {
    case torch::kBFloat16:
      return 8;
    case torch::kHalf:
      return 11;
    default:
      return 24;
  }
}

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Reduced-precision bound: A + 16 * 2^-p * m. A is the manifest's fp32 bound, p the dtype's
// significand bits (bf16 8, fp16 11), so 2^-p is its unit roundoff, and m the reference's largest
// magnitude. Each rounded input, weight and layer output adds a relative error of up to 2^-p;
// through normalised layers these add like a random walk, and the longest chains here (frame: the
// tiny UNet's 390 weight tensors, then the VAE decoder's 68) are a few hundred roundings deep:
// sqrt(256) = 16 roundoffs at the output's scale. Measured in bf16 on the CPU: 2-5 roundoffs for
// one network, 12 for the frame's bytes (the UNet's error decoded), i.e. 1.4-7x inside the bound.
double reduced_precision_bound(double fp32_bound, torch::ScalarType dtype, double magnitude) {
  return fp32_bound + 16.0 * std::ldexp(1.0, -significand_bits(dtype)) * magnitude;
}

}  // namespace

std::string Precision::name() const {
  std::string d = dtype == torch::kBFloat16  ? "bf16"
                  : dtype == torch::kHalf    ? "fp16"
                  : dtype == torch::kFloat32 ? "fp32"
                                             : dtype_name(dtype);
  return d + " " + (device.is_cuda() ? "cuda" : "cpu");
}

Case::Case(const std::string& manifest_path, Precision precision)
    : path_(manifest_path), precision_(precision) {
  fs::path p(manifest_path);
  dir_ = p.parent_path().string();
  name_ = p.filename().string();
  const std::string suffix = ".manifest.json";
  if (name_.size() > suffix.size()) name_.resize(name_.size() - suffix.size());
  try {
    manifest_ = files::read_json_file(manifest_path);
    kind_ = files::json_get<std::string>(manifest_, "kind");
  } catch (const files::FormatError& e) {
    throw Error(manifest_path, std::string("bad manifest: ") + e.what());
  }
}

std::string Case::path_in_folder(const std::string& file) const {
  return (fs::path(dir_) / file).string();
}

StateDict Case::io(const std::string& file) const {
  std::string name = file;
  if (name.empty()) name = manifest_.at("io").get<std::string>();
  return load_state_dict(path_in_folder(name));
}

std::vector<std::string> Case::io_files() const {
  const nlohmann::ordered_json& io = manifest_.at("io");
  if (io.is_string()) return {io.get<std::string>()};
  std::vector<std::string> out;
  for (const nlohmann::ordered_json& f : io) out.push_back(f.get<std::string>());
  return out;
}

std::string Case::io_case(const std::string& file) const {
  if (manifest_.at("io").is_string()) return "";
  std::string stem = fs::path(file).filename().string();
  for (const std::string suffix : {".safetensors", ".io"}) {
    if (stem.size() > suffix.size() &&
        stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
      stem.resize(stem.size() - suffix.size());
    }
  }
  return stem;
}

StateDict Case::weights() const {
  StateDict out;
  for (const nlohmann::ordered_json& w : manifest_.at("weights")) {
    std::vector<int64_t> shape;
    for (const nlohmann::ordered_json& d : w.at("shape")) shape.push_back(d.get<int64_t>());
    const std::string& dtype = w.at("dtype").get<std::string>();
    const torch::ScalarType type = dtype == "int64" ? torch::kInt64 : torch::kFloat32;
    const std::string& name = w.at("name").get<std::string>();
    // int64 tensors (BatchNorm num_batches_tracked) are zero and carry no bounds.
    const bool ranged = type != torch::kInt64;
    out.insert(name, synthetic_tensor(name, shape, ranged ? w.at("lo").get<double>() : 0.0,
                                      ranged ? w.at("hi").get<double>() : 0.0, type));
  }
  return out;
}

Case Case::sibling(const std::string& stem) const {
  return Case(path_in_folder(stem + ".manifest.json"), precision_);
}

void Case::make_ready(torch::nn::Module& module) const {
  module.to(precision_.device, precision_.dtype);
  module.eval();
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

torch::Tensor Case::input(const torch::Tensor& stored) const {
  if (!stored.is_floating_point()) return stored.to(precision_.device);
  return stored.to(precision_.device, precision_.dtype);
}

bool Case::full_precision(const std::string& output) const {
  auto kind = kind_runners().find(kind_);
  if (kind == kind_runners().end()) return false;
  for (const Waiver& w : kind->second.full_precision) {
    if (output_matches(w.output, output)) return true;
  }
  return false;
}

std::vector<std::string> Case::listed_outputs() const {
  std::vector<std::string> out;
  const nlohmann::ordered_json* outputs = files::json_find(manifest_, "outputs");
  if (!outputs || !outputs->is_object()) return out;
  for (const auto& member : outputs->items()) {
    const std::string& name = member.key();
    const size_t at = name.find(kModeMarker);
    if (at == std::string::npos) {
      out.push_back(name);
      continue;
    }
    const nlohmann::ordered_json* params = files::json_find(manifest_, "params");
    const nlohmann::ordered_json* cases = params ? files::json_find(*params, "cases") : nullptr;
    if (!cases || !cases->is_object()) {
      out.push_back(name);  // unexpandable: tolerance_problems() reports it
      continue;
    }
    for (const auto& c : cases->items()) {
      out.push_back(name.substr(0, at) + c.key() + name.substr(at + kModeMarker.size()));
    }
  }
  return out;
}

const nlohmann::ordered_json* Case::tolerance_for(const std::string& output) const {
  const nlohmann::ordered_json* tol = files::json_find(manifest_, "tolerance");
  if (!tol || !tol->is_object()) return nullptr;
  if (const nlohmann::ordered_json* t = files::json_find(*tol, output)) return t;
  for (const auto& [key, t] : tol->items()) {
    if (output_matches(key, output)) return &t;
  }
  return nullptr;
}

std::vector<std::string> Case::tolerance_problems() const {
  std::vector<std::string> problems;
  const nlohmann::ordered_json* outputs = files::json_find(manifest_, "outputs");
  if (!outputs || !outputs->is_object() || outputs->empty()) {
    problems.push_back("the manifest lists no \"outputs\"");
  }
  for (const std::string& output : listed_outputs()) {
    if (output.find(kModeMarker) != std::string::npos) {
      problems.push_back(output + ": \"<mode>\" with no params.cases to expand it");
      continue;
    }
    const nlohmann::ordered_json* tol = tolerance_for(output);
    if (!tol) {
      problems.push_back(output + ": no tolerance entry");
      continue;
    }
    if (!tol->is_object()) {
      problems.push_back(output + ": tolerance " + tol->dump() + " is not an object");
      continue;
    }
    int bounds = 0;
    for (const char* key : {"max_abs", "max_fraction_differing"}) {
      const nlohmann::ordered_json* b = files::json_find(*tol, key);
      if (!b) continue;
      ++bounds;
      if (!b->is_number() || !(b->get<double>() >= 0)) {
        problems.push_back(output + ": " + key + " " + b->dump() + " is not a number >= 0");
      }
    }
    if (bounds == 0) {
      problems.push_back(output + ": tolerance " + tol->dump() +
                         " has no bound (neither max_abs nor max_fraction_differing)");
    }
  }
  return problems;
}

void Case::check(const std::string& output, const torch::Tensor& got, const torch::Tensor& expected,
                 const std::string& io) {
  Comparison c;
  c.output = output;
  c.io = io;
  auto fail = [&](const std::string& problem) {
    c.ok = false;
    c.problem = problem;
    results_.push_back(c);
  };

  const std::vector<std::string> listed = listed_outputs();
  if (std::find(listed.begin(), listed.end(), output) == listed.end()) {
    return fail("not among the manifest's outputs");
  }
  const nlohmann::ordered_json* tol = tolerance_for(output);
  if (!tol || !tol->is_object()) return fail("no tolerance entry");
  const nlohmann::ordered_json* max_abs = files::json_find(*tol, "max_abs");
  const nlohmann::ordered_json* max_fraction = files::json_find(*tol, "max_fraction_differing");
  if (!max_abs && !max_fraction) return fail("tolerance " + tol->dump() + " has no bound");
  if ((max_abs && !max_abs->is_number()) || (max_fraction && !max_fraction->is_number())) {
    return fail("tolerance " + tol->dump() + " has a bound that is not a number");
  }
  c.tolerance = tol->dump();

  // Integer references (uint8 images, int64 boxes) need exactly their dtype. Float ones need
  // float32, or in reduced precision the reduced dtype unless the kind computes that output in
  // float32 by design: a float32 result where the reduced dtype belongs would mean the reduced
  // path did not run.
  const torch::ScalarType want = expected.scalar_type(), have = got.scalar_type();
  torch::ScalarType required = want;
  if (expected.is_floating_point() && precision_.reduced() && !full_precision(output)) {
    required = precision_.dtype;
  }
  if (have != required) {
    return fail("dtype " + dtype_name(have) + ", expected " + dtype_name(required) +
                (required != want ? " (reference " + dtype_name(want) + ")" : ""));
  }
  if (got.sizes() != expected.sizes()) {
    return fail("shape " + files::shape_string(got.sizes().vec()) + ", expected " +
                files::shape_string(expected.sizes().vec()));
  }

  c.compared = true;
  const torch::Tensor ref = expected.detach().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor result = got.detach().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor diff = (result - ref).abs();
  c.max_abs = diff.numel() ? diff.max().item<double>() : 0.0;
  c.fraction_differing = diff.numel() ? (diff > 0).to(torch::kFloat64).mean().item<double>() : 0.0;

  // In reduced precision an output computed in the reduced dtype, or quantised from one (an
  // integer output of a network kind), gets the scaled bound, and only that: rounding to 8 (bf16)
  // or 11 (fp16) significand bits moves nearly every element of a float output off the fp32
  // reference, and a rounding error of a fraction of a step flips elements of a quantised one
  // anywhere, so a fraction of elements allowed to differ, stated for fp32, bounds neither. A
  // tolerance with only a fraction bound (a label map) keeps it: there is no max_abs to scale.
  const bool scaled = precision_.reduced() && !full_precision(output);
  double abs_bound = max_abs ? max_abs->get<double>() : INFINITY;
  double fraction_bound = max_fraction ? max_fraction->get<double>() : 1.0;
  if (scaled && max_abs) {
    const double magnitude = ref.numel() ? ref.abs().max().item<double>() : 0.0;
    abs_bound = reduced_precision_bound(abs_bound, precision_.dtype, magnitude);
    std::ostringstream s;
    s << " -> max_abs " << format_double(abs_bound) << " in " << precision_.name() << " (|ref| max "
      << format_double(magnitude) << ")";
    c.tolerance += s.str();
    if (max_fraction) {
      fraction_bound = 1.0;
      c.tolerance += ", any fraction";
    }
  }

  const int64_t non_finite = result.isfinite().logical_not().sum().item<int64_t>();
  if (non_finite > 0) {
    c.problem = std::to_string(non_finite) + " NaN or infinite values in the result";
  } else if (!std::isfinite(c.max_abs)) {
    c.problem = "NaN or infinite values in the reference";
  } else if (c.max_abs > abs_bound) {
    c.problem = "max_abs " + format_double(c.max_abs) + " exceeds " + format_double(abs_bound);
  } else if (c.fraction_differing > fraction_bound) {
    c.problem = "fraction differing " + format_double(c.fraction_differing) + " exceeds " +
                format_double(fraction_bound);
  }
  c.ok = c.problem.empty();
  results_.push_back(c);
}

std::map<std::string, KindRunner>& kind_runners() {
  static std::map<std::string, KindRunner> runners;
  return runners;
}

bool register_kind(const std::string& kind, KindRunner runner) {
  kind_runners()[kind] = std::move(runner);
  return true;
}

}  // namespace musetalk::parity
