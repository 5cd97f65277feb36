#include "media/encode_packets.h"

#include "files/error.h"

namespace musetalk::media {

void encode_packets(AVCodecContext* encoder, const AVFrame* frame, AVFormatContext* muxer,
                    AVStream* stream, const std::string& output_path) {
  const char* fix = "check the free disk space and that the output folder is writable";
  int rc = avcodec_send_frame(encoder, frame);
  if (rc < 0)
    throw Error(output_path,
                std::string(encoder->codec->name) + " encoding failed (" + av_error_text(rc) + ")",
                fix);
  PacketPtr packet(av_packet_alloc());
  while ((rc = avcodec_receive_packet(encoder, packet.get())) >= 0) {
    if (packet->duration == 0 && encoder->codec_type == AVMEDIA_TYPE_VIDEO) packet->duration = 1;
    av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
    packet->stream_index = stream->index;
    rc = av_interleaved_write_frame(muxer, packet.get());  // takes the packet's reference
    if (rc < 0) throw Error(output_path, "writing failed (" + av_error_text(rc) + ")", fix);
  }
  if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
    throw Error(output_path,
                std::string(encoder->codec->name) + " encoding failed (" + av_error_text(rc) + ")",
                fix);
}

}  // namespace musetalk::media
