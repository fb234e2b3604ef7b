#include "service/live_fleet.h"

#include <charconv>

#include <fmt/format.h>

namespace suanli::service {

namespace {

using UnorderedJson = nlohmann::json;

UnorderedJson opt_json(const auto& v) { return v ? UnorderedJson(*v) : UnorderedJson(nullptr); }

UnorderedJson refusals_json(const std::vector<RefusalView>& refusals) {
  UnorderedJson out = UnorderedJson::array();
  for (const RefusalView& r : refusals)
    out.push_back({{"accelerator", r.accelerator}, {"rule", r.rule}, {"detail", r.detail}});
  return out;
}

UnorderedJson allocation_json(const AllocationView& a) {
  UnorderedJson groups = UnorderedJson::array();
  for (const auto& g : a.groups) {
    UnorderedJson group = UnorderedJson::array();
    for (const SlotView& s : g)
      group.push_back({{"node", s.node}, {"device", s.device}, {"milli", s.milli}});
    groups.push_back(std::move(group));
  }
  return {{"accelerator", a.accelerator}, {"devices", a.devices}, {"groups", groups}};
}

UnorderedJson rule_json(const RuleView& r) {
  UnorderedJson j{{"id", r.id}, {"kind", r.kind}, {"state", r.state}};
  if (r.accelerator) j["accelerator"] = *r.accelerator;
  if (r.from_t) j["from_t"] = *r.from_t;
  if (r.deadline_t) j["deadline_t"] = *r.deadline_t;
  if (r.min_sensitivity) j["min_sensitivity"] = *r.min_sensitivity;
  if (r.origins) j["origins"] = *r.origins;
  if (r.min_share) j["min_share"] = *r.min_share;
  if (r.measure) j["measure"] = *r.measure;
  if (r.tenants) j["tenants"] = *r.tenants;
  return j;
}

// An optional empty body, or an empty JSON object.
Result<void> check_empty_body(const ApiRequest& request) {
  if (request.body.empty()) return {};
  SUANLI_ASSIGN(const UnorderedJson body, parse_json_object(request.body));
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  return r.finish();
}

// {id} of the path as a job ID (>= 0).
Result<int> job_param(const ApiRequest& request) {
  auto it = request.params.find("id");
  const std::string text = it == request.params.end() ? "" : it->second;
  int v = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("path.id: expected a job id (integer >= 0), got {:?}", text.substr(0, 40)));
  return v;
}

template <class T>
ApiResponse answer(const FleetResult<T>& r, auto encode) {
  if (!r) return fleet_error_response(r.error());
  return encode(*r);
}

}  // namespace

ApiResponse fleet_error_response(const FleetError& e) {
  switch (e.kind) {
    case FleetError::Kind::kUnavailable:
      return error_response(503, "unavailable", e.message, e.field);
    case FleetError::Kind::kStore:
      return error_response(500, "io", e.message, e.field);
    case FleetError::Kind::kPlain:
      break;
  }
  return error_response(e, e.field);
}

UnorderedJson applied_json(const Applied& a) {
  UnorderedJson ds = UnorderedJson::array();
  for (const std::string& d : a.decisions) ds.push_back(UnorderedJson::parse(d));
  return {{"seq", a.seq}, {"t", a.t}, {"decisions", std::move(ds)}};
}

UnorderedJson summary_json(const SummaryView& v) {
  if (!v.configured) return UnorderedJson{{"configured", false}, {"events", v.events}};
  UnorderedJson types = UnorderedJson::array();
  for (const TypeView& t : v.types)
    types.push_back({{"accelerator", t.accelerator},
                     {"origin", t.origin},
                     {"domestic", t.domestic},
                     {"devices_total", t.devices_total},
                     {"devices_up", t.devices_up},
                     {"devices_allocated", t.devices_allocated}});
  UnorderedJson rules = UnorderedJson::array();
  for (const RuleView& r : v.rules) rules.push_back(rule_json(r));
  return UnorderedJson{{"configured", true},
                       {"scenario", v.scenario},
                       {"epoch", v.epoch},
                       {"now_t", v.now_t},
                       {"last_event_t", v.last_event_t},
                       {"events", v.events},
                       {"last_seq", v.last_seq},
                       {"types", std::move(types)},
                       {"nodes", v.nodes},
                       {"nodes_up", v.nodes_up},
                       {"jobs", v.jobs},
                       {"running", v.running},
                       {"queued", v.queued},
                       {"domestic_share", opt_json(v.domestic_share)},
                       {"rules", std::move(rules)},
                       {"scheduler",
                        {{"queue", v.queue_policy},
                         {"placement", v.placement_policy},
                         {"preemption", v.preemption}}},
                       {"deliveries_pending", v.deliveries_pending}};
}

