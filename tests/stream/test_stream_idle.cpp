// Silence, hand-over to and from speech, overload and avatar swaps in the streaming session.
#include <gtest/gtest.h>

#include <thread>

#include "audio/audio_features.h"
#include "stream/stream_session.h"
#include "stream_test_support.h"
#include "tiny_model_set.h"

namespace musetalk::stream {
namespace {

using test::RecordingOutput;
using test::sample_avatar;
using test::sample_voice;

// silence_s of silence, the sample voice, then silence_s again.
std::vector<float> voice_between_silences(double silence_s) {
  const auto gap = static_cast<size_t>(silence_s * 16000);
  std::vector<float> samples(gap, 0.0f);
  samples.insert(samples.end(), sample_voice().begin(), sample_voice().end());
  samples.insert(samples.end(), gap, 0.0f);
  return samples;
}

double mean_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().mean().item<double>();
}

TEST(StreamIdle, SilenceShowsTheCycleFramesAndSpeechFadesInAndOut) {
  StreamSettings settings;
  settings.realtime = false;
  settings.crossfade_frames = 4;
  const std::vector<float> samples = voice_between_silences(1.0);
  SteadyClock clock;
  StreamSession session(test::shared_tiny_models(), sample_avatar().session, settings, clock);
  session.push_audio(0, samples.data(), samples.size());
  session.end_of_input();
  RecordingOutput out(clock, true);
  const StreamStats stats = session.run(out);

  const auto& avatar = *sample_avatar().session;
  ASSERT_EQ(out.frames.size(), 130u);  // 5.2 s
  // The first and last frames are silent: the avatar's own cycle frame for their position.
  for (int f : {0, 1, 10, 20, 129}) {
    EXPECT_EQ(out.frames[f].kind, FrameKind::Idle) << f;
    EXPECT_TRUE(out.frames[f].bgr.equal(avatar.frame(f).cpu())) << f;
  }
  // Speech frames differ from the cycle frame; the first ones of the hand-over only partly.
  int first_speech = -1;
  for (size_t f = 0; f < out.frames.size(); ++f) {
    if (out.frames[f].kind == FrameKind::Speech) {
      first_speech = static_cast<int>(f);
      break;
    }
  }
  ASSERT_GT(first_speech, 15);
  ASSERT_LT(first_speech, 40);
  std::vector<double> change;
  for (int k = 0; k < 6; ++k) {
    const int f = first_speech + k;
    change.push_back(mean_abs_diff(out.frames[f].bgr, avatar.frame(f).cpu()));
  }
  EXPECT_GT(change[0], 0.0);
  // Fading in: the first frame changes less than the frames after the cross-fade.
  EXPECT_LT(change[0], change[4]);
  EXPECT_LT(change[0], change[5]);
  EXPECT_GT(stats.idle, 40);
  EXPECT_GT(stats.speech, 50);
}

TEST(StreamIdle, SilenceAloneNeverRunsTheNetworks) {
  StreamSettings settings;
  settings.realtime = false;
  int hops = 0;
  settings.before_hop = [&](int64_t) { ++hops; };
  const std::vector<float> silence(3 * 16000, 0.0f);
  SteadyClock clock;
  StreamSession session(test::shared_tiny_models(), sample_avatar().session, settings, clock);
  session.push_audio(0, silence.data(), silence.size());
  session.end_of_input();
  RecordingOutput out(clock, false);
  const StreamStats stats = session.run(out);
  EXPECT_EQ(hops, 0);
  EXPECT_EQ(stats.idle, 75);
  EXPECT_EQ(stats.hops, 0);
}

// A generator slowed far below real time: hops are skipped, their frames are cycle frames, and
// no frame is output later than its PTS + the session's latency (plus scheduling slack).
TEST(StreamOverload, ASlowGeneratorDropsFramesInsteadOfFallingBehind) {
  StreamSettings settings;
  settings.latency_ms = 400;
  settings.idle = false;
  settings.before_hop = [](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // 2.5 hops of real time
  };
  SteadyClock clock;
  StreamSession session(test::shared_tiny_models(), sample_avatar().session, settings, clock);
  // The voice twice (6.4 s): long enough for hops to be skipped even when the first one is
  // slowed further by a busy machine.
  std::vector<float> voice = sample_voice();
  voice.insert(voice.end(), sample_voice().begin(), sample_voice().end());
  const int64_t start = clock.now_ns();
  session.warm_up();
  std::thread feeder([&] { test::feed_in_real_time(session, clock, voice, start); });
  RecordingOutput out(clock, false);
  const StreamStats stats = session.run(out);
  feeder.join();
  ASSERT_EQ(out.frames.size(), 160u);
  EXPECT_GT(stats.filler, 0);
  EXPECT_GT(stats.hops_skipped, 0);
  for (const auto& f : out.frames) {
    const int64_t late_ms = (f.written_at_ns - (f.pts_ns + 400000000)) / 1000000;
    EXPECT_LT(late_ms, 150) << "frame " << f.index;  // bounded: not growing with the stream
  }
  EXPECT_LT((out.frames.back().written_at_ns - out.frames.back().pts_ns) / 1000000, 550);
}

// The avatar changes between two frames without a restart; the cycle position carries on.
TEST(StreamSwap, AvatarSwapsMidStream) {
  const test::SampleAvatar& sample = sample_avatar();
  // A second avatar: the same boxes with inverted pictures.
  class Inverted : public pipeline::AvatarImages {
   public:
    explicit Inverted(const SessionAvatar& a) : a_(a) {}
    torch::Tensor frame(int j) override { return 255 - a_.frame(j); }
    torch::Tensor mask(int j) override { return masks_.at(j); }
    std::vector<torch::Tensor> masks_;
    const SessionAvatar& a_;
  } inverted(*sample.session);
  for (size_t j = 0; j < sample.avatar.mask_boxes.size(); ++j) {
    const avatar::Box& c = sample.avatar.mask_boxes[j];
    inverted.masks_.push_back(torch::full({c.height(), c.width()}, 255, torch::kUInt8));
  }
  ModelSet& models = test::shared_tiny_models();
  auto second = SessionAvatar::load(sample.avatar, inverted, sample.latents, models.device,
                                    models.dtype, torch::kCPU);

  StreamSettings settings;
  settings.realtime = false;
  const std::vector<float> silence(2 * 16000, 0.0f);
  SteadyClock clock;
  StreamSession session(models, sample.session, settings, clock);
  session.push_audio(0, silence.data(), silence.size());
  session.end_of_input();
  class SwappingOutput : public RecordingOutput {
   public:
    using RecordingOutput::RecordingOutput;
    void write(const FrameView& frame) override {
      RecordingOutput::write(frame);
      if (frame.index == 10) session->set_avatar(next);
    }
    StreamSession* session = nullptr;
    std::shared_ptr<const SessionAvatar> next;
  } out(clock, true);
  out.session = &session;
  out.next = second;
  session.run(out);
  ASSERT_EQ(out.frames.size(), 50u);
  EXPECT_TRUE(out.frames[5].bgr.equal(sample.session->frame(5).cpu()));
  EXPECT_TRUE(out.frames[49].bgr.equal(second->frame(49).cpu()));
}

// Two sessions on one loaded model set, at the same time, give what one session alone gives.
TEST(StreamShared, TwoSessionsShareOneModelSet) {
  StreamSettings settings;
  settings.realtime = false;
  settings.idle = false;
  const std::vector<float> voice(sample_voice().begin(), sample_voice().begin() + 16000);
  auto run_one = [&](std::vector<test::RecordedFrame>& frames) {
    SteadyClock clock;
    StreamSession session(test::shared_tiny_models(), sample_avatar().session, settings, clock);
    session.push_audio(0, voice.data(), voice.size());
    session.end_of_input();
    RecordingOutput out(clock, true);
    session.run(out);
    frames = std::move(out.frames);
  };
  std::vector<test::RecordedFrame> alone, a, b;
  run_one(alone);
  std::thread other([&] { run_one(b); });
  run_one(a);
  other.join();
  ASSERT_EQ(alone.size(), 25u);
  ASSERT_EQ(a.size(), alone.size());
  ASSERT_EQ(b.size(), alone.size());
  for (size_t f = 0; f < alone.size(); ++f) {
    EXPECT_TRUE(a[f].bgr.equal(alone[f].bgr)) << f;
    EXPECT_TRUE(b[f].bgr.equal(alone[f].bgr)) << f;
  }
}

}  // namespace
}  // namespace musetalk::stream
