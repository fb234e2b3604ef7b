// The catalog loader: accelerators, models, efficiency profiles, stacks and
// economics from TOML, merged by id across directories, with the checks
// that name file:line. One file over 900 lines: every entry kind's apply
// function shares the merge rules, the figure reader and the file context,
// and splitting them would put that shared machinery in a header.
#include "catalog/catalog.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>

#include "catalog/catalog_check.h"
#include "util/share_dir.h"
#include "util/strings.h"
#include "util/toml_reader.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

// What a file contributes to resolving its figures' sources.
struct FileContext {
  std::map<std::string, std::string> sources;  // key -> citation
};

// Defaults that an entry gives to its bare figures.
struct EntryDefaults {
  std::string source;
  std::optional<Confidence> confidence;
};

Result<FileContext> read_sources(const TomlView& root) {
  FileContext ctx;
  auto sources = root.subtable("sources");
  if (!sources) return std::unexpected(sources.error());
  if (*sources) {
    for (const auto& [k, node] : (*sources)->table()) {
      auto text = (*sources)->string(k.str());
      if (!text) return std::unexpected(text.error());
      ctx.sources[std::string(k.str())] = **text;
    }
  }
  return ctx;
}

Result<Figure> read_figure(const TomlView& parent, std::string_view key, const FileContext& file,
                           const EntryDefaults& defaults) {
  const toml::node* node = parent.node(key);
  Figure f;
  f.origin = parent.where(key);
  std::string source = defaults.source;
  std::optional<Confidence> confidence = defaults.confidence;
  if (node->is_integer() || node->is_floating_point()) {
    f.value = *node_number(*node);  // an integer a double cannot hold exactly is still a number
  } else if (const auto* t = node->as_table()) {
    TomlView view(*t, parent.file(), fmt::format("{}.{}", parent.path(), key));
    auto value = view.required_number("value");
    if (!value) return std::unexpected(value.error());
    f.value = *value;
    auto low = view.number("low");
    auto high = view.number("high");
    auto src = view.string("source");
    auto conf = view.string("confidence");
    auto note = view.string("note");
    if (!low) return std::unexpected(low.error());
    if (!high) return std::unexpected(high.error());
    if (!src) return std::unexpected(src.error());
    if (!conf) return std::unexpected(conf.error());
    if (!note) return std::unexpected(note.error());
    SUANLI_TRY(view.finish());
    f.low = *low;
    f.high = *high;
    if (*src) source = **src;
    if (*conf) {
      confidence = parse_confidence(**conf);
      if (!confidence) {
        return std::unexpected(view.error(
            "confidence",
            fmt::format("expected verified, secondary, estimate or placeholder, got '{}'",
                        **conf)));
      }
    }
    if (*note) f.note = **note;
  } else {
    return std::unexpected(
        parent.error(key, "expected a number or { value = …, source = …, confidence = … }"));
  }
  if (!std::isfinite(f.value) || f.value <= 0) {
    return std::unexpected(
        parent.error(key, fmt::format("expected a positive value, got {}", f.value)));
  }
  if ((f.low && *f.low > f.value) || (f.high && *f.high < f.value)) {
    return std::unexpected(parent.error(key, "expected low <= value <= high"));
  }
  if (source.empty()) {
    return std::unexpected(parent.error(
        key,
        "expected a source: the figure has none (give `source = …` on the figure or on its "
        "entry)"));
  }
  if (!confidence) {
    return std::unexpected(parent.error(
        key,
        "expected a confidence: the figure has none (give `confidence = …` on the figure or "
        "on its entry)"));
  }
  f.confidence = *confidence;
  if (auto it = file.sources.find(source); it != file.sources.end()) {
    f.source_key = source;
    f.source = it->second;
  } else {
    f.source = source;
  }
  return f;
}

// Reads an optional string key into `out` when present.
Result<void> read_string(const TomlView& v, std::string_view key, std::string& out) {
  auto s = v.string(key);
  if (!s) return std::unexpected(s.error());
  if (*s) out = **s;
  return {};
}

// [accelerator.availability]: the China status, its note, source and the
// date a source last confirmed it.
Result<void> apply_availability(const TomlView& v, const FileContext& file, Accelerator& a) {
  auto avail = v.subtable("availability");
  if (!avail) return std::unexpected(avail.error());
  if (!*avail) return {};
  const TomlView& av = **avail;
  auto china = av.string("china");
  if (!china) return std::unexpected(china.error());
  if (*china) {
    auto s = parse_china_status(**china);
    if (!s) {
      return std::unexpected(
          av.error("china", fmt::format("unknown status '{}' (expected domestic, available, "
                                        "licence-granted, case-by-case, presumption-of-denial, "
                                        "import-blocked, discouraged or not-offered)",
                                        escaped_excerpt(**china, 40))));
    }
    a.china_status = *s;
  }
  SUANLI_TRY(read_string(av, "note", a.china_status_note));
  std::string src;
  SUANLI_TRY(read_string(av, "source", src));
  if (!src.empty()) {
    auto it = file.sources.find(src);
    a.china_status_source = it == file.sources.end() ? src : it->second;
  }
  std::string confirmed;
  SUANLI_TRY(read_string(av, "confirmed", confirmed));
  SUANLI_TRY(av.finish());
  if (!confirmed.empty()) {
    if (!year_month_index(confirmed)) {
      return std::unexpected(av.error(
          "confirmed",
          fmt::format("expected YYYY-MM or YYYY-MM-DD, got '{}'", escaped_excerpt(confirmed, 40))));
    }
    a.china_status_confirmed = confirmed;
  }
  return {};
}

