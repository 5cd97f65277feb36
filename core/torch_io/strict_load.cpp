#include "torch_io/strict_load.h"

#include <map>
#include <sstream>

#include "files/error.h"

namespace musetalk {
namespace {

std::map<std::string, torch::Tensor> slots(torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : module.named_parameters(true)) out.emplace(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) out.emplace(b.key(), b.value());
  return out;
}

std::string list(const std::vector<std::string>& items, size_t max_items = 20) {
  std::ostringstream s;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) s << "\n    " << items[i];
  if (items.size() > max_items) s << "\n    ... and " << items.size() - max_items << " more";
  return s.str();
}

std::string shape(const torch::IntArrayRef& s) {
  return files::shape_string(std::vector<int64_t>(s.begin(), s.end()));
}

}  // namespace

void load_strict(torch::nn::Module& module, const StateDict& weights, const std::string& source,
                 const NameMapper& map_name) {
  std::map<std::string, torch::Tensor> targets = slots(module);
  std::vector<std::string> unexpected, mismatched;
  std::map<std::string, const torch::Tensor*> matched;
  for (const auto& item : weights) {
    const std::string name = map_name ? map_name(item.key()) : item.key();
    if (name.empty()) continue;
    auto it = targets.find(name);
    if (it == targets.end()) {
      unexpected.push_back(item.key());
    } else if (it->second.sizes() != item.value().sizes()) {
      mismatched.push_back(item.key() + ": file " + shape(item.value().sizes()) + ", model " +
                           shape(it->second.sizes()));
    } else {
      matched[name] = &item.value();
    }
  }
  std::vector<std::string> missing;
  for (const auto& [name, t] : targets) {
    if (!matched.count(name)) missing.push_back(name);
  }
  // A mis-shaped key is reported once, not again as missing.
  if (!mismatched.empty()) {
    std::vector<std::string> still_missing;
    for (const std::string& m : missing) {
      bool reported = false;
      for (const std::string& mm : mismatched) reported |= mm.rfind(m + ":", 0) == 0;
      if (!reported) still_missing.push_back(m);
    }
    missing.swap(still_missing);
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::ostringstream problem;
    problem << "weights do not match the model (" << missing.size() << " missing, "
            << unexpected.size() << " unexpected, " << mismatched.size() << " with another shape)";
    if (!missing.empty()) problem << "\n  missing:" << list(missing);
    if (!unexpected.empty()) problem << "\n  unexpected:" << list(unexpected);
    if (!mismatched.empty()) problem << "\n  other shape:" << list(mismatched);
    throw Error(
        source, problem.str(),
        "use the weight file made for this model and its config file (see models/README.md)");
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, src] : matched) targets.at(name).copy_(*src);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> named_shapes(
    const torch::nn::Module& module) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& p : module.named_parameters(true))
    out.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : module.named_buffers(true))
    out.emplace_back(b.key(), b.value().sizes().vec());
  return out;
}

}  // namespace musetalk
