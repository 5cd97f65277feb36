#pragma once
// The MuseTalk Avatar source's ear: the audio source it listens to, chosen by name in its
// properties, as obs-studio's compressor sidechain does (plugins/obs-filters/compressor-filter.c).
// Only a weak reference is kept (a removed microphone is not kept alive); the capture callback
// downmixes into the lock-free CaptureBuffer and returns, also while the source is muted (the
// user mutes the raw microphone and hears the avatar's delayed copy). Renames are followed through
// the global "source_rename" signal (the new name goes into the avatar's own settings, so the saved
// scene collection stays right), removal through "source_remove" / "source_destroy", and while a
// name is set but nothing is attached, tick() looks it up again every 2 s (a scene collection may
// create the avatar before its microphone).

#include <functional>
#include <mutex>
#include <string>

#include "capture_buffer.h"

struct obs_source;
struct obs_weak_source;
struct calldata;
struct audio_data;

namespace musetalk::obs_plugin {

class AudioLink {
 public:
  // self: the avatar source (its settings take renames); capture: where the audio goes;
  // on_note: called with note() whenever it changes (any thread, under the link's lock);
  // on_error: called with the message of an exception a signal handler caught (guarded.h), on
  // that thread. Connects the global signals.
  AudioLink(obs_source* self, CaptureBuffer& capture,
            std::function<void(const std::string&)> on_note,
            std::function<void(const std::string&)> on_error);
  // Disconnects the signals and removes the capture callback; once it returns no callback runs
  // (obs_source_remove_audio_capture_callback waits for one in flight).
  ~AudioLink();
  AudioLink(const AudioLink&) = delete;
  AudioLink& operator=(const AudioLink&) = delete;

  // The source to listen to ("" for none); attaches at once when it exists. UI thread.
  void set_name(const std::string& name);
  // From video_tick: looks the name up again every 2 s while nothing is attached.
  void tick(float seconds);
  // "" when attached or no name is set; else why nothing is heard.
  std::string note() const;

  // Whether a source may be listened to: it outputs audio, is not self and not another avatar
  // (which outputs audio too: a loop).
  static bool can_listen_to(obs_source* candidate, obs_source* self);

 private:
  static void on_rename(void* param, calldata* data);
  static void on_remove(void* param, calldata* data);
  static void on_audio(void* param, obs_source* source, const audio_data* audio, bool muted);
  void attach_locked();  // looks name_ up
  void detach_locked(obs_source* source);
  void set_note_locked(const std::string& note);
  void report(const std::string& message);  // on_error_, if set

  obs_source* self_;
  CaptureBuffer& capture_;
  std::function<void(const std::string&)> on_note_;
  std::function<void(const std::string&)> on_error_;
  // Never taken by on_audio. Recursive: releasing a source reference under it may destroy that
  // source, whose "source_destroy" signal comes back into on_remove on the same thread.
  mutable std::recursive_mutex mutex_;
  obs_weak_source* weak_ = nullptr;
  std::string name_;
  std::string note_;
  float since_lookup_ = 0;
  // The format of what on_audio receives: OBS's output (written only while detached).
  uint32_t rate_ = 48000;
  int channels_ = 2;
};

}  // namespace musetalk::obs_plugin