// [accelerator.check_notes]: check id = "why this entry's warning is expected".
Result<void> apply_check_notes(const TomlView& v, Accelerator& a) {
  auto notes = v.subtable("check_notes");
  if (!notes) return std::unexpected(notes.error());
  if (!*notes) return {};
  for (const auto& [k, node] : (*notes)->table()) {
    auto text = (*notes)->string(k.str());
    if (!text) return std::unexpected(text.error());
    if (!*text || (*text)->empty()) {
      return std::unexpected((*notes)->error(k.str(), "expected a non-empty explanation"));
    }
    a.check_notes[std::string(k.str())] = **text;
  }
  return {};
}

// An entry's `base` key: the seed has set `seeded` for a new variant;
// anything else is an override trying to re-parent a loaded entry.
Result<void> check_base(const TomlView& v, const std::string& id, const std::string& seeded) {
  std::string base;
  SUANLI_TRY(read_string(v, "base", base));
  if (base.empty() || base == seeded) return {};
  return std::unexpected(v.error(
      "base", fmt::format("'{}' is already defined{}; `base` applies only where a variant is "
                          "first defined",
                          id, seeded.empty() ? "" : fmt::format(" as a variant of '{}'", seeded))));
}

Result<void> apply_accelerator(const TomlView& v, const FileContext& file, Accelerator& a) {
  SUANLI_TRY(check_base(v, a.id, a.base));
  if (a.defined_at.empty()) {
    a.defined_at = v.where();
  } else {
    a.overridden_at.push_back(v.where());
  }
  SUANLI_TRY(read_string(v, "name", a.name));
  SUANLI_TRY(read_string(v, "vendor", a.vendor));
  SUANLI_TRY(read_string(v, "origin", a.origin));
  SUANLI_TRY(read_string(v, "released", a.released));
  SUANLI_TRY(read_string(v, "efficiency_profile", a.efficiency_profile));
  SUANLI_TRY(read_string(v, "memory_type", a.memory_type));
  SUANLI_TRY(read_string(v, "scaleup_link", a.scaleup_link));
  std::string topology;
  SUANLI_TRY(read_string(v, "scaleup_topology", topology));
  if (topology == "full-mesh") {
    a.scaleup_full_mesh = true;
  } else if (topology == "switch") {
    a.scaleup_full_mesh = false;
  } else if (!topology.empty()) {
    return std::unexpected(v.error(
        "scaleup_topology",
        fmt::format("expected switch or full-mesh, got '{}'", escaped_excerpt(topology, 40))));
  }
  SUANLI_TRY(read_string(v, "notes", a.notes));
  auto dc = v.boolean("datacenter");
  if (!dc) return std::unexpected(dc.error());
  if (*dc) a.datacenter = **dc;
  auto nd = v.positive_integer("node_devices");
  if (!nd) return std::unexpected(nd.error());
  if (*nd) a.node_devices = static_cast<int>(**nd);
  auto dies = v.positive_integer("dies");
  if (!dies) return std::unexpected(dies.error());
  if (*dies) {
    if (**dies > 8) {
      return std::unexpected(
          v.error("dies", fmt::format("expected 1..8 compute dies per package, got {}", **dies)));
    }
    a.dies = static_cast<int>(**dies);
  }

  EntryDefaults defaults;
  SUANLI_TRY(read_string(v, "source", defaults.source));
  std::string conf;
  SUANLI_TRY(read_string(v, "confidence", conf));
  if (!conf.empty()) {
    defaults.confidence = parse_confidence(conf);
    if (!defaults.confidence) {
      return std::unexpected(v.error(
          "confidence",
          fmt::format("expected verified, secondary, estimate or placeholder, got '{}'", conf)));
    }
  }

  auto rates = v.subtable("dense_tflops");
  if (!rates) return std::unexpected(rates.error());
  if (*rates) {
    for (const auto& [k, node] : (*rates)->table()) {
      auto p = parse_precision(k.str());
      if (!p) {
        return std::unexpected((*rates)->error(
            k.str(), "unknown precision (expected fp32, tf32, bf16, fp16, fp8, int8 or fp4)"));
      }
      auto f = read_figure(**rates, k.str(), file, defaults);
      if (!f) return std::unexpected(f.error());
      a.dense_tflops[static_cast<std::size_t>(*p)] = std::move(*f);
    }
  }

  auto figures = v.subtable("figures");
  if (!figures) return std::unexpected(figures.error());
  if (*figures) {
    const std::pair<std::string_view, std::optional<Figure> Accelerator::*> fields[] = {
        {"memory_gb", &Accelerator::memory_gb},
        {"memory_bw_gbps", &Accelerator::memory_bw_gbps},
        {"scaleup_bidir_gbps", &Accelerator::scaleup_bidir_gbps},
        {"scaleup_domain", &Accelerator::scaleup_domain},
        {"scaleout_gbps", &Accelerator::scaleout_gbps},
        {"die_link_gbps", &Accelerator::die_link_gbps},
        {"tdp_w", &Accelerator::tdp_w},
        {"die_area_mm2", &Accelerator::die_area_mm2},
        {"price_usd", &Accelerator::price_usd},
        {"rental_usd_per_hour", &Accelerator::rental_usd_per_hour},
    };
    for (const auto& [k, node] : (*figures)->table()) {
      bool known = false;
      for (const auto& [name, member] : fields) {
        if (k.str() != name) continue;
        known = true;
        auto f = read_figure(**figures, name, file, defaults);
        if (!f) return std::unexpected(f.error());
        a.*member = std::move(*f);
      }
      if (!known) {
        std::vector<std::string> names;
        for (const auto& [name, member] : fields) names.emplace_back(name);
        return std::unexpected((*figures)->error(
            k.str(), fmt::format("unknown figure (expected one of: {})", join(names, ", "))));
      }
    }
  }

  SUANLI_TRY(apply_availability(v, file, a));
  return apply_check_notes(v, a);
}

