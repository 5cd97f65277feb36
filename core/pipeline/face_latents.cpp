#include "pipeline/face_latents.h"

#include "files/error.h"

namespace musetalk::pipeline {

torch::Tensor vae_input_pair(const torch::Tensor& crop) {
  if (crop.dim() != 3 || crop.size(0) != kFaceCropSize || crop.size(1) != kFaceCropSize ||
      crop.size(2) != 3 || crop.scalar_type() != torch::kUInt8) {
    throw Error("face crop", "is not a 256x256 8-bit BGR image");
  }
  // Upstream divides in float64 (numpy) and then converts to float32.
  torch::Tensor rgb =
      crop.flip(2).permute({2, 0, 1}).to(torch::kFloat64).div(255.0).to(torch::kFloat32);
  torch::Tensor masked = rgb.clone();
  masked.narrow(1, kFaceCropSize / 2, kFaceCropSize / 2).zero_();
  return torch::stack({masked, rgb}).sub(0.5).div(0.5);
}

torch::Tensor encode_face_crops(nn::AutoencoderKL& vae, double scaling_factor,
                                const std::vector<torch::Tensor>& crops) {
  torch::InferenceMode inference;
  const torch::Tensor param = vae->parameters().front();
  std::vector<torch::Tensor> pairs;
  pairs.reserve(crops.size());
  for (const torch::Tensor& crop : crops) pairs.push_back(vae_input_pair(crop));
  torch::Tensor x = torch::cat(pairs).to(param.device(), param.scalar_type());
  torch::Tensor mean = vae->encode(x).first.mul(scaling_factor);  // (2b, 4, 32, 32)
  // Rows alternate masked, whole: (b, 2, 4, 32, 32) -> (b, 8, 32, 32).
  return mean.reshape({-1, 2 * mean.size(1), mean.size(2), mean.size(3)});
}

}  // namespace musetalk::pipeline
