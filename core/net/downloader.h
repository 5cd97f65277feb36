#pragma once
// Fetching weight files over HTTP(S) with libcurl: the expected SHA-256 and size from a HEAD
// request (Hugging Face's X-Linked-Etag / X-Linked-Size, else ETag / Content-Length), a download
// into `<file>.incomplete` that resumes with a Range request, verification, then an atomic rename.

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace musetalk::net {

// What the server says about a file before it is downloaded.
struct RemoteInfo {
  std::string sha256;  // 64 lowercase hex characters, or "" when the server gave none
  int64_t size = -1;   // -1 when unknown
};

// Progress of one file's transfer: done = bytes of the file so far (a resumed download starts at
// the bytes already on disk; a server that ignores the Range request starts again at 0),
// total = the file's size in bytes, or -1 when the server gave none. Called often from inside
// the transfer, and a last time when it ends with done == total (the size is known by then).
// It may throw; the download then stops, keeps its `.incomplete` file and rethrows.
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

struct DownloadOptions {
  std::ostream* log = nullptr;   // status lines (skipped, resuming, restarted); nullptr: none
  ProgressCallback on_progress;  // empty: no progress reports
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;  // give up when less than 1 byte/s arrives for this long
};

enum class DownloadOutcome { kDownloaded, kSkipped };

// The endpoint: HF_ENDPOINT when set, else https://huggingface.co (as huggingface_hub does).
std::string default_endpoint();

// <endpoint>/<repo>/resolve/main/<repo_path>, without a doubled slash.
std::string resolve_url(const std::string& endpoint, const std::string& repo,
                        const std::string& repo_path);

// HEAD request (following redirects). Throws musetalk::Error naming the URL on failure.
RemoteInfo fetch_remote_info(const std::string& url, const DownloadOptions& options);

// Downloads `url` to `dest` (parent folders are created). A present `dest` with the right size
// (and SHA-256 when known) is skipped; a present `dest.incomplete` is resumed. Throws
// musetalk::Error naming the URL on network/HTTP failure or checksum mismatch (the partial file
// is deleted in that case).
DownloadOutcome download_file(const std::string& url, const std::string& dest,
                              const DownloadOptions& options);

// The fix attached to network errors.
extern const char* const kNetworkFix;

}  // namespace musetalk::net
