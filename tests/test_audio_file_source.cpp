// adapters::AudioFileSource, render's audio: the same 16 kHz mono samples as the whole-file
// decoder gives, in whatever pieces the reader asks for, with the expected length measured or
// estimated from the file's header.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/file_adapters.h"
#include "files/error.h"
#include "media/audio_decoder.h"
#include "media/mp4_writer.h"
#include "test_support.h"

namespace musetalk::adapters {
namespace {

std::vector<float> read_all(AudioFileSource& source, size_t piece) {
  std::vector<float> all, buffer(piece);
  while (size_t n = source.read(buffer.data(), buffer.size())) {
    all.insert(all.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
  EXPECT_EQ(source.read(buffer.data(), buffer.size()), 0u) << "the end stays the end";
  return all;
}

// 48 kHz stereo WAV, 48 kHz mono WAV and AAC in an MP4: resampled and averaged as
// decode_audio_16k_mono() does.
TEST(AudioFileSource, GivesTheDecodersSamplesInAnyPieces) {
  test::TempDir tmp;
  const std::string mp4 = tmp.file("voice.mp4");
  {
    media::Mp4Writer writer;
    writer.open(mp4, 16, 16, 25, 23, test::media_dir() + "/yongen.wav");
    const std::vector<uint8_t> bgr(16 * 16 * 3, 90);
    for (int i = 0; i < 75; ++i) writer.write_bgr(bgr.data(), 16 * 3);
    writer.finish();
  }
  for (const std::string& path :
       {test::media_dir() + "/yongen.wav", test::sample_dir() + "/voice.wav", mp4}) {
    SCOPED_TRACE(path);
    const media::DecodedAudio whole = media::decode_audio_16k_mono(path);
    const media::AudioLength length = media::measure_audio_16k_mono(path);
    EXPECT_EQ(length.samples, static_cast<int64_t>(whole.samples.size()));
    EXPECT_EQ(length.duration_s, whole.duration_s);
    for (size_t piece : {size_t{1000}, size_t{16000}, size_t{100000}}) {
      AudioFileSource source(path, length.samples);
      EXPECT_EQ(source.expected_samples(), length.samples);
      EXPECT_EQ(read_all(source, piece), whole.samples) << piece << " samples at a time";
    }
  }
}

TEST(AudioFileSource, EstimatesTheLengthFromTheHeaderWhenNotGiven) {
  const std::string path = test::media_dir() + "/yongen.wav";
  const auto samples = static_cast<double>(media::measure_audio_16k_mono(path).samples);
  AudioFileSource source(path);
  EXPECT_NEAR(static_cast<double>(source.expected_samples()), samples, 0.01 * samples);
}

TEST(AudioFileSource, MissingFileIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp.file("absent.wav");
  try {
    AudioFileSource source(path);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), path);
  }
}

}  // namespace
}  // namespace musetalk::adapters
