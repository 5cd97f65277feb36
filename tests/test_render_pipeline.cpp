// The render pipeline's parts (bounded queue, batching, compositing) and render() end to end
// with a tiny model set and an in-memory avatar: frame count and order, untouched pixels
// outside the masks, the frames of the whole clip's features from audio read piece by piece,
// progress totals, errors from any stage (the audio source included), cancellation.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "audio/audio_features.h"
#include "files/error.h"
#include "model/face_generator.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/compositor.h"
#include "pipeline/frame_batches.h"
#include "pipeline/render_pipeline.h"
#include "test_support.h"
#include "tiny_model_set.h"
#include "torch_io/state_dict.h"

namespace musetalk::pipeline {
namespace {

TEST(BoundedQueue, NeverHoldsMoreThanItsDepthAndKeepsOrder) {
  BoundedQueue<int> q(3);
  std::atomic<size_t> largest{0};
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(q.push(i));
      largest = std::max(largest.load(), q.size());
    }
    q.close();
  });
  int expected = 0;
  while (std::optional<int> v = q.pop()) {
    EXPECT_LE(q.size(), 3u);
    EXPECT_EQ(*v, expected++);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  producer.join();
  EXPECT_EQ(expected, 50);
  EXPECT_LE(largest.load(), 3u);
}

TEST(BoundedQueue, CloseWakesBlockedPushAndPop) {
  BoundedQueue<int> full(1);
  ASSERT_TRUE(full.push(1));
  std::atomic<int> push_result{-1};
  std::thread pusher([&] { push_result = full.push(2) ? 1 : 0; });
  BoundedQueue<int> empty(1);
  std::atomic<int> pop_result{-1};
  std::thread popper([&] { pop_result = empty.pop().has_value() ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(push_result.load(), -1) << "push on a full queue must block";
  EXPECT_EQ(pop_result.load(), -1) << "pop on an empty queue must block";
  full.close();
  empty.close();
  pusher.join();
  popper.join();
  EXPECT_EQ(push_result.load(), 0);
  EXPECT_EQ(pop_result.load(), 0);
  EXPECT_EQ(full.pop(), std::optional<int>(1)) << "close() keeps what was queued";
  EXPECT_FALSE(full.pop().has_value());
}

TEST(FrameBatches, CyclesLatentsAndSplitsIntoBatches) {
  const int64_t frames = 19, cycle = 4;
  torch::Tensor windows =
      torch::arange(frames, torch::kFloat32).view({frames, 1, 1}).expand({frames, 50, 384});
  torch::Tensor latents =
      torch::arange(cycle, torch::kFloat32).view({cycle, 1, 1, 1}).expand({cycle, 8, 32, 32});
  FrameBatches batches(windows, latents, 8);
  ASSERT_EQ(batches.count(), 3);
  const std::vector<int64_t> sizes = {8, 8, 3};
  for (int64_t k = 0; k < batches.count(); ++k) {
    FrameBatch b = batches[k];
    ASSERT_EQ(b.size(), sizes[k]);
    EXPECT_EQ(b.first, 8 * k);
    EXPECT_EQ(b.latents.sizes().vec(), (std::vector<int64_t>{sizes[k], 8, 32, 32}));
    for (int64_t i = 0; i < b.size(); ++i) {
      EXPECT_EQ(b.audio[i][7][5].item<float>(), b.first + i);
      EXPECT_EQ(b.latents[i][3][2][1].item<float>(), (b.first + i) % cycle);
    }
  }
}

// render() windows each batch on its own; that must equal slicing the whole clip's windows.
TEST(FrameBatches, WindowsMadeBatchByBatchMatchTheWholeClip) {
  torch::manual_seed(5);
  const int64_t samples = 16000 * 3 + 123;
  torch::Tensor hidden = torch::randn({samples / 320, 5, 8});
  for (int64_t fps : {25, 30, 12}) {
    const torch::Tensor whole = audio::frame_windows(hidden, samples, fps);
    const int64_t frames = audio::frame_count(samples, fps);
    FrameBatches batches(
        frames,
        [&](int64_t first, int64_t n) {
          return audio::frame_windows(hidden, samples, fps, first, n);
        },
        torch::zeros({2, 8, 32, 32}), 7);
    for (int64_t k = 0; k < batches.count(); ++k) {
      FrameBatch b = batches[k];
      EXPECT_TRUE(b.audio.equal(whole.narrow(0, b.first, b.size()))) << fps << " fps batch " << k;
    }
  }
}

TEST(Compositor, CropBoxFollowsUpstreamIntegerMaths) {
  // w = 51, h = 60: s = int(60 // 2 * 1.5) = 45; centre ((20 + 71) // 2, (30 + 90) // 2).
  EXPECT_EQ(crop_box_for({20, 30, 71, 90}), (Box{0, 15, 90, 105}));
  // Odd half side: s = int(25 * 1.5) = 37.
  EXPECT_EQ(crop_box_for({60, 70, 100, 120}), (Box{43, 58, 117, 132}));
}

TEST(Compositor, ResizeKeepsIdentityAndFlatImages) {
  torch::manual_seed(3);
  torch::Tensor face = torch::randint(0, 256, {64, 48, 3}, torch::kUInt8);
  EXPECT_TRUE(resize_face(face, 48, 64).equal(face));
  torch::Tensor flat = torch::full({64, 48, 3}, 201, torch::kUInt8);
  for (auto [w, h] : {std::pair{17, 90}, std::pair{100, 31}, std::pair{48, 65}}) {
    torch::Tensor out = resize_face(flat, w, h);
    EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{h, w, 3}));
    EXPECT_TRUE(out.eq(201).all().item<bool>()) << w << "x" << h;
  }
}

