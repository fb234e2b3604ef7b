#include "util/error.h"

namespace suanli {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kParse:
      return "parse error";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kInfeasible:
      return "infeasible";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
  }
  return "error";
}

}  // namespace suanli
