// BiSeNet face parsing network: zllrunning/face-parsing.PyTorch model.py and resnet.py.
#include "nn/bisenet.h"

#include "files/error.h"
#include "files/tensor_data.h"

namespace musetalk::nn {
namespace bisenet {
namespace {

namespace F = torch::nn::functional;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

torch::nn::BatchNorm2d batch_norm(int64_t channels) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNormOptions(channels).eps(1e-5));
}

// F.avg_pool2d(x, x.size()[2:]): the mean over the whole feature map, (B, C, 1, 1).
torch::Tensor global_average(const torch::Tensor& x) {
  return x.mean({2, 3}, /*keepdim=*/true);
}

// F.interpolate(x, (h, w), mode='nearest').
torch::Tensor nearest(const torch::Tensor& x, int64_t h, int64_t w) {
  return F::interpolate(
      x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
}

// resnet.py create_layer_basic: the first block may change channels and stride.
torch::nn::Sequential basic_layer(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(BasicBlock(in, out, stride), BasicBlock(out, out, 1));
}

}  // namespace

ConvBNReLUImpl::ConvBNReLUImpl(int64_t in, int64_t out, int64_t kernel, int64_t padding) {
  conv = register_module("conv", bisenet::conv(in, out, kernel, 1, padding));
  bn = register_module("bn", batch_norm(out));
}

torch::Tensor ConvBNReLUImpl::forward(const torch::Tensor& x) {
  return torch::relu(bn(conv(x)));
}

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", conv(in, out, 3, stride, 1));
  bn1 = register_module("bn1", batch_norm(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1, 1));
  bn2 = register_module("bn2", batch_norm(out));
  if (in != out || stride != 1) {
    downsample = register_module(
        "downsample", torch::nn::Sequential(conv(in, out, 1, stride, 0), batch_norm(out)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor residual = bn2(conv2(torch::relu(bn1(conv1(x)))));
  torch::Tensor shortcut = downsample ? downsample->forward(x) : x;
  return torch::relu(shortcut + residual);
}

Resnet18Impl::Resnet18Impl() {
  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
  bn1 = register_module("bn1", batch_norm(64));
  layer1 = register_module("layer1", basic_layer(64, 64, 1));
  layer2 = register_module("layer2", basic_layer(64, 128, 2));
  layer3 = register_module("layer3", basic_layer(128, 256, 2));
  layer4 = register_module("layer4", basic_layer(256, 512, 2));
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> Resnet18Impl::forward(
    const torch::Tensor& x) {
  torch::Tensor h = torch::relu(bn1(conv1(x)));
  h = F::max_pool2d(h, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
  h = layer1->forward(h);
  torch::Tensor feat8 = layer2->forward(h);
  torch::Tensor feat16 = layer3->forward(feat8);
  torch::Tensor feat32 = layer4->forward(feat16);
  return {feat8, feat16, feat32};
}

AttentionRefinementModuleImpl::AttentionRefinementModuleImpl(int64_t in, int64_t out) {
  conv = register_module("conv", ConvBNReLU(in, out, 3, 1));
  conv_atten = register_module("conv_atten", bisenet::conv(out, out, 1, 1, 0));
  bn_atten = register_module("bn_atten", batch_norm(out));
}

torch::Tensor AttentionRefinementModuleImpl::forward(const torch::Tensor& x) {
  torch::Tensor feat = conv(x);
  return feat * torch::sigmoid(bn_atten(conv_atten(global_average(feat))));
}

ContextPathImpl::ContextPathImpl() {
  resnet = register_module("resnet", Resnet18());
  arm16 = register_module("arm16", AttentionRefinementModule(256, 128));
  arm32 = register_module("arm32", AttentionRefinementModule(512, 128));
  conv_head32 = register_module("conv_head32", ConvBNReLU(128, 128, 3, 1));
  conv_head16 = register_module("conv_head16", ConvBNReLU(128, 128, 3, 1));
  conv_avg = register_module("conv_avg", ConvBNReLU(512, 128, 1, 0));
}

std::tuple<torch::Tensor, torch::Tensor> ContextPathImpl::forward(const torch::Tensor& x) {
  auto [feat8, feat16, feat32] = resnet(x);
  // avg_up = F.interpolate(conv_avg(avg), (H32, W32), 'nearest'): a (1, 1) map broadcast.
  torch::Tensor avg = conv_avg(global_average(feat32));
  torch::Tensor feat32_sum = arm32(feat32) + avg;
  torch::Tensor feat32_up = conv_head32(nearest(feat32_sum, feat16.size(2), feat16.size(3)));
  torch::Tensor feat16_sum = arm16(feat16) + feat32_up;
  torch::Tensor feat16_up = conv_head16(nearest(feat16_sum, feat8.size(2), feat8.size(3)));
  return {feat8, feat16_up};
}

FeatureFusionModuleImpl::FeatureFusionModuleImpl(int64_t in, int64_t out) {
  convblk = register_module("convblk", ConvBNReLU(in, out, 1, 0));
  conv1 = register_module("conv1", conv(out, out / 4, 1, 1, 0));
  conv2 = register_module("conv2", conv(out / 4, out, 1, 1, 0));
}

torch::Tensor FeatureFusionModuleImpl::forward(const torch::Tensor& fsp, const torch::Tensor& fcp) {
  torch::Tensor feat = convblk(torch::cat({fsp, fcp}, 1));
  torch::Tensor atten = torch::sigmoid(conv2(torch::relu(conv1(global_average(feat)))));
  return feat * atten + feat;
}

BiSeNetOutputImpl::BiSeNetOutputImpl(int64_t in, int64_t mid, int64_t classes) {
  conv = register_module("conv", ConvBNReLU(in, mid, 3, 1));
  conv_out = register_module("conv_out", bisenet::conv(mid, classes, 1, 1, 0));
}

torch::Tensor BiSeNetOutputImpl::forward(const torch::Tensor& x) {
  return conv_out(conv(x));
}

}  // namespace bisenet

BiSeNetImpl::BiSeNetImpl(int64_t n_classes) {
  cp = register_module("cp", bisenet::ContextPath());
  ffm = register_module("ffm", bisenet::FeatureFusionModule(256, 256));
  conv_out = register_module("conv_out", bisenet::BiSeNetOutput(256, 256, n_classes));
  conv_out16 = register_module("conv_out16", bisenet::BiSeNetOutput(128, 64, n_classes));
  conv_out32 = register_module("conv_out32", bisenet::BiSeNetOutput(128, 64, n_classes));
}

torch::Tensor BiSeNetImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || !x.is_floating_point()) {
    throw Error("BiSeNet input",
                "expected a (B, 3, H, W) floating-point tensor, got " +
                    files::shape_string(x.sizes().vec()) + " " +
                    std::string(c10::toString(x.scalar_type())),
                "pass the normalised RGB image batch channels first");
  }
  auto [feat8, feat16_up] = cp(x);
  torch::Tensor logits = conv_out(ffm(feat8, feat16_up));
  namespace F = torch::nn::functional;
  return F::interpolate(logits, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                    .mode(torch::kBilinear)
                                    .align_corners(true));
}

}  // namespace musetalk::nn
