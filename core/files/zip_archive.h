#pragma once
// The central directory of a zip archive (with zip64), enough to read torch.save files: their
// entries are stored uncompressed.

#include <cstdint>
#include <string>
#include <vector>

#include "files/file_source.h"

namespace musetalk::files {

struct ZipEntry {
  std::string name;
  uint64_t header_offset = 0;  // local file header
  uint64_t size = 0;           // uncompressed = stored size
  uint32_t crc = 0;
  uint16_t method = 0;  // 0 = stored
};

class ZipArchive {
 public:
  // Reads the central directory. Throws FormatError when it is missing or inconsistent.
  explicit ZipArchive(FileSource& file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // Where the entry's bytes start (after its local header); checks they lie in the file.
  uint64_t data_offset(const ZipEntry& e);
  // The entry's bytes, checked against its CRC-32.
  std::shared_ptr<const std::vector<uint8_t>> read(const ZipEntry& e);

 private:
  FileSource& file_;
  std::vector<ZipEntry> entries_;
};

}  // namespace musetalk::files