Result<void> check_accelerator(const Accelerator& a) {
  auto missing = [&](std::string_view what) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: accelerator '{}': missing {}", a.defined_at, a.id, what));
  };
  if (a.name.empty()) return missing("name");
  if (a.vendor.empty()) return missing("vendor");
  if (a.origin.empty()) return missing("origin");
  if (!a.rate(Precision::kBf16) && !a.rate(Precision::kFp16) && !a.rate(Precision::kInt8)) {
    return missing("dense_tflops (at least one of bf16, fp16, int8)");
  }
  if (!a.memory_gb) return missing("figures.memory_gb");
  if (!a.memory_bw_gbps) return missing("figures.memory_bw_gbps");
  if (a.die_link_gbps && a.dies < 2) {
    // Checked after overlays merge: a link between dies needs dies to link.
    return fail(ErrorCode::kParse,
                fmt::format("{}: accelerator '{}': figures.die_link_gbps needs dies >= 2 (got {})",
                            a.defined_at, a.id, a.dies));
  }
  return {};
}

// The model's scalar keys: the shape's integers, mlp, embeddings, dropout,
// native precision and the stated parameter counts.
Result<void> apply_model_scalars(const TomlView& v, ModelArch& m) {
  const std::pair<std::string_view, int ModelArch::*> ints[] = {
      {"layers", &ModelArch::layers},
      {"hidden", &ModelArch::hidden},
      {"heads", &ModelArch::heads},
      {"kv_heads", &ModelArch::kv_heads},
      {"head_dim", &ModelArch::head_dim},
      {"ffn", &ModelArch::ffn},
      {"vocab", &ModelArch::vocab},
      {"max_seq", &ModelArch::max_seq},
      {"default_seq", &ModelArch::default_seq},
  };
  for (const auto& [k, member] : ints) {
    auto x = v.positive_integer(k);
    if (!x) return std::unexpected(x.error());
    if (*x) m.*member = static_cast<int>(**x);
  }
  auto gbt = v.positive_integer("default_global_batch_tokens");
  if (!gbt) return std::unexpected(gbt.error());
  if (*gbt) m.default_global_batch_tokens = **gbt;
  auto mlp = v.string("mlp");
  if (!mlp) return std::unexpected(mlp.error());
  if (*mlp) {
    if (**mlp == "swiglu")
      m.mlp = MlpKind::kSwiglu;
    else if (**mlp == "gelu")
      m.mlp = MlpKind::kGelu;
    else
      return std::unexpected(
          v.error("mlp", fmt::format("expected swiglu or gelu, got '{}'", **mlp)));
  }
  auto tied = v.boolean("tied_embeddings");
  if (!tied) return std::unexpected(tied.error());
  if (*tied) m.tied_embeddings = **tied;
  auto dropout = v.boolean("dropout");
  if (!dropout) return std::unexpected(dropout.error());
  if (*dropout) m.dropout = **dropout;
  auto native = v.string("native_precision");
  if (!native) return std::unexpected(native.error());
  if (*native) {
    if (**native != "bf16" && **native != "fp8") {
      return std::unexpected(
          v.error("native_precision", fmt::format("expected bf16 or fp8, got '{}'", **native)));
    }
    m.native_fp8 = **native == "fp8";
  }
  auto pb = v.number("params_b");
  auto ab = v.number("active_params_b");
  if (!pb) return std::unexpected(pb.error());
  if (!ab) return std::unexpected(ab.error());
  if (*pb) {
    m.stated_params_b = **pb;
    m.params_defined_at = v.where("params_b");
  }
  if (*ab) {
    m.stated_active_b = **ab;
    m.active_defined_at = v.where("active_params_b");
  }
  return {};
}

// [model.moe]: the keys given override the spec an earlier entry of this id set.
Result<void> apply_model_moe(const TomlView& v, ModelArch& m) {
  auto moe = v.subtable("moe");
  if (!moe) return std::unexpected(moe.error());
  if (*moe) {
    MoeSpec spec = m.moe.value_or(MoeSpec{});
    const std::pair<std::string_view, int MoeSpec::*> fields[] = {
        {"experts", &MoeSpec::experts},
        {"top_k", &MoeSpec::top_k},
        {"shared_experts", &MoeSpec::shared_experts},
        {"expert_ffn", &MoeSpec::expert_ffn},
        {"first_dense_layers", &MoeSpec::first_dense_layers},
    };
    for (const auto& [k, member] : fields) {
      auto x = (*moe)->integer(k);
      if (!x) return std::unexpected(x.error());
      if (*x) {
        if (**x < 0) return std::unexpected((*moe)->error(k, "expected a non-negative integer"));
        spec.*member = static_cast<int>(**x);
      }
    }
    SUANLI_TRY((*moe)->finish());
    m.moe = spec;
  }
  return {};
}

