#include "parity/parity_case.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "files/error.h"
#include "files/file_source.h"
#include "model/synthetic_weights.h"

namespace musetalk::parity {

namespace fs = std::filesystem;

Case::Case(const std::string& manifest_path) : path_(manifest_path) {
  fs::path p(manifest_path);
  dir_ = p.parent_path().string();
  name_ = p.filename().string();
  const std::string suffix = ".manifest.json";
  if (name_.size() > suffix.size()) name_.resize(name_.size() - suffix.size());
  try {
    manifest_ = files::Json::parse(files::read_text_file(manifest_path));
    kind_ = manifest_.at("kind").as_string();
  } catch (const files::FormatError& e) {
    throw Error(manifest_path, std::string("bad manifest: ") + e.what());
  }
}

std::string Case::path_in_folder(const std::string& file) const {
  return (fs::path(dir_) / file).string();
}

StateDict Case::io(const std::string& file) const {
  std::string name = file;
  if (name.empty()) name = manifest_.at("io").as_string();
  return load_state_dict(path_in_folder(name));
}

StateDict Case::weights() const {
  StateDict out;
  for (const files::Json& w : manifest_.at("weights").as_array()) {
    std::vector<int64_t> shape;
    for (const files::Json& d : w.at("shape").as_array()) shape.push_back(d.as_int());
    const std::string& dtype = w.at("dtype").as_string();
    const torch::ScalarType type = dtype == "int64" ? torch::kInt64 : torch::kFloat32;
    const std::string& name = w.at("name").as_string();
    out.insert(name,
               synthetic_tensor(name, shape, w.at("lo").as_double(), w.at("hi").as_double(), type));
  }
  return out;
}

Case Case::sibling(const std::string& stem) const {
  return Case(path_in_folder(stem + ".manifest.json"));
}

const files::Json& Case::tolerance_for(const std::string& output) const {
  const files::Json& tol = manifest_.at("tolerance");
  if (const files::Json* t = tol.find(output)) return *t;
  // "<mode>" in a tolerance name stands for each case in params.cases.
  for (const auto& [key, t] : tol.as_object()) {
    size_t at = key.find("<mode>");
    if (at == std::string::npos) continue;
    std::string prefix = key.substr(0, at), suffix = key.substr(at + 6);
    if (output.size() > prefix.size() + suffix.size() && output.rfind(prefix, 0) == 0 &&
        output.compare(output.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return t;
    }
  }
  throw Error(path_, "no tolerance for output " + output);
}

void Case::check(const std::string& output, const torch::Tensor& got,
                 const torch::Tensor& expected) {
  Comparison c;
  c.output = output;
  const files::Json& tol = tolerance_for(output);
  c.tolerance = tol.dump();
  if (got.sizes() != expected.sizes()) {
    c.problem = "shape " + files::shape_string(got.sizes().vec()) + ", expected " +
                files::shape_string(expected.sizes().vec());
    results_.push_back(c);
    return;
  }
  torch::Tensor diff =
      (got.detach().to(torch::kCPU, torch::kFloat64) - expected.to(torch::kCPU, torch::kFloat64))
          .abs();
  c.max_abs = diff.numel() ? diff.max().item<double>() : 0.0;
  c.fraction_differing = diff.numel() ? (diff > 0).to(torch::kFloat64).mean().item<double>() : 0.0;
  const files::Json* max_abs = tol.find("max_abs");
  const files::Json* max_fraction = tol.find("max_fraction_differing");
  c.ok = std::isfinite(c.max_abs);
  if (max_abs) c.ok = c.ok && c.max_abs <= max_abs->as_double();
  if (max_fraction) c.ok = c.ok && c.fraction_differing <= max_fraction->as_double();
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
