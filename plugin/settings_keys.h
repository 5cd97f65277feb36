#pragma once
// The MuseTalk Avatar source's identity and setting keys: the names saved in OBS scene
// collections and read by scripts and tests, so they never change once released.

namespace musetalk::obs_plugin {

constexpr const char* kSourceId = "musetalk_avatar";  // obs_source_info::id

// Settings (obs_data keys).
constexpr const char* kAvatarDir = "avatar_dir";      // string: avatar folder
constexpr const char* kModelsDir = "models_dir";      // string: models folder (models/README.md)
constexpr const char* kAudioSource = "audio_source";  // string: name of the source listened to
constexpr const char* kDevice = "device";             // string: auto | cpu | cuda
constexpr const char* kPrecision = "precision";       // string: auto | fp32 | fp16 | bf16
constexpr const char* kLookaheadMs = "lookahead_ms";  // int: audio waited for past each frame
constexpr const char* kIdle = "idle";                 // bool: cycle frames in silence
constexpr const char* kEmitAudio = "emit_audio";      // bool: re-emit the voice (default true)
constexpr const char* kCpuThreads = "cpu_threads";    // int: LibTorch's CPU threads, 0: auto
// Not a setting: the name of the read-only info property that shows the status line (its long
// description; never a value in the settings, so scene collections do not save it).
constexpr const char* kStatus = "status";

// Defaults.
constexpr const char* kDefaultDevice = "auto";
constexpr const char* kDefaultPrecision = "auto";
constexpr int kDefaultLookaheadMs = 200;  // as `musetalk stream --lookahead-ms`
constexpr int kMaxLookaheadMs = 2000;
constexpr bool kDefaultIdle = true;
constexpr bool kDefaultEmitAudio = true;
constexpr int kDefaultCpuThreads = 0;  // half the cores (avatar_worker.h cpu_threads_for)
constexpr int kMaxCpuThreads = 1024;   // as `musetalk --threads`

}  // namespace musetalk::obs_plugin
