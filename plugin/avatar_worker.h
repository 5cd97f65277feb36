#pragma once
// The MuseTalk Avatar source's engine room: one worker thread per source that loads the models
// and the avatar (never on OBS's UI thread) and runs a stream::StreamSession whose frames go to
// OBS (obs_frame_output.h), fed by the source's audio pump (audio_pump.h). Every exception ends
// up in the status line ("Error: ..."), never in OBS. While the source is hidden the session is
// stopped (no inference) but the pump keeps draining and discarding the captured audio; showing
// it again starts a new session with the latency measured before, continuing the private
// timeline.
//
// The worker owns the models (and any CUDA state): OBS unloads the module before it destroys
// leftover sources (obs-studio 29.0.2 obs_shutdown), so nothing here is module-wide.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "audio_pump.h"
#include "capture_buffer.h"

struct obs_source;

namespace musetalk::stream {
class StreamSession;
struct StreamSettings;
}  // namespace musetalk::stream

namespace musetalk::obs_plugin {

// What the worker needs from the source's settings (settings_keys.h).
struct WorkerConfig {
  std::string avatar_dir;
  std::string models_dir;
  std::string device = "auto";
  std::string precision = "auto";
  int lookahead_ms = 200;
  bool idle = true;
  bool emit_audio = true;
  int cpu_threads = 0;  // LibTorch's threads on the CPU; 0: cpu_threads_for(0)
};

// The CPU threads a setting asks for: threads > 0 as it is, else half the cores (at least 1), so
// inference leaves the other half to OBS's own threads (rendering, encoding, audio).
int cpu_threads_for(int threads);

struct WorkerStats {
  int64_t frames = 0;  // frames handed to obs_source_output_video
  std::string status;
  bool loaded = false;  // models and avatar loaded
};

class AvatarWorker {
 public:
  // source: the OBS source the frames go to (outlives the worker); capture: where its audio
  // arrives. Starts both threads; the first configure() starts loading.
  AvatarWorker(obs_source* source, CaptureBuffer& capture);
  // Stops the session and joins both threads; a model load in progress ends after its current
  // step (avatar, models, latents, warm-up).
  ~AvatarWorker();
  AvatarWorker(const AvatarWorker&) = delete;
  AvatarWorker& operator=(const AvatarWorker&) = delete;

  // New settings from any thread; the worker reloads what changed (models, avatar) and restarts
  // the session. emit_audio alone takes effect at the next frame.
  void configure(const WorkerConfig& config);
  // Shown (in a view or on the program): run inference; hidden: stop it, keep draining audio.
  void set_visible(bool visible);
  // A note appended to the running status ("audio source ... removed"); "" for none.
  void set_note(const std::string& note);

  // Shows "Error: <message>" in the status line (a failure the source caught at OBS's boundary).
  void report_error(const std::string& message);

  WorkerStats stats() const;
  // Increases when the state (loading, running, paused, an error) or the note changes, not with
  // the running line's live numbers: the source rebuilds its properties view then, and a rebuild
  // takes the keyboard focus from the view, so not every second. get_stats has the live line.
  uint64_t view_version() const { return view_version_; }

 private:
  struct Loaded;

  void work();                               // the worker thread
  bool prepare(const WorkerConfig& config);  // false: nothing to run (see the status)
  void stream_once(const WorkerConfig& config);
  static stream::StreamSettings session_settings(const WorkerConfig& config, const Loaded& loaded,
                                                 int latency_ms);
  // The status line's "Running on ..." form, kept so a new note re-renders it at once.
  struct RunningLine {
    std::string device, dtype;
    bool on_cpu = false;
    double latency_ms = 0, fps = 0;
    int64_t drops = 0;
    bool paused = false;    // loaded, the source hidden
    bool measured = false;  // fps measured in this session
  };
  void set_status(const std::string& status);  // any other status
  // status_ = status; view_version_ moves on when view_key differs from the last one.
  void publish_locked(const std::string& status, const std::string& view_key);
  void show_running(const RunningLine& line);
  void render_running_locked();

  obs_source* source_;
  std::unique_ptr<Loaded> loaded_;  // worker thread only

  mutable std::mutex mutex_;  // guards config_ to running_
  std::condition_variable changed_;
  WorkerConfig config_;
  uint64_t generation_ = 0;  // 0: never configured
  bool visible_ = false;
  std::string note_;
  std::string status_;
  std::optional<RunningLine> running_;
  std::string view_key_;  // the status without its live numbers
  std::atomic<uint64_t> view_version_{0};

  std::atomic<bool> quit_{false};
  std::atomic<bool> cancel_{false};  // stops the running session
  std::atomic<bool> emit_audio_{true};
  std::atomic<bool> is_loaded_{false};
  std::atomic<int64_t> frames_{0};

  // Worker thread only.
  int64_t next_timestamp_ns_ = 0;  // the private timeline's next frame
  int64_t paused_at_ns_ = 0;       // when the last session ended (steady clock); 0: none yet

  AudioPump pump_;  // outlives worker_, which detaches its session from it
  std::thread worker_;
};

}  // namespace musetalk::obs_plugin
