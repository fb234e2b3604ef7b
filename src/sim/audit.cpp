// The audit replays the event log on its own model of the fleet (nodes,
// per-device allocated milli, per-node CPU/memory use) and of the jobs
// (queued / running / completed / failed, with the groups each running job
// holds). It shares no code with the scheduler on purpose: a bug in the
// scheduling core must not be able to hide itself here. That is also why it
// is one file over 900 lines: its model of the fleet and its checks stay
// private to it.
//
// Choices the format leaves open (see also docs/event-log.md):
// - CPU/memory: a job's cpu_milli and memory_mib count once on every node
//   it holds devices on (a 16-device job over two nodes uses its cpu_milli
//   on each of them).
// - Checks that look at "the state after time t" run when the next line has
//   a larger t (and at `end`): node-down, share-feasible, the lowest
//   domestic share. The drain deadline (from + within) is checked at the
//   first line with t > deadline, and at `end` when end.t >= deadline.
// - Allocation is replayed as logged even when a violation is reported, so
//   one bad placement does not cascade into unrelated violations.
#include "sim/audit.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <istream>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace suanli {

namespace {

using json = nlohmann::json;

constexpr double kShareEps = 1e-9;

// ---------------------------------------------------------------------------
// Field access that never throws: every getter names the line and the key.

class Fields {
 public:
  Fields(const json& j, int line) : j_(j), line_(line) {}

