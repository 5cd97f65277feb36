#pragma once
// torch.save's persistent ids: ('storage', torch.FloatStorage, key, location, numel[, view]).
// One StorageData per key, shared by every tensor that views it.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "files/pickle.h"
#include "files/tensor_data.h"

namespace musetalk::files {

class StorageTable {
 public:
  // Called once per new key to check the storage against the container (size, presence).
  using OnNewStorage = std::function<void(StorageData&)>;
  explicit StorageTable(OnNewStorage on_new) : on_new_(std::move(on_new)) {}

  // The PersistentLoad for load_pickle.
  Value* load(PickleDocument& doc, const Value& pid);
  PersistentLoad loader() {
    return [this](PickleDocument& doc, const Value& pid) { return load(doc, pid); };
  }

  const std::map<std::string, std::shared_ptr<StorageData>>& storages() const { return table_; }
  StorageData* find(const std::string& key);

 private:
  OnNewStorage on_new_;
  std::map<std::string, std::shared_ptr<StorageData>> table_;
};

}  // namespace musetalk::files
