#include "model/face_generator.h"

#include "audio/positional_encoding.h"

namespace musetalk {

torch::Tensor decode_to_bgr(nn::AutoencoderKL& vae, const torch::Tensor& latents,
                            double scaling_factor) {
  torch::Tensor image = vae->decode(latents / scaling_factor);  // [B, 3, H, W] RGB in ~[-1, 1]
  torch::Tensor scaled = (image.to(torch::kFloat32) / 2 + 0.5).clamp(0, 1) * 255;
  torch::Tensor bytes = torch::round(scaled).to(torch::kUInt8);
  return bytes.flip({1}).permute({0, 2, 3, 1}).contiguous();  // [B, H, W, 3] BGR
}

GeneratedFaces generate_faces(nn::UNet2DConditionModel& unet, nn::AutoencoderKL& vae,
                              double scaling_factor, const torch::Tensor& audio,
                              const torch::Tensor& avatar_latents) {
  const auto dtype = unet->parameters().front().scalar_type();
  const auto device = unet->parameters().front().device();
  torch::Tensor tokens = audio::add_positional_encoding(audio.to(device, dtype));
  GeneratedFaces out;
  out.latents = unet->forward(avatar_latents.to(device, dtype), tokens);
  out.bgr = decode_to_bgr(vae, out.latents, scaling_factor);
  return out;
}

}  // namespace musetalk
