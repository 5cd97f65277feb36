#include "avatar_worker.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <vector>

#include "avatar/avatar.h"
#include "files/error.h"
#include "host/cpu_threads.h"
#include "model/model_set.h"
#include "model/runtime_options.h"
#include "status_line.h"
#include "stream/clock.h"
#include "stream/session_avatar.h"
#include "stream/session_setup.h"
#include "stream/stream_session.h"
#include "torch_io/state_dict.h"

// After LibTorch's headers: obs.h brings SIMDe's SSE shims, which break the x86 intrinsics
// headers LibTorch includes after them.
#include "guarded.h"
#include "obs_frame_output.h"

namespace musetalk::obs_plugin {
namespace {

constexpr auto kWaitStep = std::chrono::milliseconds(100);
constexpr int kMaxFps = 240;

// The CPU threads in effect in this process; 0 until an avatar loaded on the CPU.
std::atomic<int> g_cpu_threads{0};

// LibTorch's CPU threads (host/cpu_threads.h), set once per process by the first avatar that
// loads on the CPU, and never again: LibTorch's intra-op count is process-wide (each thread takes
// it up at its first parallel region: ATen/ParallelOpenMP.cpp, init_num_threads), and so is
// OpenBLAS's pool, which another avatar may be using at that moment. A later change of the
// setting shows in the status until OBS restarts.
void set_cpu_threads_once(int requested) {
  static std::once_flag once;
  std::call_once(once, [requested] {
    const int threads = cpu_threads_for(requested);
    host::set_cpu_threads(threads);
    g_cpu_threads = threads;
  });
}

}  // namespace

int cpu_threads_for(int threads) {
  if (threads > 0) return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / 2));
}

// What the worker thread has loaded, kept across sessions while the settings that made it stay.
struct AvatarWorker::Loaded {
  std::string models_key;  // stream::SessionModels::key()
  std::unique_ptr<ModelSet> models;
  std::string avatar_dir;
  std::shared_ptr<const stream::SessionAvatar> avatar;
  int fps = 25;
  std::string device_text, dtype_text;
  bool on_cpu = false;
  std::string latency_key;  // what the measured latency depends on
  int latency_ms = 0;       // measured by prepare()
};

// As `musetalk stream` sets up its session (stream/session_setup.h), with the avatar's frame
// rate and the properties' lookahead and idle behaviour; the rest at its defaults.
stream::StreamSettings AvatarWorker::session_settings(const WorkerConfig& config,
                                                      const Loaded& loaded, int latency_ms) {
  stream::SessionTiming timing;
  timing.fps = loaded.fps;
  timing.lookahead_ms = config.lookahead_ms;
  timing.latency_ms = latency_ms;  // 0: warm_up() measures it
  timing.idle = config.idle;
  return stream::session_settings(timing);
}

AvatarWorker::AvatarWorker(obs_source* source, CaptureBuffer& capture)
    : source_(source),
      pump_(capture, [this](const std::string& message) { report_error(message); }) {
  worker_ = std::thread([this] {
    run_restarting(
        "worker thread", quit_, [this] { work(); },
        [this](const std::string& message) { report_error(message); });
    guarded("worker thread", [this] { loaded_.reset(); });  // on this thread, as work() does
  });
}

AvatarWorker::~AvatarWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
    cancel_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  // pump_ stops as it is destroyed, after this.
}

void AvatarWorker::configure(const WorkerConfig& config) {
  emit_audio_ = config.emit_audio;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const WorkerConfig& o = config_;
    if (generation_ > 0 && o.avatar_dir == config.avatar_dir && o.models_dir == config.models_dir &&
        o.device == config.device && o.precision == config.precision &&
        o.lookahead_ms == config.lookahead_ms && o.idle == config.idle) {
      config_.emit_audio = config.emit_audio;    // read per frame: no restart
      config_.cpu_threads = config.cpu_threads;  // set once per process: a note at most
      if (running_) render_running_locked();
      return;
    }
    config_ = config;
    ++generation_;
    cancel_ = true;
  }
  changed_.notify_all();
}

void AvatarWorker::set_visible(bool visible) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (visible_ == visible) return;
    visible_ = visible;
    if (!visible) cancel_ = true;
  }
  changed_.notify_all();
}

void AvatarWorker::set_note(const std::string& note) {
  std::lock_guard<std::mutex> lock(mutex_);
  note_ = note;
  if (running_) render_running_locked();
}

