//===- Video.cpp - H.264 MP4 output ---------------------------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The MP4 writer of include/romac/Zoom/Video.h on FFmpeg's libraries.
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Video.h"

#include "romac/Support/Error.h"
#include "romac/Support/OutputFile.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <cstring>

using namespace romac;
using namespace romac::zoom;

namespace {
/// The FFmpeg objects of one encode, freed in the destructor.
struct Encoder {
  AVFormatContext *fmt = nullptr;
  AVCodecContext *codec = nullptr;
  AVFrame *frame = nullptr;
  AVPacket *packet = nullptr;
  SwsContext *sws = nullptr;
  bool opened = false;

  ~Encoder() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&codec);
    if (fmt) {
      if (opened)
        avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }

  /// Sends \p f (null: flush) and writes every packet that comes out.
  int encode(AVFrame *f, AVStream *stream) {
    int ret = avcodec_send_frame(codec, f);
    while (ret >= 0) {
      ret = avcodec_receive_packet(codec, packet);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return 0;
      if (ret < 0)
        return ret;
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      ret = av_interleaved_write_frame(fmt, packet);
    }
    return ret;
  }
};

std::string avError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}
} // namespace

/// Encodes into \p tmp; returns a message on failure.
static std::string encodeMp4(const std::string &tmp,
                             llvm::ArrayRef<RgbImage> frames, int fps) {
  int w = frames[0].width, h = frames[0].height;
  // libx264 prints its statistics at info level: errors only (they come
  // back through the return codes anyway).
  if (av_log_get_level() > AV_LOG_ERROR)
    av_log_set_level(AV_LOG_ERROR);
  const AVCodec *h264 = avcodec_find_encoder_by_name("libx264");
  if (!h264)
    return "FFmpeg has no libx264 encoder";
  Encoder e;
  int ret = avformat_alloc_output_context2(&e.fmt, nullptr, "mp4", tmp.c_str());
  if (ret < 0)
    return "cannot create an MP4 muxer: " + avError(ret);
  AVStream *stream = avformat_new_stream(e.fmt, nullptr);
  e.codec = avcodec_alloc_context3(h264);
  e.frame = av_frame_alloc();
  e.packet = av_packet_alloc();
  if (!stream || !e.codec || !e.frame || !e.packet)
    return "out of memory";
  e.codec->width = w;
  e.codec->height = h;
  e.codec->pix_fmt = AV_PIX_FMT_YUV420P;
  e.codec->time_base = AVRational{1, fps};
  e.codec->framerate = AVRational{fps, 1};
  e.codec->gop_size = 2 * fps;
  if (e.fmt->oformat->flags & AVFMT_GLOBALHEADER)
    e.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set(e.codec->priv_data, "preset", "medium", 0);
  av_opt_set(e.codec->priv_data, "crf", "18", 0);
  if ((ret = avcodec_open2(e.codec, h264, nullptr)) < 0)
    return "cannot open the H.264 encoder: " + avError(ret);
  if ((ret = avcodec_parameters_from_context(stream->codecpar, e.codec)) < 0)
    return avError(ret);
  stream->time_base = e.codec->time_base;
  stream->avg_frame_rate = e.codec->framerate;
  if ((ret = avio_open(&e.fmt->pb, tmp.c_str(), AVIO_FLAG_WRITE)) < 0)
    return "cannot open the file: " + avError(ret);
  e.opened = true;
  if ((ret = avformat_write_header(e.fmt, nullptr)) < 0)
    return "cannot write the MP4 header: " + avError(ret);
  e.frame->format = AV_PIX_FMT_YUV420P;
  e.frame->width = w;
  e.frame->height = h;
  if ((ret = av_frame_get_buffer(e.frame, 0)) < 0)
    return avError(ret);
  e.sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P,
                         SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!e.sws)
    return "cannot convert RGB to YUV 4:2:0";
  for (size_t i = 0; i < frames.size(); ++i) {
    if ((ret = av_frame_make_writable(e.frame)) < 0)
      return avError(ret);
    const uint8_t *src[1] = {frames[i].pixels.data()};
    int stride[1] = {3 * w};
    sws_scale(e.sws, src, stride, 0, h, e.frame->data, e.frame->linesize);
    e.frame->pts = static_cast<int64_t>(i);
    if ((ret = e.encode(e.frame, stream)) < 0)
      return "encoding frame " + std::to_string(i) + " failed: " + avError(ret);
  }
  if ((ret = e.encode(nullptr, stream)) < 0)
    return "flushing the encoder failed: " + avError(ret);
  if ((ret = av_write_trailer(e.fmt)) < 0)
    return "cannot finish the MP4: " + avError(ret);
  e.opened = false;
  if ((ret = avio_closep(&e.fmt->pb)) < 0)
    return "cannot close the file: " + avError(ret);
  return "";
}

llvm::Error zoom::writeMp4(llvm::StringRef path,
                           llvm::ArrayRef<RgbImage> frames, int fps) {
  if (frames.empty())
    return makeStringError("cannot write '" + path + "': no frames");
  if (fps < 1 || fps > 1000)
    return makeStringError("cannot write '" + path +
                           "': fps must lie in 1..1000");
  int w = frames[0].width, h = frames[0].height;
  if (w < 2 || h < 2 || w % 2 || h % 2)
    return makeStringError("cannot write '" + path +
                           "': H.264 4:2:0 needs an even width and height");
  for (const RgbImage &f : frames)
    if (f.width != w || f.height != h)
      return makeStringError("cannot write '" + path +
                             "': the frames differ in size");
  return writeThroughTemporary(path, [&](llvm::StringRef temp) {
    return encodeMp4(temp.str(), frames, fps);
  });
}
