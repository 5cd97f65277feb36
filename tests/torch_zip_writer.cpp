#include "torch_zip_writer.h"

#include <zlib.h>

#include <filesystem>

#include "files/atomic_file.h"
#include "files/error.h"

namespace musetalk::test {
namespace {

using files::DType;
using files::TensorData;

const char* storage_class(DType t) {
  switch (t) {
    case DType::Float32:
      return "FloatStorage";
    case DType::Float16:
      return "HalfStorage";
    case DType::BFloat16:
      return "BFloat16Storage";
    case DType::Float64:
      return "DoubleStorage";
    case DType::Int64:
      return "LongStorage";
    case DType::Int32:
      return "IntStorage";
    case DType::Int16:
      return "ShortStorage";
    case DType::Int8:
      return "CharStorage";
    case DType::UInt8:
      return "ByteStorage";
    case DType::Bool:
      return "BoolStorage";
  }
  return "FloatStorage";
}

// Protocol-2 pickle opcodes, written as torch.save's pickler writes them (without memo).
class Pickler {
 public:
  void op(uint8_t c) { out_ += static_cast<char>(c); }
  void global(const std::string& module, const std::string& name) {
    op('c');
    out_ += module + "\n" + name + "\n";
  }
  void text(const std::string& s) {
    op('X');
    uint32_t n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(n >> (8 * i)));
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<uint8_t>(v));
    } else {  // LONG1 with 8 bytes covers every int64
      op(0x8a);
      op(8);
      for (int i = 0; i < 8; ++i) op(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

std::string state_dict_pickle(const std::vector<std::pair<std::string, TensorData>>& tensors) {
  Pickler p;
  p.op(0x80);
  p.op(2);
  p.global("collections", "OrderedDict");
  p.op(')');
  p.op('R');
  p.op('(');
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorData& t = tensors[i].second;
    p.text(tensors[i].first);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');  // persistent id: ('storage', class, key, location, numel)
    p.text("storage");
    p.global("torch", storage_class(t.dtype));
    p.text(std::to_string(i));
    p.text("cpu");
    p.integer(static_cast<int64_t>(t.numel()));
    p.op('t');
    p.op('Q');
    p.integer(0);
    p.int_tuple(t.sizes);
    p.int_tuple(files::contiguous_strides(t.sizes));
    p.op(0x89);  // requires_grad False
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');
    p.op('t');
    p.op('R');
  }
  p.op('u');
  p.op('.');
  return p.bytes();
}

void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

struct Written {
  std::string name;
  uint32_t crc, size, offset;
};

}  // namespace

void write_torch_zip(const std::string& path,
                     const std::vector<std::pair<std::string, TensorData>>& tensors) {
  const std::string root = std::filesystem::path(path).stem().string();
  files::write_file_atomically(path, [&](std::ostream& out) {
    std::vector<Written> written;
    uint64_t offset = 0;
    auto entry = [&](const std::string& name, const std::string& data) {
      if (offset + data.size() + 30 + name.size() > 0xFFFFFFFFu) {
        throw Error(path, "too large for this writer (no zip64)");
      }
      Written w{name,
                static_cast<uint32_t>(
                    crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), data.size())),
                static_cast<uint32_t>(data.size()), static_cast<uint32_t>(offset)};
      std::string h;
      put32(h, 0x04034b50);
      put16(h, 20);    // version needed
      put16(h, 0);     // flags
      put16(h, 0);     // stored
      put16(h, 0);     // time
      put16(h, 0x21);  // date: 1980-01-01
      put32(h, w.crc);
      put32(h, w.size);
      put32(h, w.size);
      put16(h, static_cast<uint32_t>(name.size()));
      put16(h, 0);
      h += name;
      out << h << data;
      offset += h.size() + data.size();
      written.push_back(w);
    };
    entry(root + "/data.pkl", state_dict_pickle(tensors));
    for (size_t i = 0; i < tensors.size(); ++i) {
      std::vector<uint8_t> bytes = tensors[i].second.contiguous_bytes();
      entry(root + "/data/" + std::to_string(i), std::string(bytes.begin(), bytes.end()));
    }
    entry(root + "/version", "3\n");

    std::string dir;
    for (const Written& w : written) {
      put32(dir, 0x02014b50);
      put16(dir, 20);
      put16(dir, 20);
      put16(dir, 0);
      put16(dir, 0);
      put16(dir, 0);
      put16(dir, 0x21);
      put32(dir, w.crc);
      put32(dir, w.size);
      put32(dir, w.size);
      put16(dir, static_cast<uint32_t>(w.name.size()));
      put16(dir, 0);  // extra
      put16(dir, 0);  // comment
      put16(dir, 0);  // disk
      put16(dir, 0);  // internal attributes
      put32(dir, 0);  // external attributes
      put32(dir, w.offset);
      dir += w.name;
    }
    std::string end;
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, static_cast<uint32_t>(written.size()));
    put16(end, static_cast<uint32_t>(written.size()));
    put32(end, static_cast<uint32_t>(dir.size()));
    put32(end, static_cast<uint32_t>(offset));
    put16(end, 0);
    out << dir << end;
  });
}

}  // namespace musetalk::test
