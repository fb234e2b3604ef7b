#include "perf/compare.h"

#include <fmt/format.h>
#include <cmath>

namespace suanli {

Result<int> devices_for(const Accelerator& a, const CompareSizing& sizing) {
  if (sizing.devices) {
    if (*sizing.devices <= 0)
      return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
    return *sizing.devices;
  }
  if (!sizing.budget_usd) {
    return fail(ErrorCode::kInvalidArgument, "give --devices N or --budget-usd X");
  }
  if (!(*sizing.budget_usd > 0)) {
    return fail(ErrorCode::kInvalidArgument, "--budget-usd must be positive");
  }
  if (!a.price_usd) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} has no purchase price in the catalog", a.id));
  }
  const double server = a.price_usd->value * a.node_devices;
  const int servers = static_cast<int>(std::floor(*sizing.budget_usd / server));
  if (servers < 1) {
    return fail(ErrorCode::kInfeasible,
                fmt::format("the budget buys no {}-device {} server (${:.0f} each)", a.node_devices,
                            a.id, server));
  }
  return servers * a.node_devices;
}

namespace {

template <class Row>
Result<std::vector<const Accelerator*>> resolve(const Catalog& catalog,
                                                const std::vector<std::string>& ids) {
  if (ids.empty()) return fail(ErrorCode::kInvalidArgument, "--accels needs at least one ID");
  std::vector<const Accelerator*> out;
  for (const auto& id : ids) {
    auto a = catalog.accelerator(id);
    if (!a) return std::unexpected(a.error());
    out.push_back(*a);
  }
  return out;
}

void fill_base(CompareRowBase& row, const Accelerator& a) {
  row.accelerator = a.id;
  row.origin = a.origin;
  const Classification c = classify(a);
  row.eccn_class = std::string(eccn_class_name(c.eccn_class));
  row.china_status = std::string(china_status_name(a.china_status));
}

// The row's hourly cost on the workload's basis (perf/cost.h): the same
// figure estimate, the report and the API price with.
void price_row(CompareRowBase& row, const Accelerator& a, const CostAssumptions& c) {
  row.cost_basis = std::string(cost_basis_name(c.basis));
  auto cost = device_hour_cost(a, c);
  row.hourly_usd = cost ? cost->total : 0;
  if (cost) row.hourly_cost = *cost;
}

template <class Row, class Throughput>
void relate(std::vector<Row>& rows, Throughput throughput) {
  const Row* base = nullptr;
  for (const auto& r : rows) {
    if (r.ok) {
      base = &r;
      break;
    }
  }
  if (!base) return;
  const double t0 = throughput(*base);
  const double c0 = base->hourly_usd > 0 ? t0 / (base->hourly_usd * base->devices) : 0;
  for (auto& r : rows) {
    if (!r.ok) continue;
    const double t = throughput(r);
    r.relative_speed = t0 > 0 ? t / t0 : 0;
    if (c0 > 0 && r.hourly_usd > 0)
      r.relative_cost_performance = t / (r.hourly_usd * r.devices) / c0;
  }
}

}  // namespace

namespace {

// The loop both comparisons share: resolve IDs, size each chip, run
// `estimate(row, accel)` and relate the rows to the first one. `estimate`
// fills the row (ok, or error when this chip cannot run the workload) and
// returns an error only for input that is wrong for every chip.
template <class Row, class Estimate, class Throughput>
Result<std::vector<Row>> compare_rows(const Catalog& catalog, const std::vector<std::string>& ids,
                                      const CompareSizing& sizing, Estimate estimate,
                                      Throughput throughput) {
  auto accels = resolve<Row>(catalog, ids);
  if (!accels) return std::unexpected(accels.error());
  std::vector<Row> rows;
  for (const Accelerator* a : *accels) {
    Row row;
    fill_base(row, *a);
    auto n = devices_for(*a, sizing);
    if (!n) {
      if (n.error().code == ErrorCode::kInvalidArgument && sizing.devices) {
        return std::unexpected(n.error());
      }
      row.error = n.error().message;
    } else {
      row.devices = *n;
      SUANLI_TRY(estimate(row, *a));
    }
    rows.push_back(std::move(row));
  }
  relate(rows, throughput);
  return rows;
}

}  // namespace

Result<std::vector<TrainCompareRow>> compare_train(const Catalog& catalog, const TrainWorkload& w,
                                                   const std::vector<std::string>& ids,
                                                   const CompareSizing& sizing) {
  auto estimate = [&](TrainCompareRow& row, const Accelerator& a) -> Result<void> {
    price_row(row, a, w.cost);
    auto dev = make_device_model(a, catalog.profile_for(a), w.precision);
    if (!dev) {
      row.error = dev.error().message;
      return {};
    }
    price_device(*dev, w.cost);
    row.unverified = dev->unverified;
    auto model = TrainModel::create(w, *dev, row.devices);
    if (!model) {
      // Chip-specific (a multi-die package's rank count, its per-die memory):
      // this row's error, not the whole comparison's.
      row.error = model.error().message;
      return {};
    }
    auto found = search_train(*model, ParallelismRequest{});
    if (!found) {
      row.error = found.error().message;
      return {};
    }
    row.ok = true;
    row.estimate = found->best;
    row.totals = train_totals(found->best, *model);
    if (auto iv = train_interval(catalog, *model, found->best)) row.interval = std::move(*iv);
    return {};
  };
  return compare_rows<TrainCompareRow>(
      catalog, ids, sizing, estimate,
      [](const TrainCompareRow& r) { return r.estimate.tokens_per_s; });
}

Result<std::vector<InferCompareRow>> compare_infer(const Catalog& catalog, const InferWorkload& w,
                                                   const std::vector<std::string>& ids,
                                                   const CompareSizing& sizing) {
  auto estimate = [&](InferCompareRow& row, const Accelerator& a) -> Result<void> {
    price_row(row, a, w.cost);
    row.precision = resolve_precision(w, a);
    const auto& profile = catalog.profile_for(a);
    auto found = search_infer(w, a, profile, row.devices, std::nullopt, std::nullopt);
    if (!found) {
      row.error = found.error().message;
      return {};
    }
    auto model = InferModel::create(w, a, profile, row.devices, found->best.layout);
    if (model) row.unverified = model->device().unverified;
    row.ok = true;
    row.estimate = found->best;
    if (auto iv = infer_interval(catalog, w, a, profile, row.devices, found->best)) {
      row.interval = std::move(*iv);
    }
    return {};
  };
  return compare_rows<InferCompareRow>(
      catalog, ids, sizing, estimate,
      [](const InferCompareRow& r) { return r.estimate.output_tokens_per_s; });
}

}  // namespace suanli
