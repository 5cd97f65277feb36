#pragma once
// `musetalk stream`'s ends as the options name them: --input mic[:DEVICE] or a file, --output
// window, v4l2:/dev/videoN or FILE.mp4 (several), and the one-line live status. Parsed and
// checked before any model loads; each error names the option as typed.

#include <memory>
#include <string>
#include <vector>

#include "stream/stream_frame.h"
#include "stream/stream_session.h"

namespace musetalk::tools {

struct InputSpec {
  bool microphone = false;
  std::string device = "default";  // the PortAudio device when microphone
  std::string file;                // the audio file otherwise
};

// "mic", "mic:DEVICE" or an existing file. Throws Error naming --input otherwise.
InputSpec parse_input(const std::string& option);

struct OutputSpec {
  enum class Kind { Window, V4l2, File } kind = Kind::Window;
  std::string target;  // the V4L2 device or the MP4 path
};

// "window", "v4l2:/dev/videoN" or a path ending in .mp4 (in an existing, writable folder, not the
// input file). Throws Error naming --output otherwise, or when two outputs are the same.
std::vector<OutputSpec> parse_outputs(const std::vector<std::string>& options,
                                      const std::string& input_file);

// Every output of a stream in turn: one FrameOutput to the session.
class FanOut : public stream::FrameOutput {
 public:
  void add(std::unique_ptr<stream::FrameOutput> output) { outputs_.push_back(std::move(output)); }
  void write(const stream::FrameView& frame) override;
  void finish() override;

 private:
  std::vector<std::unique_ptr<stream::FrameOutput>> outputs_;
};

// "speaking | 25.0 fps | latency 480 ms | hop 95 ms | skipped 0 | frames 1234", the status
// line's text. fps: frames output per second of wall time over the last report.
std::string status_line(const stream::StreamStats& stats, double fps);

}  // namespace musetalk::tools
