// The LibTorch adapter: checkpoint tensors become CPU tensors with the file's dtype, shape,
// strides and values, whatever device they were saved from.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "checkpoint_expectations.h"
#include "files/error.h"
#include "files/file_source.h"
#include "test_support.h"
#include "torch_io/state_dict.h"

namespace musetalk {
namespace {

TEST(StateDict, EveryFixtureTensorConvertsExactly) {
  auto expectations = test::load_expectations();
  for (const std::string& path : test::checkpoint_fixture_paths()) {
    SCOPED_TRACE(path);
    const std::string stem = std::filesystem::path(path).stem().string();
    StateDict sd = load_state_dict(path);
    const test::Expectations& want = expectations.at(stem);
    ASSERT_EQ(sd.size(), want.size());
    for (const auto& item : sd) {
      const test::ExpectedTensor& e = want.at(item.key());
      torch::Tensor t = item.value().contiguous();
      EXPECT_EQ(t.scalar_type(), to_scalar_type(e.dtype)) << item.key();
      EXPECT_EQ(t.sizes().vec(), e.sizes) << item.key();
      ASSERT_EQ(static_cast<size_t>(t.nbytes()), e.bytes.size()) << item.key();
      EXPECT_EQ(std::memcmp(t.data_ptr(), e.bytes.data(), e.bytes.size()), 0) << item.key();
      EXPECT_TRUE(t.device().is_cpu());
    }
  }
}

TEST(StateDict, StridedViewsStayViews) {
  StateDict sd = load_state_dict(test::fixtures_dir() + "/ckpt_mixed.pth");
  torch::Tensor transposed = sd["transposed"];
  torch::Tensor full = sd["shared_full"];
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(torch::equal(transposed, full.t()));
}

TEST(StateDict, CudaSavedTensorsLoadOnTheCpu) {
  StateDict sd = load_state_dict(test::media_dir() + "/avatars/yongen_v15/latents.pt");
  ASSERT_EQ(sd.size(), 16u);
  torch::Tensor all = torch::cat(sd.values(), 0);
  EXPECT_EQ(all.sizes().vec(), (std::vector<int64_t>{16, 8, 32, 32}));
  EXPECT_EQ(all.scalar_type(), torch::kFloat16);
  EXPECT_TRUE(all.device().is_cpu());
}

TEST(StateDict, DamagedFileIsAnErrorNamingIt) {
  test::TempDir tmp;
  const std::string path = tmp.file("unet.pth");
  std::vector<uint8_t> bytes = files::read_whole_file(test::fixtures_dir() + "/ckpt_zip.pth");
  bytes.resize(bytes.size() / 2);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  try {
    load_state_dict(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("download it again"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace musetalk