// [model.mla]: the keys given override the spec an earlier entry of this id set.
Result<void> apply_model_mla(const TomlView& v, ModelArch& m) {
  auto mla = v.subtable("mla");
  if (!mla) return std::unexpected(mla.error());
  if (*mla) {
    MlaSpec spec = m.mla.value_or(MlaSpec{});
    const std::pair<std::string_view, int MlaSpec::*> fields[] = {
        {"q_lora_rank", &MlaSpec::q_lora_rank},
        {"kv_lora_rank", &MlaSpec::kv_lora_rank},
        {"qk_nope_head_dim", &MlaSpec::qk_nope_head_dim},
        {"qk_rope_head_dim", &MlaSpec::qk_rope_head_dim},
        {"v_head_dim", &MlaSpec::v_head_dim},
    };
    for (const auto& [k, member] : fields) {
      auto x = (*mla)->integer(k);
      if (!x) return std::unexpected(x.error());
      if (*x) spec.*member = static_cast<int>(**x);
    }
    SUANLI_TRY((*mla)->finish());
    m.mla = spec;
  }
  return {};
}

Result<void> apply_model(const TomlView& v, ModelArch& m) {
  v.accept({"notes"});  // for the reader of the file
  if (m.defined_at.empty()) m.defined_at = v.where();
  SUANLI_TRY(read_string(v, "name", m.name));
  SUANLI_TRY(read_string(v, "source", m.source));
  SUANLI_TRY(read_string(v, "confidence", m.confidence));
  SUANLI_TRY(apply_model_scalars(v, m));
  SUANLI_TRY(apply_model_moe(v, m));
  return apply_model_mla(v, m);
}

Result<void> check_model(ModelArch& m) {
  auto bad = [&](std::string_view what) {
    return fail(ErrorCode::kParse, fmt::format("{}: model '{}': {}", m.defined_at, m.id, what));
  };
  if (m.layers <= 0 || m.hidden <= 0 || m.heads <= 0 || m.vocab <= 0) {
    return bad("layers, hidden, heads and vocab are required and must be positive");
  }
  if (m.kv_heads == 0) m.kv_heads = m.heads;
  if (m.head_dim == 0) {
    if (m.hidden % m.heads != 0) return bad("hidden is not a multiple of heads; give head_dim");
    m.head_dim = m.hidden / m.heads;
  }
  if (m.heads % m.kv_heads != 0) return bad("heads must be a multiple of kv_heads");
  if (m.ffn <= 0 && !m.is_moe()) m.ffn = 4 * m.hidden;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    if (e.top_k <= 0 || e.top_k > e.experts) return bad("moe.top_k must be in 1..experts");
    if (e.expert_ffn <= 0) return bad("moe.expert_ffn is required");
    if (e.first_dense_layers > 0 && m.ffn <= 0) return bad("dense layers need ffn");
  }
  if (m.default_seq == 0) m.default_seq = m.max_seq > 0 ? m.max_seq : 2048;
  const auto p = count_params(m);
  auto check = [&](double stated_b, double computed, std::string_view key,
                   const std::string& where) -> Result<void> {
    if (stated_b <= 0) return {};
    const double err = std::fabs(computed / 1e9 - stated_b) / stated_b;
    if (err > 0.05) {
      return fail(ErrorCode::kParse,
                  fmt::format("{}: model.{}: expected about {:.2f} (billions, from the shape of "
                              "model '{}'), got {:.2f} ({:.1f}% off); check the shape",
                              where, key, computed / 1e9, m.id, stated_b, err * 100));
    }
    return {};
  };
  SUANLI_TRY(check(m.stated_params_b, p.total, "params_b", m.params_defined_at));
  SUANLI_TRY(check(m.stated_active_b, p.active, "active_params_b", m.active_defined_at));
  return {};
}

}  // namespace

std::span<const ProfileNumber> profile_numbers() {
  using E = EfficiencyProfile;
  static const ProfileNumber numbers[] = {
      {"gemm_peak_fraction", &E::gemm_peak_fraction, 0.01, 1.0},
      {"gemm_half_flops", &E::gemm_half_flops, 0.0, 1e15},
      {"attention_peak_fraction", &E::attention_peak_fraction, 0.01, 1.0},
      {"attention_portable_fraction", &E::attention_portable_fraction, 0.01, 1.0, true},
      {"prefill_attention_peak_fraction", &E::prefill_attention_peak_fraction, 0.01, 1.0, true},
      {"prefill_attention_half_seq", &E::prefill_attention_half_seq, 0.0, 1e7, true},
      {"fp8_gemm_peak_fraction", &E::fp8_gemm_peak_fraction, 0.01, 1.0, true},
      {"fp8_gemm_ratio", &E::fp8_gemm_ratio, 0.1, 1.0},
      {"fp8_rowwise_gemm_ratio", &E::fp8_rowwise_gemm_ratio, 0.1, 1.0},
      {"int8_gemm_ratio", &E::int8_gemm_ratio, 0.1, 1.0, true},
      {"forward_gemm_peak_fraction", &E::forward_gemm_peak_fraction, 0.01, 1.0, true},
      {"gemm_roofline_exponent", &E::gemm_roofline_exponent, 1.0, 100.0, true},
      {"memory_bw_fraction", &E::memory_bw_fraction, 0.01, 1.0},
      {"decode_memory_bw_fraction", &E::decode_memory_bw_fraction, 0.01, 1.0, true},
      {"scaleup_bw_fraction", &E::scaleup_bw_fraction, 0.01, 1.0},
      {"scaleout_bw_fraction", &E::scaleout_bw_fraction, 0.01, 1.0},
      {"overlap_compute_slowdown", &E::overlap_compute_slowdown, 0.0, 1.0},
      {"expert_gemm_half_us", &E::expert_gemm_half_us, 0.0, 1e4},
      {"scaleup_latency_us", &E::scaleup_latency_us, 0.0, 1e6},
      {"scaleout_latency_us", &E::scaleout_latency_us, 0.0, 1e6},
      {"kernel_overhead_us", &E::kernel_overhead_us, 0.0, 1e6},
      {"host_op_overhead_us", &E::host_op_overhead_us, 0.0, 1e5},
      {"memory_reserved_gb", &E::memory_reserved_gb, 0.0, 1e4},
      {"memory_usable_fraction", &E::memory_usable_fraction, 0.01, 1.0},
      {"decode_step_overhead_us", &E::decode_step_overhead_us, 0.0, 1e7},
  };
  return numbers;
}

