#include "mp4_probe.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace musetalk::test {

Mp4Info probe_mp4(const std::string& path) {
  Mp4Info info;
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) < 0) return info;
  avformat_find_stream_info(ctx, nullptr);
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(ctx, pkt) >= 0) {
    if (ctx->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      ++info.video_packets;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    const AVStream* s = ctx->streams[i];
    const double seconds = s->duration * av_q2d(s->time_base);
    if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      info.width = s->codecpar->width;
      info.height = s->codecpar->height;
      info.video_codec = avcodec_get_name(s->codecpar->codec_id);
      info.video_seconds = seconds;
    } else if (s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      info.audio_codec = avcodec_get_name(s->codecpar->codec_id);
      info.audio_seconds = seconds;
    }
  }
  avformat_close_input(&ctx);
  return info;
}

}  // namespace musetalk::test
