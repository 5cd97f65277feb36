#pragma once
// The MuseTalk Avatar input source (id "musetalk_avatar"): registers it with OBS.

namespace musetalk::obs_plugin {

// Called once from obs_module_load.
void register_avatar_source();

}  // namespace musetalk::obs_plugin
