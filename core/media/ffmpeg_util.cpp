#include "media/ffmpeg_util.h"

extern "C" {
#include <libavutil/error.h>
}

namespace musetalk::media {

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

void log_errors_only() {
  av_log_set_level(AV_LOG_ERROR);
}

}  // namespace musetalk::media
