#include "perf/compare.h"

#include <cmath>
#include <fmt/format.h>

namespace suanli {

Result<int> devices_for(const Accelerator& a, const CompareSizing& sizing) {
  if (sizing.devices) {
    if (*sizing.devices <= 0) return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
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
  row.hourly_usd = a.rental_usd_per_hour ? a.rental_usd_per_hour->value : 0;
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
    if (c0 > 0 && r.hourly_usd > 0) r.relative_cost_performance = t / (r.hourly_usd * r.devices) / c0;
  }
}

}  // namespace

Result<std::vector<TrainCompareRow>> compare_train(const Catalog& catalog, const TrainWorkload& w,
                                                   const std::vector<std::string>& ids,
                                                   const CompareSizing& sizing) {
  auto accels = resolve<TrainCompareRow>(catalog, ids);
  if (!accels) return std::unexpected(accels.error());
  std::vector<TrainCompareRow> rows;
  for (const Accelerator* a : *accels) {
    TrainCompareRow row;
    fill_base(row, *a);
    auto n = devices_for(*a, sizing);
    if (!n) {
      if (n.error().code == ErrorCode::kInvalidArgument && sizing.devices) return std::unexpected(n.error());
      row.error = n.error().message;
      rows.push_back(row);
      continue;
    }
    row.devices = *n;
    auto dev = make_device_model(*a, catalog.profile_for(*a), w.precision);
    if (!dev) {
      row.error = dev.error().message;
      rows.push_back(row);
      continue;
    }
    row.unverified = dev->unverified;
    auto model = TrainModel::create(w, *dev, *n);
    if (!model) return std::unexpected(model.error());
    auto found = search_train(*model, ParallelismRequest{});
    if (!found) {
      row.error = found.error().message;
      rows.push_back(row);
      continue;
    }
    row.ok = true;
    row.estimate = found->best;
    row.totals = train_totals(found->best, *model);
    rows.push_back(row);
  }
  relate(rows, [](const TrainCompareRow& r) { return r.estimate.tokens_per_s; });
  return rows;
}

Result<std::vector<InferCompareRow>> compare_infer(const Catalog& catalog, const InferWorkload& w,
                                                   const std::vector<std::string>& ids,
                                                   const CompareSizing& sizing) {
  auto accels = resolve<InferCompareRow>(catalog, ids);
  if (!accels) return std::unexpected(accels.error());
  std::vector<InferCompareRow> rows;
  for (const Accelerator* a : *accels) {
    InferCompareRow row;
    fill_base(row, *a);
    row.precision = resolve_precision(w, *a);
    auto n = devices_for(*a, sizing);
    if (!n) {
      if (n.error().code == ErrorCode::kInvalidArgument && sizing.devices) return std::unexpected(n.error());
      row.error = n.error().message;
      rows.push_back(row);
      continue;
    }
    row.devices = *n;
    auto found = search_infer(w, *a, catalog.profile_for(*a), *n, std::nullopt, std::nullopt);
    if (!found) {
      row.error = found.error().message;
      rows.push_back(row);
      continue;
    }
    auto model = InferModel::create(w, *a, catalog.profile_for(*a), *n, found->best.layout);
    if (model) row.unverified = model->device().unverified;
    row.ok = true;
    row.estimate = found->best;
    rows.push_back(row);
  }
  relate(rows, [](const InferCompareRow& r) { return r.estimate.output_tokens_per_s; });
  return rows;
}

}  // namespace suanli
