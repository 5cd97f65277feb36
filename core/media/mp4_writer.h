#pragma once
// Streams BGR frames into an H.264 MP4, optionally with the audio of another file as AAC. The
// output appears only when finish() succeeds; until then it is written to PATH.partial, which is
// removed if the writer goes away unfinished (error, exception, Ctrl-C unwinding).

#include <cstdint>
#include <memory>
#include <string>

namespace musetalk::media {

class Mp4Writer {
 public:
  Mp4Writer();
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // width, height: the frames' size, any positive one. H.264 in yuv420p needs even sides, so an
  // odd side is encoded one pixel larger with the last column or row repeated (encoded_width(),
  // encoded_height()). crf is the x264 quality (0 lossless .. 51, 18 is visually lossless).
  // audio_source: a file whose audio is muxed in, cut to the video's length; empty for a silent
  // video. Throws musetalk::Error naming the path concerned.
  void open(const std::string& path, int width, int height, int fps, int crf = 18,
            const std::string& audio_source = {});
  // One frame of height rows, each stride bytes apart, of width BGR24 pixels.
  void write_bgr(const uint8_t* bgr, int stride);
  // Flushes the encoders, writes the trailer and moves the file to its final path.
  void finish();

  int64_t frames_written() const;
  // The size of the encoded video, 0 before open(): the frames' size rounded up to even.
  int encoded_width() const;
  int encoded_height() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace musetalk::media
