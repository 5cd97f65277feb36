#include "obs_host.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <util/platform.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_support.h"

namespace musetalk::test::obs {

namespace fs = std::filesystem;

namespace {

ObsHost* g_host = nullptr;  // set once ObsHost::get() ran

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The test audio source: no state of its own; the test pushes its audio (push_audio).
const char* test_audio_name(void*) {
  return "Test Audio";
}
void* test_audio_create(obs_data_t*, obs_source_t* source) {
  return source;
}
void test_audio_destroy(void*) {}

void register_test_audio_source() {
  obs_source_info info = {};
  info.id = kTestAudioId;
  info.type = OBS_SOURCE_TYPE_INPUT;
  info.output_flags = OBS_SOURCE_AUDIO;
  info.get_name = test_audio_name;
  info.create = test_audio_create;
  info.destroy = test_audio_destroy;
  obs_register_source(&info);
}

// libobs's log: warnings and errors on stderr; everything with MUSETALK_OBS_LOG=1.
void log_handler(int level, const char* format, va_list args, void*) {
  static const bool all = [] {
    const char* env = std::getenv("MUSETALK_OBS_LOG");
    return env && *env && std::string(env) != "0";
  }();
  if (level > LOG_WARNING && !all) return;
  std::vfprintf(stderr, format, args);
  std::fputc('\n', stderr);
}

// Shuts libobs down after the last test (and fails the run when blocks leaked).
class ObsEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_host == nullptr) return;
    const std::string problem = g_host->shutdown();
    if (!problem.empty()) ADD_FAILURE() << problem;
  }
};

[[maybe_unused]] const ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ObsEnvironment);

}  // namespace

bool module_file_exists(std::string* reason) {
  if (fs::exists(MUSETALK_OBS_MODULE)) return true;
  if (reason) {
    *reason = std::string("the plugin module ") + MUSETALK_OBS_MODULE +
              " is not built yet (build the target musetalk-obs)";
  }
  return false;
}

ObsHost::ObsHost() = default;

ObsHost& ObsHost::get() {
  static ObsHost* host = [] {
    auto* h = new ObsHost;
    g_host = h;
    h->start();
    return h;
  }();
  return *host;
}

