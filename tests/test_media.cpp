// musetalk_media: audio decoding to 16 kHz mono and MP4 writing, checked by reopening the output
// with libavformat.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "files/error.h"
#include "media/audio_decoder.h"
#include "media/image_io.h"
#include "media/mp4_writer.h"
#include "test_support.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace musetalk::media {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// FFmpeg's encoder statistics would bury the test output.
const int quiet_ffmpeg = (av_log_set_level(AV_LOG_ERROR), 0);

std::string wav_path() {
  return test::media_dir() + "/yongen.wav";
}

// Expects fn to throw a musetalk::Error whose input is input and whose text contains words.
template <typename Fn>
void expect_error(Fn fn, const std::string& input, const std::string& words) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one about " << input;
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), input) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    std::cout << e.what() << "\n";
    EXPECT_FALSE(e.fix().empty()) << e.what();
  }
}

struct StreamInfo {
  AVCodecID codec = AV_CODEC_ID_NONE;
  AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
  int packets = 0;
  double duration_s = 0;
  int sample_rate = 0;
};

// Every stream of path with its packet count and duration, as a player sees them.
std::vector<StreamInfo> probe(const std::string& path) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return {};
  avformat_find_stream_info(fmt, nullptr);
  std::vector<StreamInfo> streams(fmt->nb_streams);
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    streams[i].codec = st->codecpar->codec_id;
    streams[i].type = st->codecpar->codec_type;
    streams[i].sample_rate = st->codecpar->sample_rate;
    streams[i].duration_s = st->duration * av_q2d(st->time_base);
  }
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(fmt, packet) >= 0) {
    ++streams[packet->stream_index].packets;
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&fmt);
  return streams;
}

// A moving colour gradient, so the encoder has something to do.
std::vector<uint8_t> pattern(int width, int height, int index) {
  std::vector<uint8_t> bgr(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &bgr[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x + index * 4);
      p[1] = static_cast<uint8_t>(y * 2);
      p[2] = static_cast<uint8_t>((x ^ y) + index);
    }
  return bgr;
}

void write_video(const std::string& path, int frames, const std::string& audio = {}) {
  const int w = 160, h = 96;
  Mp4Writer writer;
  writer.open(path, w, h, 25, 23, audio);
  for (int i = 0; i < frames; ++i) writer.write_bgr(pattern(w, h, i).data(), w * 3);
  writer.finish();
}

TEST(AudioDecoder, WavTo16kMono) {
  DecodedAudio audio = decode_audio_16k_mono(wav_path());
  EXPECT_EQ(audio.path, wav_path());
  EXPECT_EQ(audio.source_rate, 48000);
  EXPECT_EQ(audio.source_channels, 2);
  EXPECT_NEAR(audio.duration_s, 8.0, 0.08);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), 8.0 * 16000, 0.01 * 8.0 * 16000);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), audio.duration_s * 16000, 16);
  float peak = 0;
  for (float s : audio.samples) peak = std::max(peak, std::abs(s));
  EXPECT_GT(peak, 0.01f) << "speech should not decode to silence";
  EXPECT_LE(peak, 1.0f);
}

// The sample video has no sound, so the MP4 with AAC audio comes from the writer: 3 s of video
// carrying the first 3 s of yongen.wav, decoded back through the AAC path.
TEST(AudioDecoder, AacAudioOfAnMp4) {
  TempDir dir;
  const std::string path = dir.file("talk.mp4");
  write_video(path, 75, wav_path());
  DecodedAudio audio = decode_audio_16k_mono(path);
  EXPECT_NEAR(audio.duration_s, 3.0, 0.04);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), 3.0 * 16000, 0.01 * 3.0 * 16000);
  float peak = 0;
  for (float s : audio.samples) peak = std::max(peak, std::abs(s));
  EXPECT_GT(peak, 0.01f) << "speech should not decode to silence";
}

// A streaming TTS server's WAV: RIFF and data sizes 0xFFFFFFFF, the real length only in the file
// size.
TEST(AudioDecoder, StreamedWavHeaderDecodesToItsRealLength) {
  const std::string path = test::media_dir() + "/hunt/streamed_wav_header.wav";
  DecodedAudio audio = decode_audio_16k_mono(path);
  EXPECT_EQ(audio.source_rate, 24000);
  EXPECT_NEAR(audio.duration_s, 2.0, 0.01);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), 2.0 * 16000, 16);
}