UnorderedJson job_json(const JobView& v) {
  UnorderedJson durations = UnorderedJson::object();
  for (const auto& [id, d] : v.durations_s) durations[id] = opt_json(d);
  UnorderedJson out{
      {"id", v.id},
      {"name", v.name},
      {"tenant", v.tenant},
      {"kind", v.kind},
      {"priority", v.priority},
      {"sensitivity", v.sensitivity},
      {"devices", v.devices},
      {"tp", v.tp},
      {"gpu_milli", v.gpu_milli},
      {"state", job_state_name(v.state)},
      {"submitted_t", v.submitted_t},
      {"first_start_t", opt_json(v.first_start_t)},
      {"reported_start_t", opt_json(v.reported_start_t)},
      {"placements", v.placements},
      {"external_id", opt_json(v.external_id)},
      {"external_placement", opt_json(v.external_placement)},
      {"restarts", v.restarts},
      {"preemptions", v.preemptions},
      {"reason", v.reason},
      {"rule", v.rule},
      {"durations_s", std::move(durations)},
      {"allocation", v.allocation ? allocation_json(*v.allocation) : UnorderedJson(nullptr)},
      {"progress", v.progress}};
  if (v.script) out["script"] = *v.script;
  if (v.run_start_t) out["run_start_t"] = *v.run_start_t;
  if (v.expected_end_t) out["expected_end_t"] = *v.expected_end_t;
  if (v.ended_t) out["ended_t"] = *v.ended_t;
  if (v.refusals) out["refusals"] = refusals_json(*v.refusals);
  return out;
}

// ---- request decoders -------------------------------------------------------

Result<NodesRequest> decode_nodes_request(const UnorderedJson& body) {
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  NodesRequest q;
  SUANLI_ASSIGN(q.site, r.req_identifier("site"));
  SUANLI_ASSIGN(q.accelerator, r.req_identifier("accelerator"));
  SUANLI_ASSIGN(q.nodes, r.req_int("nodes"));
  SUANLI_ASSIGN(q.devices_per_node, r.opt_int("devices_per_node"));
  SUANLI_ASSIGN(q.scale_up_domain, r.opt_int("scale_up_domain"));
  SUANLI_ASSIGN(q.name_prefix, r.opt_identifier("name_prefix"));
  SUANLI_TRY(r.finish());
  return q;
}

Result<RuleRequest> decode_rule_request(const UnorderedJson& body) {
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  RuleRequest q;
  SUANLI_ASSIGN(q.id, r.req_identifier("id"));
  SUANLI_ASSIGN(q.kind, r.req_string("kind"));
  SUANLI_ASSIGN(q.accelerator, r.req_identifier("accelerator"));
  SUANLI_ASSIGN(q.within_hours, r.opt_number("within_hours"));
  SUANLI_TRY(r.finish());
  return q;
}

Result<JobRequest> decode_job_request(const UnorderedJson& body) {
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  JobRequest q;
  SUANLI_ASSIGN(q.name, r.req_identifier("name"));
  SUANLI_ASSIGN(q.tenant, r.req_identifier("tenant"));
  SUANLI_ASSIGN(q.kind, r.opt_string("kind"));
  SUANLI_ASSIGN(q.priority, r.opt_int("priority"));
  SUANLI_ASSIGN(q.sensitivity, r.opt_string("sensitivity"));
  SUANLI_ASSIGN(q.devices, r.opt_int("devices"));
  SUANLI_ASSIGN(q.tp, r.opt_int("tp"));
  SUANLI_ASSIGN(q.gpu_milli, r.opt_int("gpu_milli"));
  SUANLI_ASSIGN(q.checkpoint_interval_s, r.opt_number("checkpoint_interval_s"));
  SUANLI_ASSIGN(q.duration_hours, r.opt_number("duration_hours"));
  SUANLI_ASSIGN(q.reference, r.opt_identifier("reference"));
  if (const auto per_type = r.opt_value("durations_hours")) {
    // Kept raw so the core checks each key against the fleet in order.
    q.durations_hours.emplace();
    if (per_type->is_object())
      for (const auto& [id, h] : per_type->items())
        q.durations_hours->emplace_back(
            id, h.is_number() ? std::optional(h.get<double>()) : std::nullopt);
  }
  SUANLI_ASSIGN(q.script, r.opt_string("script"));
  SUANLI_TRY(r.finish());
  return q;
}

