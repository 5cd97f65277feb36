#pragma once
// The first stage of avatar creation: the video's frames, resampled to the avatar's rate, written
// as PNGs into a scratch folder, so the later stages (each with its own network) read them back
// one batch at a time and memory does not grow with the video's length.

#include <cstdint>
#include <string>
#include <vector>

#include "create/create_options.h"
#include "media/image_io.h"

namespace musetalk::create {

// A folder beside the new avatar for intermediate files, removed when this goes out of scope
// (a failed run leaves nothing behind).
class ScratchFolder {
 public:
  // Creates "<parent of out>/.<name of out>.work", emptied first. Throws Error naming `out` when
  // it cannot be made.
  explicit ScratchFolder(const std::string& out);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path()/name

 private:
  std::string path_;
};

struct SourceFrame {
  FrameReport report;
  std::string png;  // the frame, BGR PNG in the scratch folder
};

// Reads options.video from options.start_s for options.duration_s at options.fps and writes
// frame k as <scratch>/source/%08d.png. Reports progress as stage "decode" (total: the expected
// count, or -1 when unknown). Throws the reader's Error naming the file.
std::vector<SourceFrame> write_source_frames(const CreateOptions& options,
                                             const ScratchFolder& scratch, media::VideoInfo& info);

}  // namespace musetalk::create
