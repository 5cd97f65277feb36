#include "net/downloader.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "files/byte_units.h"
#include "files/error.h"
#include "net/sha256.h"

namespace musetalk::net {

const char* const kNetworkFix =
    "check your connection or set HF_ENDPOINT; or download by hand as models/README.md says";

namespace {

namespace fs = std::filesystem;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlHandle {
  CURL* curl;
  CurlHandle() : curl(curl_easy_init()) {
    if (!curl) throw Error("libcurl", "curl_easy_init failed");
  }
  ~CurlHandle() { curl_easy_cleanup(curl); }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// An ETag value as a SHA-256: strips W/ and quotes; "" unless 64 hex characters remain.
std::string etag_sha256(std::string v) {
  v = trim(v);
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  v = lower(v);
  if (v.size() != 64) return "";
  for (char c : v) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
  }
  return v;
}

int64_t parse_size(const std::string& v) {
  const std::string t = trim(v);
  if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::strtoll(t.c_str(), nullptr, 10);
}

// Headers of every response of a request (redirects included). X-Linked-* stick from any
// response (Hugging Face puts them on the redirect); the rest are those of the last response.
struct Headers {
  long status = 0;
  std::string x_linked_etag, x_linked_size, etag, content_length, content_range;
  bool ended = false;  // the last response's headers are complete
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* h = static_cast<Headers*>(user);
  const std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    h->etag.clear();
    h->content_length.clear();
    h->content_range.clear();
    h->ended = false;
    const size_t sp = line.find(' ');
    h->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    return size * count;
  }
  if (trim(line).empty()) {
    h->ended = true;
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string value = trim(line.substr(colon + 1));
  if (name == "x-linked-etag") h->x_linked_etag = value;
  if (name == "x-linked-size") h->x_linked_size = value;
  if (name == "etag") h->etag = value;
  if (name == "content-length") h->content_length = value;
  if (name == "content-range") h->content_range = value;
  return size * count;
}

void common_options(CURL* curl, const std::string& url, const DownloadOptions& options,
                    Headers* headers, char* error_buffer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "musetalk/0.1 (models download)");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  error_buffer[0] = '\0';
}

[[noreturn]] void throw_curl(CURL* curl, CURLcode code, const std::string& url,
                             const char* error_buffer) {
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  std::string problem;
  if (code == CURLE_HTTP_RETURNED_ERROR && status > 0) {
    problem = "the server answered HTTP " + std::to_string(status);
  } else {
    problem = std::string(curl_easy_strerror(code));
    if (error_buffer[0]) problem += " (" + std::string(error_buffer) + ")";
  }
  throw Error(url, problem, kNetworkFix);
}

// Forwards curl's transfer progress to DownloadOptions::on_progress as bytes of the whole file.
// An exception from the callback cannot cross libcurl (C code): it is kept, the transfer is
// aborted, and download_file rethrows it.
struct ProgressRelay {
  const ProgressCallback* callback;
  const int64_t* offset;  // bytes of the file before this transfer's first byte (Sink::offset)
  int64_t total = -1;
  std::exception_ptr error;

  bool report(int64_t transferred, int64_t file_total) {
    if (!*callback || error) return !error;
    try {
      (*callback)(*offset + transferred, file_total);
    } catch (...) {
      error = std::current_exception();
    }
    return !error;
  }
};

int on_progress(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
  auto* p = static_cast<ProgressRelay*>(user);
  return p->report(static_cast<int64_t>(now), p->total) ? 0 : 1;
}

// Body sink: decides on the first bytes whether the server resumed (206) or restarted (200).
struct Sink {
  std::string path;
  int64_t offset = 0;  // bytes of the .incomplete file we asked the server to skip
  Sha256* hash;
  Headers* headers;
  std::ofstream out;
  bool opened = false;
  bool restarted = false;
  bool bad_range = false;
  int64_t written = 0;

  bool open() {
    opened = true;
    const bool resumed = offset > 0 && headers->status == 206;
    if (resumed) {
      // Content-Range: bytes START-END/TOTAL must start where our file ends.
      const std::string& cr = headers->content_range;
      const size_t sp = cr.find(' ');
      const int64_t start =
          sp == std::string::npos ? -1 : std::strtoll(cr.c_str() + sp + 1, nullptr, 10);
      if (start != offset) {
        bad_range = true;
        return false;
      }
      out.open(path, std::ios::binary | std::ios::app);
    } else {
      if (offset > 0) restarted = true;
      hash->reset();
      offset = 0;
      out.open(path, std::ios::binary | std::ios::trunc);
    }
    return static_cast<bool>(out);
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (!s->opened && !s->open()) return 0;
  s->out.write(data, static_cast<std::streamsize>(n));
  if (!s->out) return 0;
  s->hash->update(data, n);
  s->written += static_cast<int64_t>(n);
  return n;
}

int64_t file_size_or(const std::string& path, int64_t fallback) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? fallback : static_cast<int64_t>(size);
}

void hash_prefix(const std::string& path, Sha256& hash) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) hash.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
}

}  // namespace

