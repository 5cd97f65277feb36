#include "local_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "net/sha256.h"

namespace musetalk::test {
namespace {

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

LocalHttpServer::LocalHttpServer(std::chrono::seconds lifetime)
    : deadline_(std::chrono::steady_clock::now() + lifetime) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LocalHttpServer::~LocalHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void LocalHttpServer::add(const std::string& path, const std::string& body, bool lfs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = files_[path];
  e.body = body;
  e.advertised_sha256 = net::sha256_hex(body);
  e.lfs = lfs;
}

void LocalHttpServer::corrupt(const std::string& path, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_.at(path).body = bytes;
}

void LocalHttpServer::drop_next_get_after(const std::string& path, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_.at(path).drop_after = static_cast<long>(bytes);
}

std::vector<LocalHttpServer::Request> LocalHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void LocalHttpServer::serve() {
  while (!stop_ && std::chrono::steady_clock::now() < deadline_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    handle(fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
}

// One request per connection (Connection: close).
void LocalHttpServer::handle(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  Request req;
  {
    const size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const size_t a = line.find(' '), b = line.find(' ', a + 1);
    if (a == std::string::npos || b == std::string::npos) return;
    req.method = line.substr(0, a);
    req.path = line.substr(a + 1, b - a - 1);
    size_t pos = line_end + 2;
    while (pos < head.size()) {
      const size_t end = head.find("\r\n", pos);
      if (end == std::string::npos || end == pos) break;
      const std::string h = head.substr(pos, end - pos);
      const size_t colon = h.find(':');
      if (colon != std::string::npos && lower(h.substr(0, colon)) == "range") {
        req.range = h.substr(colon + 1);
        while (!req.range.empty() && req.range.front() == ' ') req.range.erase(0, 1);
      }
      pos = end + 2;
    }
  }

  std::string body, sha;
  bool found = false, lfs = false, redirect = false;
  long drop_after = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(req);
    std::string key = req.path;
    const bool cdn = key.rfind("/cdn/", 0) == 0;
    if (cdn) key = key.substr(4);
    auto it = files_.find(key);
    if (it != files_.end() && (!cdn || it->second.lfs)) {
      found = true;
      lfs = it->second.lfs;
      redirect = lfs && !cdn;
      body = it->second.body;
      sha = it->second.advertised_sha256;
      if (req.method == "GET" && !redirect && it->second.drop_after >= 0) {
        drop_after = it->second.drop_after;
        it->second.drop_after = -1;
      }
    }
  }

  std::string out;
  if (!found) {
    out = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send_all(fd, out.data(), out.size());
    return;
  }
  if (redirect) {
    out = "HTTP/1.1 302 Found\r\nLocation: /cdn" + req.path + "\r\nX-Linked-Etag: \"" + sha +
          "\"\r\nX-Linked-Size: " + std::to_string(body.size()) +
          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send_all(fd, out.data(), out.size());
    return;
  }
  size_t start = 0;
  bool partial = false;
  if (!ignore_range_ && !req.range.empty() && req.range.rfind("bytes=", 0) == 0) {
    start = std::strtoul(req.range.c_str() + 6, nullptr, 10);
    if (start >= body.size()) {
      out = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" +
            std::to_string(body.size()) + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      send_all(fd, out.data(), out.size());
      return;
    }
    partial = true;
  }
  const std::string part = body.substr(start);
  out = partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
  out += "Content-Length: " + std::to_string(part.size()) + "\r\n";
  if (partial) {
    out += "Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(body.size() - 1) +
           "/" + std::to_string(body.size()) + "\r\n";
  }
  // The CDN's own ETag is not a sha256; a plain (non-LFS) file gets a git-style blob id.
  out +=
      lfs ? "ETag: \"cdn-object-1\"\r\n" : "ETag: \"0123456789abcdef0123456789abcdef01234567\"\r\n";
  out += "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n";
  if (!send_all(fd, out.data(), out.size()) || req.method == "HEAD") return;
  const size_t n =
      drop_after >= 0 ? std::min(part.size(), static_cast<size_t>(drop_after)) : part.size();
  send_all(fd, part.data(), n);
}

int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace musetalk::test
