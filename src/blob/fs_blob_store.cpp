#include "blob/fs_blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <system_error>

namespace dchat::blob {

namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  // std::system_error is a std::runtime_error, as the BlobStore contract promises, and formats
  // the message with strerror_r (strerror is not thread-safe).
  throw std::system_error(err, std::generic_category(), "blob store: " + what);
}

// Owns a file descriptor; closes it on every path out, including exceptions.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  // Closes now and reports the error: on some file systems (NFS) close is where a failed
  // write-back shows up.
  int close() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "write " + path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Makes a rename or a new entry in `dir` survive a crash. Some file systems cannot fsync a
// directory (EINVAL); nothing more can be done there, so that is not an error.
void fsync_dir(const std::string& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno(errno, "open directory " + dir);
  if (::fsync(fd.get()) != 0 && errno != EINVAL) throw_errno(errno, "fsync directory " + dir);
}

// A name no other writer uses at the same time: pid (replicas sharing a volume run on other
// hosts too, hence also a random part) plus a per-process counter. O_EXCL catches the rest.
std::string temp_name() {
  static const uint64_t process_random = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  char buf[80];
  std::snprintf(buf, sizeof buf, ".tmp-%ld-%016llx-%llu", static_cast<long>(::getpid()),
                static_cast<unsigned long long>(process_random),
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

}  // namespace

FsBlobStore::FsBlobStore(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) throw std::runtime_error("blob store: the upload directory is empty");
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_, ec))
    throw std::runtime_error("blob store: cannot create directory " + dir_ + (ec ? ": " + ec.message() : ""));
}

std::string FsBlobStore::subdir_of(std::string_view id) const {
  std::string path = dir_;
  if (id.starts_with(kAttachmentBlobPrefix)) {
    path += "/att";
    id.remove_prefix(kAttachmentBlobPrefix.size());
  }
  path += '/';
  path.append(id.substr(0, 2));
  return path;
}

std::string FsBlobStore::path_of(std::string_view id) const {
  std::string path = subdir_of(id);
  path += '/';
  path.append(id.substr(id.starts_with(kAttachmentBlobPrefix) ? kAttachmentBlobPrefix.size() + 2 : 2));
  return path;
}

std::string FsBlobStore::put(std::string_view bytes) { return store_as(content_id(bytes), bytes); }

std::string FsBlobStore::put_attachment(std::string_view bytes) { return store_as(attachment_blob_id(bytes), bytes); }

std::string FsBlobStore::store_as(std::string id, std::string_view bytes) {
  const std::string final_path = path_of(id);

  // Already stored: content addressing means the same name holds the same bytes, and renames
  // make a file under its final name always complete. The size check guards against a file
  // someone truncated by hand.
  struct stat st {};
  if (::stat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == bytes.size())
    return id;

  const std::string subdir = subdir_of(id);
  if (id.starts_with(kAttachmentBlobPrefix)) {
    const std::string parent = dir_ + "/att";
    if (::mkdir(parent.c_str(), 0755) == 0) {
      fsync_dir(dir_);
    } else if (errno != EEXIST) {
      throw_errno(errno, "mkdir " + parent);
    }
  }
  if (::mkdir(subdir.c_str(), 0755) == 0) {
    fsync_dir(subdir.substr(0, subdir.rfind('/')));
  } else if (errno != EEXIST) {
    throw_errno(errno, "mkdir " + subdir);
  }

  std::string temp_path;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 8 && raw_fd < 0; ++attempt) {
    temp_path = subdir + '/' + temp_name();
    raw_fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw_fd < 0 && errno != EEXIST) throw_errno(errno, "create " + temp_path);
  }
  if (raw_fd < 0) throw_errno(EEXIST, "create a temporary file in " + subdir);

  UniqueFd fd(raw_fd);
  try {
    write_all(fd.get(), bytes, temp_path);
    // The data must be on disk before the rename publishes it, or a crash could leave a
    // complete-looking name with missing content.
    if (::fsync(fd.get()) != 0) throw_errno(errno, "fsync " + temp_path);
    if (fd.close() != 0) throw_errno(errno, "close " + temp_path);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) throw_errno(errno, "rename to " + final_path);
  } catch (...) {
    ::unlink(temp_path.c_str());
    throw;
  }
  fsync_dir(subdir);
  return id;
}

std::optional<std::string> FsBlobStore::get(const std::string& id) {
  // Validate first: a malformed id ("../x", "") never reaches the file system.
  if (!is_any_blob_id(id)) return std::nullopt;
  const std::string path = path_of(id);
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    // ELOOP: a symlink under a blob's name is not something put() made; do not follow it.
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::nullopt;
    throw_errno(errno, "open " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "stat " + path);
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + 4096);  // the file grew? read to the real end
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "read " + path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

bool FsBlobStore::remove(const std::string& id) {
  if (!is_any_blob_id(id)) return false;
  const std::string path = path_of(id);
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno(errno, "unlink " + path);
}

}  // namespace dchat::blob
