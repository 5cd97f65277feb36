// torch.save's legacy container (before PyTorch 1.6): five pickles (magic number, protocol
// version, system info, the object, the storage keys), then each storage in key order as an
// int64 element count followed by its raw bytes.
#include <cstring>

#include "files/byte_reader.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/pickle.h"
#include "files/torch_storages.h"

namespace musetalk::files {
namespace {

constexpr int64_t kProtocolVersion = 1001;

void expect_magic(const Value& v) {
  static const char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  if (v.kind != ValueKind::BigInt || v.text != std::string(kMagic, 10)) {
    throw FormatError("bad magic number: not a legacy torch.save file");
  }
}

}  // namespace

void read_torch_legacy(const std::string& path, const ReadOptions&, Checkpoint& out) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(read_whole_file(path));
  ByteReader in(bytes->data(), bytes->size());

  PickleDocument header;
  expect_magic(*load_pickle(in, header));
  const Value* protocol = load_pickle(in, header);
  if (protocol->kind != ValueKind::Int || protocol->integer != kProtocolVersion) {
    throw FormatError("unsupported legacy protocol version");
  }
  const Value* sys_info = load_pickle(in, header);
  if (const Value* little = sys_info->get("little_endian")) {
    if (little->kind == ValueKind::Bool && !little->boolean) {
      throw FormatError("big-endian checkpoints are not supported");
    }
  }

  StorageTable storages([](StorageData&) {});
  load_pickle(in, out.document, storages.loader());

  const Value* keys = load_pickle(in, header);
  if (keys->kind != ValueKind::List) throw FormatError("storage key list is " + keys->describe());
  for (const Value* key : keys->items) {
    if (key->kind != ValueKind::String) throw FormatError("storage key is " + key->describe());
    StorageData* s = storages.find(key->text);
    if (!s) throw FormatError("storage " + key->text + " is not used by the object");
    uint64_t numel = in.u64();
    if (numel != s->numel) {
      throw FormatError("storage " + key->text + " has " + std::to_string(numel) +
                        " elements, its reference says " + std::to_string(s->numel));
    }
    if (numel > in.remaining() / element_size(s->dtype)) {
      throw FormatError("storage " + key->text + " runs past the end of the file (truncated?)");
    }
    s->file_offset = in.position();
    s->buffer = bytes;
    s->buffer_offset = in.position();
    in.skip(s->nbytes());
  }
  for (const auto& [key, s] : storages.storages()) {
    if (!s->loaded()) throw FormatError("storage " + key + " is missing from the file");
  }
  out.tensors = flatten_tensors(out.document.root());
}

}  // namespace musetalk::files
