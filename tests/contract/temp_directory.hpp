#pragma once
// A uniquely named directory under the system's temporary directory, removed with everything in
// it when the object goes away; for tests that need real files.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace dchat::store::contract {

class TempDirectory {
 public:
  explicit TempDirectory(const std::string& prefix) {
    // pid + counter + random: unique across parallel ctest processes and within one process.
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
             std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDirectory() {
    std::error_code ignored;  // best effort: a leftover temp directory must not fail a test
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace dchat::store::contract
