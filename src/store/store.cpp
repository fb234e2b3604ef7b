// Store::open (the URL forms) and the helpers every backend shares.
#include "store/store.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <ctime>
#include <system_error>

#include "store/sqlite_store.h"
#if SUANLI_WITH_POSTGRESQL
#include "store/pg_store.h"
#endif

namespace suanli::store {

namespace {

constexpr std::string_view kAcceptedForms =
    "sqlite:PATH (e.g. sqlite:suanli-data/suanli.db), postgresql://USER@HOST:PORT/DB or "
    "postgres://…";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(std::string_view url, StoreAccess access) {
  try {
    if (starts_with(url, "sqlite:")) {
      std::string_view rest = url.substr(7);
      // Also accept sqlite://PATH (the URL habit); sqlite:///abs is /abs.
      if (starts_with(rest, "//")) rest = rest.substr(2);
      if (rest.empty())
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("store URL '{}' has no file path (accepted: {})", url, kAcceptedForms));
      const std::filesystem::path path{std::string(rest)};
      if (path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec)
          return fail(ErrorCode::kIo, fmt::format("cannot create the directory {}: {}",
                                                  path.parent_path().string(), ec.message()));
      }
      return open_sqlite_store(path, std::nullopt, access);
    }
    if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
#if SUANLI_WITH_POSTGRESQL
      return open_pg_store(url, std::nullopt, access);
#else
      return fail(ErrorCode::kUnsupported,
                  "this build of suanli has no PostgreSQL support (it was built without "
                  "libpqxx: apt-get install libpqxx-dev and rebuild), use a sqlite: URL");
#endif
    }
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unsupported store URL '{}' (accepted: {})", url, kAcceptedForms));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kIo, fmt::format("cannot open the store {}: {}", url, e.what()));
  }
}

std::string token_hash(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    return {};
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string default_store_url(const std::filesystem::path& data_dir) {
  return "sqlite:" + (data_dir / "suanli.db").string();
}

std::string now_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace suanli::store
