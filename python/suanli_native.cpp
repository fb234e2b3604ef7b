// The Python package's native part (suanli._native), the one file that uses
// pybind11 (Debian pybind11-dev). A Session loads the catalog once and runs
// any `suanli` command in-process through app::run_cli — the CLI's own
// parsing, checks and --json encoding — so the package returns exactly what
// `suanli … --json` prints and fails with the same message and exit code.
// The GIL is released while a command runs.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "app/app.h"
#include "catalog/catalog.h"
#include "util/version.h"

namespace py = pybind11;

namespace {

using Outcome = std::tuple<int, std::string, std::string>;  // exit code, stdout, stderr

class Session {
 public:
  explicit Session(const std::vector<std::string>& catalog_dirs) {
    std::vector<std::filesystem::path> extra(catalog_dirs.begin(), catalog_dirs.end());
    suanli::CatalogOptions options;
    options.directories = suanli::Catalog::default_directories(extra);
    auto loaded = suanli::Catalog::load(options);
    if (!loaded) throw std::invalid_argument(loaded.error().message);
    catalog_ = std::make_unique<suanli::Catalog>(std::move(*loaded));
  }

  // One command: args without the program name ("estimate", "train", …).
  Outcome run(const std::vector<std::string>& args) const {
    py::gil_scoped_release release;
    return run_unlocked(args);
  }

  // Many commands in a C++ loop (the baseline of the Python sweep benchmark).
  std::vector<Outcome> run_many(const std::vector<std::vector<std::string>>& batch) const {
    py::gil_scoped_release release;
    std::vector<Outcome> out;
    out.reserve(batch.size());
    for (const auto& args : batch) out.push_back(run_unlocked(args));
    return out;
  }

 private:
  Outcome run_unlocked(const std::vector<std::string>& args) const {
    std::vector<const char*> argv{"suanli"};
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int code = suanli::app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err,
                                          catalog_.get());
    return {code, out.str(), err.str()};
  }

  std::unique_ptr<suanli::Catalog> catalog_;
};

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "suanli's native core: run suanli commands in-process (see the suanli package)";
  m.attr("version") = std::string(suanli::kSuanliVersion);
  m.attr("revision") = std::string(suanli::git_revision());
  py::class_<Session>(m, "Session")
      .def(py::init<const std::vector<std::string>&>(), py::arg("catalog_dirs") = std::vector<std::string>{})
      .def("run", &Session::run, py::arg("args"),
           "Run one command (arguments without 'suanli'): (exit code, stdout, stderr)")
      .def("run_many", &Session::run_many, py::arg("batch"),
           "Run many commands in a C++ loop: a list of (exit code, stdout, stderr)");
}
