#pragma once
// One fixture manifest as a parity case: its config, synthetic weights and stored inputs, and
// the comparison of computed outputs with the stored ones under the manifest's tolerances.
// Kind runners (one file per kind) register themselves with REGISTER_PARITY_KIND.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "files/json.h"
#include "torch_io/state_dict.h"

namespace musetalk::parity {

struct Comparison {
  std::string output;
  double max_abs = 0;
  double fraction_differing = 0;
  std::string tolerance;  // as the manifest states it
  bool ok = false;
  std::string problem;  // shape or dtype mismatch
};

class Case {
 public:
  explicit Case(const std::string& manifest_path);

  const std::string& name() const { return name_; }  // file stem without ".manifest"
  const std::string& kind() const { return kind_; }
  const files::Json& manifest() const { return manifest_; }
  const files::Json& config() const { return manifest_.at("config"); }
  std::string path_in_folder(const std::string& file) const;

  // The stored tensors of an io file (default: the manifest's single "io").
  StateDict io(const std::string& file = "") const;
  // The synthetic weights the manifest lists, in checkpoint naming.
  StateDict weights() const;
  // Another manifest of the same folder, by stem ("unet_tiny").
  Case sibling(const std::string& stem) const;

  // Compares one output (any dtype/device) with the stored tensor under its tolerance.
  void check(const std::string& output, const torch::Tensor& got, const torch::Tensor& expected);
  const std::vector<Comparison>& results() const { return results_; }

 private:
  const files::Json& tolerance_for(const std::string& output) const;

  std::string path_, dir_, name_, kind_;
  files::Json manifest_;
  std::vector<Comparison> results_;
};

using KindRunner = std::function<void(Case&)>;

// kind -> runner; runners register at static-initialisation time.
std::map<std::string, KindRunner>& kind_runners();
bool register_kind(const std::string& kind, KindRunner runner);

#define REGISTER_PARITY_KIND(kind, fn) \
  static const bool registered_##fn = ::musetalk::parity::register_kind(kind, fn)

}  // namespace musetalk::parity
