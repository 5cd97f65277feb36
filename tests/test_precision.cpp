// Precision choices that cannot run are refused when they are resolved, before any model loads,
// naming the setting ("precision fp16") and the ones that work.
#include <gtest/gtest.h>

#include "files/error.h"
#include "model/runtime_options.h"

namespace musetalk {
namespace {

TEST(Precision, Fp16OnTheCpuIsRefusedNamingTheSettingAndWhatWorks) {
  try {
    resolve_dtype(Precision::FP16, torch::kCPU);
    ADD_FAILURE() << "fp16 on the CPU was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "precision fp16") << e.what();
    EXPECT_NE(e.fix().find("fp32 or bf16"), std::string::npos) << e.what();
  }
  EXPECT_EQ(resolve_dtype(Precision::FP16, torch::Device(torch::kCUDA, 0)), torch::kFloat16);
  EXPECT_EQ(resolve_dtype(Precision::BF16, torch::kCPU), torch::kBFloat16);
  EXPECT_EQ(resolve_dtype(Precision::FP32, torch::kCPU), torch::kFloat32);
  EXPECT_EQ(resolve_dtype(Precision::Auto, torch::kCPU), torch::kFloat32);
}

}  // namespace
}  // namespace musetalk
