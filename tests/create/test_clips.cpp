#include "test_clips.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace musetalk::test {
namespace {

void check(int rc, const std::string& what) {
  if (rc < 0) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(rc, text, sizeof text);
    throw std::runtime_error(what + ": " + text);
  }
}

struct Muxer {
  AVFormatContext* fmt = nullptr;
  ~Muxer() {
    if (!fmt) return;
    if (fmt->pb) avio_closep(&fmt->pb);
    avformat_free_context(fmt);
  }
};

struct Encoder {
  AVCodecContext* ctx = nullptr;
  ~Encoder() { avcodec_free_context(&ctx); }
};

// Opens the encoder named for width x height; time_base as given.
void open_encoder(Encoder& enc, const std::string& name, int width, int height,
                  AVPixelFormat pix_fmt, AVRational time_base, int gop, bool global_header) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (!codec) throw std::runtime_error("no encoder " + name);
  enc.ctx = avcodec_alloc_context3(codec);
  enc.ctx->width = width;
  enc.ctx->height = height;
  enc.ctx->pix_fmt = pix_fmt;
  enc.ctx->time_base = time_base;
  enc.ctx->gop_size = gop;
  if (global_header) enc.ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (name == "libx264") {
    av_opt_set(enc.ctx->priv_data, "preset", "ultrafast", 0);
    av_opt_set_int(enc.ctx->priv_data, "qp", 0, 0);  // lossless
  }
  check(avcodec_open2(enc.ctx, codec, nullptr), "open encoder " + name);
}

}  // namespace

void write_clip(const std::string& path, const ClipSpec& spec) {
  Muxer mux;
  check(avformat_alloc_output_context2(&mux.fmt, nullptr, spec.container.c_str(), path.c_str()),
        "muxer " + spec.container);
  Encoder enc;
  open_encoder(enc, spec.encoder, spec.width, spec.height, spec.pix_fmt, spec.time_base, spec.gop,
               mux.fmt->oformat->flags & AVFMT_GLOBALHEADER);
  AVStream* stream = avformat_new_stream(mux.fmt, nullptr);
  check(avcodec_parameters_from_context(stream->codecpar, enc.ctx), "stream parameters");
  stream->time_base = spec.time_base;
  if (spec.rotate_cw != 0) {
    auto* matrix = reinterpret_cast<int32_t*>(
        av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
    if (!matrix) throw std::runtime_error("display matrix");
    // The tkhd matrix (a b c d in 16.16) that FFmpeg's MP4 muxer wrote for the rotate tag
    // (libavformat/movenc.c mov_write_tkhd_tag) and phones write for portrait video.
    const int one = 1 << 16;
    int a = one, b = 0, c = 0, d = one;
    if (spec.rotate_cw == 90)
      a = 0, b = one, c = -one, d = 0;
    else if (spec.rotate_cw == 180)
      a = -one, b = 0, c = 0, d = -one;
    else if (spec.rotate_cw == 270)
      a = 0, b = -one, c = one, d = 0;
    else
      throw std::runtime_error("rotate_cw must be 0, 90, 180 or 270");
    const int32_t values[9] = {a, b, 0, c, d, 0, 0, 0, 1 << 30};
    std::copy(values, values + 9, matrix);
  }
  check(avio_open(&mux.fmt->pb, path.c_str(), AVIO_FLAG_WRITE), "open " + path);
  check(avformat_write_header(mux.fmt, nullptr), "header");

  // Each frame's duration by its pts, for the packets (the encoder does not keep them).
  std::map<int64_t, int64_t> durations;
  for (size_t i = 0; i < spec.pts.size(); ++i)
    durations[spec.pts[i]] =
        i + 1 < spec.pts.size() ? spec.pts[i + 1] - spec.pts[i] : spec.last_duration;

  SwsContext* sws =
      sws_getContext(spec.width, spec.height, AV_PIX_FMT_BGR24, spec.width, spec.height,
                     spec.pix_fmt, SWS_BICUBIC, nullptr, nullptr, nullptr);
  AVFrame* frame = av_frame_alloc();
  AVPacket* packet = av_packet_alloc();
  frame->format = spec.pix_fmt;
  frame->width = spec.width;
  frame->height = spec.height;
  check(av_frame_get_buffer(frame, 0), "frame");
  std::vector<uint8_t> bgr(static_cast<size_t>(spec.width) * spec.height * 3);

  auto drain = [&](const AVFrame* f) {
    check(avcodec_send_frame(enc.ctx, f), "encode");
    int rc;
    while ((rc = avcodec_receive_packet(enc.ctx, packet)) >= 0) {
      packet->duration = durations.count(packet->pts) ? durations[packet->pts] : 1;
      av_packet_rescale_ts(packet, enc.ctx->time_base, stream->time_base);
      packet->stream_index = stream->index;
      check(av_interleaved_write_frame(mux.fmt, packet), "write");
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) check(rc, "encode");
  };
  for (size_t i = 0; i < spec.pts.size(); ++i) {
    std::fill(bgr.begin(), bgr.end(), 0);
    spec.paint(static_cast<int>(i), bgr);
    check(av_frame_make_writable(frame), "frame");
    const uint8_t* src[1] = {bgr.data()};
    const int stride[1] = {spec.width * 3};
    sws_scale(sws, src, stride, 0, spec.height, frame->data, frame->linesize);
    frame->pts = spec.pts[i];
    drain(frame);
  }
  drain(nullptr);
  check(av_write_trailer(mux.fmt), "trailer");
  av_packet_free(&packet);
  av_frame_free(&frame);
  sws_freeContext(sws);
}

void write_clip_without_frames(const std::string& path) {
  Muxer mux;
  check(avformat_alloc_output_context2(&mux.fmt, nullptr, "mp4", path.c_str()), "muxer");
  Encoder enc;
  open_encoder(enc, "libx264", 64, 48, AV_PIX_FMT_YUV420P, {1, 25}, 250, true);
  AVStream* stream = avformat_new_stream(mux.fmt, nullptr);
  check(avcodec_parameters_from_context(stream->codecpar, enc.ctx), "stream parameters");
  stream->time_base = {1, 12800};
  check(avio_open(&mux.fmt->pb, path.c_str(), AVIO_FLAG_WRITE), "open " + path);
  // A fragmented MP4 declares its tracks up front (a plain one leaves out tracks without
  // samples, and Matroska without clusters is malformed).
  AVDictionary* options = nullptr;
  av_dict_set(&options, "movflags", "empty_moov", 0);
  const int rc = avformat_write_header(mux.fmt, &options);
  av_dict_free(&options);
  check(rc, "header");
  av_write_trailer(mux.fmt);  // may report that nothing was written
}

ClipSpec constant_rate_clip(int count, int fps) {
  ClipSpec spec;
  spec.time_base = {1, fps};
  for (int i = 0; i < count; ++i) spec.pts.push_back(i);
  spec.last_duration = 1;
  spec.paint = paint_index;
  return spec;
}

void paint_index(int index, std::vector<uint8_t>& bgr) {
  std::fill(bgr.begin(), bgr.end(), static_cast<uint8_t>(8 * index + 4));
}

int index_of_level(int level) {
  return level / 8;  // 8 * index + 4, within 3 levels either way
}

}  // namespace musetalk::test