namespace {

Result<void> apply_profile(const TomlView& v, EfficiencyProfile& e) {
  v.accept({"notes"});  // for the reader of the file
  SUANLI_TRY(check_base(v, e.id, e.base));
  if (e.defined_at.empty()) e.defined_at = v.where();
  SUANLI_TRY(read_string(v, "source", e.source));
  SUANLI_TRY(read_string(v, "confidence", e.confidence));
  for (const ProfileNumber& f : profile_numbers()) {
    auto x = v.number(f.key);
    if (!x) return std::unexpected(x.error());
    if (!*x) continue;
    if (**x < f.lo || **x > f.hi) {
      return std::unexpected(
          v.error(f.key, fmt::format("expected a value in [{}, {}], got {}", f.lo, f.hi, **x)));
    }
    e.*(f.member) = **x;
  }
  return {};
}

Result<void> apply_stack(const TomlView& v, SoftwareStack& st) {
  v.accept({"notes"});  // for the reader of the file
  if (st.defined_at.empty()) st.defined_at = v.where();
  SUANLI_TRY(read_string(v, "source", st.source));
  SUANLI_TRY(read_string(v, "confidence", st.confidence));
  const std::pair<std::string_view, bool SoftwareStack::*> flags[] = {
      {"flash_attention", &SoftwareStack::flash_attention},
      {"sequence_parallel", &SoftwareStack::sequence_parallel},
      {"selective_recompute", &SoftwareStack::selective_recompute},
      {"context_parallel", &SoftwareStack::context_parallel},
      {"interleaved_pipeline", &SoftwareStack::interleaved_pipeline},
      {"distributed_optimizer", &SoftwareStack::distributed_optimizer},
      {"ep_dedup", &SoftwareStack::ep_dedup},
      {"fp8_dispatch", &SoftwareStack::fp8_dispatch},
      {"fp8_tp_allgather", &SoftwareStack::fp8_tp_allgather},
      {"native_attention", &SoftwareStack::native_attention},
  };
  for (const auto& [k, member] : flags) {
    auto b = v.boolean(k);
    if (!b) return std::unexpected(b.error());
    if (*b) st.*member = **b;
  }
  const std::pair<std::string_view, double SoftwareStack::*> fracs[] = {
      {"tp_overlap_fraction", &SoftwareStack::tp_overlap_fraction},
      {"dp_overlap_fraction", &SoftwareStack::dp_overlap_fraction},
      {"pp_overlap_fraction", &SoftwareStack::pp_overlap_fraction},
      {"ep_overlap_fraction", &SoftwareStack::ep_overlap_fraction},
      {"ep_overlap_when_on", &SoftwareStack::ep_overlap_when_on},
  };
  for (const auto& [k, member] : fracs) {
    auto x = v.number(k);
    if (!x) return std::unexpected(x.error());
    if (!*x) continue;
    if (**x < 0 || **x > 1) return std::unexpected(v.error(k, "expected a fraction in [0, 1]"));
    st.*member = **x;
  }
  auto gathers = v.positive_integer("zero3_gathers_per_layer");
  if (!gathers) return std::unexpected(gathers.error());
  if (*gathers) st.zero3_gathers_per_layer = static_cast<int>(**gathers);
  auto block = v.positive_integer("attention_block_tokens");
  if (!block) return std::unexpected(block.error());
  if (*block) {
    if (**block > 1'000'000)
      return std::unexpected(v.error("attention_block_tokens", "expected at most 1000000 tokens"));
    st.attention_block_tokens = static_cast<int>(**block);
  }
  for (auto [k, member, hi] :
       {std::tuple{"fp8_cast_bytes", &SoftwareStack::fp8_cast_bytes, 64.0},
        std::tuple{"host_ops_per_layer", &SoftwareStack::host_ops_per_layer, 10000.0},
        std::tuple{"elementwise_traffic_factor", &SoftwareStack::elementwise_traffic_factor, 10.0},
        std::tuple{"moe_permute_bytes", &SoftwareStack::moe_permute_bytes, 200.0},
        std::tuple{"selective_recompute_gemm_fraction",
                   &SoftwareStack::selective_recompute_gemm_fraction, 1.0}}) {
    auto x = v.number(k);
    if (!x) return std::unexpected(x.error());
    if (!*x) continue;
    if (!(**x >= 0 && **x <= hi)) {
      return std::unexpected(v.error(k, fmt::format("expected a number in [0, {}]", hi)));
    }
    st.*member = **x;
  }
  auto gb = v.number("grad_reduce_bytes");
  if (!gb) return std::unexpected(gb.error());
  if (*gb) {
    if (**gb != 2 && **gb != 4)
      return std::unexpected(v.error("grad_reduce_bytes", "expected 2 or 4"));
    st.grad_reduce_bytes = **gb;
  }
  return {};
}

// One [[residual]] row: an out-of-sample error spread (see efficiency.h).
Result<ResidualSpread> read_residual(const TomlView& v) {
  v.accept({"note", "notes"});  // for the reader of the file
  ResidualSpread r;
  r.defined_at = v.where();
  auto profile = v.required_string("profile");
  if (!profile) return std::unexpected(profile.error());
  if (profile->empty())
    return std::unexpected(v.error("profile", "expected a profile id or \"all\""));
  r.profile = *profile;
  SUANLI_TRY(read_string(v, "stack", r.stack));
  auto kind = v.required_string("kind");
  if (!kind) return std::unexpected(kind.error());
  if (*kind != "train" && *kind != "infer") {
    return std::unexpected(
        v.error("kind", fmt::format("expected train or infer, got '{}'", *kind)));
  }
  r.kind = *kind;
  auto rows = v.required_integer("rows");
  if (!rows) return std::unexpected(rows.error());
  if (*rows <= 0 || *rows > 1000000) {
    return std::unexpected(
        v.error("rows", fmt::format("expected a positive count, got {}", *rows)));
  }
  r.rows = static_cast<int>(*rows);
  const std::pair<std::string_view, double ResidualSpread::*> qs[] = {
      {"p10", &ResidualSpread::p10}, {"p50", &ResidualSpread::p50}, {"p90", &ResidualSpread::p90}};
  for (const auto& [key, member] : qs) {
    auto x = v.required_number(key);
    if (!x) return std::unexpected(x.error());
    if (!std::isfinite(*x) || *x <= -0.9 || *x >= 5.0) {
      return std::unexpected(
          v.error(key, fmt::format("expected a finite relative error in (-0.9, 5), got {}", *x)));
    }
    r.*member = *x;
  }
  if (r.p10 > r.p50 || r.p50 > r.p90) {
    return std::unexpected(v.error(
        "p50", fmt::format("expected p10 <= p50 <= p90, got {} / {} / {}", r.p10, r.p50, r.p90)));
  }
  auto src = v.required_string("source");
  if (!src) return std::unexpected(src.error());
  if (src->empty()) return std::unexpected(v.error("source", "expected a non-empty source"));
  r.source = *src;
  SUANLI_TRY(v.finish());
  return r;
}

// Reads a file's [[residual]] rows; a row replaces a loaded one with the
// same (profile, stack, kind).
Result<void> load_residuals(const TomlView& rv, std::vector<ResidualSpread>& out) {
  const toml::node* node = rv.node("residual");
  if (!node) return {};
  const std::string& file = rv.file();
  const auto* arr = node->as_array();
  if (!arr) return std::unexpected(rv.error("residual", "expected [[residual]] entries"));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* t = (*arr)[i].as_table();
    if (!t) return std::unexpected(rv.error("residual", "expected a table"));
    auto r = read_residual(TomlView(*t, file, "residual"));
    if (!r) return std::unexpected(r.error());
    auto it = std::find_if(out.begin(), out.end(), [&](const ResidualSpread& x) {
      return x.profile == r->profile && x.stack == r->stack && x.kind == r->kind;
    });
    if (it == out.end()) {
      out.push_back(std::move(*r));
    } else {
      *it = std::move(*r);
    }
  }
  return {};
}