// ---- handlers ---------------------------------------------------------------

Result<std::unique_ptr<LiveFleet>> LiveFleet::open(store::Store& store, CatalogHolder& catalog,
                                                   Clock clock, FleetCore::Options options) {
  SUANLI_ASSIGN(auto core, FleetCore::open(store, catalog, std::move(clock), std::move(options)));
  return std::unique_ptr<LiveFleet>(new LiveFleet(std::move(core)));
}

ApiResponse LiveFleet::put_config(const ApiRequest& request) {
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto r = FieldReader::object(*body, "body");
  if (!r) return error_response(r.error());
  auto text = r->req_string("scenario");
  if (!text) return error_response(text.error(), "body.scenario");
  if (auto f = r->finish(); !f) return error_response(f.error());
  return answer(core_->configure(*text),
                [](const Applied& a) { return json_response(applied_json(a)); });
}

ApiResponse LiveFleet::add_nodes(const ApiRequest& request) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto q = decode_nodes_request(*body);
  if (!q) return error_response(q.error());
  return answer(core_->add_nodes(*q), [](const NodesAdded& a) {
    UnorderedJson out = applied_json(a.applied);
    out["nodes"] = a.names;
    return json_response(std::move(out), 201);
  });
}

ApiResponse LiveFleet::node_event(const ApiRequest& request, NodeChange change) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  auto it = request.params.find("name");
  const std::string name = it == request.params.end() ? "" : it->second;
  if (auto c = check_identifier(name, "path.name"); !c) return error_response(c.error());
  if (auto b = check_empty_body(request); !b) return error_response(b.error());
  FleetResult<Applied> r = change == NodeChange::kDown     ? core_->node_down(name)
                           : change == NodeChange::kUp     ? core_->node_up(name)
                           : change == NodeChange::kCordon ? core_->drain(name)
                                                           : core_->resume(name);
  return answer(r, [](const Applied& a) { return json_response(applied_json(a)); });
}

ApiResponse LiveFleet::node_down(const ApiRequest& request) {
  return node_event(request, NodeChange::kDown);
}
ApiResponse LiveFleet::node_up(const ApiRequest& request) {
  return node_event(request, NodeChange::kUp);
}
ApiResponse LiveFleet::drain_node(const ApiRequest& request) {
  return node_event(request, NodeChange::kCordon);
}
ApiResponse LiveFleet::resume_node(const ApiRequest& request) {
  return node_event(request, NodeChange::kUncordon);
}

ApiResponse LiveFleet::add_rule(const ApiRequest& request) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto q = decode_rule_request(*body);
  if (!q) return error_response(q.error());
  return answer(core_->add_rule(*q),
                [](const Applied& a) { return json_response(applied_json(a)); });
}

namespace {

ApiResponse placement_response(const Placement& p, int status) {
  UnorderedJson out = applied_json(p.applied);
  out["job"] = p.job;
  out["state"] = job_state_name(p.state);
  return json_response(std::move(out), status);
}

}  // namespace

ApiResponse LiveFleet::submit_job(const ApiRequest& request) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto q = decode_job_request(*body);
  if (!q) return error_response(q.error());
  return answer(core_->submit(*q), [](const Placement& p) { return placement_response(p, 201); });
}

