// Errors as values: library code returns Result<T> and never exits or
// throws for bad input. Exceptions are reserved for bugs and are caught at
// the edge (app/main.cpp).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace suanli {

enum class ErrorCode {
  kInvalidArgument,  // the caller's input is wrong (exit code 2 at the CLI)
  kNotFound,         // an ID or file that does not exist
  kParse,            // a data or scenario file is malformed
  kIo,               // a file could not be read or written
  kInfeasible,       // a well-formed request that cannot be satisfied
  kUnsupported,      // e.g. FP8 on a chip without FP8
  kConflict,         // a write that lost a race (stale version, duplicate name)
  kCancelled,        // the caller asked long work to stop
  kUnauthorized,     // no valid credential for the call
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// Builds the unexpected value: `return fail(ErrorCode::kParse, "...")`.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

const char* error_code_name(ErrorCode code);

}  // namespace suanli

// Propagates the error of a Result-returning expression; for Result<void>
// or when the value is not needed.
#define SUANLI_TRY(expr)                                                                        \
  do {                                                                                          \
    if (auto suanli_r = (expr); !suanli_r) return std::unexpected(std::move(suanli_r).error()); \
  } while (0)

// Assigns the value of a Result-returning expression to `lhs` (a
// declaration or an lvalue), or returns its error.
#define SUANLI_CONCAT_INNER(a, b) a##b
#define SUANLI_CONCAT(a, b) SUANLI_CONCAT_INNER(a, b)
#define SUANLI_ASSIGN_IMPL(tmp, lhs, expr)                  \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
#define SUANLI_ASSIGN(lhs, expr) \
  SUANLI_ASSIGN_IMPL(SUANLI_CONCAT(suanli_result_, __LINE__), lhs, expr)

namespace suanli {}  // namespace suanli
