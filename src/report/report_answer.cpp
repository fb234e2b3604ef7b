// The report's first screen and header: the one-sentence answers (report/headline.h), the title,
// scenario and summary.
#include "report/html_parts.h"

namespace suanli::report_html {

// The first screen: one sentence per question, with its range and the
// command that reproduces the figure (report/headline.h). The sentences
// arrive in the report's language (the document is built in it).
void answer(std::string& out, const Ctx& c) {
  const json& head = obj(c.doc, "headline");
  if (head.empty()) return;
  out += fmt::format("<section id=\"answer\" class=\"summary\"><h2>{}</h2><ul>", esc(c.tr("The answer")));
  const json& worth = obj(head, "worth");
  if (!worth.empty()) {
    out += fmt::format(
        "<li><strong>{}</strong> {} <span class=\"meta\">{} <code>{}</code></span></li>",
        esc(c.m.trf("What is {other} worth against {baseline} here?",
                    fmt::arg("other", str(worth, "other")), fmt::arg("baseline", str(worth, "baseline")))),
        esc(str(worth, "sentence")),
        esc(c.m.trf("{basis}. The same figure:", fmt::arg("basis", str(worth, "cost_basis")))),
        esc(str(worth, "command")));
  }
  const json& buy = obj(head, "buy");
  if (!buy.empty())
    out += fmt::format("<li><strong>{}</strong> {}</li>", esc(c.tr("What to buy?")),
                       esc(str(buy, "sentence")));
  out += "</ul></section>\n";
}

namespace {

void cards(std::string& out, const Ctx& c) {
  const json& doc = c.doc;
  std::vector<std::pair<std::string, std::string>> cards;
  const json& plan = obj(doc, "plan");
  if (!plan.empty()) {
    cards.emplace_back(c.tr("Plan"),
                       str(plan, "status").empty() ? "\u2014" : c.tr(str(plan, "status")));
    if (auto v = num(plan, "objective_usd"))
      cards.emplace_back(c.tr("Total cost (discounted)"), fmt_usd(*v));
    if (auto v = num(plan, "domestic_share"))
      cards.emplace_back(c.tr("Domestic share (min year)"), fmt_pct(*v));
    double devices = 0;
    for (const auto& p : arr(plan, "purchases")) devices += num(p, "devices").value_or(0);
    if (!arr(plan, "purchases").empty())
      cards.emplace_back(c.tr("Devices bought"), group_digits(devices));
  }
  const json& sim = obj(doc, "simulation");
  if (!sim.empty()) {
    if (auto j = num(sim, "jobs"))
      cards.emplace_back(
          c.tr("Simulated jobs finished"),
          fmt::format("{} / {}", group_digits(num(sim, "finished").value_or(0)), group_digits(*j)));
    if (auto v = num(obj(sim, "summary"), "p95_jct_h"))
      cards.emplace_back(c.tr("p95 job completion"), fmt::format("{} h", fmt_num(*v)));
  }
  if (cards.empty()) return;
  out += "<div class=\"cards\">";
  for (const auto& [k, v] : cards)
    out += fmt::format(
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>", esc(k),
        esc(v));
  out += "</div>\n";
}

// The few figures the answer rests on (the robustness pass's largest
// swings) first; the full list of unverified inputs folded below them.
void rests_on(std::string& out, const Ctx& c) {
  const json& inputs = arr(obj(c.doc, "robustness"), "inputs");
  if (!inputs.empty()) {
    out += fmt::format(
        "<div class=\"warn\"><strong>{}</strong> {} <a href=\"#robustness\">{}</a>):<ul>",
        esc(c.tr("What the answer rests on.")),
        esc(c.tr("The inputs that move the plan's cost most across their ranges (see")),
        esc(c.tr("How robust the plan is")));
    std::size_t shown = 0;
    for (const auto& in : inputs) {
      if (shown++ == 3) break;
      out += "<li>" +
             esc(c.m.trf("{input}: {low} to {high} moves the cost by up to {swing}; range from {source}",
                         fmt::arg("input", str(in, "label")),
                         fmt::arg("low", fmt_num(num(obj(in, "low"), "value").value_or(0))),
                         fmt::arg("high", fmt_num(num(obj(in, "high"), "value").value_or(0))),
                         fmt::arg("swing", fmt_usd(num(in, "swing_usd").value_or(0))),
                         fmt::arg("source", str(in, "source")))) +
             "</li>";
    }
    out += "</ul></div>\n";
  }
  const json& unverified = at(c.doc, "unverified");
  if (unverified.is_array() && !unverified.empty()) {
    out += fmt::format("<details class=\"warn\"><summary><strong>{}</strong> ({} <span "
                       "class=\"unverified\">?</span>)</summary><ul>",
                       esc(c.tr("Unverified inputs")),
                       esc(c.m.trf("{n} types rest on estimates or placeholders, marked",
                                   fmt::arg("n", unverified.size()))));
    for (const auto& u : unverified) out += fmt::format("<li>{}</li>", esc(str(u)));
    out += "</ul></details>\n";
  }
}

}  // namespace

void header(std::string& out, Ctx& c) {
  const json& doc = c.doc;
  const std::string title = str(doc, "title").empty() ? c.tr("suanli report") : str(doc, "title");
  out += fmt::format("<header><h1>{}</h1>", data_html(title));
  std::vector<std::string> meta;
  if (!str(doc, "scenario").empty())
    meta.push_back(fmt::format("{} <code>{}</code>", esc(c.tr("Scenario")), esc(str(doc, "scenario"))));
  if (!str(doc, "generated_by").empty())
    meta.push_back(esc(c.m.trf("generated by {program}", fmt::arg("program", str(doc, "generated_by")))));
  if (!meta.empty()) {
    out += "<p class=\"meta\">";
    for (std::size_t i = 0; i < meta.size(); ++i) out += (i ? " \u00b7 " : "") + meta[i];
    out += "</p>";
  }
  if (!str(doc, "description").empty())
    out += fmt::format("<p class=\"description\">{}</p>", data_html(str(doc, "description")));
  out += "</header>\n";
  answer(out, c);
  cards(out, c);

  const json& summary = at(doc, "summary");
  if (summary.is_array() && !summary.empty()) {
    out += fmt::format("<section class=\"summary\"><h2>{}</h2><ul>", esc(c.tr("Summary")));
    for (const auto& line : summary)
      if (!str(line).empty()) out += fmt::format("<li>{}</li>", esc(str(line)));
    out += "</ul></section>\n";
  }
  rests_on(out, c);
}

}  // namespace suanli::report_html