TEST(Compositor, PasteOutsideTheFrameIsClipped) {
  torch::Tensor frame = torch::full({20, 20, 3}, 10, torch::kUInt8);
  const Box box{10, 10, 26, 26};  // leaves the frame right and below
  const Box crop = crop_box_for(box);
  torch::Tensor face = torch::full({16, 16, 3}, 200, torch::kUInt8);
  torch::Tensor mask = torch::full({crop.height(), crop.width()}, 255, torch::kUInt8);
  torch::Tensor out = paste_face(frame, face, box, mask, crop);
  EXPECT_TRUE(out.slice(0, 10).slice(1, 10).eq(200).all().item<bool>());
  EXPECT_TRUE(out.slice(0, 0, 10).eq(10).all().item<bool>());
  // Half mask: DIV255(10 * 127 + 200 * 128) = 105.
  mask.fill_(128);
  EXPECT_EQ(paste_face(frame, face, box, mask, crop)[15][15][0].item<int>(), 105);
}

// --- render() end to end --------------------------------------------------------------------

constexpr int kWidth = 100, kHeight = 120;

// Four cycle frames of noise; masks nonzero in the lower half of each face box only.
class FakeAvatar : public AvatarImages {
 public:
  FakeAvatar() {
    torch::manual_seed(7);
    avatar.face_boxes = {{20, 30, 71, 90},
                         {30, 40, 80, 100},
                         {60, 70, 100, 120},
                         {0, 0, 0, 0}};  // the placeholder of a frame without a face
    for (const Box& box : avatar.face_boxes) {
      const Box crop = box.empty() ? Box{0, 0, 10, 10} : crop_box_for(box);
      avatar.mask_boxes.push_back(crop);
      frames.push_back(torch::randint(0, 256, {kHeight, kWidth, 3}, torch::kUInt8));
      torch::Tensor m = torch::zeros({crop.height(), crop.width()}, torch::kUInt8);
      if (!box.empty()) {
        const int top = (box.y1 + box.y2) / 2 - crop.y1, left = box.x1 - crop.x1;
        m.slice(0, top, box.y2 - crop.y1).slice(1, left, box.x2 - crop.x1).fill_(200);
      }
      masks.push_back(m);
    }
    avatar.root = "fake-avatar";
    avatar.frame_width = kWidth;
    avatar.frame_height = kHeight;
    avatar.latents = to_file_tensor(torch::randn({4, 8, 32, 32}));
  }
  torch::Tensor frame(int j) override { return frames.at(j); }
  torch::Tensor mask(int j) override { return masks.at(j); }

  // Where frame j may differ from the avatar frame: nonzero mask inside the frame.
  torch::Tensor changeable(int j) const {
    torch::Tensor where = torch::zeros({kHeight, kWidth}, torch::kBool);
    const Box& c = avatar.mask_boxes[j];
    for (int y = std::max(0, c.y1); y < std::min(kHeight, c.y2); ++y) {
      for (int x = std::max(0, c.x1); x < std::min(kWidth, c.x2); ++x) {
        if (masks[j][y - c.y1][x - c.x1].item<int>() != 0) where[y][x] = true;
      }
    }
    return where;
  }

  avatar::Avatar avatar;
  std::vector<torch::Tensor> frames, masks;
};

