// The thin entry point: everything else is in the library. Exceptions are
// bugs; they are caught here, reported, and turned into exit code 1.
#include <exception>
#include <iostream>

#include "app/app.h"

int main(int argc, char** argv) {
  try {
    return suanli::app::run_cli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return suanli::app::kExitFailure;
  }
}
