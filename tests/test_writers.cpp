// The writers (safetensors, torch.save zip): a round trip through the readers keeps names,
// dtypes, shapes and bytes (strided views are written contiguously), and an unwritable path is
// an error that leaves nothing behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint_expectations.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/safetensors_writer.h"
#include "test_support.h"
#include "torch_zip_writer.h"

namespace musetalk {
namespace {

TEST(SafetensorsWriter, RoundTripsEveryDtypeAndView) {
  files::Checkpoint mixed = files::read_checkpoint(test::fixtures_dir() + "/ckpt_mixed.pth");
  test::TempDir tmp;
  const std::string path = tmp.file("mixed.safetensors");
  files::write_safetensors(path, mixed.tensors);
  files::Checkpoint back = files::read_checkpoint(path);
  EXPECT_EQ(back.container, files::Container::Safetensors);
  EXPECT_EQ(test::compare_with_expected(back, test::load_expectations().at("ckpt_mixed")), "");
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST(SafetensorsWriter, UnwritablePathIsAnErrorWithoutPartialFile) {
  files::Checkpoint zip = files::read_checkpoint(test::fixtures_dir() + "/ckpt_zip.pth");
  test::TempDir tmp;
  const std::string path = tmp.file("no_such_folder/out.safetensors");
  EXPECT_THROW(files::write_safetensors(path, zip.tensors), Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TorchZipWriter, RoundTripsThroughTheTorchZipReader) {
  files::Checkpoint mixed = files::read_checkpoint(test::fixtures_dir() + "/ckpt_mixed.pth");
  test::TempDir tmp;
  const std::string path = tmp.file("unet.pth");
  test::write_torch_zip(path, mixed.tensors);
  files::Checkpoint back = files::read_checkpoint(path);
  EXPECT_EQ(back.container, files::Container::TorchZip);
  EXPECT_EQ(test::compare_with_expected(back, test::load_expectations().at("ckpt_mixed")), "");
  ASSERT_NE(back.root(), nullptr);
  EXPECT_TRUE(back.root()->is(files::ValueKind::Dict));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST(TorchZipWriter, UnwritablePathIsAnErrorWithoutPartialFile) {
  files::Checkpoint zip = files::read_checkpoint(test::fixtures_dir() + "/ckpt_zip.pth");
  test::TempDir tmp;
  const std::string path = tmp.file("no_such_folder/unet.pth");
  EXPECT_THROW(test::write_torch_zip(path, zip.tensors), Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace musetalk
