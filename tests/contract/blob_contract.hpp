#pragma once
// The BlobStore contract suite, shared by every implementation.
//
// Each implementation adds one file that instantiates the suite with its factory, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Fs, BlobContractTest,
//                            ::testing::Values(BlobStoreFactory{"Fs", [] { return make_fs_store(); }}),
//                            blob_factory_name);
//
// A factory returns a fresh, empty store for each test, or nullptr when its backend is not
// available here (no database running): those tests are then skipped, not failed.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "blob/blob_store.hpp"

namespace dchat::blob::contract {

struct BlobStoreFactory {
  std::string name;  // becomes part of the test names: BlobContract/BlobContractTest.RoundTrip/Fs
  std::function<std::unique_ptr<BlobStore>()> make;
};

inline void PrintTo(const BlobStoreFactory& f, std::ostream* os) { *os << f.name; }

inline std::string blob_factory_name(const ::testing::TestParamInfo<BlobStoreFactory>& info) {
  return info.param.name;
}

class BlobContractTest : public ::testing::TestWithParam<BlobStoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    if (!store_) GTEST_SKIP() << GetParam().name << " blob store is not available here";
  }
  void TearDown() override { store_.reset(); }

  BlobStore& store() { return *store_; }

  std::unique_ptr<BlobStore> store_;
};

}  // namespace dchat::blob::contract
