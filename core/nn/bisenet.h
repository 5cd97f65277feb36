#pragma once
// BiSeNet face parsing as MuseTalk uses it for the blending mask (zllrunning/face-parsing.PyTorch
// model.py and resnet.py, vendored in MuseTalk as musetalk/utils/face_parsing/): a ResNet-18
// context path, attention refinement, feature fusion and a 19-class head. Module names follow
// the checkpoint 79999_iter.pth, so it loads by exact name (cp.resnet.*, cp.arm16.*, ffm.*,
// conv_out.*, ...). The auxiliary heads conv_out16 / conv_out32 are kept as modules so that a
// strict load checks every tensor of the file, but forward() never runs them: MuseTalk only
// reads the main head's output.

#include <torch/torch.h>

#include <tuple>

namespace musetalk::nn {
namespace bisenet {

// model.py ConvBNReLU: conv (no bias) -> BatchNorm2d (eps 1e-5) -> ReLU. Names conv.*, bn.*.
class ConvBNReLUImpl : public torch::nn::Module {
 public:
  ConvBNReLUImpl(int64_t in, int64_t out, int64_t kernel, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBNReLU);

// resnet.py BasicBlock: relu(bn1(conv1 3x3 stride s)) -> bn2(conv2 3x3), plus the shortcut
// (downsample.0 1x1 conv stride s, no bias -> downsample.1 BatchNorm2d when the channels or the
// stride change), then ReLU.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

// resnet.py Resnet18: conv1 7x7 s2 + bn1 + ReLU, maxpool 3 s2 p1, layer1..layer4 (2 blocks
// each). forward((B, 3, H, W)) -> (feat8, feat16, feat32): layer2, layer3 and layer4 outputs,
// (B, 128, H/8, W/8), (B, 256, H/16, W/16), (B, 512, H/32, W/32).
class Resnet18Impl : public torch::nn::Module {
 public:
  Resnet18Impl();
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(Resnet18);

// model.py AttentionRefinementModule: feat = conv(x) (ConvBNReLU 3x3); out = feat *
// sigmoid(bn_atten(conv_atten(global average of feat))).
class AttentionRefinementModuleImpl : public torch::nn::Module {
 public:
  AttentionRefinementModuleImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvBNReLU conv{nullptr};
  torch::nn::Conv2d conv_atten{nullptr};
  torch::nn::BatchNorm2d bn_atten{nullptr};
};
TORCH_MODULE(AttentionRefinementModule);

// model.py ContextPath: forward((B, 3, H, W)) -> (feat8 (B, 128, H/8, W/8), feat16_up
// (B, 128, H/8, W/8)). Upstream also returns feat32_up, which only the unused aux head reads.
class ContextPathImpl : public torch::nn::Module {
 public:
  ContextPathImpl();
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

 private:
  Resnet18 resnet{nullptr};
  AttentionRefinementModule arm16{nullptr}, arm32{nullptr};
  ConvBNReLU conv_head32{nullptr}, conv_head16{nullptr}, conv_avg{nullptr};
};
TORCH_MODULE(ContextPath);

// model.py FeatureFusionModule: feat = convblk(cat[fsp, fcp]) (ConvBNReLU 1x1); atten =
// sigmoid(conv2(relu(conv1(global average of feat)))); out = feat * atten + feat.
class FeatureFusionModuleImpl : public torch::nn::Module {
 public:
  FeatureFusionModuleImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& fsp, const torch::Tensor& fcp);

 private:
  ConvBNReLU convblk{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(FeatureFusionModule);

// model.py BiSeNetOutput: conv (ConvBNReLU 3x3 in -> mid), conv_out (1x1 mid -> classes, no bias).
class BiSeNetOutputImpl : public torch::nn::Module {
 public:
  BiSeNetOutputImpl(int64_t in, int64_t mid, int64_t classes);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvBNReLU conv{nullptr};
  torch::nn::Conv2d conv_out{nullptr};
};
TORCH_MODULE(BiSeNetOutput);

}  // namespace bisenet

// model.py BiSeNet(n_classes), 191 checkpoint tensors (BatchNorm buffers included).
class BiSeNetImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kClasses = 19;  // CelebAMask-HQ labels (0 background, 1 skin, ...)

  // n_classes: the heads' output channels (79999_iter.pth: kClasses).
  explicit BiSeNetImpl(int64_t n_classes = kClasses);

  // x: (B, 3, H, W) float, RGB already ImageNet-normalised (H, W: 512 in MuseTalk; any size
  // works, as upstream). Returns the main head's logits (B, n_classes, H, W) in x's dtype,
  // upsampled bilinearly with align_corners=True (model.py BiSeNet.forward, first output). Throws
  // musetalk::Error when x is not (B, 3, H, W) floating point.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bisenet::ContextPath cp{nullptr};
  bisenet::FeatureFusionModule ffm{nullptr};
  bisenet::BiSeNetOutput conv_out{nullptr}, conv_out16{nullptr}, conv_out32{nullptr};
};
TORCH_MODULE(BiSeNet);

}  // namespace musetalk::nn
