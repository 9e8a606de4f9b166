// The BlobStore contract: what every implementation (directory, database) must do. The suite is
// instantiated per implementation in blob_factories_*.cpp.
#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <exception>
#include <latch>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "blob_contract.hpp"

namespace dchat::blob::contract {
namespace {

// SHA-256 computed here independently of the store, with OpenSSL.
std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

std::string AllByteValues() {
  std::string s;
  for (int round = 0; round < 3; ++round)
    for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>(b));
  s.append(std::string(16, '\0'));  // trailing NULs must survive too
  return s;
}

TEST_P(BlobContractTest, PutGetRoundTripBinary) {
  const std::string bytes = AllByteValues();
  const std::string id = store().put(bytes);
  EXPECT_TRUE(is_blob_id(id)) << id;
  const std::optional<std::string> got = store().get(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, bytes);
}

TEST_P(BlobContractTest, EmptyBlob) {
  const std::string id = store().put("");
  EXPECT_EQ(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::optional<std::string> got = store().get(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "");
}

TEST_P(BlobContractTest, IdIsLowerCaseHexSha256) {
  EXPECT_EQ(store().put("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string bytes = RandomBytes(10000, 7);
  EXPECT_EQ(store().put(bytes), Sha256Hex(bytes));
}

TEST_P(BlobContractTest, SameBytesSameIdStoredOnce) {
  const std::string bytes = "the same avatar, uploaded twice";
  const std::string a = store().put(bytes);
  const std::string b = store().put(bytes);
  EXPECT_EQ(a, b);
  // One record: a single remove makes it disappear.
  EXPECT_TRUE(store().remove(a));
  EXPECT_FALSE(store().get(a).has_value());
  EXPECT_FALSE(store().remove(a));
}

TEST_P(BlobContractTest, DifferentBytesDifferentIds) {
  const std::string a = store().put("avatar one");
  const std::string b = store().put("avatar two");
  const std::string c = store().put(std::string("avatar one\0", 11));
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(store().get(a), "avatar one");
  EXPECT_EQ(store().get(b), "avatar two");
  EXPECT_EQ(store().get(c), std::string("avatar one\0", 11));
}

TEST_P(BlobContractTest, GetUnknownIsNullopt) {
  EXPECT_FALSE(store().get(Sha256Hex("never stored")).has_value());
  EXPECT_FALSE(store().get(std::string(64, '0')).has_value());
}

TEST_P(BlobContractTest, MalformedIdsAreRefused) {
  const std::string id = store().put("keep me");
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::string> bad = {
      "",
      upper,
      "../..",
      "../x",
      "/etc/passwd",
      "../" + id.substr(3),                 // 64 characters, but a path
      id.substr(0, 2) + "/" + id.substr(3),  // 64 characters with a separator
      id.substr(0, 63),
      id + "0",
      id.substr(0, 63) + "g",
      id.substr(0, 63) + ".",
      id.substr(0, 32) + std::string(1, '\0') + id.substr(33),
      " " + id.substr(1),
      id.substr(0, 63) + "\n",
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(is_blob_id(b)) << testing::PrintToString(b);
    EXPECT_FALSE(store().get(b).has_value()) << testing::PrintToString(b);
    EXPECT_FALSE(store().remove(b)) << testing::PrintToString(b);
  }
  // Nothing above touched the real blob.
  EXPECT_EQ(store().get(id), "keep me");
}

// Attachment blobs have their own ids ("att-" + the hash), which the public avatar route (it
// serves is_blob_id names only) never takes, and live apart from avatars of the same bytes.
TEST_P(BlobContractTest, AttachmentBlobsHaveTheirOwnIds) {
  auto store = GetParam().make();
  const std::string id = store->put_attachment("image bytes");
  EXPECT_EQ(id, "att-" + content_id("image bytes"));
  EXPECT_TRUE(is_attachment_blob_id(id));
  EXPECT_FALSE(is_blob_id(id));
  EXPECT_EQ(store->put_attachment("image bytes"), id);
  EXPECT_EQ(store->get(id), "image bytes");
  EXPECT_EQ(store->get(content_id("image bytes")), std::nullopt);
  const std::string avatar = store->put("image bytes");
  EXPECT_TRUE(store->remove(id));
  EXPECT_EQ(store->get(id), std::nullopt);
  EXPECT_EQ(store->get(avatar), "image bytes");
  EXPECT_FALSE(store->remove(id));
  EXPECT_FALSE(is_attachment_blob_id("att-" + std::string(63, 'a')));
  EXPECT_FALSE(is_attachment_blob_id("att-../" + std::string(61, 'a')));
  EXPECT_EQ(store->get("att-"), std::nullopt);
}

TEST_P(BlobContractTest, RemoveThenGet) {
  const std::string id = store().put("short-lived");
  EXPECT_TRUE(store().get(id).has_value());
  EXPECT_TRUE(store().remove(id));
  EXPECT_FALSE(store().get(id).has_value());
  // And it can be stored again.
  EXPECT_EQ(store().put("short-lived"), id);
  EXPECT_EQ(store().get(id), "short-lived");
}

TEST_P(BlobContractTest, RemoveUnknownIsFalse) {
  EXPECT_FALSE(store().remove(Sha256Hex("never stored")));
}

TEST_P(BlobContractTest, OneMebibyteBlob) {
  const std::string bytes = RandomBytes(1024 * 1024, 42);
  const std::string id = store().put(bytes);
  EXPECT_EQ(id, Sha256Hex(bytes));
  const std::optional<std::string> got = store().get(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), bytes.size());
  EXPECT_TRUE(*got == bytes);  // not EXPECT_EQ: a mismatch would print a megabyte
}

TEST_P(BlobContractTest, ConcurrentPutsOfTheSameBytesBothSucceed) {
  // Two users uploading the same picture at once (or two replicas): both must get the id and
  // the blob must be intact. Several rounds, each released at the same instant, to hit the race.
  for (uint32_t round = 0; round < 20; ++round) {
    const std::string bytes = RandomBytes(64 * 1024 + round, round);
    std::string ids[2];
    std::string errors[2];
    std::latch start(2);
    auto worker = [&](int i) {
      start.arrive_and_wait();
      try {
        ids[i] = store().put(bytes);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    };
    std::thread t0(worker, 0), t1(worker, 1);
    t0.join();
    t1.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    EXPECT_EQ(ids[0], Sha256Hex(bytes));
    EXPECT_EQ(ids[1], ids[0]);
    const std::optional<std::string> got = store().get(ids[0]);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(*got == bytes) << "round " << round;
  }
}

TEST_P(BlobContractTest, ConcurrentPutsOfDifferentBytes) {
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        for (int i = 0; i < kEach; ++i) ids[t].push_back(store().put(RandomBytes(1000, 1000 * t + i)));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "put threw: " << e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(ids[t].size(), static_cast<size_t>(kEach));
    for (int i = 0; i < kEach; ++i) EXPECT_EQ(store().get(ids[t][i]), RandomBytes(1000, 1000 * t + i));
  }
}

}  // namespace
}  // namespace dchat::blob::contract