std::vector<fs::path> toml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".toml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The starting value of a new entry: a default-constructed one.
struct NoSeed {
  template <class T>
  Result<std::optional<T>> operator()(const TomlView&, const std::vector<T>&) const {
    return std::optional<T>();
  }
};

// A new entry with `base = "id"` starts as a copy of that loaded entry (an
// accelerator's figures keep their file:line) under its own provenance:
// `fresh` clears what the copy must not inherit beyond its id's base and
// definition site. A variant must come after its base, later in the same
// file or in a file read earlier.
template <class T, class Fresh>
Result<std::optional<T>> seed_from_base(const TomlView& v, const std::vector<T>& loaded,
                                        std::string_view what, Fresh fresh) {
  std::string base;
  SUANLI_TRY(read_string(v, "base", base));
  if (base.empty()) return std::optional<T>();
  auto it = std::find_if(loaded.begin(), loaded.end(), [&](const T& x) { return x.id == base; });
  if (it == loaded.end()) {
    return std::unexpected(
        v.error("base", fmt::format("unknown base {} '{}' (a variant must come after its base: "
                                    "later in the same file, or in a file read earlier)",
                                    what, escaped_excerpt(base, 40))));
  }
  T x = *it;
  x.base = x.id;
  x.defined_at.clear();
  fresh(x);
  return std::optional<T>(std::move(x));
}

// Applies every [[array_key]] entry of a file to `items` (merging by id); a
// new id starts from what `seed` returns (default-constructed when nullopt).
template <class T, class Apply, class Seed = NoSeed>
Result<void> load_entries(const TomlView& rv, std::string_view array_key, std::vector<T>& items,
                          Apply apply, Seed seed = {}) {
  const toml::node* node = rv.node(array_key);
  if (!node) return {};
  const std::string& file = rv.file();
  const auto* arr = node->as_array();
  if (!arr)
    return std::unexpected(rv.error(array_key, fmt::format("expected [[{}]] entries", array_key)));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* t = (*arr)[i].as_table();
    if (!t) return std::unexpected(rv.error(array_key, "expected a table"));
    TomlView view(*t, file, std::string(array_key));
    auto id = view.required_string("id");
    if (!id) return std::unexpected(id.error());
    if (id->empty()) return std::unexpected(view.error("id", "expected a non-empty id"));
    auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.id == *id; });
    if (it == items.end()) {
      auto seeded = seed(view, items);
      if (!seeded) return std::unexpected(seeded.error());
      items.push_back(*seeded ? std::move(**seeded) : T{});
      it = std::prev(items.end());
      it->id = *id;
    }
    SUANLI_TRY(apply(view, *it));
    SUANLI_TRY(view.finish());  // the id, the seed's and the entry's keys were read
  }
  return {};
}

