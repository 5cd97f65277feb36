// Damaged weight files never crash the reader and never make it allocate absurd amounts: every
// checkpoint fixture is truncated at every byte offset and has random bytes flipped (fixed seed).
// Each variant must read to the correct tensors or fail with an Error that names the file.
// Containers without checksums (legacy torch.save, safetensors) cannot notice a flipped data or
// name byte, so for them a flip may also read to different tensors, as long as it reads safely.
// Built into the sanitizer configuration (ASan + UBSan) as well.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "checkpoint_expectations.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

constexpr int kFlipsPerFile = 700;
constexpr uint32_t kSeed = 20261125;

enum class Outcome { Exact, Error, Different };

struct Tally {
  int exact = 0, error = 0, different = 0;
  void add(Outcome o) { ++(o == Outcome::Exact ? exact : o == Outcome::Error ? error : different); }
};

void write_file(const std::string& path, const std::vector<uint8_t>& bytes, size_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n));
}

Outcome read_variant(const std::string& path, const test::Expectations& expected,
                     const std::string& label) {
  try {
    files::Checkpoint ckpt = files::read_checkpoint(path);
    for (const auto& [name, t] : ckpt.tensors) t.contiguous_bytes();  // touch every element
    return test::compare_with_expected(ckpt, expected).empty() ? Outcome::Exact
                                                               : Outcome::Different;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos)
        << label << ": the error does not name the file: " << e.what();
    EXPECT_FALSE(e.problem().empty()) << label;
    return Outcome::Error;
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": escaped as a non-musetalk exception: " << e.what();
    return Outcome::Error;
  }
}

// The sweep's files: the ckpt_* fixtures and the safetensors that holds their expectations.
std::vector<std::string> sweep_files() {
  std::vector<std::string> paths = test::checkpoint_fixture_paths();
  paths.push_back(test::fixtures_dir() + "/ckpt_expected.safetensors");
  return paths;
}

// What the undamaged file reads to (itself checked against ckpt_expected elsewhere).
test::Expectations pristine(const std::string& path) {
  files::Checkpoint ckpt = files::read_checkpoint(path);
  test::Expectations e;
  for (const auto& [name, t] : ckpt.tensors) {
    e[name] = test::ExpectedTensor{t.dtype, t.sizes, t.contiguous_bytes()};
  }
  return e;
}

TEST(CorruptionSweep, TruncationAtEveryOffsetIsAnErrorNamingTheFile) {
  test::TempDir tmp;
  for (const std::string& source : sweep_files()) {
    SCOPED_TRACE(source);
    const test::Expectations expected = pristine(source);
    const std::vector<uint8_t> bytes = files::read_whole_file(source);
    const std::string path = tmp.file(fs::path(source).filename().string());
    Tally tally;
    for (size_t n = 0; n < bytes.size(); ++n) {
      write_file(path, bytes, n);
      Outcome o = read_variant(path, expected, "truncated to " + std::to_string(n) + " bytes");
      EXPECT_NE(o, Outcome::Different) << "truncated to " << n << " bytes read to wrong tensors";
      tally.add(o);
    }
    std::printf("%-28s %6zu truncations: %d errors, %d exact\n",
                fs::path(source).filename().c_str(), bytes.size(), tally.error, tally.exact);
  }
}

TEST(CorruptionSweep, FlippedBytesReadCorrectlyOrFailCleanly) {
  test::TempDir tmp;
  std::mt19937 rng(kSeed);
  for (const std::string& source : sweep_files()) {
    SCOPED_TRACE(source);
    const test::Expectations expected = pristine(source);
    const bool checksummed = files::detect_container(source) == files::Container::TorchZip;
    std::vector<uint8_t> bytes = files::read_whole_file(source);
    const std::string path = tmp.file(fs::path(source).filename().string());
    std::uniform_int_distribution<size_t> offset(0, bytes.size() - 1);
    std::uniform_int_distribution<int> mask(1, 255);
    Tally tally;
    for (int i = 0; i < kFlipsPerFile; ++i) {
      const size_t at = offset(rng);
      const uint8_t flip = static_cast<uint8_t>(mask(rng));
      bytes[at] ^= flip;
      write_file(path, bytes, bytes.size());
      bytes[at] ^= flip;
      const std::string label = "byte " + std::to_string(at) + " xor " + std::to_string(flip);
      Outcome o = read_variant(path, expected, label);
      if (checksummed) {
        EXPECT_NE(o, Outcome::Different) << label << " went unnoticed";
      }
      tally.add(o);
    }
    std::printf("%-28s %6d flips: %d errors, %d exact, %d read to other values\n",
                fs::path(source).filename().c_str(), kFlipsPerFile, tally.error, tally.exact,
                tally.different);
  }
}

}  // namespace
}  // namespace musetalk
