// The MuseTalk Avatar input source: an async video + audio source that shows the avatar speaking
// the audio of another OBS source, and re-emits that voice delayed to match the lips. This file
// is OBS's side only: settings and properties, the show/hide state, the status refresh and the
// get_stats proc handler; audio_link.h listens, avatar_worker.h loads and runs the session.

#include <obs-module.h>
#include <obs.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "audio_link.h"
#include "avatar_source.h"
#include "avatar_worker.h"
#include "capture_buffer.h"
#include "guarded.h"
#include "settings_keys.h"
#include "status_line.h"

namespace musetalk::obs_plugin {
namespace {

// The properties view is rebuilt when the source's state or note changes
// (AvatarWorker::view_version), at most this often.
constexpr float kStatusRefreshSeconds = 1.0f;

struct AvatarSource {
  obs_source_t* self = nullptr;
  CaptureBuffer capture;
  std::unique_ptr<AvatarWorker> worker;
  std::unique_ptr<AudioLink> link;
  std::atomic<bool> shown{false}, active{false};
  // video_tick only (the graphics thread).
  uint64_t refreshed_version = 0;
  float since_refresh = 0;
};

WorkerConfig read_config(obs_data_t* settings) {
  WorkerConfig c;
  c.avatar_dir = obs_data_get_string(settings, kAvatarDir);
  c.models_dir = obs_data_get_string(settings, kModelsDir);
  c.device = obs_data_get_string(settings, kDevice);
  c.precision = obs_data_get_string(settings, kPrecision);
  c.lookahead_ms = static_cast<int>(obs_data_get_int(settings, kLookaheadMs));
  c.idle = obs_data_get_bool(settings, kIdle);
  c.emit_audio = obs_data_get_bool(settings, kEmitAudio);
  c.cpu_threads = static_cast<int>(
      std::clamp<long long>(obs_data_get_int(settings, kCpuThreads), 0, kMaxCpuThreads));
  return c;
}

// Runs one OBS callback's body through guarded() (guarded.h): a failure is logged and shown in
// the source's status line.
template <class Body>
void guard(AvatarSource* s, const char* where, Body&& body) noexcept {
  guarded(where, static_cast<Body&&>(body), [s](const std::string& message) {
    if (s && s->worker) s->worker->report_error(message);
  });
}

void update_visibility(AvatarSource* s) {
  s->worker->set_visible(s->shown || s->active);
}

const char* get_name(void*) {
  return obs_module_text("MuseTalkAvatar");  // C: cannot throw
}

void update(void* data, obs_data_t* settings) {
  auto* s = static_cast<AvatarSource*>(data);
  guard(s, "update", [&] {
    s->worker->configure(read_config(settings));
    s->link->set_name(obs_data_get_string(settings, kAudioSource));
  });
}

// "void get_stats(out int frames, out int audio_packets, out int audio_dropped,
// out string status, out bool loaded)": audio_packets counts the capture callback's calls,
// audio_dropped the blocks (up to 1024 samples each) the capture buffer overwrote before the
// pump read them (capture_buffer.h).
void get_stats(void* data, calldata_t* cd) {
  auto* s = static_cast<AvatarSource*>(data);
  guard(s, "get_stats", [&] {
    const WorkerStats stats = s->worker->stats();
    calldata_set_int(cd, "frames", stats.frames);
    calldata_set_int(cd, "audio_packets", s->capture.packets());
    calldata_set_int(cd, "audio_dropped", s->capture.dropped());
    calldata_set_string(cd, "status", stats.status.c_str());
    calldata_set_bool(cd, "loaded", stats.loaded);
  });
}

// nullptr when the source cannot be set up (OBS logs "Failed to create source" and keeps an
// inert source); the proc handler is added last, once nothing can fail.
void* create(obs_data_t* settings, obs_source_t* source) {
  std::unique_ptr<AvatarSource> s;
  const bool ok = guarded("create", [&] {
    s = std::make_unique<AvatarSource>();
    s->self = source;
    // Builds before this one saved the status line with the settings; the view would show it.
    obs_data_erase(settings, kStatus);
    s->worker = std::make_unique<AvatarWorker>(source, s->capture);
    AvatarWorker* worker = s->worker.get();
    s->link = std::make_unique<AudioLink>(
        source, s->capture, [worker](const std::string& note) { worker->set_note(note); },
        [worker](const std::string& message) { worker->report_error(message); });
    s->worker->configure(read_config(settings));
    s->link->set_name(obs_data_get_string(settings, kAudioSource));
  });
  if (!ok) {
    guarded("create", [&] { s.reset(); });  // the link first, then the worker (as destroy)
    return nullptr;
  }
  proc_handler_add(obs_source_get_proc_handler(source),
                   "void get_stats(out int frames, out int audio_packets, out int audio_dropped, "
                   "out string status, out bool loaded)",
                   get_stats, s.get());
  return s.release();
}

// Signals and the capture callback go first, then the worker is joined: OBS wants no
// obs_source_output_video from an async source after destroy returns.
void destroy(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  guarded("destroy", [s] {
    s->link.reset();
    s->worker.reset();
  });
  guarded("destroy", [s] { delete s; });
}

void get_defaults(obs_data_t* settings) {
  guarded("get_defaults", [settings] {
    obs_data_set_default_string(settings, kAvatarDir, "");
    obs_data_set_default_string(settings, kModelsDir, "");
    obs_data_set_default_string(settings, kAudioSource, "");
    obs_data_set_default_string(settings, kDevice, kDefaultDevice);
    obs_data_set_default_string(settings, kPrecision, kDefaultPrecision);
    obs_data_set_default_int(settings, kLookaheadMs, kDefaultLookaheadMs);
    obs_data_set_default_bool(settings, kIdle, kDefaultIdle);
    obs_data_set_default_bool(settings, kEmitAudio, kDefaultEmitAudio);
    obs_data_set_default_int(settings, kCpuThreads, kDefaultCpuThreads);
  });
}

struct ListContext {
  obs_property_t* list;
  obs_source_t* self;
};

bool add_audio_source(void* param, obs_source_t* candidate) {
  auto* ctx = static_cast<ListContext*>(param);
  if (AudioLink::can_listen_to(candidate, ctx->self)) {
    const char* name = obs_source_get_name(candidate);
    if (name) obs_property_list_add_string(ctx->list, name, name);
  }
  return true;
}

void add_properties(AvatarSource* s, obs_properties_t* props);

obs_properties_t* get_properties(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  obs_properties_t* props = obs_properties_create();
  // A failure leaves the properties built so far (and the error in the status).
  guard(s, "get_properties", [&] { add_properties(s, props); });
  return props;
}

void add_properties(AvatarSource* s, obs_properties_t* props) {
  obs_properties_add_path(props, kAvatarDir, obs_module_text("MuseTalkAvatar.AvatarDir"),
                          OBS_PATH_DIRECTORY, nullptr, nullptr);
  obs_properties_add_path(props, kModelsDir, obs_module_text("MuseTalkAvatar.ModelsDir"),
                          OBS_PATH_DIRECTORY, nullptr, nullptr);

  obs_property_t* audio =
      obs_properties_add_list(props, kAudioSource, obs_module_text("MuseTalkAvatar.AudioSource"),
                              OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
  obs_property_list_add_string(audio, obs_module_text("MuseTalkAvatar.AudioSource.None"), "");
  ListContext ctx{audio, s ? s->self : nullptr};
  obs_enum_sources(add_audio_source, &ctx);

  obs_property_t* device =
      obs_properties_add_list(props, kDevice, obs_module_text("MuseTalkAvatar.Device"),
                              OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
  obs_property_list_add_string(device, obs_module_text("MuseTalkAvatar.Device.Auto"), "auto");
  obs_property_list_add_string(device, obs_module_text("MuseTalkAvatar.Device.Cpu"), "cpu");
  obs_property_list_add_string(device, obs_module_text("MuseTalkAvatar.Device.Cuda"), "cuda");

  obs_property_t* precision =
      obs_properties_add_list(props, kPrecision, obs_module_text("MuseTalkAvatar.Precision"),
                              OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
  obs_property_list_add_string(precision, obs_module_text("MuseTalkAvatar.Precision.Auto"), "auto");
  obs_property_list_add_string(precision, "fp32", "fp32");
  obs_property_list_add_string(precision, "fp16", "fp16");
  obs_property_list_add_string(precision, "bf16", "bf16");

  // LibTorch's thread count is process-wide and set once (avatar_worker.cpp
  // set_cpu_threads_once): the hint says that a change needs an OBS restart.
  obs_property_t* threads = obs_properties_add_int(
      props, kCpuThreads, obs_module_text("MuseTalkAvatar.CpuThreads"), 0, kMaxCpuThreads, 1);
  obs_property_set_long_description(threads, obs_module_text("MuseTalkAvatar.CpuThreads.Hint"));

  obs_property_t* lookahead = obs_properties_add_int(
      props, kLookaheadMs, obs_module_text("MuseTalkAvatar.LookaheadMs"), 0, kMaxLookaheadMs, 10);
  obs_property_int_set_suffix(lookahead, " ms");
  obs_properties_add_bool(props, kIdle, obs_module_text("MuseTalkAvatar.Idle"));
  obs_property_t* emit =
      obs_properties_add_bool(props, kEmitAudio, obs_module_text("MuseTalkAvatar.EmitAudio"));
  obs_property_set_long_description(emit, obs_module_text("MuseTalkAvatar.EmitAudio.Hint"));

  // The status is the info property's long description, taken when the view is built: OBS's
  // properties view (UI/properties-view.cpp, AddText) shows an OBS_TEXT_INFO property as its
  // description beside its setting's value, or, with no value and a long description, beside
  // the long description. So no status goes into the settings, which scene collections save.
  const std::string status = s ? s->worker->stats().status : std::string();
  obs_property_t* info = obs_properties_add_text(
      props, kStatus, obs_module_text("MuseTalkAvatar.Status"), OBS_TEXT_INFO);
  obs_property_set_long_description(info, status.c_str());
  obs_property_text_set_info_type(
      info, is_error_status(status) ? OBS_TEXT_INFO_ERROR : OBS_TEXT_INFO_NORMAL);
}

void show(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  s->shown = true;
  guard(s, "show", [s] { update_visibility(s); });
}

void hide(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  s->shown = false;
  guard(s, "hide", [s] { update_visibility(s); });
}

void activate(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  s->active = true;
  guard(s, "activate", [s] { update_visibility(s); });
}

void deactivate(void* data) {
  auto* s = static_cast<AvatarSource*>(data);
  s->active = false;
  guard(s, "deactivate", [s] { update_visibility(s); });
}

// Graphics thread, every frame: the audio source's retry, and the properties view's refresh when
// the state or the note changed (at most once a second).
void video_tick(void* data, float seconds) {
  auto* s = static_cast<AvatarSource*>(data);
  guard(s, "video_tick", [&] {
    s->link->tick(seconds);
    s->since_refresh += seconds;
    const uint64_t version = s->worker->view_version();
    if (version != s->refreshed_version && s->since_refresh >= kStatusRefreshSeconds) {
      s->refreshed_version = version;
      s->since_refresh = 0;
      obs_source_update_properties(s->self);
    }
  });
}

}  // namespace

void register_avatar_source() {
  obs_source_info info = {};
  info.id = kSourceId;
  info.type = OBS_SOURCE_TYPE_INPUT;
  info.output_flags = OBS_SOURCE_ASYNC_VIDEO | OBS_SOURCE_AUDIO;
  info.get_name = get_name;
  info.create = create;
  info.destroy = destroy;
  info.update = update;
  info.get_defaults = get_defaults;
  info.get_properties = get_properties;
  info.show = show;
  info.hide = hide;
  info.activate = activate;
  info.deactivate = deactivate;
  info.video_tick = video_tick;
  info.icon_type = OBS_ICON_TYPE_CAMERA;
  obs_register_source(&info);
}

}  // namespace musetalk::obs_plugin
