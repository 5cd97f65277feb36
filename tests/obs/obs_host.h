#pragma once
// A bare libobs host for the OBS source's tests (tests/obs/): real libobs 29 under a private Xvfb,
// started once per test process and shut down when the tests end.
//
// libobs has no headless mode: obs_startup needs an X display (its hotkey code calls XOpenDisplay),
// so the host starts its own `Xvfb -displayfd` and sets DISPLAY before obs_startup; ctest needs
// nothing special. It opens ONLY the plugin (MUSETALK_OBS_MODULE, data MUSETALK_OBS_DATA) with
// obs_open_module + obs_init_module: obs_load_all_modules() would also load the system's
// frontend-tools module, which aborts without a QApplication. It registers a test audio source
// type ("musetalk_test_audio") whose audio the test pushes from its own thread.
//
// libobs logs only warnings and errors unless MUSETALK_OBS_LOG=1.
//
// Shutdown (obs_shutdown) happens after the last test, in a GoogleTest environment, and fails the
// run unless libobs's allocation count (bnum_allocs) is back to where it was before obs_startup.

#include <obs.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "settings_keys.h"

namespace musetalk::test::obs {

// The avatar source's id (plugin/settings_keys.h).
using obs_plugin::kSourceId;
inline constexpr const char* kTestAudioId = "musetalk_test_audio";

// OBS's audio format in the host: 48 kHz stereo (float planar inside libobs).
inline constexpr int kSampleRate = 48000;

// The plugin's module file and data folder (compile definitions); empty when the module file is
// not built, with why in `reason`.
bool module_file_exists(std::string* reason);

class ObsHost {
 public:
  // Starts Xvfb, libobs (audio 48 kHz stereo) and the module on the first call; later calls return
  // the same host. Never throws: check ok() / error().
  static ObsHost& get();

  bool ok() const { return error_.empty(); }
  // Why the host could not start (with Xvfb's log or libobs's return codes), or "".
  const std::string& error() const { return error_; }

  // Resets video (libobs-opengl on Xvfb's Mesa llvmpipe, I420, `width` x `height`, 30 fps) for a
  // test that needs rendered frames. Returns "" or why it failed.
  std::string enable_video(uint32_t width = 640, uint32_t height = 360);

  // The display Xvfb serves (":N").
  const std::string& display() const { return display_; }

  // Ends libobs and Xvfb; returns "" or what went wrong (leaked bmalloc blocks).
  std::string shutdown();

 private:
  ObsHost();
  void start();