// Reads a file's [economics] figures over what is loaded so far; a key the
// file leaves out keeps its earlier value.
Result<void> load_economics(const TomlView& root, const FileContext& file, Economics& out) {
  auto table = root.subtable("economics");
  if (!table) return std::unexpected(table.error());
  if (!*table) return {};
  const TomlView& v = **table;
  EntryDefaults defaults;
  SUANLI_TRY(read_string(v, "source", defaults.source));
  std::string conf;
  SUANLI_TRY(read_string(v, "confidence", conf));
  if (!conf.empty()) {
    defaults.confidence = parse_confidence(conf);
    if (!defaults.confidence) {
      return std::unexpected(v.error(
          "confidence",
          fmt::format("expected verified, secondary, estimate or placeholder, got '{}'", conf)));
    }
  }
  for (const EconomicsKey& k : kEconomicsKeys) {
    if (!v.node(k.name)) continue;
    auto f = read_figure(v, k.name, file, defaults);
    if (!f) return std::unexpected(f.error());
    if (!(f->value >= k.min && f->value <= k.max)) {
      return std::unexpected(v.error(
          k.name, fmt::format("expected {} in [{}, {}], got {}", k.help, k.min, k.max, f->value)));
    }
    if ((f->low && *f->low < k.min) || (f->high && *f->high > k.max)) {
      return std::unexpected(
          v.error(k.name, fmt::format("expected low and high in [{}, {}]", k.min, k.max)));
    }
    out.*k.member = std::move(*f);
  }
  return v.finish();
}

Economics fallback_economics() {
  Economics e;
  for (const EconomicsKey& k : kEconomicsKeys) {
    Figure& f = e.*k.member;
    f.value = k.fallback;
    f.source =
        "built-in fallback: the catalog has no data/economics.toml (src/catalog/economics.h)";
    f.confidence = Confidence::kPlaceholder;
    f.origin = "src/catalog/economics.h";
  }
  return e;
}

// How a catalog file is named in figures' `defined_at` and in messages:
// the catalog directory's own name and the path below it ("data/economics.toml",
// "my-catalog/accelerators/x.toml"), never the machine's absolute path, which
// would otherwise travel into plan documents, reports and service answers.
std::string display_path(const fs::path& dir, const fs::path& file) {
  std::error_code ec;
  fs::path norm = fs::absolute(dir, ec).lexically_normal();
  if (!norm.has_filename()) norm = norm.parent_path();  // "/x/data/" or "."
  const fs::path name = norm.filename();
  const fs::path below = file.lexically_relative(dir);
  if (below.empty() || *below.begin() == "..") return file.string();
  return (name / below).generic_string();
}

}  // namespace

std::vector<fs::path> Catalog::default_directories(const std::vector<fs::path>& extra) {
  std::vector<fs::path> dirs;
  dirs.push_back(bundled_data_dir());
  if (const char* env = std::getenv("SUANLI_CATALOG"); env && *env) {
    for (const auto& part : split(env, ':')) {
      if (!part.empty()) dirs.emplace_back(part);
    }
  }
  for (const auto& d : extra) dirs.push_back(d);
  return dirs;
}

Result<Catalog> Catalog::load(const CatalogOptions& options) {
  Catalog cat;
  cat.fallback_profile_.id = "default";
  cat.fallback_profile_.source = "built-in defaults (src/catalog/efficiency.h)";
  cat.economics_ = fallback_economics();
  // One file's [sources] and entries, merged over what is loaded so far.
  auto apply_file = [&cat](const toml::table& root, const fs::path& path) -> Result<void> {
    TomlView rv(root, path.string(), "");
    auto fctx = read_sources(rv);
    if (!fctx) return std::unexpected(fctx.error());
    SUANLI_TRY(load_entries(
        rv, "accelerator", cat.accelerators_,
        [&](const TomlView& v, Accelerator& a) { return apply_accelerator(v, *fctx, a); },
        [](const TomlView& v, const std::vector<Accelerator>& loaded) {
          return seed_from_base(v, loaded, "accelerator", [](Accelerator& a) {
            a.overridden_at.clear();
            a.check_notes.clear();
          });
        }));
    SUANLI_TRY(load_entries(rv, "model", cat.models_,
                            [&](const TomlView& v, ModelArch& m) { return apply_model(v, m); }));
    SUANLI_TRY(load_entries(
        rv, "profile", cat.profiles_,
        [&](const TomlView& v, EfficiencyProfile& e) { return apply_profile(v, e); },
        [](const TomlView& v, const std::vector<EfficiencyProfile>& loaded) {
          return seed_from_base(v, loaded, "profile", [](EfficiencyProfile&) {});
        }));
    SUANLI_TRY(load_entries(rv, "stack", cat.stacks_, [&](const TomlView& v, SoftwareStack& st) {
      return apply_stack(v, st);
    }));
    SUANLI_TRY(load_residuals(rv, cat.residuals_));
    SUANLI_TRY(load_economics(rv, *fctx, cat.economics_));
    return rv.finish();
  };
  for (const auto& dir : options.directories) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return fail(ErrorCode::kIo, fmt::format("{}: catalog directory not found", dir.string()));
    }
    std::vector<fs::path> files;
    for (const char* sub : {"accelerators", "models", "efficiency", "stacks"}) {
      auto f = toml_files(dir / sub);
      files.insert(files.end(), f.begin(), f.end());
    }
    auto top = toml_files(dir);
    files.insert(files.end(), top.begin(), top.end());
    for (const auto& path : files) {
      auto root = parse_toml_file(path);
      if (!root) return std::unexpected(root.error());
      SUANLI_TRY(apply_file(*root, display_path(dir, path)));
    }
  }
  for (const auto& text : options.texts) {
    toml::table root;
    try {
      root = toml::parse(text.toml, text.name);
    } catch (const toml::parse_error& e) {
      const auto& begin = e.source().begin;
      return fail(ErrorCode::kParse, fmt::format("{}:{}:{}: {}", text.name, begin.line,
                                                 begin.column, e.description()));
    }
    SUANLI_TRY(apply_file(root, text.name));
  }
  for (const auto& a : cat.accelerators_) SUANLI_TRY(check_accelerator(a));
  for (auto& m : cat.models_) SUANLI_TRY(check_model(m));
  return cat;
}