// A rotated, odd-sized yuv444p video given as the audio: its AAC stereo track is what counts.
TEST(AudioDecoder, VideoFileGivesItsAudio) {
  const std::string path = test::media_dir() + "/hunt/rotated_odd_size_30fps.mp4";
  DecodedAudio audio = decode_audio_16k_mono(path);
  EXPECT_EQ(audio.source_rate, 48000);
  EXPECT_EQ(audio.source_channels, 2);
  EXPECT_NEAR(audio.duration_s, 2.0, 0.05);
  EXPECT_NEAR(static_cast<double>(audio.samples.size()), audio.duration_s * 16000, 16);
}

TEST(AudioDecoder, MissingFileIsNamed) {
  TempDir dir;
  std::string path = dir.file("absent.wav");
  expect_error([&] { decode_audio_16k_mono(path); }, path, "not found");
}

TEST(AudioDecoder, TextFileIsNamed) {
  TempDir dir;
  std::string path = dir.file("notes.txt");
  std::ofstream(path) << "this is not audio\nat all\n";
  expect_error([&] { decode_audio_16k_mono(path); }, path, "");
}

TEST(AudioDecoder, WavWithoutDataSaysNoSamples) {
  TempDir dir;
  std::string path = dir.file("empty.wav");
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  out.write("RIFF", 4), u32(36), out.write("WAVEfmt ", 8), u32(16);
  u16(1), u16(1), u32(16000), u32(32000), u16(2), u16(16);  // PCM, mono, 16 kHz, 16 bit
  out.write("data", 4), u32(0);
  out.close();
  expect_error([&] { decode_audio_16k_mono(path); }, path, "no samples");
}

TEST(AudioDecoder, VideoWithoutAudioSaysNoAudioStream) {
  TempDir dir;
  std::string path = dir.file("silent.mp4");
  write_video(path, 5);
  expect_error([&] { decode_audio_16k_mono(path); }, path, "no audio stream");
}

TEST(Mp4Writer, FiftyFramesWithAudio) {
  TempDir dir;
  std::string path = dir.file("out.mp4");
  write_video(path, 50, wav_path());
  EXPECT_FALSE(fs::exists(path + ".partial"));
  auto streams = probe(path);
  ASSERT_EQ(streams.size(), 2u);
  const double frame = 1.0 / 25;
  const StreamInfo* video = nullptr;
  const StreamInfo* audio = nullptr;
  for (const auto& s : streams) (s.type == AVMEDIA_TYPE_VIDEO ? video : audio) = &s;
  ASSERT_TRUE(video && audio);
  EXPECT_EQ(video->codec, AV_CODEC_ID_H264);
  EXPECT_EQ(video->packets, 50);
  EXPECT_NEAR(video->duration_s, 2.0, frame);
  EXPECT_EQ(audio->codec, AV_CODEC_ID_AAC);
  EXPECT_EQ(audio->sample_rate, 48000);
  EXPECT_NEAR(audio->duration_s, video->duration_s, frame);
  std::cout << "video " << video->duration_s << " s, audio " << audio->duration_s << " s\n";
}

TEST(Mp4Writer, UnfinishedWriterLeavesNoFile) {
  TempDir dir;
  std::string path = dir.file("out.mp4");
  {
    Mp4Writer writer;
    writer.open(path, 64, 64, 25, 23, wav_path());
    for (int i = 0; i < 10; ++i) writer.write_bgr(pattern(64, 64, i).data(), 64 * 3);
    EXPECT_TRUE(fs::exists(path + ".partial"));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()))
      << "left behind: " << fs::directory_iterator(dir.path())->path();
}

