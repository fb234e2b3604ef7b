// An inference instance under load, from the step and prefill times of
// infer.cpp: a closed loop's batch (at_load; a benchmark's requests that
// leave together, benchmark_start), an open loop's request rate (at_rate,
// at_rate_chunked), and the queueing between them: TTFT, TPOT and
// throughput as a client measures them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "perf/infer.h"

namespace suanli {

namespace {

// Mean wait in queue of c servers, Poisson arrivals, constant service time
// `service`, utilisation rho < 1: Sakasegawa's approximation of M/M/c
// (Sakasegawa 1977; Hopp & Spearman, Factory Physics, eq. 8.10),
// rho^(sqrt(2(c+1)) - 1) / (c (1 - rho)) x service, times (ca^2 + cs^2) / 2
// = 1/2 for Poisson arrivals and deterministic service (exact for M/D/1).
double queue_wait(double rho, double servers, double service) {
  const double c = std::max(1.0, servers);
  return std::pow(rho, std::sqrt(2.0 * (c + 1.0)) - 1.0) / (c * (1.0 - rho)) * service * 0.5;
}

// A closed-loop wave of n prompts (a whole number) that wait together at
// `servers` servers, each prefilling up to k of them in one pass whose
// prompts all get their first token at its end (a pass of m prompts takes
// m prefills): rounds of servers x k, round r ending after (r + 1) k
// prefills; the last round's prompts go round-robin, so m servers take
// q + 1 of them and the rest q. The mean and the last end of a prompt's
// pass, in prefills (k = 1, one server: (n + 1) / 2 and n).
struct WaveEnds {
  double mean = 0, last = 0;
};
WaveEnds wave_ends(double n, double servers, double k) {
  const double s = std::max(1.0, servers);
  const double full = std::floor(n / (s * k));
  const double rest = n - full * s * k;
  const double q = std::floor(rest / s);
  const double m = rest - q * s;
  const double start = full * k;  // prefills before the last round's passes
  const double sum = s * k * k * full * (full + 1.0) / 2.0 + m * (q + 1.0) * (start + q + 1.0) +
                     (s - m) * q * (start + q);
  return {sum / n, start + (m > 0 ? q + 1.0 : q)};
}

// The figures that follow from the deployment's output rate: per device
// (`devices` counts a disaggregated deployment's prefill devices too), the
// prompt tokens it implies, and the cost per million output tokens.
void set_output_rate(InferEstimate& e, double out_per_s, double devices, const InferWorkload& w,
                     double hourly_usd) {
  e.output_tokens_per_s = out_per_s;
  e.output_tokens_per_s_per_device = out_per_s / devices;
  e.input_tokens_per_s = out_per_s * w.input_len / w.output_len;
  if (hourly_usd > 0) {
    e.cost_per_million_output_tokens_usd =
        hourly_usd / (e.output_tokens_per_s_per_device * 3600.0) * 1e6;
  }
}

}  // namespace

InferEstimate InferModel::at_batch(int batch) const { return at_load(batch, std::nullopt); }

InferEstimate InferModel::at_load(int batch, std::optional<double> open_wait) const {
  InferEstimate e;
  e.layout = layout_;
  e.max_batch = max_batch_;
  e.batch = batch;
  e.weights_gb = weights_per_device_ / 1e9;
  e.memory_usable_gb = dev_.memory_bytes / 1e9;
  const double dp_groups = attention_groups();
  const double ctx = static_cast<double>(w_.input_len) + w_.output_len;
  e.kv_cache_gb = std::ceil(batch / dp_groups) * ctx * kv_bytes_per_token_device() / 1e9;
  e.memory_per_device_gb = e.weights_gb + e.kv_cache_gb;
  if (max_batch_ < 1) {
    e.fits = false;
    e.why_not = fmt::format(
        "the weights need {:.1f} GB per device at TP {} but {} offers {:.1f} GB usable, leaving "
        "no room for a KV cache of {:.2f} GB per sequence",
        e.weights_gb, layout_.tp, dev_.accel->id, e.memory_usable_gb,
        ctx * kv_bytes_per_token_device() / 1e9);
    return e;
  }
  if (batch > max_batch_) {
    e.fits = false;
    e.why_not = fmt::format(
        "batch {} needs {:.1f} GB of KV cache per device; only {} sequences "
        "fit in {:.1f} GB usable",
        batch, e.kv_cache_gb, max_batch_, e.memory_usable_gb);
    if (!(w_.published_run && w_.batch)) return e;
  }
  e.fits = e.why_not.empty();
  const DecodeStep step = decode_step(batch);
  e.decode_step_s = step.total;
  e.decode_memory_s = step.memory;
  e.decode_compute_s = step.compute;
  e.decode_comm_s = step.comm;
  e.decode_floor_s = step.floor;
  e.tokens_per_step = w_.spec_tokens > 0 ? w_.spec_accept_len : 1.0;
  const PromptPrefill pf = prompt_prefill(batch, step);
  if (!pf.why_not.empty()) {
    e.fits = false;
    e.why_not = pf.why_not;
    if (!w_.published_run) return e;
  }
  e.prefill_s = pf.time;
  e.prefill_hold_s = pf.hold;
  e.prefill_chunks = pf.passes;
  // The first token comes with the last pass, after the decode steps the
  // passes rode with (one step when they rode with none).
  e.ttft_s = pf.hold + (pf.rides ? pf.passes : 1) * e.decode_step_s;
  e.bound = e.decode_memory_s >= e.decode_compute_s ? "memory-bandwidth" : "compute";
  const double out = w_.output_len;
  const double decode_token = e.decode_step_s / e.tokens_per_step;
  double life = 0;  // a request's time in the system, arrival to last token
  if (w_.disaggregated) {
    // The decode devices never prefill. Open loop (a request rate): a
    // decode slot is taken when the KV cache arrives, so only the decoding
    // counts. Closed loop (a client holding `batch` requests, as benchmarks
    // with a maximum concurrency do): the client's slot is held from the
    // request's arrival, through the prefill devices' queue, to its last
    // token.
    e.tpot_s = decode_token;
    e.prefill_wait_s =
        open_wait ? *open_wait
                  : closed_loop_prefill_wait(batch, e.prefill_s, e.ttft_s + out * e.tpot_s);
    e.ttft_s += e.prefill_wait_s;
    life = open_wait ? out * e.tpot_s : e.ttft_s + out * e.tpot_s;
    if (w_.num_prompts && !open_wait) life = benchmark_start(e, batch, life);
  } else {
    // Co-located, each prefill stalls the whole instance: with DP
    // attention one group's prefill holds every rank at the next expert
    // all-to-all, so the groups' prefills do not run side by side; with PP
    // a prompt holds each stage for its layers' share. In one request's
    // life every other slot turns over once, so the instance prefills the
    // batch's other prompts once each: those that run before this prompt's
    // are its wait for the first token, the rest stall its decoding (its
    // TPOT). Counting them in both would charge them twice.
    const double stage_hold = pf.hold / layout_.pp;
    const double others = (batch - 1) * stage_hold;
    double wait = open_wait.value_or(0.0);
    if (!open_wait && w_.num_prompts && !w_.chunked_prefill_tokens) {
      // A benchmark's fixed-length rounds start together
      // (InferWorkload::num_prompts): a prompt waits for the end of its
      // prefill pass, half the others when a pass holds one prompt. The
      // attention groups fill their passes in the same steps, and the
      // prompts of a step hold the instance one after the other.
      const double k = w_.prefill_batch_tokens ? attention_groups() * prompts_per_pass() : 1.0;
      wait = (wave_ends(batch, 1, k).mean - 1.0) * stage_hold;
    } else if (!open_wait && batch > 1) {
      // Closed loop: a new request finds the instance prefilling another
      // prompt with probability rho = batch x prefill / life; M/D/1 wait,
      // at most the other prompts of the batch.
      const double rho = batch * stage_hold / (e.ttft_s + others + out * decode_token);
      wait = rho < 1 ? std::min(queue_wait(rho, 1, stage_hold), others) : others;
    }
    e.prefill_wait_s = wait;
    e.ttft_s += wait;
    e.tpot_s = decode_token + std::max(0.0, others - wait) / out;
    life = e.ttft_s + out * e.tpot_s;
  }
  const double per_instance = batch * static_cast<double>(w_.output_len) / life;
  // Per device: packages, plus a disaggregated deployment's prefill devices.
  set_output_rate(e, per_instance * layout_.instances, devices_ + w_.prefill_devices, w_,
                  dev_.hourly_usd);
  e.prefill_tokens_per_s_per_device =
      w_.input_len / (e.prefill_s * prefill_tp()) * ranks_per_device();
  return e;
}

// A disaggregated closed-loop benchmark of num_prompts requests whose first
// `batch` per instance leave together (InferWorkload::num_prompts; the
// co-located rounds are at_load's wait): TTFT and prefill_wait_s of `e`
// become the run's means, and the result is the mean life that gives the
// run's throughput (batch x output_len / life = prompts x output_len /
// duration per instance). `life` is the steady state's.
double InferModel::benchmark_start(InferEstimate& e, int batch, double life) const {
  // Unnamed prefill devices: no queue to model.
  if (w_.prefill_devices <= 0) return life;
  const double out = w_.output_len;
  const double rounds =
      std::max(1.0, static_cast<double>(*w_.num_prompts) / layout_.instances / batch);
  const double own = e.ttft_s - e.prefill_wait_s;  // own prefill and first step, no queue
  // The first wave's prompts, batch x instances of them, queue at the
  // prefill devices' attention groups, P groups each prefilling
  // prompts_per_pass() at a time (wave_ends; one: the i-th prompt waits
  // floor(i / P) prefills). The slot served last ends the first wave, then
  // runs rounds - 1 steady-state lives.
  const double servers = std::max(1.0, std::floor(prefill_servers()));
  // (A batch the SLO search chose may exceed the prompts sent: only those leave.)
  const double wave = std::min(static_cast<double>(*w_.num_prompts),
                               static_cast<double>(batch) * layout_.instances);
  const WaveEnds ends = wave_ends(wave, servers, prompts_per_pass());
  const double mean_wait = (ends.mean - 1.0) * e.prefill_s;
  const double last_wait = (ends.last - 1.0) * e.prefill_s;
  const double first = own + last_wait + out * e.tpot_s;
  const double mean_ttft = ((own + mean_wait) + (rounds - 1) * e.ttft_s) / rounds;
  e.prefill_wait_s = mean_ttft - own;
  e.ttft_s = mean_ttft;
  return (first + (rounds - 1) * life) / rounds;
}

// Prompts one attention group's prefill pass takes from a closed-loop wave
// (InferWorkload::prefill_batch_tokens): one without a budget or when a
// prompt fills it.
double InferModel::prompts_per_pass() const {
  if (!w_.prefill_batch_tokens) return 1.0;
  return std::max(1.0, std::floor(static_cast<double>(*w_.prefill_batch_tokens) / w_.input_len));
}

// A closed loop's wait W for the disaggregated prefill devices: `batch`
// requests per decode instance cycle through lives of `life` + W seconds,
// so prompts of `prefill` seconds arrive at the prefill devices' attention
// groups at instances x batch / (life + W) per second; M/D/c wait, at most
// the prompts queued ahead when every batch arrives at once. The client
// only sends when a request ends, so its pace falls as the queue grows: W
// is the fixed point of W = wait(rho(W)) (the left side grows with W, the
// right falls), which tends to the prefill devices' own pace, not to the
// whole batch queued, when the prompts come faster than they prefill. 0
// when the deployment does not say how many devices prefill.
double InferModel::closed_loop_prefill_wait(int batch, double prefill, double life) const {
  if (w_.prefill_devices <= 0 || batch <= 1 || !(life > 0) || !(prefill > 0)) return 0.0;
  const double servers = std::max(1.0, prefill_servers());
  const double in_flight = static_cast<double>(batch) * layout_.instances;
  const double cap = std::max(0.0, std::ceil(in_flight / servers) - 1.0) * prefill;
  auto wait_at = [&](double w) {
    const double rho = in_flight * prefill / ((life + w) * servers);
    return rho < 1 ? std::min(queue_wait(rho, servers, prefill), cap) : cap;
  };
  // Bisection keeps wait_at(lo) >= lo and wait_at(hi) <= hi (wait_at falls
  // as w grows); 60 halvings reach any cap's 1e-9 long before they run out.
  double lo = 0, hi = cap;
  for (int i = 0; i < 60 && hi - lo > 1e-9 * (1.0 + cap); ++i) {
    const double mid = 0.5 * (lo + hi);
    (wait_at(mid) > mid ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

InferEstimate InferModel::at_rate() const {
  const double rate = *w_.request_rate;
  const double per_instance = rate / layout_.instances;
  // The concurrency cap: the client's (per instance), else memory's.
  int cap = max_batch_;
  if (w_.batch) cap = w_.published_run ? *w_.batch : std::min(*w_.batch, max_batch_);
  // A chunked-prefill budget holds the running sequences' decode tokens
  // (an engine's max_num_seqs stays under its max_num_batched_tokens).
  cap = std::max(1, std::min(cap, budget_batch_cap()));
  if (w_.chunked_prefill_tokens && !w_.disaggregated) return at_rate_chunked(cap);
  InferEstimate e = at_load(cap, 0.0);
  if (!(e.output_tokens_per_s > 0)) return e;
  e.request_rate = rate;
  // TTFT waits for prefill: co-located, behind the instance's other
  // prompts (each stalls the whole instance); disaggregated, at the
  // prefill devices' attention groups, when the row names them.
  const double prefill = e.prefill_s;
  double service = e.prefill_hold_s / layout_.pp;  // co-located: a prompt's hold on each stage
  double rho = 0, servers = 1;
  if (!w_.disaggregated) {
    rho = per_instance * service;
  } else if (w_.prefill_devices > 0) {
    servers = prefill_servers();
    service = prefill;
    rho = rate * prefill / servers;
  }
  if (rho >= 1.0) {  // prefill cannot keep up
    e.saturated = true;
    if (w_.disaggregated) {  // the prefill devices set the throughput
      const double prefill_rate = rate / rho;
      set_output_rate(e, std::min(e.output_tokens_per_s, prefill_rate * w_.output_len),
                      devices_ + w_.prefill_devices, w_, dev_.hourly_usd);
    }
    return e;
  }
  const double wait = rho > 0 ? queue_wait(rho, servers, service) : 0.0;
  e = at_load(cap, wait);
  e.request_rate = rate;
  if (per_instance >= served_per_instance(e)) {
    e.saturated = true;
    return e;
  }
  // Little's law: the batch holds every request in flight, b = rate x its
  // time in the system, which grows with b; the smallest b that keeps up
  // (e stays the estimate at the upper end, which keeps up).
  int lo = 1;
  int hi = cap;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    InferEstimate x = at_load(mid, wait);
    if (served_per_instance(x) > per_instance) {
      hi = mid;
      e = std::move(x);
      e.request_rate = rate;
    } else {
      lo = mid + 1;
    }
  }
  set_output_rate(e, rate * w_.output_len, devices_ + w_.prefill_devices, w_, dev_.hourly_usd);
  return e;
}

// at_rate when prompts prefill in chunks beside the batch's decode steps:
// a prompt's hold on the instance then grows with the batch (smaller
// passes), so each candidate batch has its own utilisation and wait. The
// smallest batch that keeps up, found by doubling and then bisecting;
// none up to `cap`: saturated at the cap.
InferEstimate InferModel::at_rate_chunked(int cap) const {
  const double rate = *w_.request_rate;
  const double per_instance = rate / layout_.instances;
  auto keeps_up = [&](int b, InferEstimate& out) {
    const double service = prompt_prefill(b, decode_step(b)).hold / layout_.pp;
    const double rho = per_instance * service;
    out = at_load(b, rho < 1 ? (rho > 0 ? queue_wait(rho, 1, service) : 0.0) : 0.0);
    out.request_rate = rate;
    if (!out.fits && !w_.published_run) return false;
    return rho < 1 && served_per_instance(out) > per_instance;
  };
  InferEstimate e;
  int lo = 1, hi = 1;
  while (!keeps_up(hi, e)) {
    if (hi >= cap) {
      e = at_load(cap, 0.0);
      e.request_rate = rate;
      e.saturated = true;
      return e;
    }
    lo = hi + 1;
    hi = std::min(cap, 2 * hi);
  }
  while (lo < hi) {  // e is keeps_up(hi)'s; the smallest such batch in [lo, hi]
    const int mid = lo + (hi - lo) / 2;
    InferEstimate x;
    if (keeps_up(mid, x)) {
      hi = mid;
      e = x;
    } else {
      lo = mid + 1;
    }
  }
  set_output_rate(e, rate * w_.output_len, devices_ + w_.prefill_devices, w_, dev_.hourly_usd);
  return e;
}

}  // namespace suanli
