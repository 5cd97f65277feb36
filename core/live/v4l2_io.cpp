#include "live/v4l2_io.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace musetalk::live {

int SystemV4l2Io::open(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int SystemV4l2Io::ioctl(int fd, unsigned long request, void* arg) {
  int rc;
  do {
    rc = ::ioctl(fd, request, arg);
  } while (rc < 0 && errno == EINTR);
  return rc < 0 ? -errno : rc;
}

ssize_t SystemV4l2Io::write(int fd, const void* data, size_t bytes) {
  ssize_t n;
  do {
    n = ::write(fd, data, bytes);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

int SystemV4l2Io::close(int fd) {
  // Not retried: Linux frees the descriptor even when close() reports EINTR.
  return ::close(fd) < 0 ? -errno : 0;
}

}  // namespace musetalk::live
