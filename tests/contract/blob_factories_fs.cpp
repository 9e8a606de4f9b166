// The BlobStore contract run against FsBlobStore (each test on a fresh temporary directory), plus
// what only the directory store promises: the on-disk layout, atomic writes, and that malformed
// ids never reach outside the directory.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "blob/fs_blob_store.hpp"
#include "blob_contract.hpp"

namespace dchat::blob::contract {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "chat-blob-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The store plus the temporary directory it lives in, so the factory's product cleans up after
// itself. The store's directory is a subdirectory that does not exist yet: the constructor must
// create it.
class TempFsBlobStore : public BlobStore {
 public:
  TempFsBlobStore() : store_((temp_.path() / "uploads").string()) {}
  std::string put(std::string_view bytes) override { return store_.put(bytes); }
  std::string put_attachment(std::string_view bytes) override { return store_.put_attachment(bytes); }
  std::optional<std::string> get(const std::string& id) override { return store_.get(id); }
  bool remove(const std::string& id) override { return store_.remove(id); }

 private:
  TempDir temp_;
  FsBlobStore store_;
};

INSTANTIATE_TEST_SUITE_P(Fs, BlobContractTest,
                         ::testing::Values(BlobStoreFactory{"Fs", [] { return std::make_unique<TempFsBlobStore>(); }}),
                         blob_factory_name);

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory()) files.push_back(e.path());
  return files;
}

TEST(FsBlobStore, CreatesMissingDirectories) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "b" / "c";
  FsBlobStore store(dir.string());
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(store.get(store.put("x")), "x");
  // An existing directory is fine too, and keeps its blobs.
  FsBlobStore again(dir.string() + "/");
  EXPECT_EQ(again.get(content_id("x")), "x");
}

TEST(FsBlobStore, ConstructorThrowsWhenTheDirectoryCannotBeMade) {
  TempDir tmp;
  WriteFile(tmp.path() / "file", "not a directory");
  EXPECT_THROW(FsBlobStore((tmp.path() / "file" / "sub").string()), std::runtime_error);
  EXPECT_THROW(FsBlobStore((tmp.path() / "file").string()), std::runtime_error);
  EXPECT_THROW(FsBlobStore(""), std::runtime_error);
}

TEST(FsBlobStore, TwoLevelFanOutLayout) {
  TempDir tmp;
  FsBlobStore store(tmp.path().string());
  const std::string id = store.put("layout");
  const fs::path expected = tmp.path() / id.substr(0, 2) / id.substr(2);
  EXPECT_EQ(fs::path(store.path_of(id)), expected);
  ASSERT_TRUE(fs::is_regular_file(expected));
  EXPECT_EQ(ReadFile(expected), "layout");
  // Stored once, and no temporary file left behind.
  store.put("layout");
  EXPECT_EQ(FilesUnder(tmp.path()), std::vector<fs::path>{expected});
}

TEST(FsBlobStore, NoTemporaryFilesAfterManyPuts) {
  TempDir tmp;
  FsBlobStore store(tmp.path().string());
  for (int i = 0; i < 50; ++i) store.put("blob " + std::to_string(i));
  const std::vector<fs::path> files = FilesUnder(tmp.path());
  EXPECT_EQ(files.size(), 50u);
  for (const fs::path& f : files) EXPECT_TRUE(is_blob_id(f.parent_path().filename().string() + f.filename().string())) << f;
}

TEST(FsBlobStore, MalformedIdsNeverReachOutsideTheDirectory) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "store";
  FsBlobStore store(dir.string());
  // Targets a path traversal would reach.
  WriteFile(tmp.path() / "secret", "secret");
  fs::create_directories(dir / "..x");
  WriteFile(dir / "..x" / "y", "also secret");
  for (const std::string& bad : {std::string("../secret"), std::string("..x/y"), (tmp.path() / "secret").string(),
                                 std::string("../") + std::string(61, 'a')}) {
    EXPECT_FALSE(store.get(bad).has_value()) << bad;
    EXPECT_FALSE(store.remove(bad)) << bad;
  }
  EXPECT_EQ(ReadFile(tmp.path() / "secret"), "secret");
  EXPECT_EQ(ReadFile(dir / "..x" / "y"), "also secret");
}

TEST(FsBlobStore, SymlinkUnderABlobNameIsNotFollowed) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "store";
  FsBlobStore store(dir.string());
  WriteFile(tmp.path() / "secret", "secret");
  const std::string id = content_id("whatever");
  fs::create_directories(dir / id.substr(0, 2));
  fs::create_symlink(tmp.path() / "secret", store.path_of(id));
  EXPECT_FALSE(store.get(id).has_value());
}

TEST(FsBlobStore, TruncatedFileIsRewritten) {
  TempDir tmp;
  FsBlobStore store(tmp.path().string());
  const std::string id = store.put("complete content");
  WriteFile(store.path_of(id), "compl");  // damaged by hand
  EXPECT_EQ(store.put("complete content"), id);
  EXPECT_EQ(store.get(id), "complete content");
}

TEST(FsBlobStore, StorageFailureThrowsRuntimeError) {
  TempDir tmp;
  FsBlobStore store(tmp.path().string());
  // The fan-out directory's name taken by a file: put cannot create the blob there.
  const std::string id = content_id("cannot store");
  WriteFile(tmp.path() / id.substr(0, 2), "in the way");
  EXPECT_THROW(store.put("cannot store"), std::runtime_error);
  EXPECT_FALSE(store.get(id).has_value());
}

TEST(FsBlobStore, VisibleToAnotherInstanceOnTheSameDirectory) {
  // Replicas share UPLOAD_DIR: what one wrote, another reads and can remove.
  TempDir tmp;
  FsBlobStore a(tmp.path().string()), b(tmp.path().string());
  const std::string id = a.put("shared");
  EXPECT_EQ(b.get(id), "shared");
  EXPECT_TRUE(b.remove(id));
  EXPECT_FALSE(a.get(id).has_value());
}

TEST(BlobId, Shape) {
  EXPECT_TRUE(is_blob_id(std::string(64, 'a')));
  EXPECT_TRUE(is_blob_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_blob_id("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_blob_id(std::string(63, 'a')));
  EXPECT_FALSE(is_blob_id(std::string(65, 'a')));
  EXPECT_FALSE(is_blob_id(""));
  EXPECT_FALSE(is_blob_id(std::string(63, 'a') + "g"));
  EXPECT_FALSE(is_blob_id(std::string(63, 'a') + "/"));
  EXPECT_EQ(content_id("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace dchat::blob::contract