ApiResponse LiveFleet::job_event(const ApiRequest& request, JobReport report) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  auto job = job_param(request);
  if (!job) return error_response(job.error());
  if (auto e = core_->has_job(*job); !e) return fleet_error_response(e.error());
  std::optional<std::string> text;  // the fail reason or the start's external ID
  if (!request.body.empty()) {
    auto body = parse_json_object(request.body);
    if (!body) return error_response(body.error());
    auto r = FieldReader::object(*body, "body");
    if (!r) return error_response(r.error());
    if (report == JobReport::kFail) {
      auto v = r->opt_string("reason");
      if (!v) return error_response(v.error());
      text = *v;
    }
    if (report == JobReport::kStart) {
      auto v = r->opt_identifier("external_id");
      if (!v) return error_response(v.error());
      text = *v;
    }
    if (auto f = r->finish(); !f) return error_response(f.error());
  }
  auto done = [](const Placement& p) { return placement_response(p, 200); };
  switch (report) {
    case JobReport::kStart:
      return answer(core_->start(*job, std::move(text)), done);
    case JobReport::kFinish:
      return answer(core_->finish(*job), done);
    case JobReport::kFail:
      break;
  }
  return answer(core_->fail(*job, std::move(text)), done);
}

ApiResponse LiveFleet::start_job(const ApiRequest& request) {
  return job_event(request, JobReport::kStart);
}
ApiResponse LiveFleet::finish_job(const ApiRequest& request) {
  return job_event(request, JobReport::kFinish);
}
ApiResponse LiveFleet::fail_job(const ApiRequest& request) {
  return job_event(request, JobReport::kFail);
}

ApiResponse LiveFleet::tick(const ApiRequest& request) {
  if (auto e = core_->ready(true); !e) return fleet_error_response(e.error());
  if (auto b = check_empty_body(request); !b) return error_response(b.error());
  return answer(core_->tick(), [](const Applied& a) { return json_response(applied_json(a)); });
}

ApiResponse LiveFleet::summary(const ApiRequest&) const {
  return answer(core_->summary(),
                [](const SummaryView& v) { return json_response(summary_json(v)); });
}

ApiResponse LiveFleet::nodes(const ApiRequest&) const {
  return answer(core_->nodes(), [](const std::vector<NodeView>& nodes) {
    UnorderedJson out = UnorderedJson::array();
    for (const NodeView& n : nodes)
      out.push_back({{"name", n.name},
                     {"site", n.site},
                     {"accelerator", n.accelerator},
                     {"domain", n.domain},
                     {"up", n.up},
                     {"cordoned", n.cordoned},
                     {"devices", n.devices},
                     {"devices_free", n.devices_free},
                     {"devices_allocated", n.devices_allocated},
                     {"jobs", n.jobs}});
    return json_response(UnorderedJson{{"nodes", std::move(out)}});
  });
}

ApiResponse LiveFleet::queue(const ApiRequest&) const {
  return answer(core_->queue(), [](const std::vector<QueueView>& queued) {
    UnorderedJson out = UnorderedJson::array();
    for (const QueueView& q : queued)
      out.push_back({{"id", q.id},
                     {"name", q.name},
                     {"tenant", q.tenant},
                     {"priority", q.priority},
                     {"sensitivity", q.sensitivity},
                     {"devices", q.devices},
                     {"submitted_t", q.submitted_t},
                     {"reason", q.reason},
                     {"rule", q.rule},
                     {"refusals", refusals_json(q.refusals)}});
    return json_response(UnorderedJson{{"queued", std::move(out)}});
  });
}

ApiResponse LiveFleet::job(const ApiRequest& request) const {
  if (auto e = core_->usable(); !e) return fleet_error_response(e.error());
  auto id = job_param(request);
  if (!id) return error_response(id.error());
  return answer(core_->job(*id), [](const JobView& v) { return json_response(job_json(v)); });
}

ApiResponse LiveFleet::jobs(const ApiRequest& request) const {
  if (auto e = core_->usable(); !e) return fleet_error_response(e.error());
  std::optional<JobState> want;
  if (auto q = request.query.find("state"); q != request.query.end()) {
    for (JobState x :
         {JobState::kQueued, JobState::kRunning, JobState::kCompleted, JobState::kFailed})
      if (job_state_name(x) == q->second) want = x;
    if (!want)
      return error_response(
          400, "invalid_argument",
          fmt::format("query.state: unknown job state {:?}", q->second.substr(0, 40)),
          "query.state");
  }
  return answer(core_->jobs(want), [](const std::vector<JobView>& jobs) {
    UnorderedJson out = UnorderedJson::array();
    for (const JobView& v : jobs) out.push_back(job_json(v));
    return json_response(UnorderedJson{{"jobs", std::move(out)}});
  });
}

