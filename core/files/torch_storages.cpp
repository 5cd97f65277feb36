#include "files/torch_storages.h"

#include "files/error.h"
#include "files/python_objects.h"

namespace musetalk::files {

StorageData* StorageTable::find(const std::string& key) {
  auto it = table_.find(key);
  return it == table_.end() ? nullptr : it->second.get();
}

Value* StorageTable::load(PickleDocument& doc, const Value& pid) {
  const auto& f = pid.items;
  if (pid.kind != ValueKind::Tuple || f.size() < 5 || f[0]->kind != ValueKind::String ||
      f[0]->text != "storage") {
    throw FormatError("persistent id is not a torch storage reference");
  }
  auto dtype = torch_storage_dtype(*f[1]);
  if (!dtype) throw FormatError("unknown storage type " + f[1]->describe());
  if (f[2]->kind != ValueKind::String || f[3]->kind != ValueKind::String ||
      f[4]->kind != ValueKind::Int || f[4]->integer < 0) {
    throw FormatError("malformed storage reference");
  }
  const std::string& key = f[2]->text;
  std::shared_ptr<StorageData>& slot = table_[key];
  if (!slot) {
    slot = std::make_shared<StorageData>();
    slot->dtype = *dtype;
    slot->key = key;
    slot->location = f[3]->text;
    slot->numel = static_cast<uint64_t>(f[4]->integer);
    on_new_(*slot);
  } else if (slot->dtype != *dtype || slot->numel != static_cast<uint64_t>(f[4]->integer)) {
    throw FormatError("storage " + key + " is referenced with two different types or sizes");
  }

  // The Storage value is a view: the whole storage, or (legacy format) a slice of it given by
  // view metadata (view_key, offset, size).
  Value* v = doc.make(ValueKind::Storage);
  v->tensor.storage = slot;
  v->tensor.dtype = slot->dtype;
  v->tensor.sizes = {static_cast<int64_t>(slot->numel)};
  v->tensor.strides = {1};
  if (f.size() > 5 && f[5]->kind == ValueKind::Tuple) {
    const auto& view = f[5]->items;
    if (view.size() != 3 || view[1]->kind != ValueKind::Int || view[2]->kind != ValueKind::Int ||
        view[1]->integer < 0 || view[2]->integer < 0) {
      throw FormatError("malformed storage view of " + key);
    }
    v->tensor.storage_offset = static_cast<uint64_t>(view[1]->integer);
    v->tensor.sizes = {view[2]->integer};
    v->tensor.check_bounds();
  }
  return v;
}

}  // namespace musetalk::files
