// S3FD network: face_alignment/detection/sfd/net_s3fd.py (MuseTalk's copy in
// musetalk/utils/face_detection/detection/sfd/net_s3fd.py), layer for layer.
#include "nn/s3fd.h"

#include <string>

#include "nn/resnet.h"

namespace musetalk::nn {
namespace {

namespace F = torch::nn::functional;

torch::Tensor pool(const torch::Tensor& x) {
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
}

}  // namespace

L2NormImpl::L2NormImpl(int64_t channels, double scale) {
  weight = register_parameter("weight", torch::full({channels}, scale));
}

torch::Tensor L2NormImpl::forward(const torch::Tensor& x) {
  const torch::Tensor norm = x.pow(2).sum(1, /*keepdim=*/true).sqrt() + 1e-10;
  return x / norm * weight.view({1, -1, 1, 1});
}

S3FDImpl::S3FDImpl() {
  // name, in, out, kernel, stride, padding
  const auto conv = [this](const std::string& name, int64_t in, int64_t out, int64_t kernel,
                           int64_t stride, int64_t padding) {
    return register_module(name, conv2d(in, out, kernel, stride, padding));
  };
  conv1_1 = conv("conv1_1", 3, 64, 3, 1, 1);
  conv1_2 = conv("conv1_2", 64, 64, 3, 1, 1);
  conv2_1 = conv("conv2_1", 64, 128, 3, 1, 1);
  conv2_2 = conv("conv2_2", 128, 128, 3, 1, 1);
  conv3_1 = conv("conv3_1", 128, 256, 3, 1, 1);
  conv3_2 = conv("conv3_2", 256, 256, 3, 1, 1);
  conv3_3 = conv("conv3_3", 256, 256, 3, 1, 1);
  conv4_1 = conv("conv4_1", 256, 512, 3, 1, 1);
  conv4_2 = conv("conv4_2", 512, 512, 3, 1, 1);
  conv4_3 = conv("conv4_3", 512, 512, 3, 1, 1);
  conv5_1 = conv("conv5_1", 512, 512, 3, 1, 1);
  conv5_2 = conv("conv5_2", 512, 512, 3, 1, 1);
  conv5_3 = conv("conv5_3", 512, 512, 3, 1, 1);
  fc6 = conv("fc6", 512, 1024, 3, 1, 3);  // padding 3, no dilation, as upstream
  fc7 = conv("fc7", 1024, 1024, 1, 1, 0);
  conv6_1 = conv("conv6_1", 1024, 256, 1, 1, 0);
  conv6_2 = conv("conv6_2", 256, 512, 3, 2, 1);
  conv7_1 = conv("conv7_1", 512, 128, 1, 1, 0);
  conv7_2 = conv("conv7_2", 128, 256, 3, 2, 1);

  conv3_3_norm = register_module("conv3_3_norm", L2Norm(256, 10.0));
  conv4_3_norm = register_module("conv4_3_norm", L2Norm(512, 8.0));
  conv5_3_norm = register_module("conv5_3_norm", L2Norm(512, 5.0));

  conv3_3_norm_mbox_conf = conv("conv3_3_norm_mbox_conf", 256, 4, 3, 1, 1);
  conv3_3_norm_mbox_loc = conv("conv3_3_norm_mbox_loc", 256, 4, 3, 1, 1);
  conv4_3_norm_mbox_conf = conv("conv4_3_norm_mbox_conf", 512, 2, 3, 1, 1);
  conv4_3_norm_mbox_loc = conv("conv4_3_norm_mbox_loc", 512, 4, 3, 1, 1);
  conv5_3_norm_mbox_conf = conv("conv5_3_norm_mbox_conf", 512, 2, 3, 1, 1);
  conv5_3_norm_mbox_loc = conv("conv5_3_norm_mbox_loc", 512, 4, 3, 1, 1);
  fc7_mbox_conf = conv("fc7_mbox_conf", 1024, 2, 3, 1, 1);
  fc7_mbox_loc = conv("fc7_mbox_loc", 1024, 4, 3, 1, 1);
  conv6_2_mbox_conf = conv("conv6_2_mbox_conf", 512, 2, 3, 1, 1);
  conv6_2_mbox_loc = conv("conv6_2_mbox_loc", 512, 4, 3, 1, 1);
  conv7_2_mbox_conf = conv("conv7_2_mbox_conf", 256, 2, 3, 1, 1);
  conv7_2_mbox_loc = conv("conv7_2_mbox_loc", 256, 4, 3, 1, 1);
}

std::vector<torch::Tensor> S3FDImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = torch::relu(conv1_1(x));
  h = pool(torch::relu(conv1_2(h)));
  h = torch::relu(conv2_1(h));
  h = pool(torch::relu(conv2_2(h)));
  h = torch::relu(conv3_1(h));
  h = torch::relu(conv3_2(h));
  const torch::Tensor f3_3 = torch::relu(conv3_3(h));
  h = torch::relu(conv4_1(pool(f3_3)));
  h = torch::relu(conv4_2(h));
  const torch::Tensor f4_3 = torch::relu(conv4_3(h));
  h = torch::relu(conv5_1(pool(f4_3)));
  h = torch::relu(conv5_2(h));
  const torch::Tensor f5_3 = torch::relu(conv5_3(h));
  h = torch::relu(fc6(pool(f5_3)));
  const torch::Tensor ffc7 = torch::relu(fc7(h));
  const torch::Tensor f6_2 = torch::relu(conv6_2(torch::relu(conv6_1(ffc7))));
  const torch::Tensor f7_2 = torch::relu(conv7_2(torch::relu(conv7_1(f6_2))));

  const torch::Tensor n3_3 = conv3_3_norm(f3_3);
  const torch::Tensor n4_3 = conv4_3_norm(f4_3);
  const torch::Tensor n5_3 = conv5_3_norm(f5_3);

  // Level 0 has three background channels and one face channel; the background score is their
  // maximum ("max-out background label").
  const std::vector<torch::Tensor> chunk = conv3_3_norm_mbox_conf(n3_3).chunk(4, 1);
  const torch::Tensor bmax = torch::max(torch::max(chunk[0], chunk[1]), chunk[2]);
  const torch::Tensor cls0 = torch::cat({bmax, chunk[3]}, 1);

  return {cls0,
          conv3_3_norm_mbox_loc(n3_3),
          conv4_3_norm_mbox_conf(n4_3),
          conv4_3_norm_mbox_loc(n4_3),
          conv5_3_norm_mbox_conf(n5_3),
          conv5_3_norm_mbox_loc(n5_3),
          fc7_mbox_conf(ffc7),
          fc7_mbox_loc(ffc7),
          conv6_2_mbox_conf(f6_2),
          conv6_2_mbox_loc(f6_2),
          conv7_2_mbox_conf(f7_2),
          conv7_2_mbox_loc(f7_2)};
}

}  // namespace musetalk::nn