WorkerStats AvatarWorker::stats() const {
  WorkerStats s;
  s.frames = frames_;
  s.loaded = is_loaded_;
  std::lock_guard<std::mutex> lock(mutex_);
  s.status = status_;
  return s;
}

void AvatarWorker::report_error(const std::string& message) {
  set_status(error_status(message));
}

void AvatarWorker::set_status(const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_.reset();
  publish_locked(status, status);
}

void AvatarWorker::publish_locked(const std::string& status, const std::string& view_key) {
  status_ = status;
  if (view_key == view_key_) return;
  view_key_ = view_key;
  ++view_version_;
}

void AvatarWorker::show_running(const RunningLine& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = line;
  render_running_locked();
}

void AvatarWorker::render_running_locked() {
  const RunningLine& r = *running_;
  std::string note = note_;
  auto add = [&note](const std::string& part) { note += (note.empty() ? "" : ", ") + part; };
  if (r.paused) add("paused while hidden");
  const int threads = g_cpu_threads;
  if (r.on_cpu && threads > 0 && threads != cpu_threads_for(config_.cpu_threads)) {
    add("using " + std::to_string(threads) + " CPU threads: a change applies after OBS restarts");
  }
  // The view's key leaves out the live numbers (fps, drops, the latency in effect) but not
  // whether the fps was measured yet, so an open view shows the first real figures once.
  publish_locked(
      running_status(r.device, r.dtype, r.latency_ms, r.fps, r.drops, note),
      "running\n" + r.device + "\n" + r.dtype + "\n" + (r.measured ? "measured\n" : "\n") + note);
}

void AvatarWorker::work() {
  uint64_t seen = 0;
  bool ready = false;
  while (!quit_) {
    WorkerConfig config;
    bool reconfigure = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait_for(lock, kWaitStep,
                        [&] { return quit_ || generation_ != seen || (ready && visible_); });
      if (quit_) break;
      if (generation_ == 0) continue;
      config = config_;
      reconfigure = generation_ != seen;
      seen = generation_;
      if (!reconfigure && !(ready && visible_)) continue;
      // Under the lock: a hide or a new configuration after this point cancels the session.
      cancel_ = false;
    }
    try {
      if (reconfigure) {
        ready = prepare(config);
      } else {
        stream_once(config);
      }
    } catch (const LoadStopped&) {
      break;  // destroy: quit_ is set
    } catch (const std::exception& e) {
      ready = false;
      is_loaded_ = false;
      set_status(error_status(e.what()));
    } catch (...) {
      ready = false;
      is_loaded_ = false;
      set_status(error_status("unknown failure"));
    }
  }
  loaded_.reset();  // the models go on this thread, with their CUDA state
}

