// Every ckpt_* fixture (torch.save zip, legacy, mixed dtypes and views, nested mmengine-style
// dicts) reads to exactly the tensors in ckpt_expected.safetensors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "checkpoint_expectations.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/zip_archive.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using files::Container;

std::string stem_of(const std::string& path) {
  return fs::path(path).stem().string();
}

TEST(CheckpointFixtures, EveryFixtureReadsBitExact) {
  auto expectations = test::load_expectations();
  auto paths = test::checkpoint_fixture_paths();
  ASSERT_FALSE(paths.empty()) << "no ckpt_* fixtures in " << test::fixtures_dir();
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(expectations.count(stem_of(path))) << "no expectations for " << path;
    files::Checkpoint ckpt = files::read_checkpoint(path);
    EXPECT_EQ(test::compare_with_expected(ckpt, expectations.at(stem_of(path))), "");
  }
}

TEST(CheckpointFixtures, ContainersAreDetectedByContent) {
  const std::string dir = test::fixtures_dir();
  EXPECT_EQ(files::detect_container(dir + "/ckpt_zip.pth"), Container::TorchZip);
  EXPECT_EQ(files::detect_container(dir + "/ckpt_legacy.pth"), Container::TorchLegacy);
  EXPECT_EQ(files::detect_container(dir + "/ckpt_nested_legacy.pth"), Container::TorchLegacy);
  EXPECT_EQ(files::detect_container(dir + "/ckpt_expected.safetensors"), Container::Safetensors);
  EXPECT_EQ(files::detect_container(test::media_dir() + "/avatars/yongen_v15/coords.pkl"),
            Container::Pickle);
}

TEST(CheckpointFixtures, ExtensionDoesNotMatter) {
  test::TempDir tmp;
  const std::string renamed = tmp.file("weights.safetensors");
  fs::copy_file(test::fixtures_dir() + "/ckpt_legacy.pth", renamed);
  files::Checkpoint ckpt = files::read_checkpoint(renamed);
  EXPECT_EQ(ckpt.container, Container::TorchLegacy);
  EXPECT_EQ(test::compare_with_expected(ckpt, test::load_expectations().at("ckpt_legacy")), "");
}

TEST(CheckpointFixtures, MixedFileKeepsViewsAndSharedStorages) {
  files::Checkpoint ckpt = files::read_checkpoint(test::fixtures_dir() + "/ckpt_mixed.pth");
  const files::TensorData* full = ckpt.find("shared_full");
  const files::TensorData* transposed = ckpt.find("transposed");
  const files::TensorData* view = ckpt.find("view_offset");
  ASSERT_TRUE(full && transposed && view);
  EXPECT_EQ(full->storage, transposed->storage) << "keys saved from one storage share it";
  EXPECT_FALSE(transposed->is_contiguous());
  EXPECT_EQ(view->storage_offset, 5u);
  EXPECT_EQ(ckpt.find("scalar")->sizes.size(), 0u);
}

TEST(CheckpointFixtures, NestedFileKeepsItsMetadataTree) {
  files::Checkpoint ckpt = files::read_checkpoint(test::fixtures_dir() + "/ckpt_nested.pth");
  const files::Value* meta = ckpt.root()->get("meta");
  ASSERT_NE(meta, nullptr);
  ASSERT_NE(meta->get("epoch"), nullptr);
  EXPECT_EQ(meta->get("epoch")->integer, 270);
  EXPECT_EQ(meta->get("mmengine_version")->text, "0.8.4");
  EXPECT_DOUBLE_EQ(meta->get("lr")->real, 0.004);
  const files::Value* sigmas = meta->get("dataset_meta")->get("sigmas");
  ASSERT_NE(sigmas, nullptr);
  ASSERT_TRUE(sigmas->is(files::ValueKind::Tensor));
  EXPECT_TRUE(sigmas->from_numpy);
  EXPECT_EQ(sigmas->tensor.sizes, std::vector<int64_t>{7});
  EXPECT_EQ(sigmas->tensor.dtype, files::DType::Float32);
}

TEST(CheckpointFixtures, StructureOnlyReadSkipsData) {
  files::ReadOptions options;
  options.load_data = false;
  files::Checkpoint ckpt = files::read_checkpoint(test::fixtures_dir() + "/ckpt_zip.pth", options);
  ASSERT_FALSE(ckpt.tensors.empty());
  EXPECT_FALSE(ckpt.tensors.front().second.storage->loaded());
}

TEST(CheckpointFixtures, MissingFileNamesThePath) {
  const std::string path = test::fixtures_dir() + "/no_such_file.pth";
  try {
    files::read_checkpoint(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
  }
}

TEST(CheckpointFixtures, UnknownContentIsRejectedByName) {
  test::TempDir tmp;
  const std::string path = tmp.file("notes.pth");
  { std::ofstream(path) << "just some text, not weights\n"; }
  try {
    files::read_checkpoint(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not a weight file"), std::string::npos);
  }
}

// One flipped bit in a tensor's bytes (not in any header) is caught by the zip entry's CRC-32.
TEST(CheckpointFixtures, FlippedTensorByteFailsTheZipCrc) {
  const std::string source = test::fixtures_dir() + "/ckpt_zip.pth";
  uint64_t at = 0;
  {
    files::FileSource file(source);
    files::ZipArchive zip(file);
    for (const files::ZipEntry& e : zip.entries()) {
      if (e.name.find("/data/") != std::string::npos && e.size > 0) {
        at = zip.data_offset(e) + e.size / 2;
        break;
      }
    }
  }
  ASSERT_GT(at, 0u) << "no tensor entry in " << source;
  std::vector<uint8_t> bytes = files::read_whole_file(source);
  bytes[at] ^= 0x01;
  test::TempDir tmp;
  const std::string path = tmp.file("damaged.pth");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  try {
    files::read_checkpoint(path);
    FAIL() << "expected a CRC error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace musetalk
