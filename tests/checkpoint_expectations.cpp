#include "checkpoint_expectations.h"

#include <algorithm>
#include <filesystem>

#include "test_support.h"

namespace musetalk::test {

namespace fs = std::filesystem;

std::vector<std::string> checkpoint_fixture_paths() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(fixtures_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ckpt_", 0) == 0 && name.rfind("ckpt_expected", 0) != 0) {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::map<std::string, Expectations> load_expectations() {
  files::Checkpoint all = files::read_checkpoint(fixtures_dir() + "/ckpt_expected.safetensors");
  std::map<std::string, Expectations> out;
  for (const auto& [name, t] : all.tensors) {
    size_t slash = name.find('/');
    if (slash == std::string::npos) continue;
    out[name.substr(0, slash)][name.substr(slash + 1)] =
        ExpectedTensor{t.dtype, t.sizes, t.contiguous_bytes()};
  }
  return out;
}

std::string compare_with_expected(const files::Checkpoint& ckpt, const Expectations& expected) {
  std::string diff;
  for (const auto& [name, want] : expected) {
    const files::TensorData* got = ckpt.find(name);
    if (!got) {
      diff += "missing " + name + "; ";
      continue;
    }
    if (got->dtype != want.dtype) {
      diff += name + " is " + files::dtype_name(got->dtype) + ", expected " +
              files::dtype_name(want.dtype) + "; ";
    } else if (got->sizes != want.sizes) {
      diff += name + " has shape " + files::shape_string(got->sizes) + ", expected " +
              files::shape_string(want.sizes) + "; ";
    } else if (got->contiguous_bytes() != want.bytes) {
      diff += name + " has different values; ";
    }
  }
  for (const auto& [name, t] : ckpt.tensors) {
    if (!expected.count(name)) diff += "unexpected " + name + "; ";
  }
  return diff;
}

}  // namespace musetalk::test