namespace {

// The index of the entry `query` names: the exact ID; else, ignoring case,
// the one ID equal to it, or equal to it after its first dash-separated
// component (a vendor prefix left out: "910c" for "ascend-910c"), or
// before its last one (a form factor left out: "h200" for "h200-sxm").
// Each loose rule applies only when exactly one ID matches it, and the
// rules are tried in that order. nullopt: none, or ambiguous.
std::optional<std::size_t> resolve_id(std::string_view query, const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == query) return i;
  const std::string q = to_lower(query);
  if (q.empty()) return std::nullopt;
  const auto unique = [&](auto match) -> std::optional<std::size_t> {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!match(to_lower(ids[i]))) continue;
      if (found) return std::nullopt;
      found = i;
    }
    return found;
  };
  if (auto i = unique([&](const std::string& id) { return id == q; })) return i;
  // One leading component dropped: "ascend-910c" -> "910c", but not
  // "iluvatar-bi-v100" -> "v100" (an NVIDIA V100 is not an Iluvatar card).
  if (auto i = unique([&](const std::string& id) {
        const auto dash = id.find('-');
        return dash != std::string::npos && id.substr(dash + 1) == q;
      }))
    return i;
  // One trailing component dropped: "h200-sxm" -> "h200".
  return unique([&](const std::string& id) {
    const auto dash = id.rfind('-');
    return dash != std::string::npos && id.substr(0, dash) == q;
  });
}

}  // namespace

Result<const Accelerator*> Catalog::accelerator(std::string_view id) const {
  for (const auto& a : accelerators_) {
    if (a.id == id) return &a;  // the common case, without building the ID list
  }
  const auto ids = accelerator_ids();
  if (auto i = resolve_id(id, ids)) return &accelerators_[*i];
  return fail(ErrorCode::kNotFound, unknown_id_message("accelerator", id, ids));
}

Result<const ModelArch*> Catalog::model(std::string_view id) const {
  for (const auto& m : models_) {
    if (m.id == id) return &m;
  }
  const auto ids = model_ids();
  if (auto i = resolve_id(id, ids)) return &models_[*i];
  return fail(ErrorCode::kNotFound, unknown_id_message("model", id, ids));
}

Result<const SoftwareStack*> Catalog::stack(std::string_view id) const {
  for (const auto& s : stacks_) {
    if (s.id == id) return &s;
  }
  if (id == fallback_stack_.id) return &fallback_stack_;
  std::vector<std::string> ids;
  for (const auto& s : stacks_) ids.push_back(s.id);
  return fail(ErrorCode::kNotFound, unknown_id_message("software stack", id, ids));
}

const SoftwareStack& Catalog::default_stack() const {
  auto s = stack(fallback_stack_.id);
  return s ? **s : fallback_stack_;
}

const EfficiencyProfile& Catalog::profile(std::string_view id) const {
  for (const auto& p : profiles_) {
    if (p.id == id) return p;
  }
  for (const auto& p : profiles_) {
    if (p.id == "default") return p;
  }
  return fallback_profile_;
}

ResidualChoice Catalog::residual_for(std::string_view profile, std::string_view stack,
                                     std::string_view kind) const {
  auto find = [&](std::string_view p, std::string_view st) -> const ResidualSpread* {
    for (const auto& r : residuals_) {
      if (r.profile == p && r.stack == st && r.kind == kind) return &r;
    }
    return nullptr;
  };
  if (!stack.empty()) {
    if (const auto* r = find(profile, stack); r && r->rows >= kMinResidualRows) {
      return {r, "profile+stack"};
    }
  }
  if (const auto* r = find(profile, ""); r && r->rows >= kMinResidualRows) return {r, "profile"};
  if (const auto* r = find("all", ""); r) return {r, "pooled"};
  return {};
}

std::vector<std::string> Catalog::accelerator_ids() const {
  std::vector<std::string> ids;
  for (const auto& a : accelerators_) ids.push_back(a.id);
  return ids;
}

std::vector<std::string> Catalog::model_ids() const {
  std::vector<std::string> ids;
  for (const auto& m : models_) ids.push_back(m.id);
  return ids;
}

}  // namespace suanli
