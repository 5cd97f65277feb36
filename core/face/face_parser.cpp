// BiSeNet loading and face parsing (MuseTalk musetalk/utils/face_parsing/__init__.py).
#include "face/face_parser.h"

#include <filesystem>

#include "files/error.h"
#include "files/tensor_data.h"
#include "torch_io/state_dict.h"
#include "torch_io/strict_load.h"

namespace musetalk::face {

nn::BiSeNet load_bisenet(const std::string& path, torch::Device device, torch::ScalarType dtype) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path, "face parsing weights (BiSeNet 79999_iter.pth) not found",
                "download it as models/README.md says; `musetalk models check` lists what is "
                "missing");
  }
  nn::BiSeNet net;
  load_strict(*net, load_state_dict(path), path);
  net->to(device, dtype);
  net->eval();
  for (auto& p : net->parameters()) p.set_requires_grad(false);
  return net;
}

torch::Tensor normalise_for_parsing(const torch::Tensor& rgb512) {
  if (!rgb512.defined() || rgb512.dim() != 4 || rgb512.size(0) < 1 ||
      rgb512.size(1) != kParsingSize || rgb512.size(2) != kParsingSize || rgb512.size(3) != 3 ||
      rgb512.scalar_type() != torch::kUInt8 || !rgb512.device().is_cpu()) {
    std::string got = "undefined";
    if (rgb512.defined()) {
      got = files::shape_string(rgb512.sizes().vec()) + " " +
            std::string(c10::toString(rgb512.scalar_type())) + " on " + rgb512.device().str();
    }
    throw Error("face parsing input", "expected (B, 512, 512, 3) uint8 RGB on the CPU, got " + got,
                "resize the square face crops to 512 x 512 RGB before parsing");
  }
  // torchvision ToTensor: HWC -> CHW, float32 / 255; Normalize: (x - mean) / std.
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}, opts).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}, opts).view({1, 3, 1, 1});
  torch::Tensor x = rgb512.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255);
  return x.sub(mean).div(std).contiguous();
}

torch::Tensor parse_faces(nn::BiSeNet& net, const torch::Tensor& rgb512) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = normalise_for_parsing(rgb512);
  const torch::Tensor w = net->parameters().front();  // a copy: parameters() is a temporary
  const torch::Tensor logits = net->forward(x.to(w.device(), w.scalar_type()));
  return logits.argmax(1).to(torch::kCPU, torch::kUInt8);
}

}  // namespace musetalk::face
