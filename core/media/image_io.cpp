#include "media/image_io.h"

#include "files/atomic_file.h"
#include "files/error.h"
#include "files/file_source.h"
#include "media/ffmpeg_util.h"

extern "C" {
#include <libswscale/swscale.h>
}

namespace musetalk::media {
namespace {

struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

// Converts `frame` into tightly packed pixels of `format` (BGR24, RGB24 or GRAY8).
void convert(const uint8_t* const src[], const int src_stride[], AVPixelFormat src_format, int w,
             int h, AVPixelFormat format, uint8_t* out, int out_stride) {
  std::unique_ptr<SwsContext, SwsDeleter> sws(
      sws_getContext(w, h, src_format, w, h, format, SWS_POINT, nullptr, nullptr, nullptr));
  if (!sws) throw Error("image", "cannot convert its pixel format");
  uint8_t* dst[4] = {out, nullptr, nullptr, nullptr};
  int dst_stride[4] = {out_stride, 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, h, dst, dst_stride);
}

}  // namespace

Image read_png(const std::string& path, int channels) {
  std::vector<uint8_t> bytes = files::read_whole_file(path);
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
  if (!codec) throw Error(path, "this FFmpeg build has no PNG decoder");
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!ctx || !packet || !frame || avcodec_open2(ctx.get(), codec, nullptr) < 0) {
    throw Error(path, "cannot open the PNG decoder");
  }
  // The packet borrows the file bytes; FFmpeg reads them during send_packet.
  packet->data = bytes.data();
  packet->size = static_cast<int>(bytes.size());
  int rc = avcodec_send_packet(ctx.get(), packet.get());
  if (rc >= 0) rc = avcodec_receive_frame(ctx.get(), frame.get());
  if (rc < 0) {
    throw Error(path, "not a readable PNG image (" + av_error_text(rc) + ")",
                "the avatar folder is damaged: create or import it again");
  }
  Image img;
  img.width = frame->width;
  img.height = frame->height;
  img.channels = channels;
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * channels);
  convert(frame->data, frame->linesize, static_cast<AVPixelFormat>(frame->format), img.width,
          img.height, channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24, img.pixels.data(),
          img.width * channels);
  return img;
}

void write_png_bgr(const std::string& path, const uint8_t* bgr, int width, int height, int stride) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) throw Error(path, "this FFmpeg build has no PNG encoder");
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  if (!ctx || !frame || !packet) throw Error(path, "out of memory");
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = AV_PIX_FMT_RGB24;
  ctx->time_base = AVRational{1, 25};
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0)
    throw Error(path, "cannot open the PNG encoder");
  frame->format = AV_PIX_FMT_RGB24;
  frame->width = width;
  frame->height = height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) throw Error(path, "out of memory");
  const uint8_t* src[4] = {bgr, nullptr, nullptr, nullptr};
  const int src_stride[4] = {stride, 0, 0, 0};
  convert(src, src_stride, AV_PIX_FMT_BGR24, width, height, AV_PIX_FMT_RGB24, frame->data[0],
          frame->linesize[0]);
  int rc = avcodec_send_frame(ctx.get(), frame.get());
  if (rc >= 0) rc = avcodec_receive_packet(ctx.get(), packet.get());
  if (rc < 0) throw Error(path, "PNG encoding failed (" + av_error_text(rc) + ")");
  files::write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(packet->data), packet->size);
  });
}

}  // namespace musetalk::media