class RecordingSink : public FrameSink {
 public:
  void write_bgr(const uint8_t* bgr, int width, int height, int stride) override {
    if (throw_at >= 0 && static_cast<int>(frames.size()) == throw_at) {
      throw std::runtime_error("sink is full");
    }
    EXPECT_EQ(stride, width * 3);
    frames.push_back(
        torch::from_blob(const_cast<uint8_t*>(bgr), {height, width, 3}, torch::kUInt8).clone());
  }
  int throw_at = -1;
  std::vector<torch::Tensor> frames;
};

class RenderTest : public ::testing::Test {
 protected:
  static std::vector<float> one_second() {
    std::vector<float> samples(16000);
    for (size_t i = 0; i < samples.size(); ++i) {
      samples[i] = 0.3f * std::sin(2 * 3.14159265f * 220.f * i / 16000.f);
    }
    return samples;
  }

  ModelSet* models_ = &test::shared_tiny_models();
  FakeAvatar avatar_;
  RenderSettings settings_{25, 8, 2};
};

TEST_F(RenderTest, WritesEveryFrameInOrderAndOnlyInsideTheMasks) {
  RecordingSink sink;
  int64_t last_done = 0;
  RenderStats stats = render(*models_, avatar_.avatar, avatar_, one_second(), settings_, sink,
                             [&](int64_t done, int64_t total) {
                               EXPECT_EQ(done, last_done + 1);
                               EXPECT_EQ(total, 25);
                               last_done = done;
                             });
  ASSERT_EQ(stats.frames, 25);
  ASSERT_EQ(sink.frames.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    const int j = i % 4;
    const torch::Tensor same = sink.frames[i].eq(avatar_.frames[j]).all(2);
    EXPECT_TRUE(same.logical_or(avatar_.changeable(j)).all().item<bool>()) << "frame " << i;
    if (j != 3) {
      EXPECT_FALSE(same.all().item<bool>()) << "frame " << i << " has no face";
    }
  }
  EXPECT_GT(stats.total_s, 0);
}

TEST_F(RenderTest, AnErrorInTheSinkStopsEverythingAndIsRethrown) {
  RecordingSink sink;
  sink.throw_at = 5;
  EXPECT_THROW(
      {
        try {
          render(*models_, avatar_.avatar, avatar_, one_second(), settings_, sink, nullptr);
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "sink is full");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_EQ(sink.frames.size(), 5u);
}

TEST_F(RenderTest, AnErrorInCompositingIsRethrown) {
  avatar_.masks[2] = torch::zeros({3, 3}, torch::kUInt8);  // does not fit its crop box
  RecordingSink sink;
  try {
    render(*models_, avatar_.avatar, avatar_, one_second(), settings_, sink, nullptr);
    ADD_FAILURE() << "a mask that does not fit its box must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mask 2"), std::string::npos) << e.what();
  }
  EXPECT_LE(sink.frames.size(), 2u);
}

TEST_F(RenderTest, CancelStopsEarly) {
  RecordingSink sink;
  std::atomic<bool> cancel{false};
  RenderStats stats = render(
      *models_, avatar_.avatar, avatar_, one_second(), settings_, sink,
      [&](int64_t done, int64_t) {
        if (done == 3) cancel = true;
      },
      &cancel);
  EXPECT_EQ(stats.frames, 3);
  EXPECT_EQ(sink.frames.size(), 3u);
}

// Hands out a clip in pieces of at most `piece` samples, claiming `expected` samples ahead, and
// throws once `fail_after` samples have been read (when >= 0).
class PiecewiseSource : public AudioSource {
 public:
  PiecewiseSource(const std::vector<float>& samples, size_t piece, int64_t expected)
      : samples_(samples), piece_(piece), expected_(expected) {}
  size_t read(float* out, size_t max) override {
    if (fail_after >= 0 && static_cast<int64_t>(at_) >= fail_after) {
      throw Error("voice.wav", "audio decoding failed", "re-encode it");
    }
    const size_t n = std::min({max, piece_, samples_.size() - at_});
    std::copy_n(samples_.data() + at_, n, out);
    at_ += n;
    return n;
  }
  int64_t expected_samples() const override { return expected_; }
  int64_t fail_after = -1;

 private:
  const std::vector<float>& samples_;
  size_t piece_;
  int64_t expected_;
  size_t at_ = 0;
};

