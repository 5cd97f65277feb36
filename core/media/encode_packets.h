#pragma once
// Sends one frame (nullptr: flush) to an encoder and writes every packet it returns to a muxer.

#include <string>

#include "media/ffmpeg_util.h"

namespace musetalk::media {

// Packets are rescaled from the encoder's time base to the stream's; output_path names the file
// in the musetalk::Error thrown when encoding or writing fails.
void encode_packets(AVCodecContext* encoder, const AVFrame* frame, AVFormatContext* muxer,
                    AVStream* stream, const std::string& output_path);

}  // namespace musetalk::media
