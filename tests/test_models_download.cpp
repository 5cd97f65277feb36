// SHA-256 against the FIPS 180-4 vectors, and the downloader against a local HTTP server:
// redirects with X-Linked-Etag, resume with Range, checksum mismatch, unreachable endpoint, skip.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "files/error.h"
#include "local_http_server.h"
#include "net/downloader.h"
#include "net/sha256.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
  return s;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(net::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(net::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(net::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  net::Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk);
  EXPECT_EQ(h.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingInOddPiecesEqualsOneShot) {
  const std::string data = pattern(10000, 3);
  net::Sha256 h;
  for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 2 % 97 + 1)
    h.update(data.data() + pos, std::min(step, data.size() - pos));
  EXPECT_EQ(h.finish_hex(), net::sha256_hex(data));
}

TEST(Sha256, FinishAndResetStartOver) {
  net::Sha256 h;
  h.update("abc");
  EXPECT_EQ(h.finish_hex(), net::sha256_hex("abc"));
  EXPECT_EQ(h.finish_hex(), net::sha256_hex("")) << "finish() leaves a fresh hasher";
  h.update("leftover");
  h.reset();
  h.update("abc");
  EXPECT_EQ(h.finish_hex(), net::sha256_hex("abc"));
  net::Sha256 moved = std::move(h);
  moved.update("abc");
  EXPECT_EQ(moved.finish_hex(), net::sha256_hex("abc"));
}

TEST(Sha256, FileKnownAnswerAndMissingFile) {
  test::TempDir tmp;
  const std::string path = tmp.file("abc.txt");
  { std::ofstream(path, std::ios::binary) << "abc"; }
  EXPECT_EQ(net::sha256_file_hex(path),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string big = tmp.file("big.bin");
  { std::ofstream(big, std::ios::binary) << std::string(3 << 20, 'a'); }  // spans buffer refills
  EXPECT_EQ(net::sha256_file_hex(big), net::sha256_hex(std::string(3 << 20, 'a')));
  const std::string missing = tmp.file("missing.bin");
  try {
    net::sha256_file_hex(missing);
    FAIL() << "a missing file should be an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), missing);
  }
}

TEST(Downloader, EndpointAndUrl) {
  EXPECT_EQ(net::resolve_url("http://h:1/", "a/b", "x/y.bin"),
            "http://h:1/a/b/resolve/main/x/y.bin");
}

TEST(Downloader, HeadReadsLinkedEtagThroughTheRedirect) {
  test::LocalHttpServer server;
  const std::string body = pattern(5000, 1);
  server.add("/r/resolve/main/w.bin", body, true);
  server.add("/r/resolve/main/c.json", "{}", false);
  net::DownloadOptions opt;
  net::RemoteInfo lfs = net::fetch_remote_info(server.url() + "/r/resolve/main/w.bin", opt);
  EXPECT_EQ(lfs.sha256, net::sha256_hex(body));
  EXPECT_EQ(lfs.size, 5000);
  net::RemoteInfo plain = net::fetch_remote_info(server.url() + "/r/resolve/main/c.json", opt);
  EXPECT_EQ(plain.sha256, "") << "a git blob id is not a sha256";
  EXPECT_EQ(plain.size, 2);
}

TEST(Downloader, DownloadsVerifiesAndSkipsWhenPresent) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  const std::string body = pattern(300000, 2);
  server.add("/r/resolve/main/w.bin", body);
  const std::string url = server.url() + "/r/resolve/main/w.bin";
  const fs::path dest = tmp.path() / "sub" / "w.bin";
  net::DownloadOptions opt;
  EXPECT_EQ(net::download_file(url, dest.string(), opt), net::DownloadOutcome::kDownloaded);
  EXPECT_EQ(read_all(dest), body);
  EXPECT_FALSE(fs::exists(dest.string() + ".incomplete"));
  const size_t before = server.requests().size();
  EXPECT_EQ(net::download_file(url, dest.string(), opt), net::DownloadOutcome::kSkipped);
  for (size_t i = before; i < server.requests().size(); ++i)
    EXPECT_EQ(server.requests()[i].method, "HEAD") << "a present file is not fetched again";
}

TEST(Downloader, InterruptedDownloadResumesWithRange) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  const std::string body = pattern(200000, 4);
  server.add("/r/resolve/main/w.bin", body);
  server.drop_next_get_after("/r/resolve/main/w.bin", 70000);
  const std::string url = server.url() + "/r/resolve/main/w.bin";
  const fs::path dest = tmp.path() / "w.bin";
  net::DownloadOptions opt;
  try {
    net::download_file(url, dest.string(), opt);
    FAIL() << "the dropped connection should be an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), url);
    EXPECT_NE(e.fix().find("HF_ENDPOINT"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest));
  ASSERT_EQ(fs::file_size(dest.string() + ".incomplete"), 70000u);

  EXPECT_EQ(net::download_file(url, dest.string(), opt), net::DownloadOutcome::kDownloaded);
  EXPECT_EQ(read_all(dest), body);
  bool saw_range = false;
  for (const auto& r : server.requests()) {
    if (r.method == "GET" && !r.range.empty()) {
      EXPECT_EQ(r.range, "bytes=70000-");
      saw_range = true;
    }
  }
  EXPECT_TRUE(saw_range);
}

TEST(Downloader, ReportsProgressInBytesOfTheWholeFile) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  const std::string body = pattern(200000, 7);
  server.add("/r/resolve/main/w.bin", body);
  server.drop_next_get_after("/r/resolve/main/w.bin", 80000);
  const std::string url = server.url() + "/r/resolve/main/w.bin";
  const fs::path dest = tmp.path() / "w.bin";
  std::vector<std::pair<int64_t, int64_t>> calls;
  net::DownloadOptions opt;
  opt.on_progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  EXPECT_THROW(net::download_file(url, dest.string(), opt), Error);
  ASSERT_FALSE(calls.empty());
  for (const auto& [done, total] : calls) {
    EXPECT_EQ(total, 200000);
    EXPECT_LE(done, 80000);
  }

  calls.clear();
  EXPECT_EQ(net::download_file(url, dest.string(), opt), net::DownloadOutcome::kDownloaded);
  ASSERT_FALSE(calls.empty());
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].first, 80000) << "a resumed file counts the bytes already there";
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back(), std::make_pair(int64_t{200000}, int64_t{200000}));

  calls.clear();
  EXPECT_EQ(net::download_file(url, dest.string(), opt), net::DownloadOutcome::kSkipped);
  EXPECT_TRUE(calls.empty()) << "a skipped file reports no transfer";
}

