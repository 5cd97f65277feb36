#pragma once
// A tiny HTTP/1.1 server for the download tests: one thread on 127.0.0.1 with an ephemeral
// port, serving an in-memory map path -> bytes. HEAD, GET and `Range: bytes=N-` (206 with
// Content-Range); X-Linked-Etag (quoted sha256) and X-Linked-Size like Hugging Face's LFS files.
// Faults on demand: a wrong advertised checksum, a connection dropped half-way through a body.
// The thread stops with the object, or by itself after `lifetime` whichever comes first.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace musetalk::test {

class LocalHttpServer {
 public:
  struct Request {
    std::string method;
    std::string path;
    std::string range;  // the Range header, "" when absent
  };

  explicit LocalHttpServer(std::chrono::seconds lifetime = std::chrono::seconds(60));
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // lfs: advertise X-Linked-Etag (sha256) and X-Linked-Size, and answer through a 302 redirect
  // to /cdn<path> as the hub does; otherwise a plain 200 with a git-style (non-sha256) ETag.
  void add(const std::string& path, const std::string& body, bool lfs = true);
  // Serve `bytes` for `path` while still advertising the sha256 of what add() was given.
  void corrupt(const std::string& path, const std::string& bytes);
  // The next GET of `path` sends the full headers, then `bytes` of the body, then closes.
  void drop_next_get_after(const std::string& path, size_t bytes);

  // Answer every GET with 200 and the whole body, ignoring Range (servers that cannot resume).
  void set_ignore_range(bool ignore) { ignore_range_ = ignore; }

  std::vector<Request> requests() const;

 private:
  struct Entry {
    std::string body;
    std::string advertised_sha256;
    bool lfs = true;
    long drop_after = -1;
  };
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ignore_range_{false};
  mutable std::mutex mutex_;
  std::map<std::string, Entry> files_;
  std::vector<Request> requests_;
  std::thread thread_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed): an unreachable endpoint.
int closed_loopback_port();

}  // namespace musetalk::test
