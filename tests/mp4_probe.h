#pragma once
// What the tests check in an MP4 that `musetalk render` wrote, read back with libavformat.

#include <cstdint>
#include <string>

namespace musetalk::test {

struct Mp4Info {
  int64_t video_packets = 0;
  int width = 0, height = 0;
  double video_seconds = 0, audio_seconds = 0;
  std::string video_codec, audio_codec;
};

// All zero when the file cannot be opened.
Mp4Info probe_mp4(const std::string& path);

}  // namespace musetalk::test
