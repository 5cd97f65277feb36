#include "files/zip_archive.h"

#include <zlib.h>

#include <algorithm>

#include "files/byte_reader.h"
#include "files/error.h"

namespace musetalk::files {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint64_t kMaxEntries = 1u << 20;

struct Directory {
  uint64_t offset = 0, size = 0, count = 0;
};

// Finds the end-of-central-directory record in the file's last 64 KiB (+ its 22 bytes).
Directory find_directory(FileSource& file) {
  const uint64_t tail = std::min<uint64_t>(file.size(), 65535 + 22);
  if (tail < 22) throw FormatError("too short for a zip archive");
  std::vector<uint8_t> buf = file.read(file.size() - tail, tail);
  size_t at = std::string::npos;
  for (size_t i = buf.size() - 22 + 1; i-- > 0;) {
    if (load_u32(buf.data() + i) == kEndOfDirectory) {
      at = i;
      break;
    }
  }
  if (at == std::string::npos) throw FormatError("no zip end-of-directory record (truncated?)");
  ByteReader r(buf.data() + at, buf.size() - at);
  r.skip(4 + 2 + 2 + 2);
  Directory d;
  d.count = r.u16();
  d.size = r.u32();
  d.offset = r.u32();
  const uint64_t eocd_pos = file.size() - tail + at;
  if (d.count == 0xFFFF || d.size == 0xFFFFFFFF || d.offset == 0xFFFFFFFF) {
    if (eocd_pos < 20) throw FormatError("zip64 locator missing");
    std::vector<uint8_t> loc = file.read(eocd_pos - 20, 20);
    ByteReader lr(loc.data(), loc.size());
    if (lr.u32() != kZip64Locator) throw FormatError("zip64 locator missing");
    lr.u32();
    uint64_t end64 = lr.u64();
    std::vector<uint8_t> rec = file.read(end64, 56);
    ByteReader er(rec.data(), rec.size());
    if (er.u32() != kZip64End) throw FormatError("zip64 end-of-directory record missing");
    er.skip(8 + 2 + 2 + 4 + 4 + 8);
    d.count = er.u64();
    d.size = er.u64();
    d.offset = er.u64();
  }
  if (d.count > kMaxEntries) throw FormatError("zip directory claims too many entries");
  return d;
}

// Zip64 extended information: the fields whose 32-bit value was 0xFFFFFFFF, in this order.
void apply_zip64_extra(ByteReader extra, ZipEntry& e, bool size32_full, bool comp32_full,
                       bool offset32_full) {
  while (extra.remaining() >= 4) {
    uint16_t id = extra.u16();
    uint16_t len = extra.u16();
    if (len > extra.remaining()) throw FormatError("zip extra field runs past its record");
    if (id != 0x0001) {
      extra.skip(len);
      continue;
    }
    ByteReader z(extra.take(len), len);
    if (size32_full) e.size = z.u64();
    if (comp32_full) z.u64();
    if (offset32_full) e.header_offset = z.u64();
    return;
  }
}

}  // namespace

ZipArchive::ZipArchive(FileSource& file) : file_(file) {
  Directory d = find_directory(file);
  std::vector<uint8_t> dir = file.read(d.offset, d.size);
  ByteReader r(dir.data(), dir.size());
  for (uint64_t i = 0; i < d.count; ++i) {
    if (r.u32() != kCentralHeader) throw FormatError("damaged zip central directory");
    r.skip(2 + 2 + 2);
    ZipEntry e;
    e.method = r.u16();
    r.skip(2 + 2);
    e.crc = r.u32();
    uint32_t comp = r.u32();
    uint32_t size = r.u32();
    uint16_t name_len = r.u16();
    uint16_t extra_len = r.u16();
    uint16_t comment_len = r.u16();
    r.skip(2 + 2 + 4);
    uint32_t offset = r.u32();
    e.name = r.string(name_len);
    e.size = size;
    e.header_offset = offset;
    apply_zip64_extra(ByteReader(r.take(extra_len), extra_len), e, size == 0xFFFFFFFF,
                      comp == 0xFFFFFFFF, offset == 0xFFFFFFFF);
    r.skip(comment_len);
    if (e.method == 0 && comp != 0xFFFFFFFF && comp != size) {
      throw FormatError("zip entry " + e.name + " has different stored and real sizes");
    }
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  for (const ZipEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

uint64_t ZipArchive::data_offset(const ZipEntry& e) {
  if (e.method != 0) {
    throw FormatError("zip entry " + e.name + " is compressed; torch.save stores entries as is");
  }
  std::vector<uint8_t> h = file_.read(e.header_offset, 30);
  if (load_u32(h.data()) != kLocalHeader) throw FormatError("damaged zip entry " + e.name);
  uint64_t start = e.header_offset + 30 + load_u16(h.data() + 26) + load_u16(h.data() + 28);
  if (start > file_.size() || e.size > file_.size() - start) {
    throw FormatError("zip entry " + e.name + " runs past the end of the file (truncated?)");
  }
  return start;
}

std::shared_ptr<const std::vector<uint8_t>> ZipArchive::read(const ZipEntry& e) {
  auto bytes = file_.read_shared(data_offset(e), e.size);
  // zlib's crc32_z: the zip CRC-32 (IEEE 802.3), any length (entries can exceed 4 GiB).
  if (crc32_z(0, bytes->data(), bytes->size()) != e.crc) {
    throw FormatError("zip entry " + e.name + " fails its CRC check (damaged download?)");
  }
  return bytes;
}

}  // namespace musetalk::files