// The frames of the offline path render() took before it streamed: the whole clip's hidden
// states and windows, batch by batch through the UNet and VAE, composited as render() does.
std::vector<torch::Tensor> whole_clip_frames(ModelSet& models, FakeAvatar& avatar,
                                             const std::vector<float>& samples, int fps,
                                             int64_t batch) {
  torch::InferenceMode inference;
  const auto count = static_cast<int64_t>(samples.size());
  const torch::Tensor hidden = audio::whisper_hidden_states(
      models.whisper,
      torch::from_blob(const_cast<float*>(samples.data()), {count}, torch::kFloat32));
  const torch::Tensor windows = audio::frame_windows(hidden, count, fps);
  const FrameBatches batches(windows, to_torch(avatar.avatar.latents), batch);
  std::vector<torch::Tensor> frames;
  for (int64_t k = 0; k < batches.count(); ++k) {
    const FrameBatch b = batches[k];
    const torch::Tensor faces = generate_faces(models.unet, models.vae,
                                               models.vae_config.scaling_factor, b.audio, b.latents)
                                    .bgr;
    for (int64_t i = 0; i < b.size(); ++i) {
      const int j = static_cast<int>((b.first + i) % 4);
      frames.push_back(compose_frame(avatar.frames[j], avatar.masks[j], avatar.avatar.face_boxes[j],
                                     avatar.avatar.mask_boxes[j], faces[i]));
    }
  }
  return frames;
}

// 31.5 s: two Whisper segments, read 777 samples at a time; every frame equals the offline
// path's, bit for bit.
TEST_F(RenderTest, AudioReadPieceByPieceGivesTheWholeClipsFrames) {
  std::mt19937 random(5);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  std::vector<float> clip(31 * 16000 + 8000);
  for (float& s : clip) s = normal(random);
  const RenderSettings settings{1, 8, 2};
  PiecewiseSource source(clip, 777, static_cast<int64_t>(clip.size()));
  RecordingSink sink;
  const RenderStats stats =
      render(*models_, avatar_.avatar, avatar_, source, settings, sink, nullptr);
  const std::vector<torch::Tensor> expected =
      whole_clip_frames(*models_, avatar_, clip, settings.fps, settings.batch);
  ASSERT_EQ(stats.frames, 31);
  ASSERT_EQ(sink.frames.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(torch::equal(sink.frames[i], expected[i])) << "frame " << i;
  }
  EXPECT_GT(stats.features_s, 0);
}

// An estimate that is wrong is replaced by the exact count once the audio's end is read (here
// before the first frame: a clip under 30 s is one segment, encoded at its end).
TEST_F(RenderTest, ProgressTotalIsExactOnceTheAudioHasEnded) {
  const std::vector<float> clip = one_second();
  for (int64_t estimate : {int64_t{0}, int64_t{64000}}) {
    SCOPED_TRACE("estimate " + std::to_string(estimate));
    PiecewiseSource source(clip, 5000, estimate);
    RecordingSink sink;
    int64_t calls = 0;
    render(*models_, avatar_.avatar, avatar_, source, settings_, sink,
           [&](int64_t done, int64_t total) {
             EXPECT_EQ(done, ++calls);
             EXPECT_EQ(total, 25);
           });
    EXPECT_EQ(calls, 25);
  }
}

TEST_F(RenderTest, AnErrorInTheAudioSourceIsRethrown) {
  const std::vector<float> clip = one_second();
  PiecewiseSource source(clip, 4000, 0);
  source.fail_after = 8000;
  RecordingSink sink;
  try {
    render(*models_, avatar_.avatar, avatar_, source, settings_, sink, nullptr);
    ADD_FAILURE() << "the source's error must reach the caller";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "voice.wav");
  }
  EXPECT_TRUE(sink.frames.empty());
}

}  // namespace
}  // namespace musetalk::pipeline

namespace musetalk::pipeline {
namespace {

TEST_F(RenderTest, CancelBeforeTheStartWritesNothing) {
  RecordingSink sink;
  std::atomic<bool> cancel{true};
  RenderStats stats =
      render(*models_, avatar_.avatar, avatar_, one_second(), settings_, sink, nullptr, &cancel);
  EXPECT_EQ(stats.frames, 0);
  EXPECT_TRUE(sink.frames.empty());
}

// Cancel from another thread while the caller waits for frames: every stage must still end.
TEST_F(RenderTest, CancelFromAnotherThreadEndsEveryStage) {
  RecordingSink sink;
  std::atomic<bool> cancel{false};
  std::thread canceller;
  RenderStats stats = render(
      *models_, avatar_.avatar, avatar_, one_second(), settings_, sink,
      [&](int64_t done, int64_t) {
        if (done == 1) {
          canceller = std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            cancel = true;
          });
        }
      },
      &cancel);
  canceller.join();
  EXPECT_LT(stats.frames, 25);
  EXPECT_EQ(static_cast<int64_t>(sink.frames.size()), stats.frames);
}

}  // namespace
}  // namespace musetalk::pipeline
