#include "stream_outputs.h"

#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <set>

#include "files/error.h"
#include "render_inputs.h"

namespace musetalk::tools {

namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

InputSpec parse_input(const std::string& option) {
  InputSpec spec;
  if (option == "mic" || option.rfind("mic:", 0) == 0) {
    spec.microphone = true;
    if (option.size() > 4) spec.device = option.substr(4);
    return spec;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(option, ec)) {
    throw Error("--input " + option, "is neither mic, mic:DEVICE nor an existing file",
                "pass mic (the default input device), mic:NAME from --list-devices, or an audio "
                "file");
  }
  spec.file = option;
  return spec;
}

std::vector<OutputSpec> parse_outputs(const std::vector<std::string>& options,
                                      const std::string& input_file) {
  std::vector<OutputSpec> outputs;
  std::set<std::string> seen;
  for (const std::string& option : options) {
    OutputSpec spec;
    if (option == "window") {
      spec.kind = OutputSpec::Kind::Window;
    } else if (option.rfind("v4l2:", 0) == 0 && option.size() > 5) {
      spec.kind = OutputSpec::Kind::V4l2;
      spec.target = option.substr(5);
    } else if (lowercase(std::filesystem::path(option).extension().string()) == ".mp4") {
      spec.kind = OutputSpec::Kind::File;
      spec.target = option;
      check_output_file(option, input_file, "--output", "--input");
    } else {
      throw Error("--output " + option, "is not an output this tool writes",
                  "use window, v4l2:/dev/videoN (a v4l2loopback device) or a file ending in .mp4");
    }
    // One file or device named two ways (out.mp4, ./out.mp4) is still one output.
    std::error_code ec;
    const std::string key = spec.kind == OutputSpec::Kind::Window
                                ? option
                                : std::filesystem::weakly_canonical(spec.target, ec).string();
    if (!seen.insert(key).second) {
      throw Error("--output " + option, "is given twice", "name each output once");
    }
    outputs.push_back(spec);
  }
  return outputs;
}

void FanOut::write(const stream::FrameView& frame) {
  for (auto& output : outputs_) output->write(frame);
}

// Every output is finished even when one fails (a failed camera must not cost the recording);
// the first error is rethrown after.
void FanOut::finish() {
  std::exception_ptr first;
  for (auto& output : outputs_) {
    try {
      output->finish();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

std::string status_line(const stream::StreamStats& stats, double fps) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%-8s | %5.1f fps | latency %4.0f ms | hop %5.0f ms | skipped %lld | frames %lld",
                stats.speaking ? "speaking" : "idle", fps, stats.latency_ms, stats.hop_ms,
                static_cast<long long>(stats.filler), static_cast<long long>(stats.frames));
  return line;
}

}  // namespace musetalk::tools