std::string default_endpoint() {
  const char* env = std::getenv("HF_ENDPOINT");
  return env && *env ? env : "https://huggingface.co";
}

std::string resolve_url(const std::string& endpoint, const std::string& repo,
                        const std::string& repo_path) {
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + repo + "/resolve/main/" + repo_path;
}

RemoteInfo fetch_remote_info(const std::string& url, const DownloadOptions& options) {
  global_init();
  CurlHandle h;
  Headers headers;
  char error_buffer[CURL_ERROR_SIZE];
  common_options(h.curl, url, options, &headers, error_buffer);
  curl_easy_setopt(h.curl, CURLOPT_NOBODY, 1L);
  const CURLcode code = curl_easy_perform(h.curl);
  if (code != CURLE_OK) throw_curl(h.curl, code, url, error_buffer);
  RemoteInfo info;
  info.sha256 = etag_sha256(headers.x_linked_etag);
  if (info.sha256.empty()) info.sha256 = etag_sha256(headers.etag);
  info.size = parse_size(headers.x_linked_size);
  if (info.size < 0) info.size = parse_size(headers.content_length);
  return info;
}

DownloadOutcome download_file(const std::string& url, const std::string& dest,
                              const DownloadOptions& options) {
  const RemoteInfo info = fetch_remote_info(url, options);
  const std::string partial = dest + ".incomplete";
  std::ostream* log = options.log;

  // Already there?
  const int64_t present = file_size_or(dest, -1);
  if (present >= 0 && (info.size < 0 || present == info.size) &&
      (info.sha256.empty() || sha256_file_hex(dest) == info.sha256)) {
    if (log) *log << "  already present, skipped\n";
    return DownloadOutcome::kSkipped;
  }

  std::error_code ec;
  const fs::path parent = fs::path(dest).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) throw Error(parent.string(), "cannot create the folder: " + ec.message());

  Sha256 hash;
  int64_t offset = file_size_or(partial, 0);
  if (info.size >= 0 && offset > info.size) {
    fs::remove(partial, ec);
    offset = 0;
  }
  if (offset > 0) {
    if (log) *log << "  resuming at " << files::format_mib(static_cast<double>(offset)) << "\n";
    hash_prefix(partial, hash);
  }

  if (info.size < 0 || offset < info.size) {
    global_init();
    CurlHandle h;
    Headers headers;
    char error_buffer[CURL_ERROR_SIZE];
    common_options(h.curl, url, options, &headers, error_buffer);
    Sink sink;
    sink.path = partial;
    sink.offset = offset;
    sink.hash = &hash;
    sink.headers = &headers;
    ProgressRelay progress;
    progress.callback = &options.on_progress;
    progress.offset = &sink.offset;
    progress.total = info.size;
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h.curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFODATA, &progress);
    const std::string range = std::to_string(offset) + "-";
    if (offset > 0) curl_easy_setopt(h.curl, CURLOPT_RANGE, range.c_str());
    const CURLcode code = curl_easy_perform(h.curl);
    if (sink.out.is_open()) sink.out.close();
    if (progress.error) std::rethrow_exception(progress.error);
    if (sink.bad_range) {
      throw Error(url, "the server resumed at the wrong offset (" + headers.content_range + ")",
                  "delete " + partial + " and run again");
    }
    if (code == CURLE_OK && !sink.opened) {
      // An empty body: the file is empty (or, resuming, nothing was left to send).
      sink.open();
      sink.out.close();
    }
    if (code != CURLE_OK) throw_curl(h.curl, code, url, error_buffer);
    progress.report(sink.written, sink.offset + sink.written);
    if (progress.error) std::rethrow_exception(progress.error);
    if (sink.restarted && log) *log << "  the server does not resume: downloaded from the start\n";
  } else {
    // The partial file is already complete (an earlier run stopped before the rename).
    hash.reset();
    hash_prefix(partial, hash);
  }

  const int64_t got_size = file_size_or(partial, -1);
  if (info.size >= 0 && got_size != info.size) {
    fs::remove(partial, ec);
    throw Error(url,
                "size mismatch: expected " + std::to_string(info.size) + " bytes, got " +
                    std::to_string(got_size),
                "run again");
  }
  const std::string got = hash.finish_hex();
  if (!info.sha256.empty() && got != info.sha256) {
    fs::remove(partial, ec);
    throw Error(url, "checksum mismatch: expected " + info.sha256 + ", got " + got, "run again");
  }
  fs::rename(partial, dest, ec);
  if (ec) throw Error(dest, "cannot move the downloaded file into place: " + ec.message());
  return DownloadOutcome::kDownloaded;
}

}  // namespace musetalk::net
