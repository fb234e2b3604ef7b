// The fields of a workload request (perf/workload_request.h), each defined
// once: name, type, bounds, allowed values, description and the request
// member it fills. The CLI adds its flags from these tables
// (app/workload_options.cpp), the HTTP API decodes request bodies and
// generates its OpenAPI schema from them (service/compute_api.cpp), so a
// flag, a body field and its documentation cannot drift apart.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "perf/workload_request.h"
#include "util/field_read.h"
#include "util/field_spec.h"

namespace suanli {

// The request member a field fills; its type picks the reader (and, on the
// CLI, whether it is a flag: bool members are flags, std::optional<bool>
// members take on|off).
template <class R>
using FieldMember =
    std::variant<int R::*, std::optional<int> R::*, std::optional<long long> R::*, double R::*,
                 std::optional<double> R::*, bool R::*, std::optional<bool> R::*, std::string R::*>;

template <class R>
struct RequestField {
  FieldSpec spec;
  FieldMember<R> member;
  std::string_view flag = {};  // the CLI flag when it is not kebab_flag(spec.name)
};

template <class R>
using FieldTable = std::vector<RequestField<R>>;

// The model and run of `estimate train` / `compare train` (not parallelism).
const FieldTable<TrainRequest>& train_workload_fields();
// The parallel layout `estimate train` may fix (searched when omitted).
const FieldTable<TrainRequest>& train_parallelism_fields();
// How device-hours are priced, for train and infer alike.
const FieldTable<CostRequest>& cost_fields();
// The model and traffic of `estimate infer` / `compare infer`.
const FieldTable<InferRequest>& infer_workload_fields();
// The per-instance layout `estimate infer` may fix.
const FieldTable<InferRequest>& infer_layout_fields();

// A table's field of that name (nullptr: none).
template <class R>
const RequestField<R>* find_field(const FieldTable<R>& table, std::string_view name) {
  auto it = std::find_if(table.begin(), table.end(),
                         [&](const RequestField<R>& f) { return f.spec.name == name; });
  return it == table.end() ? nullptr : &*it;
}
template <class R>
bool table_has(const FieldTable<R>& table, std::string_view name) {
  return find_field(table, name) != nullptr;
}

// The CLI flag of a field.
template <class R>
std::string cli_flag(const RequestField<R>& f) {
  return f.flag.empty() ? kebab_flag(f.spec.name) : std::string(f.flag);
}

// Reads every field of `table` into its member of `out`, in table order,
// from a Reader of util/field_read.h (an API body, a TOML table), except
// the fields named in `skip` (a reader that takes those its own way or not
// at all).
template <class Reader, class R>
Result<void> read_request_fields(Reader& reader, const FieldTable<R>& table, R& out,
                                 std::span<const std::string_view> skip = {}) {
  for (const RequestField<R>& f : table) {
    if (std::find(skip.begin(), skip.end(), f.spec.name) != skip.end()) continue;
    SUANLI_TRY(std::visit([&](auto member) { return read_spec_value(reader, f.spec, out.*member); },
                          f.member));
  }
  return {};
}

// The fields of train_workload_fields() that are not the run itself: the
// model and its custom shape, the tokens to train and the steady-state
// switch. A file that names its model and its amount of work its own way
// (a validation row, a plan's [[training]] item, a simulated job) reads the
// rest, the run, with read_train_run_fields.
inline constexpr std::array<std::string_view, 15> kTrainNonRunFields = {
    "model", "layers",  "hidden",      "heads",          "kv_heads",   "ffn",
    "vocab", "experts", "top_k",       "shared_experts", "expert_ffn", "first_dense_layers",
    "mlp",   "tokens",  "steady_state"};

inline bool is_train_run_field(std::string_view name) {
  return std::find(kTrainNonRunFields.begin(), kTrainNonRunFields.end(), name) ==
         kTrainNonRunFields.end();
}

// The run of a training workload (precision, seq, global_batch, stack, the
// run's switches) into `out`: estimate train's fields but those above.
template <class Reader>
Result<void> read_train_run_fields(Reader& reader, TrainRequest& out) {
  return read_request_fields(reader, train_workload_fields(), out, kTrainNonRunFields);
}

// The fields of infer_workload_fields() that are not the serving run: the
// model, and the deployment a file states its own way (a plan sizes its
// instances for a rate of output tokens, a simulated job's load is its
// arrivals, and neither splits prefill from decode).
inline constexpr std::array<std::string_view, 7> kInferNonRunFields = {
    "model",      "request_rate", "disaggregated",       "prefill_devices",
    "prefill_tp", "num_prompts",  "prefill_batch_tokens"};

inline bool is_infer_run_field(std::string_view name) {
  return std::find(kInferNonRunFields.begin(), kInferNonRunFields.end(), name) ==
         kInferNonRunFields.end();
}

// The serving run (precision, KV cache, lengths, batch or SLOs,
// speculation) into `out`: estimate infer's fields but those above. With
// `lengths_required` false, an absent input_len or output_len keeps `out`'s
// value (a simulated job's defaults).
template <class Reader>
Result<void> read_infer_run_fields(Reader& reader, InferRequest& out,
                                   bool lengths_required = true) {
  for (const RequestField<InferRequest>& f : infer_workload_fields()) {
    if (!is_infer_run_field(f.spec.name)) continue;
    FieldSpec spec = f.spec;
    spec.required = spec.required && lengths_required;
    SUANLI_TRY(std::visit([&](auto member) { return read_spec_value(reader, spec, out.*member); },
                          f.member));
  }
  return {};
}

// A file's serving run (plan item, simulated job) held to what a front end's
// request is: the either/or rules, the error naming the file's key, then
// the conversion on the catalog's model (the error at the table).
template <class Reader>
Result<void> check_infer_run(Reader& reader, const Catalog& catalog, const InferRequest& run) {
  if (auto problem = infer_choice_problem(run, field_key))
    return std::unexpected(reader.field_error(problem->field, problem->message));
  if (auto w = make_infer_step_workload(catalog, run); !w)
    return std::unexpected(reader.field_error("", w.error().message));
  return {};
}

// The specs of a table, for schemas.
template <class R>
std::vector<FieldSpec> field_specs(const FieldTable<R>& table) {
  std::vector<FieldSpec> out;
  out.reserve(table.size());
  for (const auto& f : table) out.push_back(f.spec);
  return out;
}

}  // namespace suanli
