// torch.save's zip container (PyTorch >= 1.6): <root>/data.pkl holds the object; each storage
// is the stored entry <root>/data/<key>.
#include "files/byte_reader.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/pickle.h"
#include "files/torch_storages.h"
#include "files/zip_archive.h"

namespace musetalk::files {
namespace {

const ZipEntry& find_pickle(const ZipArchive& zip) {
  const ZipEntry* found = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    const std::string suffix = "data.pkl";
    if (e.name.size() >= suffix.size() &&
        e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        e.name.find('/') == e.name.size() - suffix.size() - 1) {
      if (found) throw FormatError("zip archive holds two data.pkl entries");
      found = &e;
    }
  }
  if (!found) throw FormatError("zip archive without <name>/data.pkl: not a torch.save file");
  return *found;
}

}  // namespace

void read_torch_zip(const std::string& path, const ReadOptions& options, Checkpoint& out) {
  FileSource file(path);
  ZipArchive zip(file);
  const ZipEntry& pickle_entry = find_pickle(zip);
  const std::string root = pickle_entry.name.substr(0, pickle_entry.name.size() - 8);

  if (const ZipEntry* order = zip.find(root + "byteorder")) {
    auto bytes = zip.read(*order);
    if (std::string(bytes->begin(), bytes->end()) != "little") {
      throw FormatError("big-endian checkpoints are not supported");
    }
  }

  StorageTable storages([&](StorageData& s) {
    const ZipEntry* e = zip.find(root + "data/" + s.key);
    if (!e) throw FormatError("storage " + s.key + " has no data entry");
    if (s.numel > e->size / element_size(s.dtype) || s.nbytes() != e->size) {
      throw FormatError("storage " + s.key + " holds " + std::to_string(e->size) +
                        " bytes, its tensors need " + std::to_string(s.numel) + " x " +
                        std::to_string(element_size(s.dtype)));
    }
    s.file_offset = zip.data_offset(*e);
  });

  auto pickle_bytes = zip.read(pickle_entry);
  ByteReader in(pickle_bytes->data(), pickle_bytes->size());
  load_pickle(in, out.document, storages.loader());

  if (options.load_data) {
    for (const auto& [key, storage] : storages.storages()) {
      storage->buffer = zip.read(*zip.find(root + "data/" + key));
    }
  }
  out.tensors = flatten_tensors(out.document.root());
}

}  // namespace musetalk::files
