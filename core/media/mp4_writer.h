#pragma once
// Streams BGR frames into an H.264 MP4, optionally with AAC audio: the audio of another file, or
// 16 kHz mono samples the caller pushes alongside the frames. The output appears only when
// finish() succeeds; until then it is written to PATH.partial, which is
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
  // The same with an audio track fed by write_audio(): the caller pushes the voice as it goes
  // (e.g. each frame's slot of 16 kHz audio). As with a file, the track is cut to the video's
  // length; audio not pushed by finish() is missing from its end.
  void open_with_pushed_audio(const std::string& path, int width, int height, int fps,
                              int crf = 18);
  // n (>= 0) samples of 16 kHz mono float audio following those written before, resampled to the
  // AAC encoder's rate; encoded as far as the video has advanced. Only after
  // open_with_pushed_audio(); throws musetalk::Error otherwise.
  void write_audio(const float* samples16k, int n);
  // One frame of height rows, each stride bytes apart, of width BGR24 pixels.
  void write_bgr(const uint8_t* bgr, int stride);
  // Flushes the encoders, writes the trailer and moves the file to its final path.
  void finish();

  int64_t frames_written() const;
  // The size of the encoded video, 0 before open(): the frames' size rounded up to even.
  int encoded_width() const;
  int encoded_height() const;

 private:
  void open_impl(const std::string& path, int width, int height, int fps, int crf,
                 const std::string& audio_source, bool pushed_audio);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace musetalk::media