// H.264 yuv420p needs even sides: an odd frame is encoded one pixel larger, its last column and
// row repeated, instead of being refused.
TEST(Mp4Writer, OddFrameSizeIsPaddedByRepeatingTheEdge) {
  TempDir dir;
  const std::string path = dir.file("odd.mp4");
  const int w = 65, h = 33;
  std::vector<uint8_t> frame(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &frame[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = p[1] = p[2] = (x == w - 1 || y == h - 1) ? 250 : 10;  // a bright last column and row
    }
  Mp4Writer writer;
  writer.open(path, w, h, 25, 0);
  EXPECT_EQ(writer.encoded_width(), 66);
  EXPECT_EQ(writer.encoded_height(), 34);
  for (int i = 0; i < 5; ++i) writer.write_bgr(frame.data(), w * 3);
  writer.finish();

  AVFormatContext* fmt = nullptr;
  ASSERT_GE(avformat_open_input(&fmt, path.c_str(), nullptr, nullptr), 0);
  avformat_find_stream_info(fmt, nullptr);
  ASSERT_EQ(fmt->nb_streams, 1u);
  const AVCodecParameters* par = fmt->streams[0]->codecpar;
  EXPECT_EQ(par->width, 66);
  EXPECT_EQ(par->height, 34);
  // Decode the first frame: the added column and row repeat the bright edge (crf 0: lossless).
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, par);
  ASSERT_GE(avcodec_open2(dec, codec, nullptr), 0);
  AVPacket* packet = av_packet_alloc();
  AVFrame* picture = av_frame_alloc();
  bool got = false;
  while (!got && av_read_frame(fmt, packet) >= 0) {
    avcodec_send_packet(dec, packet);
    av_packet_unref(packet);
    got = avcodec_receive_frame(dec, picture) >= 0;
  }
  if (!got) {
    avcodec_send_packet(dec, nullptr);
    got = avcodec_receive_frame(dec, picture) >= 0;
  }
  ASSERT_TRUE(got);
  auto luma = [&](int x, int y) { return picture->data[0][y * picture->linesize[0] + x]; };
  EXPECT_GT(luma(65, 10), 200) << "the added column repeats the last one";
  EXPECT_GT(luma(10, 33), 200) << "the added row repeats the last one";
  EXPECT_LT(luma(10, 10), 60);
  av_frame_free(&picture);
  av_packet_free(&packet);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
}

// Audio pushed by the caller (a live stream's voice): 16 kHz mono resampled to the AAC encoder's
// rate, cut to the video's length like a file's audio.
TEST(Mp4Writer, PushedAudioFollowsTheFrames) {
  TempDir dir;
  const std::string path = dir.file("pushed.mp4");
  const int w = 64, h = 48;
  Mp4Writer writer;
  writer.open_with_pushed_audio(path, w, h, 25, 23);
  std::vector<float> voice(640);
  for (int i = 0; i < 50; ++i) {
    for (size_t s = 0; s < voice.size(); ++s)
      voice[s] = 0.3f * static_cast<float>(std::sin(0.17 * static_cast<double>(i * 640 + s)));
    writer.write_audio(voice.data(), static_cast<int>(voice.size()));
    writer.write_bgr(pattern(w, h, i).data(), w * 3);
  }
  writer.write_audio(voice.data(), static_cast<int>(voice.size()));  // beyond the video: cut
  writer.finish();
  auto streams = probe(path);
  ASSERT_EQ(streams.size(), 2u);
  const StreamInfo* video = nullptr;
  const StreamInfo* audio = nullptr;
  for (const auto& s : streams) (s.type == AVMEDIA_TYPE_VIDEO ? video : audio) = &s;
  ASSERT_TRUE(video && audio);
  EXPECT_EQ(video->packets, 50);
  EXPECT_EQ(audio->codec, AV_CODEC_ID_AAC);
  EXPECT_NEAR(audio->duration_s, video->duration_s, 1.0 / 25);
  std::cout << "video " << video->duration_s << " s, audio " << audio->duration_s << " s at "
            << audio->sample_rate << " Hz\n";
}

TEST(Mp4Writer, WriteAudioNeedsAWriterOpenedForIt) {
  TempDir dir;
  const std::string path = dir.file("out.mp4");
  Mp4Writer writer;
  const float voice[4] = {};
  EXPECT_THROW(writer.write_audio(voice, 4), Error);
  writer.open(path, 64, 64, 25, 23, wav_path());
  expect_error([&] { writer.write_audio(voice, 4); }, path, "without pushed audio");
}

TEST(Mp4Writer, MissingFolderIsNamed) {
  TempDir dir;
  std::string path = dir.file("no/such/folder/out.mp4");
  Mp4Writer writer;
  expect_error([&] { writer.open(path, 64, 64, 25, 23); }, path, "does not exist");
}

