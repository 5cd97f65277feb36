// The musetalk-obs module: OBS's entry points. obs_module_unload frees nothing: OBS 29 unloads
// modules before it destroys leftover sources (obs-studio libobs/obs.c obs_shutdown), so each
// source owns its models and threads and frees them in its own destroy.

#include <obs-module.h>

#include "avatar_source.h"
#include "settings_keys.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("musetalk-obs", "en-US")

MODULE_EXPORT const char* obs_module_description(void) {
  return "MuseTalk Avatar: a photoreal avatar lip-synced to an audio source";
}

bool obs_module_load(void) {
  musetalk::obs_plugin::register_avatar_source();
  blog(LOG_INFO,
       "[musetalk-obs] loaded: source type '%s' (MuseTalk Avatar), built against libobs %d.%d.%d",
       musetalk::obs_plugin::kSourceId, LIBOBS_API_MAJOR_VER, LIBOBS_API_MINOR_VER,
       LIBOBS_API_PATCH_VER);
  return true;
}

void obs_module_unload(void) {}
