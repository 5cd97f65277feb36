#include "model/runtime_options.h"

#include "files/error.h"

namespace musetalk {

torch::Device parse_device(const std::string& text) {
  if (text == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
  if (text == "cpu") return torch::kCPU;
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (text.size() > 5) {
      const std::string n = text.substr(5);
      if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 3) {
        throw Error("device " + text, "not a device index", "use cuda:0, cuda:1, ...");
      }
      index = std::stoi(n);
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (count == 0) {
      throw Error("device " + text, "no CUDA device is available (or this build has no CUDA)",
                  "use cpu, or a LibTorch built with CUDA");
    }
    if (index >= count) {
      throw Error("device " + text, "this machine has " + std::to_string(count) + " CUDA device(s)",
                  "use an index below " + std::to_string(count));
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw Error("device " + text, "unknown device", "use auto, cpu, cuda or cuda:N");
}

Precision parse_precision(const std::string& text) {
  if (text == "auto") return Precision::Auto;
  if (text == "fp32") return Precision::FP32;
  if (text == "fp16") return Precision::FP16;
  if (text == "bf16") return Precision::BF16;
  throw Error("precision " + text, "unknown precision", "use auto, fp32, fp16 or bf16");
}

torch::ScalarType resolve_dtype(Precision p, const torch::Device& device) {
  if (p == Precision::FP16 && !device.is_cuda()) {
    throw Error("precision fp16",
                "half precision runs on CUDA devices only: LibTorch's CPU kernels cannot run the "
                "networks in fp16",
                "use fp32 or bf16 on the CPU, or fp16 on a CUDA device");
  }
  switch (p) {
    case Precision::FP32:
      return torch::kFloat32;
    case Precision::FP16:
      return torch::kFloat16;
    case Precision::BF16:
      return torch::kBFloat16;
    case Precision::Auto:
      break;
  }
  return device.is_cuda() ? torch::kFloat16 : torch::kFloat32;
}

}  // namespace musetalk
