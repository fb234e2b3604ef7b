#include "perf/interval.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "util/strings.h"

namespace suanli {

namespace {

// A figure of the accelerator that the estimate reads.
struct FigureRef {
  std::string name;
  std::optional<Figure> Accelerator::*member = nullptr;  // null: the dense rate below
  Precision rate = Precision::kBf16;
};

std::optional<Figure>& slot(Accelerator& a, const FigureRef& f) {
  if (f.member) return a.*(f.member);
  return a.dense_tflops[static_cast<std::size_t>(f.rate)];
}

const std::optional<Figure>& slot(const Accelerator& a, const FigureRef& f) {
  if (f.member) return a.*(f.member);
  return a.rate(f.rate);
}

// The speed figures an estimate at `compute` precision depends on.
std::vector<FigureRef> speed_figures(Precision compute) {
  return {{fmt::format("dense {} TFLOPS", precision_name(compute)), nullptr, compute},
          {"memory_bw_gbps", &Accelerator::memory_bw_gbps},
          {"scaleup_bidir_gbps", &Accelerator::scaleup_bidir_gbps},
          {"scaleout_gbps", &Accelerator::scaleout_gbps},
          {"die_link_gbps", &Accelerator::die_link_gbps}};
}

bool has_range(const std::optional<Figure>& f) {
  return f && ((f->low && *f->low < f->value) || (f->high && *f->high > f->value)) &&
         f->value > 0 && (!f->low || *f->low > 0);
}

std::string figure_label(const std::string& name, const Figure& f) {
  return fmt::format("{} {} {}", name, confidence_name(f.confidence),
                     range_text(f.low.value_or(f.value), f.high.value_or(f.value)));
}

// Log spread (down, up >= 0) of a time-like quantity from one source.
struct Spread {
  double down = 0;
  double up = 0;
};

// Spread from re-evaluations at a figure's low and high end: ratios of the
// perturbed time-like quantity to the point.
Spread spread_of(std::initializer_list<double> ratios) {
  Spread s;
  for (double r : ratios) {
    if (!(r > 0) || !std::isfinite(r)) continue;
    const double l = std::log(r);
    s.down = std::max(s.down, -l);
    s.up = std::max(s.up, l);
  }
  return s;
}

// Combines the residual's centre and the spreads per side, in quadrature.
QuantityRange time_range(double point, double centre, const std::vector<Spread>& spreads) {
  double down = 0, up = 0;
  for (const auto& s : spreads) {
    down += s.down * s.down;
    up += s.up * s.up;
  }
  return {point, point * std::exp(centre - std::sqrt(down)), point * std::exp(centre),
          point * std::exp(centre + std::sqrt(up))};
}

// The same for a rate (inverse of a time): its p10 comes from the time's p90.
QuantityRange rate_range(double point, double centre, const std::vector<Spread>& spreads) {
  const QuantityRange t = time_range(1.0, centre, spreads);
  return {point, point / t.p90, point / t.p50, point / t.p10};
}

// The residual's contribution: centre ln(1 + p50) and the spread about it.
struct ResidualPart {
  double centre = 0;
  Spread spread;
};

ResidualPart residual_part(const std::optional<ResidualSpread>& r) {
  if (!r) return {};
  const double c = std::log1p(r->p50);
  return {c, {c - std::log1p(r->p10), std::log1p(r->p90) - c}};
}

// Looks up the residual row and starts the basis with it.
IntervalBasis start_basis(const Catalog& catalog, const std::string& profile,
                          const std::string& stack, const char* kind) {
  IntervalBasis b;
  const ResidualChoice choice = catalog.residual_for(profile, stack, kind);
  if (!choice.spread) return b;
  b.residual = *choice.spread;
  b.residual_level = choice.level;
  const auto& r = *choice.spread;
  std::string whose;
  if (choice.level == "profile+stack") {
    whose = fmt::format("{} on {}", r.profile, r.stack);
  } else if (choice.level == "profile") {
    whose = r.profile;
  } else {
    whose = fmt::format("pooled over all profiles; {} has < {} rows", profile,
                        Catalog::kMinResidualRows);
  }
  b.contributors.push_back({"model residual",
                            fmt::format("model residual ({}, {} held-out rows)", whose, r.rows),
                            1.0 + r.p10, 1.0 + r.p90});
  return b;
}

double magnitude(const IntervalContributor& c) {
  return std::max(std::fabs(std::log(c.low)), std::fabs(std::log(c.high)));
}

// Sorts the contributors, names the dominant one and writes the summary.
void finish_basis(IntervalBasis& b) {
  std::stable_sort(b.contributors.begin(), b.contributors.end(),
                   [](const auto& x, const auto& y) { return magnitude(x) > magnitude(y); });
  std::vector<std::string> parts;
  for (const auto& c : b.contributors) parts.push_back(c.label);
  if (!b.residual) {
    parts.push_back(
        "no out-of-sample residuals in the catalog (`suanli validate --cross-validate "
        "--write-residuals`)");
  }
  b.summary = join(parts, "; ");
  if (!b.contributors.empty() && magnitude(b.contributors.front()) > 0) {
    b.dominant = b.contributors.front().label;
  }
}

// For every speed figure with a range: `eval` at its low and its high end
// returns the perturbed time-like quantities (nullopt: that end could not be
// evaluated); `spreads[i]` receives the spread of quantity i.
template <class Eval>
void perturb(const Accelerator& accel, Precision compute, const std::vector<double>& point,
             Eval eval, std::vector<std::vector<Spread>>& spreads, IntervalBasis& basis,
             std::size_t headline) {
  for (const FigureRef& ref : speed_figures(compute)) {
    const auto& fig = slot(accel, ref);
    if (!has_range(fig)) continue;
    std::vector<std::vector<double>> ratios(point.size());
    for (double v : {fig->low.value_or(fig->value), fig->high.value_or(fig->value)}) {
      Accelerator copy = accel;
      slot(copy, ref)->value = v;
      const std::optional<std::vector<double>> q = eval(copy);
      if (!q) continue;
      for (std::size_t i = 0; i < point.size(); ++i) ratios[i].push_back((*q)[i] / point[i]);
    }
    for (std::size_t i = 0; i < point.size(); ++i) {
      Spread s;
      for (double r : ratios[i]) {
        const Spread one = spread_of({r});
        s.down = std::max(s.down, one.down);
        s.up = std::max(s.up, one.up);
      }
      spreads[i].push_back(s);
    }
    const Spread& h = spreads[headline].back();
    basis.contributors.push_back(
        {ref.name, figure_label(ref.name, *fig), std::exp(-h.down), std::exp(h.up)});
  }
}

// The cost basis's own spread (cost = time x hourly cost): the rental
// rate's range, or on ownership the purchase price's range over the share
// of the hourly cost that scales with the price (capex, levy, operations).
std::optional<Spread> price_spread(const Accelerator& a, const CostAssumptions& c,
                                   IntervalBasis& basis) {
  const bool rental = c.basis == CostBasis::kRental;
  const auto& p = rental ? a.rental_usd_per_hour : a.price_usd;
  if (!p) return std::nullopt;
  if (!has_range(p)) return Spread{};
  double share = 1.0;
  if (!rental) {
    auto hour = device_hour_cost(a, c);
    if (!hour || !(hour->total > 0)) return std::nullopt;
    share = (hour->capex + hour->levy + hour->operations) / hour->total;
  }
  auto ratio = [&](double v) { return 1.0 + share * (v / p->value - 1.0); };
  const Spread s = spread_of({ratio(p->low.value_or(p->value)), ratio(p->high.value_or(p->value))});
  const char* name = rental ? "rental_usd_per_hour" : "price_usd";
  basis.contributors.push_back({name, figure_label(name, *p) + " (cost only)", 1.0, 1.0});
  return s;
}

}  // namespace

std::string range_text(double low, double high) {
  auto one = [](double v) {
    if (std::fabs(v) < 1000) return fmt::format("{:.3g}", v);
    std::string digits = fmt::format("{:.0f}", v);
    std::string out;
    const int n = static_cast<int>(digits.size());
    for (int i = 0; i < n; ++i) {
      if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
      out += digits[i];
    }
    return out;
  };
  return fmt::format("{}-{}", one(low), one(high));
}

Result<TrainInterval> train_interval(const Catalog& catalog, const TrainModel& model,
                                     const TrainEstimate& e) {
  const DeviceModel& dev = model.device();
  if (!dev.accel || !dev.profile) {
    return fail(ErrorCode::kInvalidArgument, "train_interval: the model has no device");
  }
  const TrainWorkload& w = model.workload();
  IntervalBasis basis = start_basis(catalog, dev.profile->id, w.stack.id, "train");
  const ResidualPart res = residual_part(basis.residual);
  std::vector<std::vector<Spread>> spreads(1);
  if (basis.residual) spreads[0].push_back(res.spread);
  auto eval = [&](const Accelerator& a) -> std::optional<std::vector<double>> {
    auto d = make_device_model(a, *dev.profile, dev.compute_precision);
    if (!d) return std::nullopt;
    auto m = TrainModel::create(w, *d, model.devices());
    if (!m || !m->valid(e.par)) return std::nullopt;
    return std::vector<double>{m->evaluate(e.par).step_time_s};
  };
  perturb(*dev.accel, dev.compute_precision, {e.step_time_s}, eval, spreads, basis, 0);

  TrainInterval out;
  out.step_time_s = time_range(e.step_time_s, res.centre, spreads[0]);
  out.tokens_per_s = rate_range(e.tokens_per_s, res.centre, spreads[0]);
  out.mfu = rate_range(e.mfu, res.centre, spreads[0]);
  const TrainTotals totals = train_totals(e, model);
  if (w.tokens > 0) {
    out.time_to_train_days = time_range(totals.time_to_train_days, res.centre, spreads[0]);
    if (totals.cost_usd > 0) {
      std::vector<Spread> cost = spreads[0];
      if (auto p = price_spread(*dev.accel, w.cost, basis)) cost.push_back(*p);
      out.cost_usd = time_range(totals.cost_usd, res.centre, cost);
    }
  }
  finish_basis(basis);
  out.basis = std::move(basis);
  return out;
}

Result<InferInterval> infer_interval(const Catalog& catalog, const InferWorkload& w,
                                     const Accelerator& accel, const EfficiencyProfile& profile,
                                     int devices, const InferEstimate& e) {
  if (!(e.output_tokens_per_s > 0)) {
    return fail(ErrorCode::kInvalidArgument, "infer_interval: the estimate has no throughput");
  }
  SUANLI_ASSIGN(InferModel base, InferModel::create(w, accel, profile, devices, e.layout));
  const Precision compute = base.device().compute_precision;
  IntervalBasis basis = start_basis(catalog, profile.id, "", "infer");
  const ResidualPart res = residual_part(basis.residual);
  // Time-like quantities: TPOT (the headline), seconds per output token
  // (1 / throughput), TTFT.
  const std::vector<double> point{e.tpot_s, 1.0 / e.output_tokens_per_s, e.ttft_s};
  std::vector<std::vector<Spread>> spreads(point.size());
  // Under a request rate the deployment keeps up with, the throughput is
  // the arrival rate, whatever the model's error: no residual on it.
  const bool pinned = e.request_rate > 0 && !e.saturated;
  if (basis.residual) {
    for (std::size_t i = 0; i < spreads.size(); ++i) {
      if (!(pinned && i == 1)) spreads[i].push_back(res.spread);
    }
  }
  auto eval = [&](const Accelerator& a) -> std::optional<std::vector<double>> {
    auto m = InferModel::create(w, a, profile, devices, e.layout);
    if (!m) return std::nullopt;
    // A rate sets the batch: the perturbed chip finds its own.
    const InferEstimate x = w.request_rate ? m->evaluate() : m->at_batch(e.batch);
    if (!(x.output_tokens_per_s > 0)) return std::nullopt;
    return std::vector<double>{x.tpot_s, 1.0 / x.output_tokens_per_s, x.ttft_s};
  };
  perturb(accel, compute, point, eval, spreads, basis, 0);

  InferInterval out;
  out.tpot_s = time_range(e.tpot_s, res.centre, spreads[0]);
  out.output_tokens_per_s = rate_range(e.output_tokens_per_s, pinned ? 0.0 : res.centre, spreads[1]);
  out.ttft_s = time_range(e.ttft_s, res.centre, spreads[2]);
  if (e.cost_per_million_output_tokens_usd > 0) {
    std::vector<Spread> cost = spreads[1];
    if (auto p = price_spread(accel, w.cost, basis)) cost.push_back(*p);
    out.cost_per_million_output_tokens_usd =
        time_range(e.cost_per_million_output_tokens_usd, pinned ? 0.0 : res.centre, cost);
  }
  finish_basis(basis);
  out.basis = std::move(basis);
  return out;
}

}  // namespace suanli
