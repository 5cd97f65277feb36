// Face parsing (face/face_parser.h): the ToTensor + ImageNet normalisation of the RGB crop, the
// labels agreeing with the network run on a hand-normalised input, batches agreeing with single
// images, the input checks, and loading BiSeNet's weights from a file (strict, by name).

#include <gtest/gtest.h>

#include <string>

#include "face/face_parser.h"
#include "files/error.h"
#include "model/synthetic_weights.h"
#include "test_support.h"
#include "torch_io/state_dict.h"

namespace musetalk::face {
namespace {

// A deterministic (B, 512, 512, 3) uint8 image: smooth gradients plus noise, so the network sees
// structure at every scale.
torch::Tensor test_image(int64_t batch, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor y = torch::arange(kParsingSize, torch::kFloat32).view({1, -1, 1, 1});
  torch::Tensor x = torch::arange(kParsingSize, torch::kFloat32).view({1, 1, -1, 1});
  torch::Tensor c = torch::tensor({0.3f, 0.5f, 0.8f}).view({1, 1, 1, 3});
  torch::Tensor base = 127.5f + 100.0f * torch::sin(x * c / 20.0f + y / 37.0f);
  torch::Tensor noise = torch::randint(-25, 26, {batch, kParsingSize, kParsingSize, 3});
  return (base + noise).clamp(0, 255).to(torch::kUInt8);
}

// BiSeNet with synthetic weights written to a safetensors file and loaded back by load_bisenet.
class FaceParser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    weights_ = new StateDict(synthetic_weights_for(*nn::BiSeNet()));
    save_safetensors(dir_->file("bisenet.safetensors"), *weights_);
    net_ = new nn::BiSeNet(load_bisenet(dir_->file("bisenet.safetensors"), torch::kCPU));
  }
  static void TearDownTestSuite() {
    delete net_;
    delete weights_;
    delete dir_;
  }

  static test::TempDir* dir_;
  static StateDict* weights_;
  static nn::BiSeNet* net_;
};
test::TempDir* FaceParser::dir_ = nullptr;
StateDict* FaceParser::weights_ = nullptr;
nn::BiSeNet* FaceParser::net_ = nullptr;

TEST_F(FaceParser, NormalisesRgbWithImageNetStatistics) {
  // One colour everywhere: R 255, G 0, B 128.
  torch::Tensor rgb = torch::zeros({1, kParsingSize, kParsingSize, 3}, torch::kUInt8);
  rgb.select(3, 0).fill_(255);
  rgb.select(3, 2).fill_(128);
  const torch::Tensor x = normalise_for_parsing(rgb);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, kParsingSize, kParsingSize}));
  ASSERT_EQ(x.scalar_type(), torch::kFloat32);
  const double expected[3] = {(1.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224,
                              (128.0 / 255.0 - 0.406) / 0.225};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(x[0][c].min().item<double>(), expected[c], 1e-5) << "channel " << c;
    EXPECT_NEAR(x[0][c].max().item<double>(), expected[c], 1e-5) << "channel " << c;
  }
}

TEST_F(FaceParser, LabelsAreTheArgmaxOfTheNetworkOnTheNormalisedImage) {
  const torch::Tensor rgb = test_image(1, 7);
  const torch::Tensor labels = parse_faces(*net_, rgb);
  ASSERT_EQ(labels.sizes(), (std::vector<int64_t>{1, kParsingSize, kParsingSize}));
  ASSERT_EQ(labels.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(labels.device().is_cpu());

  // The normalisation written out by hand, per channel, in double.
  torch::Tensor hand = torch::empty({1, 3, kParsingSize, kParsingSize}, torch::kFloat64);
  const double mean[3] = {0.485, 0.456, 0.406}, stdev[3] = {0.229, 0.224, 0.225};
  for (int c = 0; c < 3; ++c) {
    hand[0][c] = (rgb[0].select(2, c).to(torch::kFloat64) / 255.0 - mean[c]) / stdev[c];
  }
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = (*net_)->forward(hand.to(torch::kFloat32));
  }
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{1, 19, kParsingSize, kParsingSize}));
  const torch::Tensor direct = logits.argmax(1).to(torch::kUInt8);
  // Float32 rounding of the inputs may flip a near-tie here and there, no more.
  const double differing = (direct != labels).to(torch::kFloat64).mean().item<double>();
  EXPECT_LE(differing, 1e-3);
  // A real map, not one class everywhere.
  EXPECT_GT(std::get<0>(at::_unique(labels)).numel(), 1);
}

