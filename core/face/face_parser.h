#pragma once
// Face parsing for the blending mask (MuseTalk musetalk/utils/face_parsing/__init__.py
// FaceParsing): loading BiSeNet's 79999_iter.pth, and per-pixel CelebAMask-HQ labels for a batch
// of 512 x 512 RGB crops. The PIL resize of the enlarged face crop to 512 x 512 happens before
// (core/media), the mask rules on the labels after.

#include <torch/torch.h>

#include <string>

#include "nn/bisenet.h"

namespace musetalk::face {

// Side of the square image BiSeNet parses (FaceParsing.__call__ resizes to 512 x 512).
constexpr int64_t kParsingSize = 512;

// Builds BiSeNet, strict-loads the weight file at `path` (any torch.save container or
// safetensors, names as in 79999_iter.pth), moves it to `device` in `dtype`, eval mode, no
// gradients. Avatar creation loads it in float32 whatever the render precision, as upstream's
// FaceParsing runs it: the labels decide the blending mask, and in bf16 about 2% of the pixels
// of a parity fixture change label (fp32: none). Reduced dtypes are for measurements. Throws
// musetalk::Error naming the file when it is missing or unreadable, or when a tensor is missing,
// unexpected or mis-shaped (all such names listed at once).
nn::BiSeNet load_bisenet(const std::string& path, torch::Device device,
                         torch::ScalarType dtype = torch::kFloat32);

// rgb512: (B, 512, 512, 3) uint8 RGB on the CPU, the resized square crops. Applies
// torchvision ToTensor (/255) and Normalize(mean (0.485, 0.456, 0.406), std (0.229, 0.224,
// 0.225)) in float32, runs the network on its device in its dtype and takes the argmax over the
// 19 classes of the main head's logits (FaceParsing.__call__: net(img)[0].argmax(1)). Returns
// (B, 512, 512) uint8 labels on the CPU (0 background, 1 skin, ... 18 hat; first class on ties).
// Throws musetalk::Error when rgb512 is not a (B >= 1, 512, 512, 3) uint8 CPU tensor.
torch::Tensor parse_faces(nn::BiSeNet& net, const torch::Tensor& rgb512);

// The network input parse_faces builds: (B, 3, 512, 512) float32, normalised, on the CPU.
// Same checks and errors as parse_faces.
torch::Tensor normalise_for_parsing(const torch::Tensor& rgb512);

}  // namespace musetalk::face
