#include "audio_link.h"

#include <obs.h>
#include <util/platform.h>

#include <cstring>

#include "guarded.h"
#include "settings_keys.h"

namespace musetalk::obs_plugin {
namespace {

constexpr float kLookupEverySeconds = 2.0f;

std::string in_quotes(const std::string& name) {
  return "\xE2\x80\x9C" + name + "\xE2\x80\x9D";
}

}  // namespace

AudioLink::AudioLink(obs_source* self, CaptureBuffer& capture,
                     std::function<void(const std::string&)> on_note,
                     std::function<void(const std::string&)> on_error)
    : self_(self), capture_(capture), on_note_(std::move(on_note)), on_error_(std::move(on_error)) {
  signal_handler_t* signals = obs_get_signal_handler();
  signal_handler_connect(signals, "source_rename", on_rename, this);
  signal_handler_connect(signals, "source_remove", on_remove, this);
  signal_handler_connect(signals, "source_destroy", on_remove, this);
}

AudioLink::~AudioLink() {
  signal_handler_t* signals = obs_get_signal_handler();
  signal_handler_disconnect(signals, "source_rename", on_rename, this);
  signal_handler_disconnect(signals, "source_remove", on_remove, this);
  signal_handler_disconnect(signals, "source_destroy", on_remove, this);
  guarded("audio source detach", [this] {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    detach_locked(nullptr);
  });
}

bool AudioLink::can_listen_to(obs_source* candidate, obs_source* self) {
  if (!candidate || candidate == self) return false;
  if ((obs_source_get_output_flags(candidate) & OBS_SOURCE_AUDIO) == 0) return false;
  const char* id = obs_source_get_id(candidate);
  return !(id && std::strcmp(id, kSourceId) == 0);
}

void AudioLink::set_name(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (name == name_ && (weak_ || name.empty())) return;
  detach_locked(nullptr);
  name_ = name;
  set_note_locked("");
  since_lookup_ = 0;
  attach_locked();
}

void AudioLink::tick(float seconds) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (weak_ || name_.empty()) return;
  since_lookup_ += seconds;
  if (since_lookup_ < kLookupEverySeconds) return;
  since_lookup_ = 0;
  attach_locked();
}

std::string AudioLink::note() const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return note_;
}

void AudioLink::attach_locked() {
  if (name_.empty()) return;
  obs_source_t* source = obs_get_source_by_name(name_.c_str());
  // A removed source still referenced elsewhere keeps its name until its last release
  // (obs_source_removed, libobs/obs-source.c): never attach to it.
  if (source && obs_source_removed(source)) {
    obs_source_release(source);
    source = nullptr;
  }
  if (!source) {
    if (note_.empty()) set_note_locked("audio source " + in_quotes(name_) + " not found");
    return;
  }
  if (!can_listen_to(source, self_)) {
    set_note_locked(in_quotes(name_) + " is not an audio source this avatar can listen to");
    obs_source_release(source);
    return;
  }
  obs_audio_info info{};
  if (obs_get_audio_info(&info)) {
    rate_ = info.samples_per_sec;
    channels_ = static_cast<int>(get_audio_channels(info.speakers));
  }
  weak_ = obs_source_get_weak_source(source);
  obs_source_add_audio_capture_callback(source, on_audio, this);
  set_note_locked("");
  obs_source_release(source);  // may destroy it, and on_remove then says so
}

void AudioLink::set_note_locked(const std::string& note) {
  if (note == note_) return;
  note_ = note;
  if (on_note_) on_note_(note_);
}

void AudioLink::detach_locked(obs_source* source) {
  obs_weak_source_t* weak = weak_;
  if (!weak) return;
  weak_ = nullptr;  // before any release below can come back into on_remove
  obs_source_t* strong = source ? nullptr : obs_weak_source_get_source(weak);
  obs_source_t* target = source ? source : strong;
  // Waits for a callback in flight (it takes the same audio_cb_mutex).
  if (target) obs_source_remove_audio_capture_callback(target, on_audio, this);
  obs_weak_source_release(weak);
  if (strong) obs_source_release(strong);
}

void AudioLink::report(const std::string& message) {
  if (on_error_) on_error_(message);
}

void AudioLink::on_rename(void* param, calldata* data) {
  auto* self = static_cast<AudioLink*>(param);
  guarded(
      "source_rename",
      [&] {
        auto* source = static_cast<obs_source_t*>(calldata_ptr(data, "source"));
        const char* new_name = calldata_string(data, "new_name");
        if (!source || !new_name) return;
        std::lock_guard<std::recursive_mutex> lock(self->mutex_);
        if (!self->weak_ || !obs_weak_source_references_source(self->weak_, source)) return;
        self->name_ = new_name;
        obs_data_t* settings = obs_source_get_settings(self->self_);
        obs_data_set_string(settings, kAudioSource, new_name);
        obs_data_release(settings);
      },
      [self](const std::string& message) { self->report(message); });
}

void AudioLink::on_remove(void* param, calldata* data) {
  auto* self = static_cast<AudioLink*>(param);
  guarded(
      "source_remove",
      [&] {
        auto* source = static_cast<obs_source_t*>(calldata_ptr(data, "source"));
        if (!source) return;
        std::lock_guard<std::recursive_mutex> lock(self->mutex_);
        if (!self->weak_ || !obs_weak_source_references_source(self->weak_, source)) return;
        self->detach_locked(source);
        self->set_note_locked("audio source " + in_quotes(self->name_) + " removed");
        self->since_lookup_ = 0;
      },
      [self](const std::string& message) { self->report(message); });
}

// OBS's capture thread, with the audio source's audio_cb_mutex held: downmix into the ring and
// return (no lock, no allocation). Muted or not: the audio is the source's own either way
// (source_signal_audio_data, libobs/obs-source.c).
void AudioLink::on_audio(void* param, obs_source* /*source*/, const audio_data* audio,
                         bool /*muted*/) {
  auto* self = static_cast<AudioLink*>(param);
  if (!audio || audio->frames == 0) return;
  self->capture_.push(reinterpret_cast<const float* const*>(audio->data), self->channels_,
                      audio->frames, self->rate_, static_cast<int64_t>(os_gettime_ns()));
}

}  // namespace musetalk::obs_plugin
