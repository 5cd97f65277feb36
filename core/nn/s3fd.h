#pragma once
// The S3FD face detector network (face_alignment's port, as MuseTalk vendors it in
// musetalk/utils/face_detection/detection/sfd/net_s3fd.py): a VGG16 trunk with L2-normalised
// taps and six detection levels. Module and parameter names are those of the released
// s3fd-619a316812.pth state dict. Decoding the outputs into boxes is face/s3fd_detector.h.

#include <torch/torch.h>

#include <vector>

namespace musetalk::nn {

// net_s3fd.py L2Norm: x / (||x||_2 over channels + 1e-10) * weight, weight one scale per channel
// (initialised to `scale`, learned).
class L2NormImpl : public torch::nn::Module {
 public:
  L2NormImpl(int64_t channels, double scale);
  // x: (B, C, H, W) -> same shape and dtype.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight;
};
TORCH_MODULE(L2Norm);

// net_s3fd.py s3fd. Input: (B, 3, H, W) float, already preprocessed (RGB channel order minus
// (104, 117, 123), no scaling; face/s3fd_detector.h s3fd_input). Output: 12 tensors, for levels
// 0..5 (strides 4, 8, 16, 32, 64, 128) the raw class scores (B, 2, h, w) (background, face;
// logits before the softmax; level 0's background is the max-out of its three background
// channels) followed by the box regression (B, 4, h, w) (dx, dy, dw, dh):
// {cls0, reg0, cls1, reg1, ..., cls5, reg5}. Level sizes for a 256 x 256 input: 64, 32, 16, 12,
// 6, 3 (fc6 pads by 3, so levels 3..5 are larger than stride division gives).
class S3FDImpl : public torch::nn::Module {
 public:
  S3FDImpl();
  std::vector<torch::Tensor> forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_1{nullptr}, conv1_2{nullptr};
  torch::nn::Conv2d conv2_1{nullptr}, conv2_2{nullptr};
  torch::nn::Conv2d conv3_1{nullptr}, conv3_2{nullptr}, conv3_3{nullptr};
  torch::nn::Conv2d conv4_1{nullptr}, conv4_2{nullptr}, conv4_3{nullptr};
  torch::nn::Conv2d conv5_1{nullptr}, conv5_2{nullptr}, conv5_3{nullptr};
  torch::nn::Conv2d fc6{nullptr}, fc7{nullptr};
  torch::nn::Conv2d conv6_1{nullptr}, conv6_2{nullptr};
  torch::nn::Conv2d conv7_1{nullptr}, conv7_2{nullptr};
  L2Norm conv3_3_norm{nullptr}, conv4_3_norm{nullptr}, conv5_3_norm{nullptr};
  torch::nn::Conv2d conv3_3_norm_mbox_conf{nullptr}, conv3_3_norm_mbox_loc{nullptr};
  torch::nn::Conv2d conv4_3_norm_mbox_conf{nullptr}, conv4_3_norm_mbox_loc{nullptr};
  torch::nn::Conv2d conv5_3_norm_mbox_conf{nullptr}, conv5_3_norm_mbox_loc{nullptr};
  torch::nn::Conv2d fc7_mbox_conf{nullptr}, fc7_mbox_loc{nullptr};
  torch::nn::Conv2d conv6_2_mbox_conf{nullptr}, conv6_2_mbox_loc{nullptr};
  torch::nn::Conv2d conv7_2_mbox_conf{nullptr}, conv7_2_mbox_loc{nullptr};
};
TORCH_MODULE(S3FD);

}  // namespace musetalk::nn
