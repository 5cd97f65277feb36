#pragma once
// The system calls the V4L2 virtual camera makes (open, ioctl, write, close), behind an interface
// so that tests can stand in for a v4l2loopback device (kernel docs: Documentation/userspace-api/
// media/v4l/func-open.rst, func-ioctl.rst, func-write.rst). Torch-free.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace musetalk::live {

// Every call returns what the system call returns on success and -errno on failure (never -1 with
// errno set), so a result can be carried across threads without errno.
class V4l2Io {
 public:
  virtual ~V4l2Io() = default;
  // flags: open(2) flags, e.g. O_RDWR. Returns a file descriptor >= 0.
  virtual int open(const std::string& path, int flags) = 0;
  // request: a VIDIOC_* code; arg: the structure that request reads and fills. Returns >= 0.
  virtual int ioctl(int fd, unsigned long request, void* arg) = 0;
  // Returns the bytes taken, which a video output takes one whole frame per call.
  virtual ssize_t write(int fd, const void* data, size_t bytes) = 0;
  virtual int close(int fd) = 0;
};

// The real calls. ioctl and write are retried on EINTR.
class SystemV4l2Io : public V4l2Io {
 public:
  int open(const std::string& path, int flags) override;
  int ioctl(int fd, unsigned long request, void* arg) override;
  ssize_t write(int fd, const void* data, size_t bytes) override;
  int close(int fd) override;
};

}  // namespace musetalk::live