void ObsHost::start() {
  // Xvfb picks a free display itself and writes its number to the pipe (-displayfd).
  char log_template[] = "/tmp/musetalk-obs-xvfb-XXXXXX";
  const int log_fd = mkstemp(log_template);
  if (log_fd < 0) {
    error_ = "cannot create a log file for Xvfb in /tmp";
    return;
  }
  xvfb_log_ = log_template;
  int fds[2];
  if (pipe(fds) != 0) {
    close(log_fd);
    error_ = "pipe() failed";
    return;
  }
  const std::string fd_text = std::to_string(fds[1]);
  std::vector<std::string> args = {"Xvfb",    "-displayfd", fd_text,       "-nolisten", "tcp",
                                   "-screen", "0",          "1280x720x24", "-noreset"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  xvfb_pid_ = fork();
  if (xvfb_pid_ == 0) {
    // Xvfb goes away with the test process, even when that crashes.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    close(fds[0]);
    execvp("Xvfb", argv.data());
    _exit(127);
  }
  close(log_fd);
  close(fds[1]);
  if (xvfb_pid_ < 0) {
    close(fds[0]);
    error_ = "fork() failed";
    return;
  }
  std::string number;
  pollfd pfd = {fds[0], POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (number.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buffer[32];
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // Xvfb exited
    number.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (number.find('\n') == std::string::npos) {
    error_ = "Xvfb (Debian package xvfb; it needs xkbcomp from x11-xkb-utils) did not start: " +
             read_text(xvfb_log_);
    return;
  }
  display_ = ":" + number.substr(0, number.find('\n'));
  setenv("DISPLAY", display_.c_str(), 1);

  base_set_log_handler(log_handler, nullptr);
  allocs_before_ = bnum_allocs();
  if (!obs_startup("en-US", nullptr, nullptr)) {
    error_ = "obs_startup failed on the Xvfb display " + display_;
    return;
  }
  started_ = true;
  obs_audio_info audio = {};
  audio.samples_per_sec = kSampleRate;
  audio.speakers = SPEAKERS_STEREO;
  if (!obs_reset_audio(&audio)) {
    error_ = "obs_reset_audio (48 kHz stereo) failed";
    return;
  }
  register_test_audio_source();

  const int opened = obs_open_module(&module_, MUSETALK_OBS_MODULE, MUSETALK_OBS_DATA);
  if (opened != MODULE_SUCCESS) {
    error_ = std::string("obs_open_module(") + MUSETALK_OBS_MODULE + ") returned " +
             std::to_string(opened) +
             " (-1 error, -2 file not found, -3 missing exports, -4 incompatible version)";
    return;
  }
  if (!obs_init_module(module_)) {
    error_ = std::string("obs_init_module(") + MUSETALK_OBS_MODULE +
             ") failed: obs_module_load returned false";
    return;
  }
  obs_post_load_modules();
}

std::string ObsHost::enable_video(uint32_t width, uint32_t height) {
  if (video_) return "";
  obs_video_info video = {};
  video.graphics_module = "libobs-opengl";
  video.fps_num = 30;
  video.fps_den = 1;
  video.base_width = video.output_width = width;
  video.base_height = video.output_height = height;
  video.output_format = VIDEO_FORMAT_I420;
  video.colorspace = VIDEO_CS_709;
  video.range = VIDEO_RANGE_PARTIAL;
  video.scale_type = OBS_SCALE_BICUBIC;
  video.gpu_conversion = true;
  const int reset = obs_reset_video(&video);
  if (reset != OBS_VIDEO_SUCCESS) {
    return "obs_reset_video (libobs-opengl on Xvfb " + display_ + ") returned " +
           std::to_string(reset) +
           " (needs libobs-dev's libobs-opengl.so and Mesa's llvmpipe, libgl1-mesa-dri)";
  }
  video_ = true;
  return "";
}

std::string ObsHost::shutdown() {
  std::string problem;
  if (started_) {
    obs_shutdown();
    started_ = false;
    const long leaked = bnum_allocs() - allocs_before_;
    if (leaked != 0) {
      problem = "bnum_allocs() after obs_shutdown is " + std::to_string(leaked) +
                " blocks above its value before obs_startup (memory leaked through bmalloc)";
    }
  }
  if (xvfb_pid_ > 0) {
    kill(xvfb_pid_, SIGTERM);
    waitpid(xvfb_pid_, nullptr, 0);
    xvfb_pid_ = -1;
  }
  if (!xvfb_log_.empty()) {
    std::error_code ec;
    fs::remove(xvfb_log_, ec);
  }
  return problem;
}

AvatarStats get_stats(obs_source_t* avatar) {
  AvatarStats stats;
  calldata_t data;
  calldata_init(&data);
  stats.found = proc_handler_call(obs_source_get_proc_handler(avatar), "get_stats", &data);
  if (stats.found) {
    stats.frames = calldata_int(&data, "frames");
    stats.audio_packets = calldata_int(&data, "audio_packets");
    stats.audio_dropped = calldata_int(&data, "audio_dropped");
    const char* status = calldata_string(&data, "status");
    stats.status = status ? status : "";
    stats.loaded = calldata_bool(&data, "loaded");
  }
  calldata_free(&data);
  return stats;
}

void push_audio(obs_source_t* test_audio, const std::vector<float>& mono, uint64_t timestamp_ns) {
  obs_source_audio packet = {};
  packet.data[0] = reinterpret_cast<const uint8_t*>(mono.data());
  packet.data[1] = packet.data[0];
  packet.frames = static_cast<uint32_t>(mono.size());
  packet.speakers = SPEAKERS_STEREO;
  packet.format = AUDIO_FORMAT_FLOAT_PLANAR;
  packet.samples_per_sec = kSampleRate;
  packet.timestamp = timestamp_ns;
  obs_source_output_audio(test_audio, &packet);
}

void feed_tone_burst(obs_source_t* test_audio, std::chrono::milliseconds silence_before,
                     std::chrono::milliseconds tone, std::chrono::milliseconds silence_after,
                     float amplitude) {
  constexpr int kPacket = kSampleRate / 100;  // 10 ms
  const long long tone_start = silence_before.count() * kSampleRate / 1000;
  const long long tone_end = tone_start + tone.count() * kSampleRate / 1000;
  const long long total = tone_end + silence_after.count() * kSampleRate / 1000;
  const uint64_t start_ns = os_gettime_ns();
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> packet(kPacket);
  for (long long first = 0; first < total; first += kPacket) {
    for (int i = 0; i < kPacket; ++i) {
      const long long n = first + i;
      packet[i] = n >= tone_start && n < tone_end
                      ? amplitude * static_cast<float>(std::sin(2 * M_PI * 440.0 * n / kSampleRate))
                      : 0.0f;
    }
    push_audio(test_audio, packet,
               start_ns + static_cast<uint64_t>(first) * 1000000000ull / kSampleRate);
    std::this_thread::sleep_until(
        start + std::chrono::microseconds((first + kPacket) * 1000000 / kSampleRate));
  }
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

Settings::Settings(const std::string& json) : data_(obs_data_create_from_json(json.c_str())) {
  if (data_ == nullptr) throw std::runtime_error("obs_data_create_from_json rejected: " + json);
}

SourceRef& SourceRef::operator=(SourceRef&& other) noexcept {
  if (this != &other) {
    reset();
    source_ = other.source_;
    other.source_ = nullptr;
  }
  return *this;
}

void SourceRef::reset() {
  if (source_) obs_source_release(source_);
  source_ = nullptr;
}

SourceRef create_source(const char* id, const std::string& name, const std::string& json) {
  Settings settings(json);
  return SourceRef(obs_source_create(id, name.c_str(), settings.get(), nullptr));
}

std::string source_string_setting(obs_source_t* source, const char* key) {
  obs_data_t* settings = obs_source_get_settings(source);
  std::string value = obs_data_get_string(settings, key);
  obs_data_release(settings);
  return value;
}

const fs::path& tiny_models_dir() {
  static TempDir dir;
  static const bool written = [] {
    const std::string command = std::string("'") + MUSETALK_WRITE_TINY_MODELS + "' '" +
                                dir.path().string() + "' >/dev/null";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error(std::string(MUSETALK_WRITE_TINY_MODELS) + " failed");
    }
    return true;
  }();
  (void)written;
  return dir.path();
}

const fs::path& latents_avatar_dir() {
  static TempDir dir;
  static const fs::path avatar = [] {
    const fs::path out = dir.path() / "avatar";
    const std::string command = std::string("'") + MUSETALK_MAKE_LATENTS_AVATAR + "' '" +
                                tiny_models_dir().string() + "' '" + sample_dir() + "/avatar' '" +
                                out.string() + "'";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error(std::string(MUSETALK_MAKE_LATENTS_AVATAR) + " failed");
    }
    return out;
  }();
  return avatar;
}

std::string running_settings(const std::string& audio_source, const std::string& extra) {
  return "{\"avatar_dir\": " + quoted(latents_avatar_dir().string()) +
         ", \"models_dir\": " + quoted(tiny_models_dir().string()) +
         ", \"audio_source\": " + quoted(audio_source) +
         ", \"device\": \"cpu\", \"precision\": \"fp32\"" + extra + "}";
}

long long status_drops(const std::string& status) {
  std::smatch match;
  static const std::regex drops(R"(, ([0-9]+) drops)");
  return std::regex_search(status, match, drops) ? std::stoll(match[1].str()) : -1;
}

OutputCapture::OutputCapture(float loud) : loud_(loud) {
  video_scale_info video = {};
  video.format = VIDEO_FORMAT_I420;
  video.width = 640;
  video.height = 360;
  audio_convert_info audio = {};
  audio.samples_per_sec = kSampleRate;
  audio.format = AUDIO_FORMAT_FLOAT_PLANAR;
  audio.speakers = SPEAKERS_STEREO;
  obs_add_raw_video_callback(&video, on_video, this);
  obs_add_raw_audio_callback(0, &audio, on_audio, this);
}

OutputCapture::~OutputCapture() {
  obs_remove_raw_audio_callback(0, on_audio, this);
  obs_remove_raw_video_callback(on_video, this);
}

void OutputCapture::on_video(void* param, video_data* frame) {
  auto* c = static_cast<OutputCapture*>(param);
  double sum = 0;
  int n = 0;
  for (int y = 200; y < 260; ++y) {
    for (int x = 130; x < 210; ++x, ++n) sum += frame->data[0][y * frame->linesize[0] + x];
  }
  std::lock_guard<std::mutex> lock(c->mutex_);
  c->frames_.push_back({frame->timestamp, sum / n});
}

void OutputCapture::on_audio(void* param, size_t, audio_data* packet) {
  auto* c = static_cast<OutputCapture*>(param);
  const float* left = reinterpret_cast<const float*>(packet->data[0]);
  Packet p = {packet->timestamp, 0.0f, 0};
  for (uint32_t i = 0; i < packet->frames; ++i) {
    const float a = std::abs(left[i]);
    p.peak = std::max(p.peak, a);
    if (p.loud_ns == 0 && a > c->loud_) {
      p.loud_ns = packet->timestamp + uint64_t{i} * 1000000000ull / kSampleRate;
    }
  }
  std::lock_guard<std::mutex> lock(c->mutex_);
  c->packets_.push_back(p);
}

std::vector<OutputCapture::Frame> OutputCapture::frames() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frames_;
}

std::vector<OutputCapture::Packet> OutputCapture::packets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return packets_;
}

uint64_t OutputCapture::first_loud_ns(uint64_t from_ns) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Packet& p : packets_) {
    if (p.loud_ns != 0 && p.loud_ns >= from_ns) return p.loud_ns;
  }
  return 0;
}

uint64_t OutputCapture::last_frame_ns() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frames_.empty() ? 0 : frames_.back().timestamp_ns;
}

void OutputCapture::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  frames_.clear();
  packets_.clear();
}

bool like_any(const std::vector<double>& idle, double luma) {
  return std::any_of(idle.begin(), idle.end(), [&](double l) { return std::abs(l - luma) < 0.5; });
}

// A JSON string literal (the paths here are the test's own: no control characters).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The presentation latency the running status line reports ("..., latency N ms, ..."), or -1.
int status_latency_ms(const std::string& status) {
  std::smatch match;
  static const std::regex latency(R"(, latency ([0-9]+) ms,)");
  return std::regex_search(status, match, latency) ? std::stoi(match[1].str()) : -1;
}

}  // namespace musetalk::test::obs