TEST(Mp4Writer, MissingAudioSourceIsNamed) {
  TempDir dir;
  std::string audio = dir.file("absent.wav");
  Mp4Writer writer;
  expect_error([&] { writer.open(dir.file("out.mp4"), 64, 64, 25, 23, audio); }, audio,
               "not found");
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ImageIo, ReadsAvatarFramesAndMasks) {
  const std::string avatar = test::media_dir() + "/avatars/yongen_v15";
  Image frame = read_png(avatar + "/full_imgs/00000000.png", 3);
  EXPECT_EQ(frame.width, 352);
  EXPECT_EQ(frame.height, 608);
  EXPECT_EQ(frame.pixels.size(), 352u * 608u * 3u);
  Image mask = read_png(avatar + "/mask/00000000.png", 1);
  EXPECT_EQ(mask.width, 200);
  EXPECT_EQ(mask.height, 200);
  EXPECT_EQ(mask.pixels.size(), 200u * 200u);
}

TEST(ImageIo, PngRoundTripIsLossless) {
  TempDir dir;
  const int w = 37, h = 21;
  std::vector<uint8_t> bgr = pattern(w, h, 3);
  const std::string path = dir.file("frame.png");
  write_png_bgr(path, bgr.data(), w, h, w * 3);
  Image back = read_png(path, 3);
  ASSERT_EQ(back.width, w);
  ASSERT_EQ(back.height, h);
  EXPECT_EQ(back.pixels, bgr);
}

TEST(ImageIo, GreyReadConvertsColourToLumaLikeCv2) {
  TempDir dir;
  // Blue, green, red, white pixels (BGR): cv2.IMREAD_GRAYSCALE gives 0.114 B + 0.587 G + 0.299 R.
  const std::vector<uint8_t> bgr = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  const std::string path = dir.file("colours.png");
  write_png_bgr(path, bgr.data(), 4, 1, 12);
  Image grey = read_png(path, 1);
  ASSERT_EQ(grey.channels, 1);
  ASSERT_EQ(grey.pixels.size(), 4u);
  const int want[4] = {29, 150, 76, 255};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(grey.pixels[i], want[i], 1) << "pixel " << i;
}

TEST(ImageIo, StrideSkipsRowPadding) {
  TempDir dir;
  const int w = 5, h = 3, stride = w * 3 + 7;
  std::vector<uint8_t> padded(static_cast<size_t>(stride) * h, 0xEE);
  const std::vector<uint8_t> bgr = pattern(w, h, 2);
  for (int y = 0; y < h; ++y) std::copy_n(&bgr[y * w * 3], w * 3, &padded[y * stride]);
  const std::string path = dir.file("padded.png");
  write_png_bgr(path, padded.data(), w, h, stride);
  EXPECT_EQ(read_png(path, 3).pixels, bgr);
}

TEST(ImageIo, TruncatedPngIsAnErrorNamingIt) {
  TempDir dir;
  const int w = 64, h = 48;
  const std::vector<uint8_t> bgr = pattern(w, h, 1);
  const std::string path = dir.file("frame.png");
  write_png_bgr(path, bgr.data(), w, h, w * 3);
  fs::resize_file(path, fs::file_size(path) / 2);
  expect_error([&] { read_png(path, 3); }, path, "not a readable PNG");
  fs::resize_file(path, 20);  // the signature and part of the header
  expect_error([&] { read_png(path, 1); }, path, "not a readable PNG");
}

TEST(ImageIo, MissingPngIsAnErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("absent.png");
  expect_error([&] { read_png(path, 3); }, path, "not found");
}

TEST(ImageIo, UnwritablePathIsAnErrorWithoutPartialFile) {
  TempDir dir;
  const std::vector<uint8_t> bgr = pattern(8, 8, 0);
  const std::string path = dir.file("no_such_folder/frame.png");
  EXPECT_THROW(write_png_bgr(path, bgr.data(), 8, 8, 24), Error);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".part"));
}

TEST(ImageIo, NonPngIsAnErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("frame.png");
  { std::ofstream(path) << "not an image"; }
  expect_error([&] { read_png(path, 3); }, path, "not a readable PNG");
}

}  // namespace
}  // namespace musetalk::media
