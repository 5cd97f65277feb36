#include "media/audio_reader.h"

#include <filesystem>

#include "files/error.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace musetalk::media {
namespace {

const char* kMediaFix = "give an audio or video file (WAV, MP3, MP4, ...) that a player can play";

}  // namespace

AudioReader::AudioReader(const std::string& path)
    : path_(path), packet_(av_packet_alloc()), frame_(av_frame_alloc()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path, "file not found", "check the path; it must name an existing file");
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0)
    throw Error(path, "not a media file FFmpeg can read (" + av_error_text(rc) + ")", kMediaFix);
  input_.reset(raw);
  rc = avformat_find_stream_info(raw, nullptr);
  if (rc < 0) throw Error(path, "cannot read its streams (" + av_error_text(rc) + ")", kMediaFix);

  const AVCodec* codec = nullptr;
  rc = av_find_best_stream(raw, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (rc == AVERROR_DECODER_NOT_FOUND) {
    int any = av_find_best_stream(raw, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    auto id = any >= 0 ? raw->streams[any]->codecpar->codec_id : AV_CODEC_ID_NONE;
    throw Error(path,
                std::string("no decoder available for its audio codec ") + avcodec_get_name(id),
                "convert the file to WAV, or use an FFmpeg build with that decoder");
  }
  if (rc < 0) throw Error(path, "no audio stream in the file", "give a file that contains sound");
  stream_index_ = rc;

  decoder_.reset(avcodec_alloc_context3(codec));
  rc = avcodec_parameters_to_context(decoder_.get(), raw->streams[stream_index_]->codecpar);
  if (rc >= 0) rc = avcodec_open2(decoder_.get(), codec, nullptr);
  if (rc < 0)
    throw Error(path,
                "cannot open the " + std::string(codec->name) + " audio decoder (" +
                    av_error_text(rc) + ")",
                kMediaFix);
  if (decoder_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
    int n = decoder_->ch_layout.nb_channels;
    av_channel_layout_uninit(&decoder_->ch_layout);
    av_channel_layout_default(&decoder_->ch_layout, n);
  }
}

double AudioReader::stated_duration_s() const {
  const AVStream* stream = input_->streams[stream_index_];
  if (stream->duration > 0 && stream->duration != AV_NOPTS_VALUE)
    return static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  if (input_->duration > 0 && input_->duration != AV_NOPTS_VALUE)
    return static_cast<double>(input_->duration) / AV_TIME_BASE;
  return 0;
}

void AudioReader::set_output(int rate, int channels, AVSampleFormat format, bool mean_downmix) {
  AVChannelLayout out_layout;
  av_channel_layout_default(&out_layout, channels);
  SwrContext* raw = nullptr;
  int rc = swr_alloc_set_opts2(&raw, &out_layout, format, rate, &decoder_->ch_layout,
                               decoder_->sample_fmt, decoder_->sample_rate, 0, nullptr);
  swr_.reset(raw);
  if (rc >= 0 && mean_downmix) {
    // swr_set_matrix must come between allocation and swr_init; row i lists the weights of the
    // input channels for output channel i.
    int in = source_channels();
    std::vector<double> matrix(static_cast<size_t>(channels) * in, 1.0 / in);
    rc = swr_set_matrix(raw, matrix.data(), in);
  }
  if (rc >= 0) rc = swr_init(raw);
  av_channel_layout_uninit(&out_layout);
  if (rc < 0)
    throw Error(path_, "cannot set up the audio resampler (" + av_error_text(rc) + ")",
                "report this with the file's format (ffprobe output)");
  out_channels_ = channels;
  out_format_ = format;
  planes_.assign(av_sample_fmt_is_planar(format) ? channels : 1, {});
}

void AudioReader::convert(const AVFrame* frame, const Sink& sink) {
  int in_samples = frame ? frame->nb_samples : 0;
  int capacity = swr_get_out_samples(swr_.get(), in_samples);
  if (capacity <= 0) return;
  int per_plane = av_sample_fmt_is_planar(out_format_) ? 1 : out_channels_;
  size_t bytes = static_cast<size_t>(capacity) * per_plane * av_get_bytes_per_sample(out_format_);
  std::vector<uint8_t*> out(planes_.size());
  for (size_t i = 0; i < planes_.size(); ++i) {
    if (planes_[i].size() < bytes) planes_[i].resize(bytes);
    out[i] = planes_[i].data();
  }
  int n =
      swr_convert(swr_.get(), out.data(), capacity,
                  frame ? const_cast<const uint8_t**>(frame->extended_data) : nullptr, in_samples);
  if (n < 0)
    throw Error(path_, "audio resampling failed (" + av_error_text(n) + ")",
                "report this with the file's format (ffprobe output)");
  if (n > 0) sink(out.data(), n);
}

bool AudioReader::read(const Sink& sink) {
  if (finished_) return false;
  while (true) {
    int rc = avcodec_receive_frame(decoder_.get(), frame_.get());
    if (rc >= 0) {
      source_samples_ += frame_->nb_samples;
      convert(frame_.get(), sink);
      av_frame_unref(frame_.get());
      return true;
    }
    if (rc == AVERROR_EOF) {
      convert(nullptr, sink);  // drain the resampler's delay
      finished_ = true;
      return false;
    }
    if (rc != AVERROR(EAGAIN))
      throw Error(path_, "audio decoding failed (" + av_error_text(rc) + ")",
                  "the file may be damaged; re-encode it, e.g. to WAV");
    if (input_done_) continue;
    rc = av_read_frame(input_.get(), packet_.get());
    if (rc < 0) {
      input_done_ = true;
      avcodec_send_packet(decoder_.get(), nullptr);
      continue;
    }
    if (packet_->stream_index == stream_index_) {
      rc = avcodec_send_packet(decoder_.get(), packet_.get());
      // A damaged packet is skipped, as players do; anything else is fatal.
      if (rc < 0 && rc != AVERROR_INVALIDDATA)
        throw Error(path_, "audio decoding failed (" + av_error_text(rc) + ")",
                    "the file may be damaged; re-encode it, e.g. to WAV");
    }
    av_packet_unref(packet_.get());
  }
}

}  // namespace musetalk::media
