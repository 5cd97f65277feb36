// live::PortAudioSession, MicInput and VoiceOutput when no sound server runs: PULSE_SERVER names a
// socket that does not exist, so ALSA's pulse plugin reaches nothing (and this machine has no
// sound card). Listing shows no input, opening fails with the error's fix, and nothing of ALSA's
// or JACK's probing reaches stderr.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "files/error.h"
#include "live/audio_devices.h"
#include "live/mic_input.h"
#include "live/voice_output.h"
#include "test_support.h"

namespace musetalk::live {
namespace {

class NoSoundServer : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE"}) {
      const char* value = std::getenv(name);
      saved_.push_back({name, value ? value : "", value != nullptr});
    }
    setenv("PULSE_SERVER", ("unix:" + dir_.file("no-server")).c_str(), 1);
    unsetenv("PULSE_SINK");
    unsetenv("PULSE_SOURCE");
  }
  void TearDown() override {
    for (const Saved& s : saved_) {
      if (s.set)
        setenv(s.name.c_str(), s.value.c_str(), 1);
      else
        unsetenv(s.name.c_str());
    }
  }

  // A machine with a sound card lists it whatever the server does: nothing to check there.
  static bool has_sound_card(const std::vector<AudioDevice>& devices) {
    for (const AudioDevice& d : devices) {
      if (d.name.find("hw:") != std::string::npos) return true;
    }
    return false;
  }
  static bool has_sound_card() {
    PortAudioSession session;
    return has_sound_card(session.devices());
  }

 private:
  struct Saved {
    std::string name, value;
    bool set;
  };
  test::TempDir dir_;
  std::vector<Saved> saved_;
};

TEST_F(NoSoundServer, ListsNoInputQuietly) {
  ::testing::internal::CaptureStderr();
  std::vector<AudioDevice> devices;
  std::string messages;
  {
    PortAudioSession session;
    devices = session.devices();
    messages = session.startup_messages();
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  if (has_sound_card(devices)) GTEST_SKIP() << "this machine has a sound card";
  for (const AudioDevice& d : devices) EXPECT_EQ(d.max_input_channels, 0) << d.name;
  EXPECT_EQ(err, "") << "PortAudio's probing reached stderr";
  // What the probing printed is kept, not lost (ALSA's own errors are silenced at the source).
  std::cout << "kept " << messages.size() << " bytes of startup messages\n";
  std::string listing = format_device_list(devices);
  std::cout << listing;
  if (devices.empty()) {
    EXPECT_NE(listing.find("no audio devices found"), std::string::npos);
    EXPECT_NE(listing.find(kNoInputDeviceFix), std::string::npos);
  }
}

TEST_F(NoSoundServer, OpeningTheMicFailsWithTheFix) {
  if (has_sound_card()) GTEST_SKIP() << "this machine has a sound card";
  ::testing::internal::CaptureStderr();
  for (const char* spec : {"default", "pulse", "0"}) {
    try {
      MicInputOptions options;
      options.device = spec;
      MicInput mic(options, [](int64_t, const float*, size_t) {});
      ADD_FAILURE() << "opened " << spec;
    } catch (const Error& e) {
      std::cout << e.what() << "\n";
      EXPECT_NE(e.input().find(std::string("\"") + spec + "\""), std::string::npos) << e.what();
      EXPECT_EQ(e.fix(), kNoInputDeviceFix);
    }
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");
}

TEST_F(NoSoundServer, OpeningTheVoiceOutputFails) {
  if (has_sound_card()) GTEST_SKIP() << "this machine has a sound card";
  ::testing::internal::CaptureStderr();
  try {
    VoiceOutput voice(VoiceOutputOptions{}, 300000000);
    ADD_FAILURE() << "opened the default output";
  } catch (const Error& e) {
    std::cout << e.what() << "\n";
    EXPECT_NE(e.input().find("audio output device \"default\""), std::string::npos) << e.what();
    EXPECT_NE(e.fix().find("PulseAudio or PipeWire"), std::string::npos) << e.what();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(VoiceOutput, RejectsADelayOutOfRangeBeforeOpening) {
  VoiceOutputOptions options;
  options.max_delay_ns = 1000000000;
  for (int64_t delay : {int64_t{-1}, int64_t{2000000000}}) {
    try {
      VoiceOutput voice(options, delay);
      ADD_FAILURE() << "accepted " << delay;
    } catch (const Error& e) {
      EXPECT_EQ(e.input(), "voice delay") << e.what();
    }
  }
}

}  // namespace
}  // namespace musetalk::live
