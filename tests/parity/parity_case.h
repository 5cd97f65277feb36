#pragma once
// One fixture manifest as a parity case: its config, synthetic weights and stored inputs, and
// the comparison of computed outputs with the stored ones under the manifest's tolerances.
// Kind runners (one file per kind) register themselves with REGISTER_PARITY_KIND, naming the
// listed outputs they do not compute and why.

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "files/json_file.h"
#include "torch_io/state_dict.h"

namespace musetalk::parity {

// Where the case's networks run and in which dtype. fp32 on the CPU is the reference setting;
// bf16 (CPU) and fp16 (CUDA) are the reduced precisions `--precision` offers.
struct Precision {
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;

  bool reduced() const { return dtype != torch::kFloat32; }
  std::string name() const;  // "fp32 cpu", "bf16 cpu", "fp16 cuda"
};

struct Comparison {
  std::string output;     // the manifest's output name ("mask_jaw" for "mask_<mode>")
  std::string io;         // the io file's stem when the manifest has several, else ""
  bool compared = false;  // the values were compared (dtype and shape agreed)
  double max_abs = 0;     // over all elements, after upcasting both to float64
  double fraction_differing = 0;
  std::string tolerance;  // the bound applied, as the manifest states it (+ scaling)
  bool ok = false;
  // Why it failed: the manifest, dtype, shape, NaN or infinity, or the bound a value exceeded.
  std::string problem;
};

class Case {
 public:
  // Throws Error naming the manifest when it is not JSON or has no "kind".
  explicit Case(const std::string& manifest_path, Precision precision = {});

  const std::string& name() const { return name_; }  // file stem without ".manifest"
  const std::string& kind() const { return kind_; }
  const Precision& precision() const { return precision_; }
  const nlohmann::ordered_json& manifest() const { return manifest_; }
  const nlohmann::ordered_json& config() const { return manifest_.at("config"); }
  std::string path_in_folder(const std::string& file) const;

  // The stored tensors of an io file (default: the manifest's single "io"), on the CPU.
  StateDict io(const std::string& file = "") const;
  // The manifest's io files: its "io" list (one per audio case), or its single "io".
  std::vector<std::string> io_files() const;
  // How results name an io file: its stem ("whisper_short") when "io" is a list, else "".
  std::string io_case(const std::string& file) const;
  // The synthetic weights the manifest lists, in checkpoint naming (float32 / int64, CPU).
  StateDict weights() const;
  // Another manifest of the same folder, by stem ("unet_tiny"), with the same precision.
  Case sibling(const std::string& stem) const;

  // What load_model_set does to a network once its weights are loaded (core/model/model_set.cpp
  // make_ready): to the case's device and dtype, eval mode, no gradients. A UNet's prepare()
  // must follow.
  void make_ready(torch::nn::Module& module) const;
  // A stored floating input on the case's device in its dtype (integer tensors keep theirs).
  torch::Tensor input(const torch::Tensor& stored) const;

  // The manifest's outputs, "<mode>" expanded over params.cases, in manifest order.
  std::vector<std::string> listed_outputs() const;
  // Problems with the manifest's tolerance table for the listed outputs: a missing entry, one
  // without any bound, a bound that is not a non-negative number.
  std::vector<std::string> tolerance_problems() const;

  // Compares one output (any device) with the stored tensor under its tolerance. An integer
  // reference needs exactly its dtype; a float one needs float32, or in reduced precision the
  // case's dtype (float32 only for the kind's full_precision outputs). Values are compared
  // after upcasting to float64; a NaN or infinity in the result fails. In reduced precision an
  // output computed in the reduced dtype is held to the scaled max_abs bound alone
  // (reduced_precision_bound in parity_case.cpp), without max_fraction_differing.
  // io: the io file's stem, for manifests with several.
  void check(const std::string& output, const torch::Tensor& got, const torch::Tensor& expected,
             const std::string& io = "");
  const std::vector<Comparison>& results() const { return results_; }

 private:
  const nlohmann::ordered_json* tolerance_for(const std::string& output) const;
  bool full_precision(const std::string& output) const;

  std::string path_, dir_, name_, kind_;
  Precision precision_;
  nlohmann::ordered_json manifest_;
  std::vector<Comparison> results_;
};

// Whether `output` is the manifest name `pattern`, where "<mode>" in the pattern stands for any
// non-empty name ("mask_<mode>" matches "mask_jaw").
bool output_matches(const std::string& pattern, const std::string& output);

// A listed output a kind runner does not compute, with the reason. `output` is the manifest's
// name, "<mode>" patterns included.
struct Waiver {
  std::string output;
  std::string reason;
};

struct KindRunner {
  std::function<void(Case&)> run;
  // Whether the kind runs networks, and so also runs in reduced precision.
  bool runs_networks = false;
  // Listed outputs the runner does not compute, and why.
  std::vector<Waiver> waivers;
  // Float outputs computed in float32 even in reduced precision, and why (e.g. the log-mel).
  // Every other float output of a reduced-precision case must come in the reduced dtype.
  std::vector<Waiver> full_precision = {};
};

// kind -> runner; runners register at static-initialisation time.
std::map<std::string, KindRunner>& kind_runners();
bool register_kind(const std::string& kind, KindRunner runner);

#define PARITY_CONCAT_INNER(a, b) a##b
#define PARITY_CONCAT(a, b) PARITY_CONCAT_INNER(a, b)
// REGISTER_PARITY_KIND("unet", run_unet, /*runs_networks=*/true, {waivers}, {full_precision})
#define REGISTER_PARITY_KIND(kind, ...)                                \
  static const bool PARITY_CONCAT(parity_kind_registered_, __LINE__) = \
      ::musetalk::parity::register_kind(kind, ::musetalk::parity::KindRunner{__VA_ARGS__})

}  // namespace musetalk::parity