  const json* find(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::unexpected<Error> bad(std::string_view key, std::string_view what) const {
    return fail(ErrorCode::kParse,
                fmt::format("event log line {}: field '{}' {}", line_, key, what));
  }
  Result<double> num(std::string_view key) const {
    const json* v = find(key);
    if (!v || !v->is_number()) return bad(key, "missing or not a number");
    double d = v->get<double>();
    if (!std::isfinite(d)) return bad(key, "is not finite");
    return d;
  }
  Result<long long> integer(std::string_view key) const {
    const json* v = find(key);
    if (!v) return bad(key, "missing");
    return as_integer(*v, key);
  }
  Result<long long> as_integer(const json& v, std::string_view key) const {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
        return static_cast<long long>(d);
    }
    return bad(key, "is not an integer");
  }
  Result<std::string> str(std::string_view key) const {
    const json* v = find(key);
    if (!v || !v->is_string()) return bad(key, "missing or not a string");
    return v->get<std::string>();
  }
  Result<bool> boolean(std::string_view key) const {
    const json* v = find(key);
    if (!v || !v->is_boolean()) return bad(key, "missing or not a boolean");
    return v->get<bool>();
  }
  Result<const json*> array(std::string_view key) const {
    const json* v = find(key);
    if (!v || !v->is_array()) return bad(key, "missing or not a list");
    return v;
  }
  Result<std::vector<long long>> int_list(std::string_view key) const {
    auto a = array(key);
    if (!a) return std::unexpected(a.error());
    std::vector<long long> out;
    for (const json& e : **a) {
      auto i = as_integer(e, key);
      if (!i) return std::unexpected(i.error());
      out.push_back(*i);
    }
    return out;
  }
  Result<std::vector<std::string>> str_list(std::string_view key) const {
    auto a = array(key);
    if (!a) return std::unexpected(a.error());
    std::vector<std::string> out;
    for (const json& e : **a) {
      if (!e.is_string()) return bad(key, "is not a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  int line() const { return line_; }

 private:
  const json& j_;
  int line_;
};

// ---------------------------------------------------------------------------
// The audit's own model of the fleet and the jobs.

std::optional<int> parse_sensitivity(std::string_view s) {
  if (s == "public") return 0;
  if (s == "internal") return 1;
  if (s == "confidential") return 2;
  if (s == "secret") return 3;
  return std::nullopt;
}

struct AType {
  std::string id;
  std::string origin;
  bool domestic = false;
  double compute_weight = 0;
};

struct ANode {
  int type = 0;
  int domain = 0;
  int devices = 0;
  long long cpu_cap = 0;  // 0: not tracked
  long long mem_cap = 0;  // 0: not tracked
  bool up = true;
  std::vector<int> used_milli;  // per device
  long long cpu_used = 0;
  long long mem_used = 0;
  long long milli_total = 0;  // sum of used_milli
};

struct Entry {
  long long node = 0;
  long long device = 0;
  long long milli = 0;
  auto operator<=>(const Entry&) const = default;
};
using Groups = std::vector<std::vector<Entry>>;

enum class JobState { kUnknown, kQueued, kRunning, kCompleted, kFailed };

struct AJob {
  JobState state = JobState::kUnknown;
  std::string name;
  int tenant = 0;
  int sensitivity = 0;
  std::string sensitivity_name;
  long long devices = 0;
  long long tp = 0;
  long long milli = 1000;
  long long cpu = 0;
  long long mem = 0;
  std::vector<int> runnable;
  // While running:
  int type = -1;
  Groups held;                // as logged (valid entries only)
  std::vector<int> on_nodes;  // distinct nodes of `held`
};

enum class RuleKind { kSensitivityOrigin, kDomesticShare, kApproved, kNoNew, kDrain };

struct ARule {
  std::string id;
  RuleKind kind = RuleKind::kSensitivityOrigin;
  int min_sensitivity = 0;
  std::string min_sensitivity_name;
  std::vector<std::string> origins;
  double min_share = 0;
  bool measure_devices = false;
  int type = -1;
  std::vector<int> tenants;
  double from = 0;
  double within = 0;
  // Drain deadline bookkeeping.
  bool deadline_checked = false;
  bool late = false;
};

std::string join_strings(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Groups normalized(Groups g) {
  for (auto& group : g) std::sort(group.begin(), group.end());
  std::sort(g.begin(), g.end());
  return g;
}

// The gang problems of group `g` (its valid entries `kept`) spanning
// nodes: only whole nodes smaller than tp, in one scale-up domain.
void check_group_span(const AJob& job, std::size_t g, const std::vector<Entry>& kept,
                      const std::vector<ANode>& nodes, std::vector<std::string>& gang) {
  std::map<int, int> per_node;  // node -> devices of this group on it
  for (const Entry& e : kept) ++per_node[static_cast<int>(e.node)];
  if (per_node.size() <= 1) return;
  std::set<int> domains;
  for (const auto& [node, count] : per_node) {
    const ANode& n = nodes[node];
    domains.insert(n.domain);
    if (n.devices >= job.tp) {
      gang.push_back(
          fmt::format("group {} (tp {}) spans {} nodes although node {} has {} "
                      "devices",
                      g, job.tp, per_node.size(), node, n.devices));
      break;
    }
    if (count != n.devices) {
      gang.push_back(
          fmt::format("group {} (tp {}) uses {} of the {} devices of node {}; a "
                      "multi-node group takes whole nodes",
                      g, job.tp, count, n.devices, node));
      break;
    }
  }
  if (domains.size() > 1)
    gang.push_back(
        fmt::format("group {} (tp {}) spans {} scale-up domains", g, job.tp, domains.size()));
}

// The distinct gang problems in first-seen order, at most five shown.
std::string gang_summary(const std::vector<std::string>& gang) {
  std::vector<std::string> distinct;
  for (const auto& what : gang)
    if (std::find(distinct.begin(), distinct.end(), what) == distinct.end())
      distinct.push_back(what);
  std::string shown;
  for (std::size_t i = 0; i < distinct.size() && i < 5; ++i) shown += (i ? "; " : "") + distinct[i];
  if (distinct.size() > 5) shown += fmt::format("; and {} more", distinct.size() - 5);
  return shown;
}

// The gang problems of a place line's group shapes (`groups` as logged,
// `valid` the entries kept of each), appended to `gang`.
void check_gang_shape(const AJob& job, const Groups& groups, const Groups& valid,
                      const std::vector<ANode>& nodes, std::vector<std::string>& gang) {
  if (job.milli < 1000) {
    if (groups.size() != 1 || groups[0].size() != 1)
      gang.push_back(fmt::format("a fractional pod needs 1 group of 1 device, got {} group(s)",
                                 groups.size()));
    return;
  }
  if (job.tp <= 0 || job.devices % job.tp != 0) {
    gang.push_back(fmt::format("devices {} is not a multiple of tp {}", job.devices, job.tp));
    return;
  }
  long long want = job.devices / job.tp;
  if (static_cast<long long>(groups.size()) != want)
    gang.push_back(fmt::format("{} group(s), expected devices/tp = {}", groups.size(), want));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    if (static_cast<long long>(group.size()) != job.tp) {
      gang.push_back(
          fmt::format("group {} has {} device(s), expected tp = {}", g, group.size(), job.tp));
      continue;
    }
    check_group_span(job, g, valid[g], nodes, gang);
  }
}

class Auditor {
 public:
  Result<void> line(std::string_view text, int line_no);
  Result<AuditReport> finish();

 private:
  // Parsing.
  Result<void> header(const Fields& f);
  Result<void> add_node(const json& obj, int line_no);
  Result<ARule> parse_rule(const json& obj, int line_no);
  Result<void> read_tenants(const Fields& f);
  Result<Groups> parse_groups(const Fields& f, std::string_view key);

  // Events.
  Result<void> submit(const Fields& f);
  Result<void> place(const Fields& f);
  Result<void> release_event(const Fields& f, std::string_view event);
  Result<void> complete(const Fields& f);
  Result<void> fail_event(const Fields& f);
  Result<void> queue(const Fields& f);
  Result<void> node_event(const Fields& f, bool up);
  Result<void> delivery(const Fields& f);
  Result<void> end(const Fields& f);

  // Time boundaries.
  void close_timestamp();
  void check_drain_deadlines(double next_t, bool inclusive);

  // Helpers.
  void violation(std::string check, std::string message) {
    violation_at(t_, line_, check, message);
  }
  void violation_at(double t, int line, std::string check, std::string message);
  AJob* known_job(long long id, std::string_view event);
  std::string job_label(long long id) const;
  std::string type_label(int type) const;
  std::string node_jobs(int node) const;
  void allocate(AJob& job, long long id);
  void release(AJob& job);
  double share(bool by_devices) const;
  bool type_allowed(const AJob& job, int type, double t) const;
  bool fits_now(const AJob& job, int type) const;

  // A place line's entries as checked: the problems found, the valid
  // entries of each group and the nodes they are on.
  struct PlacedEntries {
    std::vector<std::string> gang;
    Groups valid;
    std::set<int> on_nodes;
  };
  PlacedEntries check_entries(const Groups& groups, const AJob& job, int type,
                              const std::string& who);
  void check_placement_rules(const AJob& job, int type, const std::string& who);
  void check_domestic_share(const AJob& job, int type, const std::string& who);

  AuditReport report_;
  bool have_header_ = false;
  bool ended_ = false;
  double t_ = 0;        // time of the lines being processed
  int line_ = 0;        // current line
  bool dirty_ = false;  // lines at t_ not yet closed

  std::vector<AType> types_;
  int tenants_ = 0;
  // Per tenant: its name and declared sensitivity (the floor of its jobs'
  // sensitivity; 0, public, when the header declares none).
  std::vector<std::string> tenant_names_;
  std::vector<int> tenant_floor_;
  std::vector<std::string> tenant_floor_name_;
  int sites_ = 0;
  std::vector<ANode> nodes_;
  std::vector<std::vector<int>> nodes_by_type_;
  std::vector<ARule> rules_;
  std::vector<AJob> jobs_;
  std::set<long long> queued_;
  std::vector<long long> type_milli_;  // allocated milli per type (by node type)
  std::vector<int> downed_now_;        // nodes that went down at t_
};

// ---------------------------------------------------------------------------

void Auditor::violation_at(double t, int line, std::string check, std::string message) {
  ++report_.violation_count;
  ++report_.by_check[check];
  if (report_.violations.size() < kMaxAuditMessages)
    report_.violations.push_back({t, line, std::move(check), std::move(message)});
}

std::string Auditor::job_label(long long id) const {
  if (id >= 0 && id < static_cast<long long>(jobs_.size()) && jobs_[id].state != JobState::kUnknown)
    return fmt::format("job {} '{}'", id, jobs_[id].name);
  return fmt::format("job {}", id);
}

std::string Auditor::type_label(int type) const {
  if (type >= 0 && type < static_cast<int>(types_.size()))
    return fmt::format("{} (type {})", types_[type].id, type);
  return fmt::format("type {}", type);
}

std::string Auditor::node_jobs(int node) const {
  std::vector<std::string> names;
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    const AJob& job = jobs_[j];
    if (job.state == JobState::kRunning &&
        std::find(job.on_nodes.begin(), job.on_nodes.end(), node) != job.on_nodes.end())
      names.push_back(job_label(static_cast<long long>(j)));
  }
  return names.empty() ? "no running job (stale allocation)" : join_strings(names);
}

AJob* Auditor::known_job(long long id, std::string_view event) {
  if (id < 0 || id >= static_cast<long long>(jobs_.size()) ||
      jobs_[id].state == JobState::kUnknown) {
    violation("lifecycle", fmt::format("{} for job {}, which was never submitted", event, id));
    return nullptr;
  }
  return &jobs_[id];
}

// ---------------------------------------------------------------------------
// Parsing of the header and of node/rule objects.

Result<void> Auditor::add_node(const json& obj, int line_no) {
  if (!obj.is_object())
    return fail(ErrorCode::kParse,
                fmt::format("event log line {}: a node is not an object", line_no));
  Fields f(obj, line_no);
  auto index = f.integer("node");
  auto type = f.integer("type");
  auto site = f.integer("site");
  auto domain = f.integer("domain");
  auto devices = f.integer("devices");
  auto cpu = f.integer("cpu_milli");
  auto mem = f.integer("memory_mib");
  for (const auto* r : {&index, &type, &site, &domain, &devices, &cpu, &mem})
    if (!*r) return std::unexpected(r->error());
  if (*index != static_cast<long long>(nodes_.size()))
    return fail(ErrorCode::kParse, fmt::format("event log line {}: node {} out of sequence "
                                               "(expected {})",
                                               line_no, *index, nodes_.size()));
  if (*type < 0 || *type >= static_cast<long long>(types_.size()))
    return fail(ErrorCode::kParse, fmt::format("event log line {}: node {} has unknown type {}",
                                               line_no, *index, *type));
  if (*site < 0 || *site >= sites_)
    return fail(ErrorCode::kParse, fmt::format("event log line {}: node {} has unknown site {}",
                                               line_no, *index, *site));
  if (*devices <= 0 || *devices > 100000 || *cpu < 0 || *mem < 0 || *domain < 0)
    return fail(
        ErrorCode::kParse,
        fmt::format("event log line {}: node {} has a negative or zero size", line_no, *index));
  ANode n;
  n.type = static_cast<int>(*type);
  n.domain = static_cast<int>(*domain);
  n.devices = static_cast<int>(*devices);
  n.cpu_cap = *cpu;
  n.mem_cap = *mem;
  n.used_milli.assign(n.devices, 0);
  nodes_by_type_[n.type].push_back(static_cast<int>(nodes_.size()));
  nodes_.push_back(std::move(n));
  return {};
}

Result<ARule> Auditor::parse_rule(const json& obj, int line_no) {
  if (!obj.is_object())
    return fail(ErrorCode::kParse,
                fmt::format("event log line {}: a rule is not an object", line_no));
  Fields f(obj, line_no);
  ARule r;
  auto id = f.str("id");
  if (!id) return std::unexpected(id.error());
  r.id = *id;
  auto kind = f.str("kind");
  if (!kind) return std::unexpected(kind.error());
  auto bad = [&](std::string what) {
    return fail(ErrorCode::kParse,
                fmt::format("event log line {}: rule '{}': {}", line_no, r.id, what));
  };
  auto need_type = [&]() -> Result<void> {
    auto t = f.integer("type");
    if (!t) return std::unexpected(t.error());
    if (*t < 0 || *t >= static_cast<long long>(types_.size()))
      return bad(fmt::format("unknown type {}", *t));
    r.type = static_cast<int>(*t);
    return {};
  };
  if (*kind == "sensitivity-origin") {
    r.kind = RuleKind::kSensitivityOrigin;
    auto s = f.str("min_sensitivity");
    if (!s) return std::unexpected(s.error());
    auto level = parse_sensitivity(*s);
    if (!level) return bad(fmt::format("unknown sensitivity '{}'", *s));
    r.min_sensitivity = *level;
    r.min_sensitivity_name = *s;
    auto origins = f.str_list("origins");
    if (!origins) return std::unexpected(origins.error());
    r.origins = *origins;
  } else if (*kind == "domestic-share") {
    r.kind = RuleKind::kDomesticShare;
    auto share = f.num("min_share");
    if (!share) return std::unexpected(share.error());
    r.min_share = *share;
    auto measure = f.str("measure");
    if (!measure) return std::unexpected(measure.error());
    if (*measure != "compute" && *measure != "devices")
      return bad(fmt::format("unknown measure '{}'", *measure));
    r.measure_devices = *measure == "devices";
  } else if (*kind == "approved-customers") {
    r.kind = RuleKind::kApproved;
    SUANLI_TRY(need_type());
    auto tenants = f.int_list("tenants");
    if (!tenants) return std::unexpected(tenants.error());
    for (long long t : *tenants) {
      if (t < 0 || t >= tenants_) return bad(fmt::format("unknown tenant {}", t));
      r.tenants.push_back(static_cast<int>(t));
    }
  } else if (*kind == "no-new-placements" || *kind == "drain") {
    r.kind = *kind == "drain" ? RuleKind::kDrain : RuleKind::kNoNew;
    SUANLI_TRY(need_type());
    auto from = f.num("from");
    if (!from) return std::unexpected(from.error());
    r.from = *from;
    if (r.kind == RuleKind::kDrain) {
      auto within = f.num("within");
      if (!within) return std::unexpected(within.error());
      if (*within < 0) return bad("negative 'within'");
      r.within = *within;
    }
  } else {
    return bad(fmt::format("unknown rule kind '{}'", *kind));
  }
  return r;
}

Result<void> Auditor::header(const Fields& f) {
  auto version = f.integer("version");
  if (!version) return std::unexpected(version.error());
  if (*version != 1)
    return fail(ErrorCode::kParse,
                fmt::format("event log line {}: unsupported version {}", f.line(), *version));
  auto types = f.array("types");
  if (!types) return std::unexpected(types.error());
  for (const json& t : **types) {
    if (!t.is_object())
      return fail(ErrorCode::kParse,
                  fmt::format("event log line {}: a type is not an object", f.line()));
    Fields tf(t, f.line());
    auto index = tf.integer("type");
    auto id = tf.str("id");
    auto origin = tf.str("origin");
    auto domestic = tf.boolean("domestic");
    auto weight = tf.num("compute_weight");
    if (!index) return std::unexpected(index.error());
    if (!id) return std::unexpected(id.error());
    if (!origin) return std::unexpected(origin.error());
    if (!domestic) return std::unexpected(domestic.error());
    if (!weight) return std::unexpected(weight.error());
    if (*index != static_cast<long long>(types_.size()))
      return fail(ErrorCode::kParse,
                  fmt::format("event log line {}: type {} out of sequence", f.line(), *index));
    if (*weight < 0)
      return fail(
          ErrorCode::kParse,
          fmt::format("event log line {}: type '{}' has a negative compute_weight", f.line(), *id));
    types_.push_back({*id, *origin, *domestic, *weight});
  }
  nodes_by_type_.resize(types_.size());
  type_milli_.assign(types_.size(), 0);
  auto sites = f.str_list("sites");
  if (!sites) return std::unexpected(sites.error());
  sites_ = static_cast<int>(sites->size());
  SUANLI_TRY(read_tenants(f));
  auto nodes = f.array("nodes");
  if (!nodes) return std::unexpected(nodes.error());
  for (const json& n : **nodes) SUANLI_TRY(add_node(n, f.line()));
  auto rules = f.array("rules");
  if (!rules) return std::unexpected(rules.error());
  for (const json& r : **rules) {
    auto rule = parse_rule(r, f.line());
    if (!rule) return std::unexpected(rule.error());
    rules_.push_back(std::move(*rule));
  }
  return {};
}

// Header "tenants": names, or objects {"name", "sensitivity"} where the
// log declares a tenant's sensitivity (the live fleet's config does).
Result<void> Auditor::read_tenants(const Fields& f) {
  auto tenants = f.array("tenants");
  if (!tenants) return std::unexpected(tenants.error());
  for (const json& t : **tenants) {
    std::string name;
    std::string level = "public";
    if (t.is_string()) {
      name = t.get<std::string>();
    } else if (t.is_object() && t.contains("name") && t["name"].is_string()) {
      name = t["name"].get<std::string>();
      if (auto it = t.find("sensitivity"); it != t.end() && !it->is_null()) {
        if (!it->is_string() || !parse_sensitivity(it->get<std::string>()))
          return f.bad("tenants", fmt::format("tenant '{}' has an unknown sensitivity", name));
        level = it->get<std::string>();
      }
    } else {
      return f.bad("tenants", "is not a list of names or {\"name\", \"sensitivity\"} objects");
    }
    tenant_names_.push_back(std::move(name));
    tenant_floor_.push_back(*parse_sensitivity(level));
    tenant_floor_name_.push_back(level);
  }
  tenants_ = static_cast<int>(tenant_names_.size());
  return {};
}

Result<Groups> Auditor::parse_groups(const Fields& f, std::string_view key) {
  auto list = f.array(key);
  if (!list) return std::unexpected(list.error());
  Groups groups;
  for (const json& g : **list) {
    if (!g.is_array()) return f.bad(key, "is not a list of groups");
    std::vector<Entry> group;
    for (const json& e : g) {
      if (!e.is_array() || e.size() != 3)
        return f.bad(key, "has an entry that is not [node, device, milli]");
      auto node = f.as_integer(e[0], key);
      auto device = f.as_integer(e[1], key);
      auto milli = f.as_integer(e[2], key);
      if (!node) return std::unexpected(node.error());
      if (!device) return std::unexpected(device.error());
      if (!milli) return std::unexpected(milli.error());
      group.push_back({*node, *device, *milli});
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// ---------------------------------------------------------------------------
// Allocation bookkeeping.

void Auditor::allocate(AJob& job, long long id) {
  for (const auto& group : job.held)
    for (const Entry& e : group) {
      ANode& n = nodes_[e.node];
      int& used = n.used_milli[e.device];
      used += static_cast<int>(e.milli);
      n.milli_total += e.milli;
      type_milli_[n.type] += e.milli;
      if (used > 1000)
        violation("capacity",
                  fmt::format("{} takes {} milli of node {} device {}, which now has {} "
                              "milli allocated (> 1000)",
                              job_label(id), e.milli, e.node, e.device, used));
    }
  for (int node : job.on_nodes) {
    ANode& n = nodes_[node];
    n.cpu_used += job.cpu;
    n.mem_used += job.mem;
    if (n.cpu_cap > 0 && n.cpu_used > n.cpu_cap)
      violation("capacity", fmt::format("{} brings node {} to {} cpu_milli of {}", job_label(id),
                                        node, n.cpu_used, n.cpu_cap));
    if (n.mem_cap > 0 && n.mem_used > n.mem_cap)
      violation("capacity", fmt::format("{} brings node {} to {} memory_mib of {}", job_label(id),
                                        node, n.mem_used, n.mem_cap));
  }
}

void Auditor::release(AJob& job) {
  for (const auto& group : job.held)
    for (const Entry& e : group) {
      ANode& n = nodes_[e.node];
      n.used_milli[e.device] -= static_cast<int>(e.milli);
      n.milli_total -= e.milli;
      type_milli_[n.type] -= e.milli;
    }
  for (int node : job.on_nodes) {
    nodes_[node].cpu_used -= job.cpu;
    nodes_[node].mem_used -= job.mem;
  }
  job.held.clear();
  job.on_nodes.clear();
  job.type = -1;
}

// Domestic share of what is allocated; -1 when nothing is.
double Auditor::share(bool by_devices) const {
  double total = 0;
  double domestic = 0;
  for (std::size_t t = 0; t < types_.size(); ++t) {
    double w = by_devices ? 1.0 : types_[t].compute_weight;
    double v = static_cast<double>(type_milli_[t]) / 1000.0 * w;
    total += v;
    if (types_[t].domestic) domestic += v;
  }
  return total > 0 ? domestic / total : -1;
}

bool Auditor::type_allowed(const AJob& job, int type, double t) const {
  if (std::find(job.runnable.begin(), job.runnable.end(), type) == job.runnable.end()) return false;
  for (const ARule& r : rules_) {
    switch (r.kind) {
      case RuleKind::kSensitivityOrigin:
        if (job.sensitivity >= r.min_sensitivity &&
            std::find(r.origins.begin(), r.origins.end(), types_[type].origin) == r.origins.end())
          return false;
        break;
      case RuleKind::kApproved:
        if (r.type == type &&
            std::find(r.tenants.begin(), r.tenants.end(), job.tenant) == r.tenants.end())
          return false;
        break;
      case RuleKind::kNoNew:
      case RuleKind::kDrain:
        if (r.type == type && r.from <= t) return false;
        break;
      case RuleKind::kDomesticShare:
        break;
    }
  }
  return true;
}

// Whether the job's gang fits in the free capacity of `type` right now.
bool Auditor::fits_now(const AJob& job, int type) const {
  auto room = [&](const ANode& n) {
    return n.up && (n.cpu_cap == 0 || n.cpu_cap - n.cpu_used >= job.cpu) &&
           (n.mem_cap == 0 || n.mem_cap - n.mem_used >= job.mem);
  };
  if (job.milli < 1000) {
    for (int id : nodes_by_type_[type]) {
      const ANode& n = nodes_[id];
      if (!room(n)) continue;
      for (int used : n.used_milli)
        if (1000 - used >= job.milli) return true;
    }
    return false;
  }
  if (job.tp <= 0 || job.devices <= 0 || job.devices % job.tp != 0) return false;
  long long needed = job.devices / job.tp;
  long long groups = 0;
  std::map<std::pair<int, int>, long long> whole_free;  // (domain, devices per node) -> nodes
  for (int id : nodes_by_type_[type]) {
    const ANode& n = nodes_[id];
    if (!room(n)) continue;
    long long free = std::count(n.used_milli.begin(), n.used_milli.end(), 0);
    if (n.devices >= job.tp)
      groups += free / job.tp;
    else if (free == n.devices && job.tp % n.devices == 0)
      ++whole_free[{n.domain, n.devices}];
  }
  for (const auto& [key, count] : whole_free) groups += count / (job.tp / key.second);
  return groups >= needed;
}

// ---------------------------------------------------------------------------
// Time boundaries.

// Runs the checks on the state after every line at t_.
void Auditor::close_timestamp() {
  if (!dirty_) return;
  dirty_ = false;
  // node-down: the simulator kills the jobs of a failed node at the same t.
  for (int node : downed_now_)
    if (nodes_[node].milli_total > 0)
      violation("node-down",
                fmt::format("node {} went down at t={} but {} still hold(s) its devices", node, t_,
                            node_jobs(node)));
  downed_now_.clear();
  // Drains past their deadline: note when the type is finally empty.
  for (ARule& r : rules_)
    if (r.late && type_milli_[r.type] == 0) {
      r.late = false;
      report_.drain_lateness_s = std::max(report_.drain_lateness_s, t_ - (r.from + r.within));
    }
  // Lowest domestic share.
  bool by_devices = false;
  for (const ARule& r : rules_)
    if (r.kind == RuleKind::kDomesticShare) {
      by_devices = r.measure_devices;
      break;
    }
  if (double s = share(by_devices); s >= 0)
    report_.min_domestic_share = std::min(report_.min_domestic_share, s);
  // share-feasible: below target only if no queued job could go domestic.
  for (const ARule& r : rules_) {
    if (r.kind != RuleKind::kDomesticShare) continue;
    double s = share(r.measure_devices);
    if (s < 0 || s >= r.min_share - kShareEps) continue;
    std::map<std::tuple<int, long long, long long, long long, long long, long long>, bool> cache;
    long long first_job = -1;
    int first_type = -1;
    long long fitting = 0;
    for (long long id : queued_) {
      const AJob& job = jobs_[id];
      for (int d = 0; d < static_cast<int>(types_.size()); ++d) {
        if (!types_[d].domestic || !type_allowed(job, d, t_)) continue;
        auto key = std::make_tuple(d, job.devices, job.tp, job.milli, job.cpu, job.mem);
        auto it = cache.find(key);
        if (it == cache.end()) it = cache.emplace(key, fits_now(job, d)).first;
        if (!it->second) continue;
        if (first_job < 0) first_job = id, first_type = d;
        ++fitting;
        break;
      }
    }
    if (first_job >= 0)
      violation("share-feasible",
                fmt::format("domestic share {:.4f} < {} (rule {}) at t={} while queued {} fits on "
                            "domestic {} ({} queued job(s) fit)",
                            s, r.min_share, r.id, t_, job_label(first_job), type_label(first_type),
                            fitting));
  }
}

void Auditor::check_drain_deadlines(double next_t, bool inclusive) {
  for (ARule& r : rules_) {
    if (r.kind != RuleKind::kDrain || r.deadline_checked) continue;
    double deadline = r.from + r.within;
    if (inclusive ? deadline > next_t : deadline >= next_t) continue;
    r.deadline_checked = true;
    if (type_milli_[r.type] == 0) continue;
    r.late = true;
    std::vector<std::string> holders;
    for (std::size_t j = 0; j < jobs_.size(); ++j) {
      const AJob& job = jobs_[j];
      if (job.state != JobState::kRunning) continue;
      for (int node : job.on_nodes)
        if (nodes_[node].type == r.type) {
          holders.push_back(job_label(static_cast<long long>(j)));
          break;
        }
    }
    violation(
        "drain-deadline",
        fmt::format("rule {}: {} still holds {:.3f} devices after the deadline t={} ({})", r.id,
                    type_label(r.type), static_cast<double>(type_milli_[r.type]) / 1000.0, deadline,
                    join_strings(holders)));
  }
}

// ---------------------------------------------------------------------------
// Events.

Result<void> Auditor::submit(const Fields& f) {
  auto id = f.integer("job");
  auto name = f.str("name");
  auto tenant = f.integer("tenant");
  auto sens = f.str("sensitivity");
  auto devices = f.integer("devices");
  auto tp = f.integer("tp");
  auto milli = f.integer("milli");
  auto cpu = f.integer("cpu_milli");
  auto mem = f.integer("memory_mib");
  auto runnable = f.int_list("runnable");
  for (const auto* r : {&id, &tenant, &devices, &tp, &milli, &cpu, &mem})
    if (!*r) return std::unexpected(r->error());
  if (!name) return std::unexpected(name.error());
  if (!sens) return std::unexpected(sens.error());
  if (!runnable) return std::unexpected(runnable.error());
  auto level = parse_sensitivity(*sens);
  if (!level) return f.bad("sensitivity", fmt::format("has unknown value '{}'", *sens));
  if (*tenant < 0 || *tenant >= tenants_) return f.bad("tenant", "is not a tenant of the header");
  if (*id < 0 || *id > 100'000'000) return f.bad("job", "is out of range");
  for (long long t : *runnable)
    if (t < 0 || t >= static_cast<long long>(types_.size()))
      return f.bad("runnable", fmt::format("names unknown type {}", t));
  if (*id < static_cast<long long>(jobs_.size()) && jobs_[*id].state != JobState::kUnknown) {
    violation("lifecycle", fmt::format("{} submitted twice", job_label(*id)));
    return {};
  }
  if (*id >= static_cast<long long>(jobs_.size())) jobs_.resize(*id + 1);
  AJob& job = jobs_[*id];
  job.state = JobState::kQueued;
  job.name = *name;
  job.tenant = static_cast<int>(*tenant);
  job.sensitivity = *level;
  job.sensitivity_name = *sens;
  // Re-derived from the header's tenant declarations, not trusted from the
  // line: a job is at least as sensitive as its tenant declared.
  if (const int floor = tenant_floor_[job.tenant]; floor > job.sensitivity) {
    violation("tenant-sensitivity",
              fmt::format("{} of tenant {} submitted as {}, below the tenant's declared {}",
                          job_label(*id), tenant_names_[job.tenant], *sens,
                          tenant_floor_name_[job.tenant]));
    job.sensitivity = floor;
    job.sensitivity_name = fmt::format("{} as tenant {} declared", tenant_floor_name_[job.tenant],
                                       tenant_names_[job.tenant]);
  }
  job.devices = *devices;
  job.tp = *tp;
  job.milli = *milli;
  job.cpu = *cpu;
  job.mem = *mem;
  for (long long t : *runnable) job.runnable.push_back(static_cast<int>(t));
  queued_.insert(*id);
  ++report_.jobs_submitted;
  return {};
}

// Checks a place line's entries (existence, type, up, duplicates, milli):
// problems go to the result's gang list, a down node is reported at once.
Auditor::PlacedEntries Auditor::check_entries(const Groups& groups, const AJob& job, int type,
                                              const std::string& who) {
  const bool type_ok = type >= 0;
  PlacedEntries out;
  std::set<std::pair<long long, long long>> seen;
  bool down_reported = false;
  for (const auto& group : groups) {
    std::vector<Entry> kept;
    for (const Entry& e : group) {
      if (e.node < 0 || e.node >= static_cast<long long>(nodes_.size())) {
        out.gang.push_back(fmt::format("node {} does not exist", e.node));
        continue;
      }
      const ANode& n = nodes_[e.node];
      if (e.device < 0 || e.device >= n.devices) {
        out.gang.push_back(fmt::format("node {} has no device {}", e.node, e.device));
        continue;
      }
      if (!seen.insert({e.node, e.device}).second) {
        out.gang.push_back(fmt::format("device [{}, {}] listed twice", e.node, e.device));
        continue;
      }
      if (e.milli <= 0 || e.milli > 1000 || e.milli != job.milli)
        out.gang.push_back(fmt::format("device [{}, {}] gets {} milli, the job asks {}", e.node,
                                       e.device, e.milli, job.milli));
      if (type_ok && n.type != type)
        out.gang.push_back(
            fmt::format("node {} is {}, not the placed type", e.node, type_label(n.type)));
      if (!n.up && !down_reported) {
        violation("node-down", fmt::format("{} placed on node {}, which is down", who, e.node));
        down_reported = true;
      }
      if (e.milli > 0 && e.milli <= 1000) {
        kept.push_back(e);
        out.on_nodes.insert(static_cast<int>(e.node));
      }
    }
    out.valid.push_back(std::move(kept));
  }
  return out;
}

// Reports the type and rule violations of placing `job` on known `type`.
void Auditor::check_placement_rules(const AJob& job, int type, const std::string& who) {
  const AType& ty = types_[type];
  if (std::find(job.runnable.begin(), job.runnable.end(), type) == job.runnable.end())
    violation("type", fmt::format("{} placed on {}, which is not in its runnable list", who,
                                  type_label(type)));
  for (const ARule& r : rules_) {
    switch (r.kind) {
      case RuleKind::kSensitivityOrigin:
        if (job.sensitivity >= r.min_sensitivity &&
            std::find(r.origins.begin(), r.origins.end(), ty.origin) == r.origins.end())
          violation("sensitivity-origin",
                    fmt::format("{} ({}) placed on {} of origin {}; rule {} allows only [{}] "
                                "from {}",
                                who, job.sensitivity_name, type_label(type), ty.origin, r.id,
                                join_strings(r.origins), r.min_sensitivity_name));
        break;
      case RuleKind::kApproved:
        if (r.type == type &&
            std::find(r.tenants.begin(), r.tenants.end(), job.tenant) == r.tenants.end())
          violation("approved-customers",
                    fmt::format("{} of tenant {} placed on {}; rule {} does not approve the "
                                "tenant",
                                who, job.tenant, type_label(type), r.id));
        break;
      case RuleKind::kNoNew:
      case RuleKind::kDrain:
        if (r.type == type && t_ >= r.from)
          violation(r.kind == RuleKind::kDrain ? "drain" : "no-new-placements",
                    fmt::format("{} placed on {} at t={}; rule {} forbids new placements from "
                                "t={}",
                                who, type_label(type), t_, r.id, r.from));
        break;
      case RuleKind::kDomesticShare:
        break;
    }
  }
}

// After `job` (now running) was allocated: when it holds a foreign node,
// reports each domestic-share rule the allocation now breaks.
void Auditor::check_domestic_share(const AJob& job, int type, const std::string& who) {
  bool foreign = false;
  for (int node : job.on_nodes) foreign = foreign || !types_[nodes_[node].type].domestic;
  if (!foreign) return;
  for (const ARule& r : rules_) {
    if (r.kind != RuleKind::kDomesticShare) continue;
    double s = share(r.measure_devices);
    if (s >= 0 && s < r.min_share - kShareEps)
      violation("domestic-share",
                fmt::format("{} placed on {} brings the domestic share of allocated {} to {:.4f} "
                            "< {} (rule {})",
                            who, type_label(type), r.measure_devices ? "devices" : "compute", s,
                            r.min_share, r.id));
  }
}

Result<void> Auditor::place(const Fields& f) {
  auto id = f.integer("job");
  auto type_r = f.integer("type");
  if (!id) return std::unexpected(id.error());
  if (!type_r) return std::unexpected(type_r.error());
  auto groups = parse_groups(f, "groups");
  if (!groups) return std::unexpected(groups.error());
  ++report_.placements;
  AJob* jp = known_job(*id, "place");
  if (!jp) return {};
  AJob& job = *jp;
  std::string who = job_label(*id);
  if (job.state != JobState::kQueued) {
    violation("gang", fmt::format("place for {}, which is not queued ({})", who,
                                  job.state == JobState::kRunning ? "already running" : "ended"));
    return {};
  }
  bool type_ok = *type_r >= 0 && *type_r < static_cast<long long>(types_.size());
  int type = type_ok ? static_cast<int>(*type_r) : -1;
  if (!type_ok) violation("gang", fmt::format("{} placed on unknown type {}", who, *type_r));

  // Entries, then shape. Only valid entries are kept.
  PlacedEntries placed = check_entries(*groups, job, type, who);
  check_gang_shape(job, *groups, placed.valid, nodes_, placed.gang);
  // One violation per place line; the message lists each distinct problem.
  if (!placed.gang.empty())
    violation("gang",
              fmt::format("{} placed on {}: {}", who, type_label(type), gang_summary(placed.gang)));
  if (type_ok) check_placement_rules(job, type, who);

  // Apply.
  job.state = JobState::kRunning;
  queued_.erase(*id);
  job.type = type;
  job.held = std::move(placed.valid);
  job.on_nodes.assign(placed.on_nodes.begin(), placed.on_nodes.end());
  allocate(job, *id);
  check_domestic_share(job, type, who);
  return {};
}

Result<void> Auditor::release_event(const Fields& f, std::string_view event) {
  auto id = f.integer("job");
  if (!id) return std::unexpected(id.error());
  auto released = parse_groups(f, "released");
  if (!released) return std::unexpected(released.error());
  if (event == "kill") {
    auto node = f.integer("node");
    if (!node) return std::unexpected(node.error());
  }
  AJob* jp = known_job(*id, event);
  if (!jp) return {};
  AJob& job = *jp;
  if (job.state != JobState::kRunning) {
    violation("lifecycle", fmt::format("{} of {}, which is not running", event, job_label(*id)));
    return {};
  }
  if (normalized(*released) != normalized(job.held))
    violation("lifecycle", fmt::format("{} of {} releases other devices than the job holds", event,
                                       job_label(*id)));
  release(job);
  job.state = JobState::kQueued;
  queued_.insert(*id);
  return {};
}

Result<void> Auditor::complete(const Fields& f) {
  auto id = f.integer("job");
  if (!id) return std::unexpected(id.error());
  AJob* jp = known_job(*id, "complete");
  if (!jp) return {};
  if (jp->state != JobState::kRunning) {
    violation("lifecycle", fmt::format("complete of {}, which is not running", job_label(*id)));
    return {};
  }
  release(*jp);
  jp->state = JobState::kCompleted;
  ++report_.jobs_completed;
  return {};
}

Result<void> Auditor::fail_event(const Fields& f) {
  auto id = f.integer("job");
  if (!id) return std::unexpected(id.error());
  auto reason = f.str("reason");
  if (!reason) return std::unexpected(reason.error());
  AJob* jp = known_job(*id, "fail");
  if (!jp) return {};
  if (reason->empty())
    violation("lifecycle", fmt::format("fail of {} has no reason", job_label(*id)));
  if (jp->state == JobState::kCompleted || jp->state == JobState::kFailed) {
    violation("lifecycle", fmt::format("fail of {}, which already ended", job_label(*id)));
    return {};
  }
  if (jp->state == JobState::kRunning) release(*jp);
  queued_.erase(*id);
  jp->state = JobState::kFailed;
  ++report_.jobs_failed;
  return {};
}

Result<void> Auditor::queue(const Fields& f) {
  auto id = f.integer("job");
  if (!id) return std::unexpected(id.error());
  auto refusals = f.array("refusals");
  if (!refusals) return std::unexpected(refusals.error());
  AJob* jp = known_job(*id, "queue");
  if (!jp) return {};
  if (jp->state != JobState::kQueued)
    violation("lifecycle", fmt::format("queue line for {}, which is not queued", job_label(*id)));
  return {};
}

Result<void> Auditor::node_event(const Fields& f, bool up) {
  auto node = f.integer("node");
  if (!node) return std::unexpected(node.error());
  if (*node < 0 || *node >= static_cast<long long>(nodes_.size())) {
    violation("node-down",
              fmt::format("{} for unknown node {}", up ? "node_up" : "node_down", *node));
    return {};
  }
  nodes_[*node].up = up;
  if (!up) downed_now_.push_back(static_cast<int>(*node));
  return {};
}

Result<void> Auditor::delivery(const Fields& f) {
  auto nodes = f.array("nodes");
  if (!nodes) return std::unexpected(nodes.error());
  for (const json& n : **nodes) SUANLI_TRY(add_node(n, f.line()));
  return {};
}

Result<void> Auditor::end(const Fields& f) {
  auto reason = f.str("reason");
  if (!reason) return std::unexpected(reason.error());
  if (*reason != "drained" && *reason != "horizon")
    return f.bad("reason", fmt::format("has unknown value '{}'", *reason));
  close_timestamp();
  check_drain_deadlines(t_, /*inclusive=*/true);
  for (ARule& r : rules_)
    if (r.late) {
      report_.drain_lateness_s = std::max(report_.drain_lateness_s, t_ - (r.from + r.within));
      r.late = false;
    }
  for (std::size_t j = 0; j < jobs_.size(); ++j) {
    const AJob& job = jobs_[j];
    if (job.state != JobState::kQueued && job.state != JobState::kRunning) continue;
    ++report_.jobs_unfinished;
    if (*reason == "drained")
      violation("vanished", fmt::format("{} is still {} at the end of a drained run",
                                        job_label(static_cast<long long>(j)),
                                        job.state == JobState::kRunning ? "running" : "queued"));
  }
  ended_ = true;
  return {};
}

Result<void> Auditor::line(std::string_view text, int line_no) {
  line_ = line_no;
  if (ended_)
    return fail(ErrorCode::kParse, fmt::format("event log line {}: a line after 'end'", line_no));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return fail(ErrorCode::kParse, fmt::format("event log line {}: not valid JSON", line_no));
  if (!j.is_object())
    return fail(ErrorCode::kParse, fmt::format("event log line {}: not a JSON object", line_no));
  Fields f(j, line_no);
  auto event = f.str("event");
  if (!event) return std::unexpected(event.error());
  if (!have_header_) {
    if (*event != "header")
      return fail(ErrorCode::kParse,
                  fmt::format("event log line {}: the first line must be the header", line_no));
    have_header_ = true;
    return header(f);
  }
  if (*event == "header")
    return fail(ErrorCode::kParse, fmt::format("event log line {}: a second header", line_no));
  auto t = f.num("t");
  if (!t) return std::unexpected(t.error());
  if (*t < t_) {
    violation_at(*t, line_no, "time-order",
                 fmt::format("t={} is earlier than the previous line's t={}", *t, t_));
  } else if (*t > t_) {
    close_timestamp();
    check_drain_deadlines(*t, /*inclusive=*/false);
    t_ = *t;
  }
  if (*event == "end") return end(f);
  dirty_ = true;
  if (*event == "submit") return submit(f);
  if (*event == "place") return place(f);
  if (*event == "preempt" || *event == "evict" || *event == "kill") return release_event(f, *event);
  if (*event == "complete") return complete(f);
  if (*event == "fail") return fail_event(f);
  if (*event == "queue") return queue(f);
  if (*event == "node_down") return node_event(f, false);
  if (*event == "node_up") return node_event(f, true);
  if (*event == "delivery") return delivery(f);
  if (*event == "rule") {
    auto id = f.str("rule");
    if (!id) return std::unexpected(id.error());
    return {};
  }
  return f.bad("event", fmt::format("has unknown value '{}'", *event));
}

Result<AuditReport> Auditor::finish() {
  if (!have_header_) return fail(ErrorCode::kParse, "event log is empty (no header line)");
  if (!ended_) {
    close_timestamp();
    violation_at(t_, line_, "lifecycle", "the log has no 'end' line");
    for (const AJob& job : jobs_)
      if (job.state == JobState::kQueued || job.state == JobState::kRunning)
        ++report_.jobs_unfinished;
  }
  return std::move(report_);
}

}  // namespace

const std::vector<std::string>& audit_check_names() {
  static const std::vector<std::string> kNames{"gang",
                                               "capacity",
                                               "type",
                                               "sensitivity-origin",
                                               "tenant-sensitivity",
                                               "approved-customers",
                                               "no-new-placements",
                                               "drain",
                                               "drain-deadline",
                                               "domestic-share",
                                               "share-feasible",
                                               "lifecycle",
                                               "vanished",
                                               "node-down",
                                               "time-order"};
  return kNames;
}

Result<AuditReport> audit_event_log(std::istream& in) {
  Auditor auditor;
  std::string text;
  int line_no = 0;
  long long lines = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    ++lines;
    SUANLI_TRY(auditor.line(text, line_no));
  }
  if (in.bad()) return fail(ErrorCode::kIo, "error reading the event log");
  auto report = auditor.finish();
  if (report) report->lines = lines;
  return report;
}

Result<AuditReport> audit_event_log_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kIo, fmt::format("cannot open event log {}", path.string()));
  auto report = audit_event_log(in);
  if (!report)
    return fail(report.error().code, fmt::format("{}: {}", path.string(), report.error().message));
  return report;
}

}  // namespace suanli
