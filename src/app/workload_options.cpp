#include "app/workload_options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "perf/workload_fields.h"

namespace suanli::app {

namespace {

// One CLI option or flag per field of `table` (perf/workload_fields.h): the
// flag, help, allowed values and bounds all come from the table. A bool
// member is a flag; a std::optional<bool> member takes on|off.
template <class R>
void add_fields(CLI::App* cmd, const FieldTable<R>& table, R& request) {
  for (const RequestField<R>& f : table) {
    const std::string flag = cli_flag(f);
    const std::string help(f.spec.description);
    CLI::Option* opt = std::visit(
        [&](auto member) -> CLI::Option* {
          auto& target = request.*member;
          if constexpr (std::is_same_v<std::remove_reference_t<decltype(target)>, bool>)
            return cmd->add_flag(flag, target, help);
          else
            return cmd->add_option(flag, target, help);
        },
        f.member);
    if (f.spec.required) opt->required();
    if (!f.spec.values.empty()) {
      std::vector<std::string> values(f.spec.values.begin(), f.spec.values.end());
      opt->check(CLI::IsMember(values));
    } else if (f.spec.type == FieldType::kInteger && f.spec.max > f.spec.min) {
      opt->check(CLI::Range(static_cast<long long>(f.spec.min),
                            static_cast<long long>(f.spec.max)));
    } else if (f.spec.type == FieldType::kNumber && f.spec.max > f.spec.min) {
      opt->check(CLI::Range(f.spec.min, f.spec.max));
    }
  }
}

}  // namespace

void add_train_flags(CLI::App* cmd, TrainFlags& f, bool with_parallelism) {
  add_fields(cmd, train_workload_fields(), f);
  add_fields(cmd, cost_fields(), f.cost);
  if (with_parallelism) add_fields(cmd, train_parallelism_fields(), f);
}

void add_infer_flags(CLI::App* cmd, InferFlags& f, bool with_layout) {
  add_fields(cmd, infer_workload_fields(), f);
  add_fields(cmd, cost_fields(), f.cost);
  if (with_layout) add_fields(cmd, infer_layout_fields(), f);
}

std::string human_count(double v) {
  const double a = std::fabs(v);
  if (a >= 1e15) return fmt::format("{:.3g}", v);
  if (a >= 1e12) return fmt::format("{:.2f}T", v / 1e12);
  if (a >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string human_seconds(double s) {
  if (s < 1e-3) return fmt::format("{:.1f} µs", s * 1e6);
  if (s < 1) return fmt::format("{:.1f} ms", s * 1e3);
  if (s < 120) return fmt::format("{:.2f} s", s);
  if (s < 7200) return fmt::format("{:.1f} min", s / 60);
  if (s < 3 * 86400) return fmt::format("{:.1f} h", s / 3600);
  return fmt::format("{:.1f} days", s / 86400);
}

}  // namespace suanli::app