  std::string error_;
  std::string display_;
  pid_t xvfb_pid_ = -1;
  std::filesystem::path xvfb_log_;
  long allocs_before_ = 0;
  bool started_ = false;
  bool video_ = false;
  obs_module_t* module_ = nullptr;
};

// What the source's "get_stats" proc handler returns.
struct AvatarStats {
  bool found = false;  // the proc handler exists and answered
  long long frames = 0, audio_packets = 0, audio_dropped = 0;
  std::string status;
  bool loaded = false;
};
AvatarStats get_stats(obs_source_t* avatar);

// Pushes `mono` (float samples at 48 kHz, duplicated onto both channels) into a test audio source
// as one packet stamped `timestamp_ns`.
void push_audio(obs_source_t* test_audio, const std::vector<float>& mono, uint64_t timestamp_ns);

// Feeds a test audio source at real-time pace in 10 ms packets stamped with os_gettime_ns():
// `silence_before` of silence, `tone` of a 440 Hz sine at `amplitude`, `silence_after` of silence.
// Blocks for the total duration.
void feed_tone_burst(obs_source_t* test_audio, std::chrono::milliseconds silence_before,
                     std::chrono::milliseconds tone, std::chrono::milliseconds silence_after,
                     float amplitude = 0.3f);

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A JSON string literal (the paths here are the test's own: no control characters).
std::string quoted(const std::string& text);

// The presentation latency the running status line reports ("..., latency N ms, ..."), or -1.
int status_latency_ms(const std::string& status);

// obs_data from a JSON text (released by the object).
class Settings {
 public:
  explicit Settings(const std::string& json = "{}");
  ~Settings() { obs_data_release(data_); }
  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;
  obs_data_t* get() const { return data_; }

 private:
  obs_data_t* data_;
};

// A strong reference to a source, released (and so destroyed when it is the last) with the object.
class SourceRef {
 public:
  SourceRef() = default;
  explicit SourceRef(obs_source_t* source) : source_(source) {}
  ~SourceRef() { reset(); }
  SourceRef(SourceRef&& other) noexcept : source_(other.source_) { other.source_ = nullptr; }
  SourceRef& operator=(SourceRef&& other) noexcept;
  SourceRef(const SourceRef&) = delete;
  SourceRef& operator=(const SourceRef&) = delete;
  obs_source_t* get() const { return source_; }
  explicit operator bool() const { return source_ != nullptr; }
  void reset();

 private:
  obs_source_t* source_ = nullptr;
};

// Creates a source (obs_source_create) with the given JSON settings.
SourceRef create_source(const char* id, const std::string& name, const std::string& json = "{}");

// The string setting `key` of a source (obs_source_get_settings).
std::string source_string_setting(obs_source_t* source, const char* key);

// The folder of a tiny model set (tests/tiny_model_set.h), written once per process by the
// write_tiny_models tool; throws std::runtime_error when that fails.
const std::filesystem::path& tiny_models_dir();

// The avatar the tests run: the repository's sample avatar (data/sample/avatar, which ships
// without latents) as a native avatar with the VAE latents of tiny_models_dir()'s VAE, as
// `musetalk avatar create` writes them. Every real avatar has its latents (native, upstream
// MuseTalk, LiveTalking) and the plugin loads them instead of running the VAE encoder itself.
// Made once per process by the make_latents_avatar tool into a temporary folder removed at exit;
// throws std::runtime_error when that fails.
const std::filesystem::path& latents_avatar_dir();

// JSON settings for an avatar source running latents_avatar_dir() with the tiny model set on the
// CPU in fp32, listening to `audio_source`; `extra` (", \"key\": value...") adds settings.
std::string running_settings(const std::string& audio_source, const std::string& extra = "");

// The drop count the running status line reports ("..., D drops"), or -1.
long long status_drops(const std::string& status);

// OBS's output as its raw callbacks see it while the object lives (obs_add_raw_video_callback on
// I420 frames of the host's 640x360 video, obs_add_raw_audio_callback on mix 0): per frame, its
// timestamp and the mean luma of the sample avatar's mouth (the avatar is drawn unscaled at the
// top left: face box x 112-228, y 131-265 in data/sample/avatar/avatar.json); per audio packet,
// its timestamp, its peak and the time of its first sample louder than `loud`. Needs the host's
// video (ObsHost::enable_video).
class OutputCapture {
 public:
  struct Frame {
    uint64_t timestamp_ns;
    double mouth_luma;
  };
  struct Packet {
    uint64_t timestamp_ns;
    float peak;        // of the left channel
    uint64_t loud_ns;  // the first sample above `loud`; 0: none
  };

  explicit OutputCapture(float loud = 0.05f);
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  std::vector<Frame> frames() const;
  std::vector<Packet> packets() const;
  // The first sample above `loud` at or after from_ns; 0: none yet.
  uint64_t first_loud_ns(uint64_t from_ns = 0) const;
  // The timestamp of the last frame; 0: none yet.
  uint64_t last_frame_ns() const;
  // Forgets what was seen so far.
  void clear();

 private:
  static void on_video(void* param, video_data* frame);
  static void on_audio(void* param, size_t mix, audio_data* packet);

  const float loud_;
  mutable std::mutex mutex_;
  std::vector<Frame> frames_;
  std::vector<Packet> packets_;
};

// Whether `luma` is within 0.5 of one of `idle`: the mouth of an idle (cycle) frame.
bool like_any(const std::vector<double>& idle, double luma);

}  // namespace musetalk::test::obs