TEST_F(FaceParser, BatchAgreesWithSingleImages) {
  const torch::Tensor rgb = test_image(2, 11);
  const torch::Tensor both = parse_faces(*net_, rgb);
  ASSERT_EQ(both.size(0), 2);
  for (int64_t i = 0; i < 2; ++i) {
    const torch::Tensor one = parse_faces(*net_, rgb.narrow(0, i, 1));
    EXPECT_LE((one[0] != both[i]).to(torch::kFloat64).mean().item<double>(), 1e-4) << i;
  }
}

TEST_F(FaceParser, RejectsInputsThatAreNotBatchesOf512RgbBytes) {
  const auto bytes = torch::TensorOptions().dtype(torch::kUInt8);
  const std::vector<torch::Tensor> bad = {
      torch::zeros({kParsingSize, kParsingSize, 3}, bytes),     // no batch dimension
      torch::zeros({1, 256, 256, 3}, bytes),                    // not resized to 512
      torch::zeros({1, kParsingSize, kParsingSize, 4}, bytes),  // RGBA
      torch::zeros({1, 3, kParsingSize, kParsingSize}, bytes),  // channels first
      torch::zeros({0, kParsingSize, kParsingSize, 3}, bytes),  // empty batch
      torch::zeros({1, kParsingSize, kParsingSize, 3}),         // float, not bytes
      torch::Tensor(),                                          // undefined
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THROW(parse_faces(*net_, bad[i]), Error) << "case " << i;
  }
  try {
    parse_faces(*net_, bad[1]);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 256, 256, 3]"), std::string::npos) << e.what();
  }
}

TEST_F(FaceParser, NetworkRejectsInputsWithoutThreeChannels) {
  torch::NoGradGuard no_grad;
  EXPECT_THROW((*net_)->forward(torch::zeros({1, 4, 64, 64})), Error);
  EXPECT_THROW((*net_)->forward(torch::zeros({3, 64, 64})), Error);
}

TEST_F(FaceParser, LoadNamesTheFileAndEveryBadTensor) {
  const std::string missing = dir_->file("79999_iter.pth");
  try {
    load_bisenet(missing, torch::kCPU);
    FAIL() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), missing);
  }

  // One real key dropped, one mis-shaped: both reported, naming the file.
  StateDict broken;
  for (const auto& item : *weights_) {
    if (item.key() == "ffm.conv1.weight") continue;
    if (item.key() == "conv_out.conv_out.weight") {
      broken.insert(item.key(), torch::zeros({18, 256, 1, 1}));
      continue;
    }
    broken.insert(item.key(), item.value());
  }
  const std::string path = dir_->file("broken.safetensors");
  save_safetensors(path, broken);
  try {
    load_bisenet(path, torch::kCPU);
    FAIL() << "no error for a broken file";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("ffm.conv1.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("conv_out.conv_out.weight"), std::string::npos) << what;
  }
}

TEST_F(FaceParser, ModuleHasTheCheckpointsTensors) {
  // 79999_iter.pth: 191 tensors, BatchNorm buffers included, auxiliary heads included.
  const nn::BiSeNet net;
  EXPECT_EQ(net->named_parameters().size() + net->named_buffers().size(), 191u);
  EXPECT_TRUE(net->named_parameters().contains("conv_out16.conv_out.weight"));
  EXPECT_TRUE(net->named_buffers().contains("cp.resnet.layer4.1.bn2.num_batches_tracked"));
}

}  // namespace
}  // namespace musetalk::face
