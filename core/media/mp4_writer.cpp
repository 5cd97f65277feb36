#include "media/mp4_writer.h"

#include <filesystem>
#include <vector>

#include "files/error.h"
#include "media/aac_track.h"
#include "media/encode_packets.h"
#include "media/ffmpeg_util.h"
#include "media/image_io.h"

extern "C" {
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace musetalk::media {
namespace {

// libx264 when present, else the first other H.264 encoder FFmpeg offers.
const AVCodec* find_h264_encoder() {
  if (const AVCodec* x264 = avcodec_find_encoder_by_name("libx264")) return x264;
  return avcodec_find_encoder(AV_CODEC_ID_H264);
}

// H.264 in yuv420p stores chroma per 2x2 block, so both sides must be even.
int padded_to_even(int n) {
  return n + (n & 1);
}

}  // namespace

struct Mp4Writer::Impl {
  std::string path;
  std::string partial;
  int width = 0, height = 0, fps = 0;  // of the frames given
  int enc_width = 0, enc_height = 0;   // encoded: rounded up to even
  std::vector<uint8_t> padded;         // BGR at the encoded size, when it differs
  OutputContextPtr muxer;
  CodecContextPtr encoder;
  AVStream* stream = nullptr;
  SwsPtr sws;
  FramePtr frame;
  std::unique_ptr<AacTrack> audio;
  bool pushed_audio = false;  // audio comes from write_audio()
  int64_t frames = 0;
  bool finished = false;

  ~Impl() {
    if (finished) return;
    audio.reset();
    encoder.reset();
    muxer.reset();  // closes the partial file before it is removed
    std::error_code ec;
    if (!partial.empty()) std::filesystem::remove(partial, ec);
  }

  int64_t audio_samples() const { return av_rescale(frames, audio->rate(), fps); }
  void open_video(int crf);
};

void Mp4Writer::Impl::open_video(int crf) {
  const AVCodec* codec = find_h264_encoder();
  if (!codec)
    throw Error(path, "no H.264 encoder is available in this FFmpeg",
                "install an FFmpeg build with libx264 (Debian's libavcodec has it)");
  encoder.reset(avcodec_alloc_context3(codec));
  AVCodecContext* enc = encoder.get();
  enc->width = enc_width;
  enc->height = enc_height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = {1, fps};
  enc->framerate = {fps, 1};
  if (muxer->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // Only libx264 knows crf; other encoders keep their default rate control.
  av_opt_set_int(enc->priv_data, "crf", crf, 0);
  int rc = avcodec_open2(enc, codec, nullptr);
  if (rc < 0)
    throw Error(
        path,
        "cannot open the " + std::string(codec->name) + " encoder (" + av_error_text(rc) + ")",
        "try another size or frame rate");
  stream = avformat_new_stream(muxer.get(), nullptr);
  if (!stream || avcodec_parameters_from_context(stream->codecpar, enc) < 0)
    throw Error(path, "cannot add a video stream to the MP4", "report this");
  stream->time_base = enc->time_base;
  stream->avg_frame_rate = enc->framerate;

  sws.reset(sws_getContext(enc_width, enc_height, AV_PIX_FMT_BGR24, enc_width, enc_height,
                           AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
  frame.reset(av_frame_alloc());
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = enc_width;
  frame->height = enc_height;
  if (!sws || av_frame_get_buffer(frame.get(), 0) < 0)
    throw Error(path, "cannot set up the colour conversion", "try a smaller frame size");
}

Mp4Writer::Mp4Writer() = default;

Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::open(const std::string& path, int width, int height, int fps, int crf,
                     const std::string& audio_source) {
  open_impl(path, width, height, fps, crf, audio_source, /*pushed_audio=*/false);
}

void Mp4Writer::open_with_pushed_audio(const std::string& path, int width, int height, int fps,
                                       int crf) {
  open_impl(path, width, height, fps, crf, {}, /*pushed_audio=*/true);
}

void Mp4Writer::open_impl(const std::string& path, int width, int height, int fps, int crf,
                          const std::string& audio_source, bool pushed_audio) {
  if (impl_) throw Error(path, "this writer is already open", "use one Mp4Writer per file");
  if (width <= 0 || height <= 0)
    throw Error(path,
                "frame size " + std::to_string(width) + "x" + std::to_string(height) +
                    " is not a positive size",
                "give frames at least 1x1 pixels");
  if (fps <= 0) throw Error(path, "frame rate must be positive", "pass e.g. 25");
  if (crf < 0 || crf > 51) throw Error(path, "crf must be 0..51", "pass e.g. 18");
  auto folder = std::filesystem::absolute(path).parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw Error(path, "its folder " + folder.string() + " does not exist",
                "create the folder first or choose another output path");

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->width = width;
  impl->height = height;
  impl->enc_width = padded_to_even(width);
  impl->enc_height = padded_to_even(height);
  if (impl->enc_width != width || impl->enc_height != height) {
    impl->padded.resize(static_cast<size_t>(impl->enc_width) * impl->enc_height * 3);
  }
  impl->fps = fps;
  AVFormatContext* raw = nullptr;
  // The format is named explicitly: the temporary name does not end in .mp4.
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr);
  if (rc < 0 || !raw)
    throw Error(path, "FFmpeg has no MP4 muxer (" + av_error_text(rc) + ")",
                "install a complete libavformat");
  impl->muxer.reset(raw);
  impl->open_video(crf);
  if (pushed_audio) {
    impl->audio = std::make_unique<AacTrack>(AacTrack::Pushed{}, raw, path);
  } else if (!audio_source.empty()) {
    impl->audio = std::make_unique<AacTrack>(audio_source, raw, path);
  }
  impl->pushed_audio = pushed_audio;

  std::string partial = path + ".partial";
  rc = avio_open(&raw->pb, partial.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0)
    throw Error(path, "cannot write the output (" + av_error_text(rc) + ")",
                "choose a folder you can write to");
  impl->partial = partial;
  rc = avformat_write_header(raw, nullptr);
  if (rc < 0)
    throw Error(path, "cannot write the MP4 header (" + av_error_text(rc) + ")",
                "check the free disk space");
  impl_ = std::move(impl);
}

void Mp4Writer::write_bgr(const uint8_t* bgr, int stride) {
  if (!impl_ || impl_->finished)
    throw Error({}, "Mp4Writer::write_bgr called on a writer that is not open", "call open first");
  Impl& w = *impl_;
  int rc = av_frame_make_writable(w.frame.get());
  if (rc < 0) throw Error(w.path, "out of memory for a video frame", "close other programs");
  if (!w.padded.empty()) {
    pad_by_replication(bgr, stride, w.width, w.height, w.padded.data(), w.enc_width, w.enc_height);
    bgr = w.padded.data();
    stride = w.enc_width * 3;
  }
  sws_scale(w.sws.get(), &bgr, &stride, 0, w.enc_height, w.frame->data, w.frame->linesize);
  w.frame->pts = w.frames++;
  encode_packets(w.encoder.get(), w.frame.get(), w.muxer.get(), w.stream, w.path);
  if (w.audio) w.audio->encode_until(w.audio_samples());
}

void Mp4Writer::write_audio(const float* samples16k, int n) {
  if (!impl_ || impl_->finished)
    throw Error({}, "Mp4Writer::write_audio called on a writer that is not open",
                "call open_with_pushed_audio first");
  Impl& w = *impl_;
  if (!w.pushed_audio)
    throw Error(w.path, "audio was written to a writer opened without pushed audio",
                "open it with open_with_pushed_audio");
  w.audio->push(samples16k, n);
  w.audio->encode_until(w.audio_samples());
}

void Mp4Writer::finish() {
  if (!impl_ || impl_->finished)
    throw Error({}, "Mp4Writer::finish called on a writer that is not open", "call open first");
  Impl& w = *impl_;
  if (w.frames == 0)
    throw Error(w.path, "no frames were written", "write at least one frame before finishing");
  encode_packets(w.encoder.get(), nullptr, w.muxer.get(), w.stream, w.path);
  if (w.audio) w.audio->finish(w.audio_samples());
  int rc = av_write_trailer(w.muxer.get());
  if (rc >= 0) rc = avio_closep(&w.muxer->pb);
  if (rc < 0)
    throw Error(w.path, "cannot finish the MP4 (" + av_error_text(rc) + ")",
                "check the free disk space");
  std::error_code ec;
  std::filesystem::rename(w.partial, w.path, ec);
  if (ec)
    throw Error(w.path, "cannot move " + w.partial + " into place (" + ec.message() + ")",
                "check that the output path is writable and not a folder");
  w.finished = true;
}

int Mp4Writer::encoded_width() const {
  return impl_ ? impl_->enc_width : 0;
}

int Mp4Writer::encoded_height() const {
  return impl_ ? impl_->enc_height : 0;
}

int64_t Mp4Writer::frames_written() const {
  return impl_ ? impl_->frames : 0;
}

}  // namespace musetalk::media