ApiResponse LiveFleet::audit(const ApiRequest& request) const {
  auto after = query_int(request, "after", 0, 0, INT64_MAX);
  if (!after) return error_response(after.error());
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return error_response(limit.error());
  auto page = core_->audit(*after, static_cast<int>(*limit));
  if (!page) return fleet_error_response(page.error());
  UnorderedJson out = UnorderedJson::array();
  for (const AuditEntry& r : page->decisions) {
    UnorderedJson d;
    try {
      d = UnorderedJson::parse(r.decision);
    } catch (const std::exception&) {
      return error_response(500, "io", fmt::format("audit row {} is not JSON", r.seq));
    }
    out.push_back({{"seq", r.seq}, {"event_seq", r.event_seq}, {"decision", std::move(d)}});
  }
  return json_response(
      UnorderedJson{{"decisions", std::move(out)}, {"next_after", page->next_after}});
}

void LiveFleet::add_routes(Router& router) {
  // No exception escapes a handler: a bug answers 500.
  auto guard = [](auto fn) {
    return [fn](const ApiRequest& request) -> ApiResponse {
      try {
        return fn(request);
      } catch (const std::exception& e) {
        return error_response(500, "internal", fmt::format("live fleet: {}", e.what()));
      }
    };
  };
  auto on = [&](Method m, std::string pattern, Access a, std::string summary,
                ApiResponse (LiveFleet::*fn)(const ApiRequest&)) {
    router.add(m, std::move(pattern), a, std::move(summary),
               guard([this, fn](const ApiRequest& r) { return (this->*fn)(r); }));
  };
  auto on_read = [&](std::string pattern, std::string summary,
                     ApiResponse (LiveFleet::*fn)(const ApiRequest&) const) {
    router.add(Method::kGet, std::move(pattern), Access::kRead, std::move(summary),
               guard([this, fn](const ApiRequest& r) { return (this->*fn)(r); }));
  };
  on(Method::kPut, "/api/v1/fleet/config", Access::kWrite,
     "Reset the live fleet to a scenario's sites, pools, tenants, rules and scheduler",
     &LiveFleet::put_config);
  on(Method::kPost, "/api/v1/fleet/nodes", Access::kWrite, "Register nodes", &LiveFleet::add_nodes);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/down", Access::kWrite,
     "Report a node down (its jobs are requeued)", &LiveFleet::node_down);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/up", Access::kWrite, "Report a node up",
     &LiveFleet::node_up);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/drain", Access::kWrite,
     "Report a node drained (its jobs keep running, nothing new is placed)",
     &LiveFleet::drain_node);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/resume", Access::kWrite,
     "Report a drained node back in service", &LiveFleet::resume_node);
  on(Method::kPost, "/api/v1/fleet/rules", Access::kWrite,
     "Add a licence shock: a no-new-placements or drain rule on a type, from now",
     &LiveFleet::add_rule);
  on(Method::kPost, "/api/v1/fleet/jobs", Access::kWrite, "Submit a job to the live fleet",
     &LiveFleet::submit_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/start", Access::kWrite,
     "Report that a placed job really started", &LiveFleet::start_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/finish", Access::kWrite, "Report a job finished",
     &LiveFleet::finish_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/fail", Access::kWrite, "Report a job failed",
     &LiveFleet::fail_job);
  on(Method::kPost, "/api/v1/fleet/tick", Access::kWrite,
     "Apply the time rules due by now and place what fits", &LiveFleet::tick);
  on_read("/api/v1/fleet", "Live fleet summary", &LiveFleet::summary);
  on_read("/api/v1/fleet/nodes", "Live fleet nodes", &LiveFleet::nodes);
  on_read("/api/v1/fleet/queue", "Queued jobs with the rule holding each", &LiveFleet::queue);
  on_read("/api/v1/fleet/jobs", "Live jobs (?state=queued|running|completed|failed)",
          &LiveFleet::jobs);
  on_read("/api/v1/fleet/jobs/{id}", "One live job", &LiveFleet::job);
  on_read("/api/v1/fleet/audit", "Scheduler decisions, oldest first (?after=SEQ&limit=N)",
          &LiveFleet::audit);
}

}  // namespace suanli::service
