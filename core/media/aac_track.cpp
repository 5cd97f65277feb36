#include "media/aac_track.h"

#include <algorithm>
#include <vector>

#include "files/error.h"
#include "media/encode_packets.h"

namespace musetalk::media {
namespace {

int pick_rate(const AVCodec* codec, int source_rate) {
  if (!codec->supported_samplerates) return source_rate;
  for (const int* r = codec->supported_samplerates; *r; ++r)
    if (*r == source_rate) return source_rate;
  return 48000;
}

}  // namespace

AacTrack::AacTrack(const std::string& source, AVFormatContext* muxer,
                   const std::string& output_path)
    : reader_(std::make_unique<AudioReader>(source)), muxer_(muxer), output_path_(output_path) {
  const int channels = std::min(reader_->source_channels(), 2);
  open_encoder(reader_->source_rate(), channels, muxer);
  reader_->set_output(encoder_->sample_rate, channels, encoder_->sample_fmt,
                      /*mean_downmix=*/false);
}

AacTrack::AacTrack(Pushed, AVFormatContext* muxer, const std::string& output_path)
    : muxer_(muxer), output_path_(output_path) {
  open_encoder(kPushedRate, 1, muxer);
  AVChannelLayout mono;
  av_channel_layout_default(&mono, 1);
  SwrContext* raw = nullptr;
  int rc =
      swr_alloc_set_opts2(&raw, &encoder_->ch_layout, encoder_->sample_fmt, encoder_->sample_rate,
                          &mono, AV_SAMPLE_FMT_FLT, kPushedRate, 0, nullptr);
  swr_.reset(raw);
  if (rc >= 0) rc = swr_init(raw);
  av_channel_layout_uninit(&mono);
  if (rc < 0)
    throw Error(output_path, "cannot set up the audio resampler (" + av_error_text(rc) + ")",
                "install FFmpeg's libswresample, or write without audio");
}

AacTrack::~AacTrack() = default;

void AacTrack::open_encoder(int source_rate, int channels, AVFormatContext* muxer) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec)
    throw Error(
        output_path_, "no AAC encoder is available in this FFmpeg",
        "install FFmpeg's libavcodec with its built-in aac encoder, or write without audio");
  encoder_.reset(avcodec_alloc_context3(codec));
  AVCodecContext* enc = encoder_.get();
  av_channel_layout_default(&enc->ch_layout, channels);
  enc->sample_rate = pick_rate(codec, source_rate);
  enc->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
  enc->bit_rate = 64000 * channels;
  enc->time_base = {1, enc->sample_rate};
  if (muxer->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int rc = avcodec_open2(enc, codec, nullptr);
  if (rc < 0)
    throw Error(output_path_, "cannot open the AAC encoder (" + av_error_text(rc) + ")",
                "write without audio, or report this with the audio file's format");
  if (enc->frame_size > 0) frame_size_ = enc->frame_size;

  stream_ = avformat_new_stream(muxer, nullptr);
  if (!stream_ || avcodec_parameters_from_context(stream_->codecpar, enc) < 0)
    throw Error(output_path_, "cannot add an audio stream to the MP4", "report this");
  stream_->time_base = enc->time_base;
  fifo_.reset(av_audio_fifo_alloc(enc->sample_fmt, channels, frame_size_));
  if (!fifo_) throw Error(output_path_, "out of memory buffering audio", "close other programs");
}

void AacTrack::to_fifo(const uint8_t* const* planes, int n) {
  // av_audio_fifo_write only reads the planes, but its signature is not const.
  auto data = reinterpret_cast<void**>(const_cast<uint8_t**>(planes));
  if (av_audio_fifo_write(fifo_.get(), data, n) < n)
    throw Error(output_path_, "out of memory buffering audio", "close other programs");
}

void AacTrack::push(const float* samples16k, int n) {
  if (!swr_)
    throw Error(output_path_, "audio was pushed to a track that reads its audio from a file",
                "open the writer for pushed audio");
  if (source_done_)
    throw Error(output_path_, "audio was pushed after the track was finished",
                "push all audio before finishing");
  if (n < 0)
    throw Error(output_path_, "a negative number of audio samples was pushed", "pass n >= 0");
  if (n > 0) resample(samples16k, n);
}

void AacTrack::resample(const float* samples16k, int n) {
  const int capacity = swr_get_out_samples(swr_.get(), n);
  if (capacity <= 0) return;
  const int channels = encoder_->ch_layout.nb_channels;
  const int size = av_samples_get_buffer_size(nullptr, channels, capacity, encoder_->sample_fmt, 1);
  std::vector<uint8_t> buffer(static_cast<size_t>(std::max(size, 0)));
  std::vector<uint8_t*> planes(static_cast<size_t>(channels));
  av_samples_fill_arrays(planes.data(), nullptr, buffer.data(), channels, capacity,
                         encoder_->sample_fmt, 1);
  auto in = reinterpret_cast<const uint8_t*>(samples16k);
  const int converted = swr_convert(swr_.get(), planes.data(), capacity, samples16k ? &in : nullptr,
                                    samples16k ? n : 0);
  if (converted < 0)
    throw Error(output_path_, "audio resampling failed (" + av_error_text(converted) + ")",
                "report this");
  if (converted > 0) to_fifo(planes.data(), converted);
}

bool AacTrack::fill(int64_t samples) {
  if (reader_) {
    auto sink = [&](const uint8_t* const* planes, int n) { to_fifo(planes, n); };
    while (av_audio_fifo_size(fifo_.get()) < samples && !source_done_)
      source_done_ = !reader_->read(sink);
  }
  return av_audio_fifo_size(fifo_.get()) >= samples;
}

void AacTrack::encode(int samples) {
  AVCodecContext* enc = encoder_.get();
  // Without AV_CODEC_CAP_SMALL_LAST_FRAME no frame may be short: pad the last with silence.
  bool pad = samples < frame_size_ && !(enc->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME);
  FramePtr frame(av_frame_alloc());
  frame->nb_samples = pad ? frame_size_ : samples;
  frame->format = enc->sample_fmt;
  frame->sample_rate = enc->sample_rate;
  av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
  if (av_frame_get_buffer(frame.get(), 0) < 0)
    throw Error(output_path_, "out of memory for an audio frame", "close other programs");
  av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->data), samples);
  if (pad)
    av_samples_set_silence(frame->data, samples, frame_size_ - samples, enc->ch_layout.nb_channels,
                           enc->sample_fmt);
  frame->pts = encoded_;
  encoded_ += samples;
  encode_packets(enc, frame.get(), muxer_, stream_, output_path_);
}

void AacTrack::encode_until(int64_t total_samples) {
  while (encoded_ + frame_size_ <= total_samples && fill(frame_size_)) encode(frame_size_);
}

void AacTrack::finish(int64_t total_samples) {
  if (swr_ && !source_done_) {
    resample(nullptr, 0);  // the resampler's held-back samples (its filter's delay)
    source_done_ = true;
  }
  encode_until(total_samples);
  int64_t rest = total_samples - encoded_;
  if (rest > 0) {
    fill(rest);
    rest = std::min<int64_t>(rest, av_audio_fifo_size(fifo_.get()));
    if (rest > 0) encode(static_cast<int>(rest));
  }
  encode_packets(encoder_.get(), nullptr, muxer_, stream_, output_path_);
}

}  // namespace musetalk::media