bool AvatarWorker::prepare(const WorkerConfig& config) {
  if (config.avatar_dir.empty() || config.models_dir.empty()) {
    is_loaded_ = false;
    set_status(
        error_status(std::string(config.avatar_dir.empty() ? "avatar folder" : "models folder") +
                     ": is not set \xE2\x80\x94 choose it in the source's properties"));
    return false;
  }
  is_loaded_ = false;
  set_status(kLoadingStatus);

  // Each load step takes seconds: destroy (quit_) is checked between them, and between the
  // networks of the model set, so it waits for one step (or network) at most, not for the whole
  // load. The steps done so far stay in loaded_ (freed by the worker thread as it ends); a model
  // set stopped part-way is freed as LoadStopped leaves spec.load().
  avatar::Avatar avatar = avatar::load_avatar(config.avatar_dir);
  if (quit_) return false;
  // The UNet version the avatar records (musetalk render does the same), else v1.5.
  const UNetVersion version = avatar.model_version_source.empty()
                                  ? UNetVersion::V15
                                  : parse_unet_version(avatar.model_version);
  if (avatar.fps < 1 || avatar.fps > kMaxFps) {
    throw Error(config.avatar_dir,
                "records " + std::to_string(avatar.fps) + " frames per second, outside 1 to " +
                    std::to_string(kMaxFps),
                "recreate the avatar (musetalk avatar create)");
  }
  // The source streams an avatar with the VAE latents it was made with (native, upstream
  // MuseTalk and LiveTalking avatars all have them); making them here would need the VAE
  // encoder's face crops, which pull OpenCV into OBS.
  if (!avatar.has_latents()) {
    throw Error(config.avatar_dir, "has no VAE latents (latents.safetensors or latents.pt)",
                avatar::kRecreateFix);
  }
  stream::check_session_avatar(avatar, config.avatar_dir);  // before any model loads
  stream::SessionModels spec;
  spec.models_dir = config.models_dir;
  spec.version = version;
  spec.device = parse_device(config.device);
  spec.dtype = resolve_dtype(parse_precision(config.precision), spec.device);
  if (spec.device.is_cpu()) set_cpu_threads_once(config.cpu_threads);
  const std::string models_key = spec.key();

  if (!loaded_ || loaded_->models_key != models_key) {
    loaded_.reset();  // free the old models before loading new ones
    auto fresh = std::make_unique<Loaded>();
    fresh->models = std::make_unique<ModelSet>(spec.load([this] { return !quit_; }));
    fresh->models_key = models_key;
    fresh->device_text = spec.device.str();
    fresh->on_cpu = spec.device.is_cpu();
    fresh->dtype_text = stream::dtype_text(spec.dtype);
    loaded_ = std::move(fresh);
    if (quit_) return false;
  }
  Loaded& l = *loaded_;
  if (!l.avatar || l.avatar_dir != config.avatar_dir) {
    l.avatar.reset();
    ModelSet& models = *l.models;
    l.avatar = stream::load_session_avatar(avatar, to_torch(avatar.latents), models);
    l.avatar_dir = config.avatar_dir;
    l.fps = avatar.fps;
    if (quit_) return false;
  }
  const std::string latency_key =
      models_key + "\n" + config.avatar_dir + "\n" + std::to_string(config.lookahead_ms);
  if (l.latency_key != latency_key) {
    // The latency is measured here, still "Loading…" (a warm-up hop: seconds on a CPU), so
    // showing the source starts its frames at once; every session after uses it as is.
    l.latency_key.clear();
    stream::SteadyClock clock;
    stream::StreamSession probe(*l.models, l.avatar, session_settings(config, l, 0), clock);
    l.latency_ms = static_cast<int>((probe.warm_up() + 999999) / 1000000);
    l.latency_key = latency_key;
    if (quit_) return false;
  }
  is_loaded_ = true;
  RunningLine line;
  line.device = l.device_text;
  line.dtype = l.dtype_text;
  line.on_cpu = l.on_cpu;
  line.latency_ms = l.latency_ms;
  line.paused = true;
  show_running(line);
  return true;
}

void AvatarWorker::stream_once(const WorkerConfig& config) {
  Loaded& l = *loaded_;
  stream::SteadyClock clock;  // CLOCK_MONOTONIC, the clock of os_gettime_ns()
  stream::StreamSession session(*l.models, l.avatar, session_settings(config, l, l.latency_ms),
                                clock);
  session.warm_up();  // the latency is fixed: nothing runs

  // The private timeline goes on from the last session, plus the time nothing was shown (as a
  // paused device's timestamps would), so OBS never sees it go back nor fall behind real time.
  int64_t base_ns = next_timestamp_ns_;
  if (paused_at_ns_ > 0) base_ns += std::max<int64_t>(0, clock.now_ns() - paused_at_ns_);
  ObsFrameOutput output(source_, base_ns, emit_audio_, frames_);
  struct Detach {
    AvatarWorker& w;
    ObsFrameOutput& output;
    const stream::Clock& clock;
    ~Detach() {
      w.pump_.attach(nullptr);  // before the session goes
      w.next_timestamp_ns_ = output.next_ns();
      w.paused_at_ns_ = clock.now_ns();
    }
  } detach{*this, output, clock};
  pump_.attach(&session);

  auto last_time = std::chrono::steady_clock::now();
  int64_t last_frames = 0;
  RunningLine line;
  line.device = l.device_text;
  line.dtype = l.dtype_text;
  line.on_cpu = l.on_cpu;
  line.latency_ms = l.latency_ms;
  show_running(line);
  session.run(output, &cancel_, [&](const stream::StreamStats& s) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_time).count();
    if (seconds > 0) {
      line.fps = static_cast<double>(s.frames - last_frames) / seconds;
      line.measured = true;
    }
    last_time = now;
    last_frames = s.frames;
    line.latency_ms = s.latency_ms;
    line.drops = s.filler;  // frames shown as cycle frames because their hop was late
    show_running(line);
  });
  line.paused = true;
  line.fps = 0;
  line.measured = false;
  if (!quit_) show_running(line);
}

}  // namespace musetalk::obs_plugin
