#pragma once
// The ckpt_* fixtures and what reading each must return (ckpt_expected.safetensors holds every
// tensor under "<file stem>/<name>").

#include <map>
#include <string>
#include <vector>

#include "files/checkpoint.h"

namespace musetalk::test {

struct ExpectedTensor {
  files::DType dtype;
  std::vector<int64_t> sizes;
  std::vector<uint8_t> bytes;
};

using Expectations = std::map<std::string, ExpectedTensor>;

// Every ckpt_* file of the fixtures folder except the expectations themselves, sorted.
std::vector<std::string> checkpoint_fixture_paths();

// Expected tensors per file stem.
std::map<std::string, Expectations> load_expectations();

// "" when the checkpoint holds exactly the expected tensors, bit for bit; else what differs.
std::string compare_with_expected(const files::Checkpoint& ckpt, const Expectations& expected);

}  // namespace musetalk::test