TEST(Downloader, ThrowingProgressCallbackStopsAndKeepsThePartialFile) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  server.add("/r/resolve/main/w.bin", pattern(300000, 8));
  const fs::path dest = tmp.path() / "w.bin";
  net::DownloadOptions opt;
  opt.on_progress = [](int64_t done, int64_t) {
    if (done > 0) throw std::runtime_error("stop here");
  };
  try {
    net::download_file(server.url() + "/r/resolve/main/w.bin", dest.string(), opt);
    FAIL() << "the callback's exception should come through";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "stop here");
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(fs::exists(dest.string() + ".incomplete")) << "kept for the next run to resume";
}

TEST(Downloader, CorruptedFileIsRejectedAndLeavesNothing) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  std::string body = pattern(50000, 5);
  server.add("/r/resolve/main/w.bin", body);
  body[12345] ^= 0x55;
  server.corrupt("/r/resolve/main/w.bin", body);
  const std::string url = server.url() + "/r/resolve/main/w.bin";
  const fs::path dest = tmp.path() / "w.bin";
  try {
    net::download_file(url, dest.string(), {});
    FAIL() << "a checksum mismatch should be an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), url);
    EXPECT_NE(e.problem().find("checksum mismatch"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".incomplete"));
}

TEST(Downloader, UnreachableEndpointNamesTheUrl) {
  test::TempDir tmp;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(test::closed_loopback_port()) + "/r/resolve/main/w";
  try {
    net::download_file(url, (tmp.path() / "w").string(), {});
    FAIL() << "no server: should be an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), url);
    EXPECT_NE(e.fix().find("models/README.md"), std::string::npos) << e.what();
  }
}

TEST(Downloader, ServerThatIgnoresRangeRestartsFromScratch) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  server.set_ignore_range(true);
  const std::string body = pattern(40000, 6);
  server.add("/r/resolve/main/c.json", body, false);
  const fs::path dest = tmp.path() / "c.json";
  { std::ofstream(dest.string() + ".incomplete", std::ios::binary) << std::string(1000, 'x'); }
  EXPECT_EQ(net::download_file(server.url() + "/r/resolve/main/c.json", dest.string(), {}),
            net::DownloadOutcome::kDownloaded);
  EXPECT_EQ(read_all(dest), body) << "the stale partial bytes must not stay in front";
}

}  // namespace
}  // namespace musetalk
